// Checks across objects, beyond what the schema and CEL rules can see one object at a time:
// duplicate objects, static VIP addresses claimed twice, and (with --resolve-refs) references that
// must resolve within the input set. Pure: records in, problems out.
import type { FieldPath } from '../../api/errors.js';
import type { KindInfo } from '../../api/kinds.js';

export interface ObjectRecord {
  kind: KindInfo;
  namespace: string | undefined;
  name: string;
  /** The object as written (for explicit-vs-defaulted questions). */
  object: Record<string, unknown>;
  /** The object with schema defaults applied. */
  defaulted: Record<string, unknown>;
  /** Where it was defined, e.g. crds/samples/seed.yaml:12 (computed on demand: positions cost a re-parse). */
  where: () => string;
}

export interface SemanticProblem {
  record: ObjectRecord;
  path: FieldPath;
  message: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const specOf = (r: ObjectRecord): Record<string, unknown> => (isObj(r.defaulted.spec) ? r.defaulted.spec : {});
const strField = (o: Record<string, unknown>, k: string): string | undefined => (typeof o[k] === 'string' ? o[k] : undefined);

/** Namespace as kubectl would use it: objects without one land in the context's namespace. */
function nsKey(r: ObjectRecord): string {
  return r.kind.namespaced ? (r.namespace ?? '(default)') : '';
}

function identity(r: ObjectRecord): string {
  return `${r.kind.kind}/${nsKey(r)}/${r.name}`;
}

export function findDuplicates(records: readonly ObjectRecord[]): SemanticProblem[] {
  const first = new Map<string, ObjectRecord>();
  const out: SemanticProblem[] = [];
  for (const r of records) {
    const id = identity(r);
    const prev = first.get(id);
    if (prev === undefined) first.set(id, r);
    else out.push({ record: r, path: ['metadata', 'name'], message: `Duplicate value: ${JSON.stringify(r.name)}: the same object is also defined at ${prev.where()}` });
  }
  return out;
}

/** Two VirtualServices (or two VIPs) asking for the same static address in the same subnet or network. */
export function findVIPConflicts(records: readonly ObjectRecord[]): SemanticProblem[] {
  const claimed = new Map<string, string>();
  const out: SemanticProblem[] = [];
  for (const r of records) {
    if (r.kind.kind !== 'VirtualService') continue;
    const spec = specOf(r);
    const vips = Array.isArray(spec.vip) ? spec.vip : [];
    vips.forEach((vip: unknown, i) => {
      if (!isObj(vip)) return;
      const ip = strField(vip, 'ipAddress');
      const where = strField(vip, 'subnetUUID') ?? strField(vip, 'networkRef');
      if (ip === undefined || where === undefined) return;
      const key = `${strField(spec, 'cloudRef') ?? ''}|${where}|${ip}`;
      const owner = `VirtualService ${nsKey(r)}/${r.name} vip ${String(vip.vipID)}`;
      const prev = claimed.get(key);
      if (prev === undefined) claimed.set(key, owner);
      else out.push({ record: r, path: ['spec', 'vip', i, 'ipAddress'], message: `Duplicate value: ${JSON.stringify(ip)}: also the static address of ${prev}` });
    });
  }
  return out;
}

/** --resolve-refs: every reference names an object of the input set. */
export function resolveRefs(records: readonly ObjectRecord[]): SemanticProblem[] {
  const byId = new Map(records.map((r) => [identity(r), r]));
  const find = (kind: string, r: ObjectRecord, name: string): ObjectRecord | undefined =>
    byId.get(`${kind}/${kind === 'Cloud' ? '' : nsKey(r)}/${name}`);
  const out: SemanticProblem[] = [];
  const inNs = (r: ObjectRecord): string => (r.namespace === undefined ? '' : ` in namespace ${r.namespace}`);
  for (const r of records) {
    const spec = specOf(r);
    const explicit = isObj(r.object.spec) ? r.object.spec : {};
    const cloudRef = strField(spec, 'cloudRef');
    if (cloudRef !== undefined && r.kind.kind !== 'Cloud') {
      const cloud = find('Cloud', r, cloudRef);
      if (cloud === undefined) {
        out.push({ record: r, path: ['spec', 'cloudRef'], message: `Not found: Cloud "${cloudRef}" is not defined in the input` });
      } else if (r.kind.namespaced) {
        const tenants = Array.isArray(specOf(cloud).tenants) ? (specOf(cloud).tenants as unknown[]) : [];
        const ns = r.namespace ?? 'default';
        if (!tenants.some((t) => isObj(t) && t.namespace === ns)) {
          out.push({ record: r, path: ['spec', 'cloudRef'], message: `Forbidden: namespace "${ns}" is not a tenant of Cloud "${cloudRef}" (spec.tenants)` });
        }
      }
    }
    if (r.kind.kind === 'VirtualService') {
      const poolRef = strField(spec, 'poolRef');
      if (poolRef !== undefined) {
        const pool = find('Pool', r, poolRef);
        if (pool === undefined) {
          out.push({ record: r, path: ['spec', 'poolRef'], message: `Not found: Pool "${poolRef}" is not defined in the input${inNs(r)}` });
        } else if (cloudRef !== undefined && strField(specOf(pool), 'cloudRef') !== cloudRef) {
          out.push({ record: r, path: ['spec', 'poolRef'], message: `Invalid value: "${poolRef}": Pool is in Cloud "${String(strField(specOf(pool), 'cloudRef'))}", not "${cloudRef}"` });
        }
      }
    }
    // The VS default group `default` may be created by the operator, so only an explicit ref must resolve.
    const seGroupRef = r.kind.kind === 'ServiceEngine' ? strField(spec, 'seGroupRef') : strField(explicit, 'seGroupRef');
    if ((r.kind.kind === 'VirtualService' || r.kind.kind === 'ServiceEngine') && seGroupRef !== undefined) {
      if (find('ServiceEngineGroup', r, seGroupRef) === undefined) {
        out.push({ record: r, path: ['spec', 'seGroupRef'], message: `Not found: ServiceEngineGroup "${seGroupRef}" is not defined in the input${inNs(r)}` });
      }
    }
  }
  return out;
}
