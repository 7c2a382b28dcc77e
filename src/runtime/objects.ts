// The minimal shape of a Kubernetes object the runtime relies on, and how resources are addressed.

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  finalizers?: string[];
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [k: string]: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [k: string]: unknown;
}

export interface ObjectList<T extends KubeObject = KubeObject> {
  metadata: { resourceVersion?: string; continue?: string };
  items: T[];
}

/** A resource type: core (`group: ''`) or custom. */
export interface ResourceType {
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
  kind?: string;
}

export interface ObjectRef {
  namespace?: string;
  name: string;
}

export function apiPrefix(rt: ResourceType): string {
  return rt.group === '' ? `/api/${rt.version}` : `/apis/${rt.group}/${rt.version}`;
}

export function apiVersionOf(rt: ResourceType): string {
  return rt.group === '' ? rt.version : `${rt.group}/${rt.version}`;
}

/** The collection URL path; all namespaces when namespace is undefined. */
export function collectionPath(rt: ResourceType, namespace?: string): string {
  const ns = rt.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${apiPrefix(rt)}${ns}/${rt.plural}`;
}

export function objectPath(rt: ResourceType, ref: ObjectRef, subresource?: string): string {
  const base = `${collectionPath(rt, rt.namespaced ? ref.namespace : undefined)}/${encodeURIComponent(ref.name)}`;
  return subresource ? `${base}/${subresource}` : base;
}

/** The cache / queue key: "namespace/name", or "name" for cluster-scoped objects. */
export function objectKey(obj: KubeObject | ObjectRef): string {
  const ref = 'metadata' in obj ? (obj as KubeObject).metadata : (obj as ObjectRef);
  return ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
}

export function parseKey(key: string): ObjectRef {
  const i = key.indexOf('/');
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
