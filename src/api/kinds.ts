// What the controllers and the runtime need to address our kinds through the Kubernetes API.
// Kept in step with crds/*.yaml by a unit test (src/api/kinds.test.ts).
export const group = 'lb.contrail-operator.io';
export const version = 'v1alpha1';
export const apiVersion = `${group}/${version}`;
export const category = 'contrail-lb';

export type KindName = 'Cloud' | 'ServiceEngineGroup' | 'ServiceEngine' | 'Pool' | 'VirtualService';

export interface KindInfo {
  kind: KindName;
  listKind: string;
  group: string;
  version: string;
  apiVersion: string;
  plural: string;
  singular: string;
  shortName: string;
  namespaced: boolean;
  /** The CRD file under crds/. */
  file: string;
}

function info(kind: KindName, shortName: string, namespaced: boolean): KindInfo {
  const singular = kind.toLowerCase();
  return {
    kind,
    listKind: `${kind}List`,
    group,
    version,
    apiVersion,
    plural: `${singular}s`,
    singular,
    shortName,
    namespaced,
    file: `${singular}.yaml`,
  };
}

export const kinds: Readonly<Record<KindName, KindInfo>> = {
  Cloud: info('Cloud', 'lbcloud', false),
  ServiceEngineGroup: info('ServiceEngineGroup', 'lbseg', true),
  ServiceEngine: info('ServiceEngine', 'lbse', true),
  Pool: info('Pool', 'lbpool', true),
  VirtualService: info('VirtualService', 'lbvs', true),
};

export const kindNames = Object.keys(kinds) as KindName[];

export function isKindName(s: unknown): s is KindName {
  return typeof s === 'string' && Object.hasOwn(kinds, s);
}

/** The kind of an object that is one of ours (by apiVersion group and kind), else undefined. */
export function kindOf(obj: { apiVersion?: unknown; kind?: unknown }): KindInfo | undefined {
  if (obj.apiVersion !== apiVersion || !isKindName(obj.kind)) return undefined;
  return kinds[obj.kind];
}

/** Condition types each kind reports (the controllers set these; docs and tests read them). */
export const conditionTypes = {
  Cloud: ['Ready', 'Authenticated', 'EndpointsReachable'],
  ServiceEngineGroup: ['Ready'],
  ServiceEngine: ['Ready', 'Booted', 'NetworksAttached'],
  Pool: ['Resolved', 'Ready'],
  VirtualService: ['Ready', 'VIPAllocated', 'Placed', 'Degraded'],
} as const satisfies Record<KindName, readonly string[]>;
