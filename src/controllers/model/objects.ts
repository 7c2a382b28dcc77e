// Our kinds as the runtime holds them, and the resource types the controllers read and write.
import { kinds, type Cloud, type KindName, type Pool, type ServiceEngine, type ServiceEngineGroup, type VirtualService } from '../../api/index.js';
import type { KubeObject, ObjectMeta, ResourceType } from '../../runtime/index.js';

export interface Secret extends KubeObject {
  data?: Record<string, string>;
  type?: string;
}

/**
 * Our kinds as the runtime holds them: the generated types with plain-JSON metadata (the
 * generated ObjectMeta says Date where the wire, and the cache, carry RFC 3339 strings).
 */
export type Obj<T extends { metadata: unknown }> = Omit<T, 'metadata'> & { metadata: ObjectMeta & { creationTimestamp?: string } };
export type CloudObj = Obj<Cloud>;
export type GroupObj = Obj<ServiceEngineGroup>;
export type SEObj = Obj<ServiceEngine>;
export type VSObj = Obj<VirtualService>;
export type PoolObj = Obj<Pool>;

export function resourceOf(kind: KindName): ResourceType {
  const k = kinds[kind];
  return { group: k.group, version: k.version, plural: k.plural, namespaced: k.namespaced, kind: k.kind };
}

export const SECRETS: ResourceType = { group: '', version: 'v1', plural: 'secrets', namespaced: true, kind: 'Secret' };

/** `namespace/name`, the key of the caches, the queues and the indexes. */
export const keyOf = (namespace: string, name: string): string => `${namespace}/${name}`;
