// Owner tags on every cloud object we create (contracts.md §3): they make a crash between a cloud
// write and recording it an adoption, and let the orphan sweep delete ours and only ours.
//   Contrail: annotations.key_value_pair   Nova: metadata   Neutron: description = "lbop:" + JSON
// Names are `lbop-<uid8>-<role>`; Nova lists are filtered by that prefix (no metadata filter).
import type { Annotations, KeyValuePair } from './contrail.js';

export interface Owner {
  clusterID: string;
  kind: string;
  namespace: string;
  name: string;
  uid: string;
}

export const OWNER_KEYS = {
  clusterID: 'lbop.cluster-id',
  kind: 'lbop.owner-kind',
  namespace: 'lbop.owner-namespace',
  name: 'lbop.owner-name',
  uid: 'lbop.owner-uid',
} as const satisfies Record<keyof Owner, string>;

export const NAME_PREFIX = 'lbop-';
export const DESCRIPTION_PREFIX = 'lbop:';
/** Neutron's description column is 255 characters. */
export const NEUTRON_DESCRIPTION_MAX = 255;

const FIELDS = Object.keys(OWNER_KEYS) as (keyof Owner)[];

/** `lbop-<first 8 of uid>-<role>`; role is lower-case [a-z0-9-] (e.g. `vip-0`, `mgmt`, `data-1`). */
export function objectName(uid: string, role: string): string {
  const uid8 = uid.replace(/-/g, '').slice(0, 8).toLowerCase();
  const r = role.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  return `${NAME_PREFIX}${uid8}-${r}`;
}

const short8 = (id: string): string => id.replace(/-/g, '').slice(0, 8).toLowerCase();

/**
 * A Nova server group has neither metadata nor a description, so its owner is in its name:
 * `lbop-<ServiceEngineGroup uid8>-<cluster8>-anti-affinity`. The cluster part keeps operators
 * sharing a project off each other's groups (adoption and the orphan sweep both read it).
 */
export function serverGroupName(groupUID: string, clusterID: string): string {
  return `${NAME_PREFIX}${short8(groupUID)}-${short8(clusterID)}-anti-affinity`;
}

/** The uid8 and cluster8 of one of our server group names, or undefined for any other name. */
export function parseServerGroupName(name: string): { uid8: string; cluster8: string } | undefined {
  const m = /^lbop-([0-9a-z]{1,8})-([0-9a-z]{1,8})-anti-affinity$/.exec(name);
  return m === null ? undefined : { uid8: m[1] as string, cluster8: m[2] as string };
}

/** The first 8 of a uid as names carry it. */
export const uid8 = short8;

export function ownerKey(o: Pick<Owner, 'kind' | 'namespace' | 'name'>): string {
  return o.namespace === '' ? `${o.kind}/${o.name}` : `${o.kind}/${o.namespace}/${o.name}`;
}

function toMap(o: Owner): Record<string, string> {
  const m: Record<string, string> = {};
  for (const f of FIELDS) m[OWNER_KEYS[f]] = o[f];
  return m;
}

function fromMap(get: (key: string) => string | undefined): Owner | undefined {
  const clusterID = get(OWNER_KEYS.clusterID);
  const uid = get(OWNER_KEYS.uid);
  const kind = get(OWNER_KEYS.kind);
  // uid + cluster + kind identify the owner; namespace/name may be dropped for space.
  if (clusterID === undefined || uid === undefined || kind === undefined) return undefined;
  return { clusterID, kind, uid, namespace: get(OWNER_KEYS.namespace) ?? '', name: get(OWNER_KEYS.name) ?? '' };
}

/** Contrail: our pairs replace any earlier lbop.* pairs; other annotations are kept. */
export function stampAnnotations(o: Owner, existing?: Annotations): Annotations {
  const keep = (existing?.key_value_pair ?? []).filter((kv) => !kv.key.startsWith('lbop.'));
  const ours: KeyValuePair[] = Object.entries(toMap(o)).map(([key, value]) => ({ key, value }));
  return { key_value_pair: [...keep, ...ours] };
}

export function ownerFromAnnotations(a: Annotations | undefined | null): Owner | undefined {
  const kvs = a?.key_value_pair;
  if (!Array.isArray(kvs)) return undefined;
  return fromMap((k) => kvs.find((kv) => kv.key === k)?.value);
}

/** Nova server metadata (merged over the caller's own keys). */
export function stampMetadata(o: Owner, existing: Record<string, string> = {}): Record<string, string> {
  return { ...existing, ...toMap(o) };
}

export function ownerFromMetadata(m: Record<string, string> | undefined | null): Owner | undefined {
  if (m === undefined || m === null) return undefined;
  return fromMap((k) => m[k]);
}

/**
 * Neutron description: `lbop:` + compact JSON. When a long namespace/name would overflow 255
 * characters, the name (then the namespace) is left out: uid + cluster + kind still identify it.
 */
export function ownerDescription(o: Owner): string {
  const m = toMap(o);
  let s = DESCRIPTION_PREFIX + JSON.stringify(m);
  if (s.length <= NEUTRON_DESCRIPTION_MAX) return s;
  delete m[OWNER_KEYS.name];
  s = DESCRIPTION_PREFIX + JSON.stringify(m);
  if (s.length <= NEUTRON_DESCRIPTION_MAX) return s;
  delete m[OWNER_KEYS.namespace];
  return DESCRIPTION_PREFIX + JSON.stringify(m);
}

export function ownerFromDescription(d: string | undefined | null): Owner | undefined {
  if (typeof d !== 'string' || !d.startsWith(DESCRIPTION_PREFIX)) return undefined;
  let parsed: unknown;
  try { parsed = JSON.parse(d.slice(DESCRIPTION_PREFIX.length)); } catch { return undefined; }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const rec = parsed as Record<string, unknown>;
  return fromMap((k) => (typeof rec[k] === 'string' ? rec[k] : undefined));
}

/** Ours = tagged by this cluster. Objects of another cluster sharing the cloud are left alone. */
export function isOurs(owner: Owner | undefined, clusterID: string): owner is Owner {
  return owner !== undefined && owner.clusterID === clusterID;
}
