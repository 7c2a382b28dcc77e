// One copy of the strings that repeat across cached objects. JSON.parse gives every object its own
// copy of each string value (V8 shares only property names and very short values), so 10,000
// VirtualServices hold 10,000 copies of their namespace, condition reasons and messages, group and
// SE names and creation seconds. Interning the values of the fields where repeats are the rule cuts
// the cache's heap by ~16 % (npm run bench:cache-trim); interning every string costs more in the
// table than it saves on unique ones (names, uids, addresses).

/** Fields whose string values are interned, wherever they appear in an object. */
const INTERNED_FIELDS = new Set([
  'namespace', 'apiVersion', 'kind', 'creationTimestamp', 'deletionTimestamp',
  // conditions
  'type', 'status', 'reason', 'message', 'lastTransitionTime',
  // references and phases common to this operator's kinds
  'cloudRef', 'seGroupRef', 'group', 'serviceEngine', 'network', 'subnet', 'phase', 'state', 'protocol', 'name',
]);
const MAX_LENGTH = 256;
/** The table is dropped (and refilled) past this size: a bound on what deleted objects leave in it. */
const MAX_ENTRIES = 100_000;

let table = new Map<string, string>();

function one(s: string): string {
  if (s.length > MAX_LENGTH) return s;
  const have = table.get(s);
  if (have !== undefined) return have;
  if (table.size >= MAX_ENTRIES) table = new Map();
  table.set(s, s);
  return s;
}

function walk(v: unknown, field: string): unknown {
  if (typeof v === 'string') return INTERNED_FIELDS.has(field) ? one(v) : v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = walk(v[i], field);
    return v;
  }
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    // A Secret's data is never walked: no secret value may outlive its object in the table.
    for (const k in o) if (k !== 'data' && k !== 'stringData') o[k] = walk(o[k], k);
  }
  return v;
}

/** Replaces, in place, the string values of INTERNED_FIELDS with one shared copy each. */
export function internStrings<T>(obj: T): T {
  return walk(obj, '') as T;
}

/** One shared copy of `s` (the CloudView's repeated uuids and owner fields). */
export function internString(s: string): string {
  return one(s);
}

/** Entries in the table (tests, benchmarks). */
export function internedCount(): number {
  return table.size;
}

/** Whether a value is held in the table (tests). */
export function isInterned(s: string): boolean {
  return table.has(s);
}
