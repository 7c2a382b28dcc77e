// The Contrail object store: the single truth every simulated API reads and writes (Neutron
// networks/ports and Nova servers are views over these objects). Indexed by uuid, by type, by
// fq_name, by parent and by referee (back-refs), so every request costs O(refs), never O(objects).
import { canonicalUuid, pyList, pyRepr, type Random } from './rand.js';
import { checkValue, TYPES, underscored, ValidationError, type TypeSpec } from './schema.js';
import { ApiError } from './http.js';

/** An api-server error: the status and the plain-text body bottle would send. */
export class VncError extends ApiError {
  constructor(status: number, message: string) {
    super(status, message);
  }
}

export interface Ref {
  to: string[];
  uuid: string;
  attr: unknown;
}

export interface VncObject {
  type: string;
  uuid: string;
  fq: string[];
  parentType?: string;
  parentUuid?: string;
  props: Record<string, unknown>;
  refs: Record<string, Ref[]>;
  /** Epoch ms (numbers, not ISO strings: 100k objects hold two timestamps each). */
  created: number;
  modified: number;
  /** Updates since create (Neutron's revision_number). */
  rev?: number;
  seq: number;
  owner: string;
}

export interface RequestContext {
  projectId?: string; // keystone project id of the caller (X-Project-Id)
}

/** Type-specific server behaviour (allocation, MACs, rules); see hooks.ts. */
export interface TypeHooks {
  preCreate?(obj: VncObject, ctx: RequestContext): void;
  preUpdate?(obj: VncObject, props: Record<string, unknown>, refs: Record<string, Ref[]>): void;
  preDelete?(obj: VncObject): void;
  postDelete?(obj: VncObject): void;
  /** Rebuilds hook-private indexes for an object loaded from --state. */
  restore?(obj: VncObject): void;
}

export type JsonObject = Record<string, unknown>;

export const isObject = (x: unknown): x is JsonObject => typeof x === 'object' && x !== null && !Array.isArray(x);

export class VncStore {
  readonly objects = new Map<string, VncObject>();
  readonly byType = new Map<string, Map<string, VncObject>>();
  // type → parent fq (joined) → name → uuid. Two levels so the per-object key is the name string
  // the object already holds, not a fresh joined fq_name (saves ~100 bytes per object).
  private readonly byFq = new Map<string, Map<string, Map<string, string>>>();
  private readonly children = new Map<string, Set<string>>();
  // referee → referrer(s): a lone referrer is kept as its uuid, a Set only from the second on
  // (most objects have exactly one referrer, and a Set costs ~200 bytes).
  private readonly backRefs = new Map<string, string | Set<string>>();
  private readonly relaxed = new Set<string>(); // `${referrer} ${referee}`
  private seq = 0;
  hooks: Record<string, TypeHooks> = {};
  baseUrl = 'http://127.0.0.1:8082';
  /** Called after every successful write (persistence, vRouter caches). */
  onChange: () => void = () => undefined;

  constructor(readonly random: Random) {
    for (const t of Object.keys(TYPES)) this.byType.set(t, new Map());
  }

  href(type: string, uuid: string): string {
    return `${this.baseUrl}/${type}/${uuid}`;
  }

  get(uuid: string): VncObject | undefined {
    return this.objects.get(uuid);
  }

  /** 404 with the api-server's text when the uuid is unknown or of another type. */
  mustGet(type: string, uuid: string): VncObject {
    const o = this.objects.get(uuid);
    if (o === undefined || o.type !== type) throw new VncError(404, `No ${type} object found for id ${uuid}`);
    return o;
  }

  uuidByFq(type: string, fq: readonly string[]): string | undefined {
    return this.byFq.get(type)?.get(fq.slice(0, -1).join(':'))?.get(fq[fq.length - 1] as string);
  }

  private indexFq(o: VncObject, add: boolean): void {
    let perType = this.byFq.get(o.type);
    if (perType === undefined) this.byFq.set(o.type, (perType = new Map()));
    const parentKey = o.fq.slice(0, -1).join(':');
    let names = perType.get(parentKey);
    if (names === undefined) perType.set(parentKey, (names = new Map()));
    const name = o.fq[o.fq.length - 1] as string;
    if (add) names.set(name, o.uuid);
    else {
      names.delete(name);
      if (names.size === 0) perType.delete(parentKey);
    }
  }

  childrenOf(uuid: string): VncObject[] {
    const out: VncObject[] = [];
    for (const c of this.children.get(uuid) ?? []) {
      const o = this.objects.get(c);
      if (o !== undefined) out.push(o);
    }
    return out;
  }

  referrers(uuid: string, type?: string): VncObject[] {
    const out: VncObject[] = [];
    const refs = this.backRefs.get(uuid);
    for (const r of typeof refs === 'string' ? [refs] : (refs ?? [])) {
      const o = this.objects.get(r);
      if (o !== undefined && (type === undefined || o.type === type)) out.push(o);
    }
    return out;
  }

  isRelaxed(referrer: string, referee: string): boolean {
    return this.relaxed.has(`${referrer} ${referee}`);
  }

  // ---- create ---------------------------------------------------------------------------------

  create(type: string, body: unknown, ctx: RequestContext = {}, op = 'create'): VncObject {
    const spec = TYPES[type];
    if (spec === undefined) throw new VncError(404, `Resource type '${type}' not found`);
    if (!isObject(body)) throw new VncError(400, 'Bad Request, no fq_name in POST body');
    const fq = body['fq_name'];
    if (!Array.isArray(fq) || fq.length === 0) throw new VncError(400, 'Bad Request, no fq_name in POST body');
    if (!fq.every((x) => typeof x === 'string')) throw new VncError(400, `Bad Request, invalid fq_name ${pyRepr(fq)}`);
    const fqs = fq as string[];
    const name = fqs[fqs.length - 1] as string;
    if (name.includes(':')) throw new VncError(400, "Bad Request, name has one of invalid chars {':'}");
    if (fqs.some((x) => /[\x00-\x08\x0b\x0c\x0e-\x1f]/.test(x))) throw new VncError(400, `Bad Request, name has illegal XML characters`);
    const props = this.checkProps(spec, body, `Bad property in ${op}`);
    const refs = this.checkRefAttrs(spec, body, `Bad reference in ${op}`);
    const existing = this.uuidByFq(type, fqs);
    if (existing !== undefined) throw new VncError(409, `${pyList(fqs)} already exists with uuid: ${existing}`);
    const { parentType, parentUuid } = this.resolveParent(type, spec, fqs, body);
    let uuid: string;
    if (body['uuid'] !== undefined && body['uuid'] !== null) {
      const given = body['uuid'];
      const canon = typeof given === 'string' ? canonicalUuid(given) : undefined;
      if (canon === undefined || canon !== given) throw new VncError(400, `Invalid UUID format: ${String(given)}`);
      const holder = this.objects.get(given);
      if (holder !== undefined) throw new VncError(409, `${given} already exists with fq_name: ${pyList(holder.fq)}`);
      uuid = given;
    } else {
      uuid = this.random.uuid();
    }
    const resolved = this.resolveRefs(refs, 'Unknown reference in resource create');
    if (props['display_name'] === undefined || props['display_name'] === null) props['display_name'] = name;
    const parent = parentUuid === undefined ? undefined : this.objects.get(parentUuid);
    const now = Date.now();
    const obj: VncObject = {
      type, uuid, fq: fqs, props, refs: resolved, created: now, modified: now, seq: ++this.seq,
      owner: type === 'project' ? uuid.replace(/-/g, '') : (parent?.owner ?? ctx.projectId ?? 'cloud-admin'),
    };
    if (parentType !== undefined) {
      obj.parentType = parentType;
      obj.parentUuid = parentUuid;
    }
    this.hooks[type]?.preCreate?.(obj, ctx);
    this.insert(obj);
    this.onChange();
    return obj;
  }

  /** Inserts an already-validated object (create, and loading persisted state). */
  insert(obj: VncObject): void {
    this.objects.set(obj.uuid, obj);
    this.byType.get(obj.type)?.set(obj.uuid, obj);
    this.indexFq(obj, true);
    if (obj.parentUuid !== undefined) {
      let set = this.children.get(obj.parentUuid);
      if (set === undefined) this.children.set(obj.parentUuid, (set = new Set()));
      set.add(obj.uuid);
    }
    for (const list of Object.values(obj.refs)) for (const r of list) this.addBackRef(r.uuid, obj.uuid);
    if (obj.seq > this.seq) this.seq = obj.seq;
  }

  private resolveParent(type: string, spec: TypeSpec, fq: string[], body: JsonObject): { parentType?: string; parentUuid?: string } {
    let pt = body['parent_type'];
    if (pt === 'config-root') pt = undefined;
    if (pt !== undefined && pt !== null) {
      if (typeof pt !== 'string' || !spec.parents.includes(pt)) {
        throw new VncError(400, `Invalid parent type: ${String(pt)}. Allowed types: ${pyList(spec.parents)}`);
      }
    } else if (spec.parents.length > 1) {
      throw new VncError(400, `Missing parent type for ${type}, allowed types: ${pyList(spec.parents)}`);
    } else {
      pt = spec.parents[0];
    }
    if (pt === undefined || pt === null) {
      if (fq.length !== 1) throw new VncError(400, `Invalid fq_name for config-root object: ${pyList(fq)}`);
      return {};
    }
    if (fq.length < 2) throw new VncError(400, `Invalid fq_name ${pyList(fq)} for a child of ${String(pt)}`);
    const parentFq = fq.slice(0, -1);
    const parentUuid = this.uuidByFq(pt as string, parentFq);
    if (parentUuid === undefined) {
      const p2 = body['perms2'];
      if (isObject(p2) && p2['owner'] !== undefined) throw new VncError(400, `Parent ${pyList(parentFq)} type ${String(pt)} does not exist`);
      throw new VncError(404, `Name${pyList(parentFq)} not found`);
    }
    return { parentType: pt as string, parentUuid };
  }

  /** Validates the properties present in a body; returns them coerced. */
  checkProps(spec: TypeSpec, body: JsonObject, what: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, t] of Object.entries(spec.props)) {
      if (!(k in body)) continue;
      const v = body[k];
      try {
        out[k] = checkValue(t, v, k);
      } catch (e) {
        if (!(e instanceof ValidationError)) throw e;
        throw new VncError(400, `${what}: Error validating property ${k} value ${pyRepr(v)} ${e.message}`);
      }
    }
    return out;
  }

  /** Checks the shape of ref lists (and the mandatory attr of attributed links). */
  checkRefAttrs(spec: TypeSpec, body: JsonObject, what: string): Record<string, JsonObject[]> {
    const out: Record<string, JsonObject[]> = {};
    for (const [field, rs] of Object.entries(spec.refs)) {
      if (!(field in body)) continue;
      const list = body[field];
      if (list === null) {
        out[field] = [];
        continue;
      }
      if (!Array.isArray(list) || !list.every(isObject)) throw new VncError(400, `${what}: ${field} must be a list of refs`);
      for (const r of list) {
        if (rs.attr === undefined) continue;
        if (!('attr' in r)) throw new VncError(400, `${what}: ${field} ${pyRepr(r)} has no attr`);
        try {
          r['attr'] = checkValue({ cls: rs.attr }, r['attr'], 'attr');
        } catch (e) {
          if (!(e instanceof ValidationError)) throw e;
          throw new VncError(400, `${what}: Error validating ref ${field} attr ${pyRepr(r['attr'])} ${e.message}`);
        }
      }
      out[field] = list;
    }
    return out;
  }

  /** Turns ref dicts into stored refs; `to` first (as object_create does), else `uuid`. */
  resolveRefs(refs: Record<string, JsonObject[]>, unknownMsg: string, status = 400): Record<string, Ref[]> {
    const out: Record<string, Ref[]> = {};
    for (const [field, list] of Object.entries(refs)) {
      const refType = TYPES[this.typeOfField(field)] === undefined ? '' : this.typeOfField(field);
      const seen = new Set<string>();
      const resolved: Ref[] = [];
      for (const r of list) {
        const to = r['to'];
        let uuid: string | undefined;
        if (Array.isArray(to) && to.every((x) => typeof x === 'string')) uuid = this.uuidByFq(refType, to as string[]);
        else if (typeof r['uuid'] === 'string') {
          const o = this.objects.get(r['uuid']);
          if (o !== undefined && o.type === refType) uuid = o.uuid;
        }
        if (uuid === undefined) throw new VncError(status, `${unknownMsg} ${pyRepr(r)}.`);
        if (seen.has(uuid)) continue;
        seen.add(uuid);
        const target = this.objects.get(uuid) as VncObject;
        resolved.push({ to: target.fq, uuid, attr: r['attr'] ?? null });
      }
      out[field] = resolved.slice(); // exact-size copy: push() leaves room for 16 more refs
    }
    return out;
  }

  typeOfField(field: string): string {
    return field.replace(/_refs$/, '').replace(/_/g, '-');
  }

  private addBackRef(referee: string, referrer: string): void {
    const cur = this.backRefs.get(referee);
    if (cur === undefined) this.backRefs.set(referee, referrer);
    else if (typeof cur === 'string') {
      if (cur !== referrer) this.backRefs.set(referee, new Set([cur, referrer]));
    } else cur.add(referrer);
  }

  private dropBackRefIfUnused(obj: VncObject, referee: string): void {
    for (const list of Object.values(obj.refs)) if (list.some((r) => r.uuid === referee)) return;
    const cur = this.backRefs.get(referee);
    if (cur === obj.uuid) this.backRefs.delete(referee);
    else if (typeof cur === 'object') {
      cur.delete(obj.uuid);
      if (cur.size === 1) this.backRefs.set(referee, cur.values().next().value as string);
    }
    this.relaxed.delete(`${obj.uuid} ${referee}`);
  }

  /** Replaces one ref field of an object, keeping the back-ref index right. */
  setRefs(obj: VncObject, field: string, refs: Ref[]): void {
    const old = obj.refs[field] ?? [];
    obj.refs[field] = refs;
    if (refs.length === 0) delete obj.refs[field];
    for (const r of refs) this.addBackRef(r.uuid, obj.uuid);
    for (const r of old) this.dropBackRefIfUnused(obj, r.uuid);
  }

  // ---- update ---------------------------------------------------------------------------------

  private touch(obj: VncObject): void {
    obj.modified = Date.now();
    obj.rev = (obj.rev ?? 0) + 1;
  }

  update(type: string, uuid: string, body: unknown): VncObject {
    const obj = this.mustGet(type, uuid);
    if (body === null || body === undefined) return obj;
    if (!isObject(body)) throw new VncError(400, `Bad Request, ${type} body must be an object`);
    const spec = TYPES[type] as TypeSpec;
    const props = this.checkProps(spec, body, 'Bad property in http_put');
    const refs = this.resolveRefs(this.checkRefAttrs(spec, body, 'Bad reference in http_put'), 'Unknown reference in resource update', 404);
    this.hooks[type]?.preUpdate?.(obj, props, refs);
    for (const [k, v] of Object.entries(props)) obj.props[k] = v;
    for (const [field, list] of Object.entries(refs)) this.setRefs(obj, field, list);
    this.touch(obj);
    this.onChange();
    return obj;
  }

  // ---- refs -----------------------------------------------------------------------------------

  refUpdate(type: string, uuid: string, refType: string, refUuid: string | undefined, refFq: string[] | undefined, op: 'ADD' | 'DELETE', attr: unknown, relax: boolean): void {
    const spec = TYPES[type];
    if (spec === undefined) throw new VncError(404, `Resource type '${type}' not found`);
    const obj = this.mustGet(type, uuid);
    const field = `${underscored(refType)}_refs`;
    const rs = spec.refs[field];
    if (rs === undefined) throw new VncError(400, `Bad Request: ${type} has no reference to ${refType}`);
    let target: VncObject | undefined;
    if (refUuid !== undefined) target = this.objects.get(refUuid);
    else if (refFq !== undefined) {
      const u = this.uuidByFq(refType, refFq);
      if (u === undefined) throw new VncError(404, `Name ${pyList(refFq)} not found`);
      target = this.objects.get(u);
    }
    const list = [...(obj.refs[field] ?? [])];
    if (op === 'DELETE') {
      const i = list.findIndex((r) => r.uuid === refUuid || (refFq !== undefined && r.to.join(':') === refFq.join(':')));
      if (i < 0) return;
      list.splice(i, 1);
      this.setRefs(obj, field, list);
      this.touch(obj);
      this.onChange();
      return;
    }
    if (target === undefined || target.type !== refType) throw new VncError(404, `Unknown id: ${refUuid ?? ''}`);
    if (rs.attr !== undefined && attr !== null && attr !== undefined) {
      try {
        attr = checkValue({ cls: rs.attr }, attr, 'attr');
      } catch (e) {
        if (!(e instanceof ValidationError)) throw e;
        throw new VncError(400, `Bad Request: Error validating ref attr ${pyRepr(attr)} ${e.message}`);
      }
    }
    const newRef: Ref = { to: target.fq, uuid: target.uuid, attr: attr ?? null };
    const i = list.findIndex((r) => r.uuid === target.uuid);
    if (i >= 0) list[i] = newRef;
    else list.push(newRef);
    this.hooks[type]?.preUpdate?.(obj, {}, { [field]: list });
    this.setRefs(obj, field, list);
    if (relax) this.relaxed.add(`${obj.uuid} ${target.uuid}`);
    this.touch(obj);
    this.onChange();
  }

  relax(referrer: string, referee: string): void {
    const obj = this.objects.get(referrer);
    if (obj === undefined) throw new VncError(404, `Unknown id: ${referrer}`);
    if (!this.objects.has(referee)) throw new VncError(404, `Unknown id: ${referee}`);
    this.relaxed.add(`${referrer} ${referee}`);
    this.onChange();
  }

  relaxedPairs(): string[] {
    return [...this.relaxed];
  }

  // ---- delete ---------------------------------------------------------------------------------

  delete(type: string, uuid: string): void {
    const obj = this.objects.get(uuid);
    if (obj === undefined || obj.type !== type) throw new VncError(404, `ID ${uuid} does not exist`);
    const kids = this.childrenOf(uuid).filter((c) => c.fq[c.fq.length - 1] !== `default-${c.type}`);
    if (kids.length > 0) {
      throw new VncError(409, `Delete when children still present: ${pyList(kids.map((k) => this.href(k.type, k.uuid)))}`);
    }
    const blocking = this.referrers(uuid).filter((r) => !this.isRelaxed(r.uuid, uuid));
    if (blocking.length > 0) {
      throw new VncError(409, `Delete when resource still referred: ${pyList(blocking.map((r) => this.href(r.type, r.uuid)))}`);
    }
    this.hooks[type]?.preDelete?.(obj);
    for (const c of this.childrenOf(uuid)) this.delete(c.type, c.uuid);
    // Relaxed back-refs are dropped from their referrers.
    for (const r of this.referrers(uuid)) {
      for (const [field, list] of Object.entries(r.refs)) {
        if (list.some((x) => x.uuid === uuid)) this.setRefs(r, field, list.filter((x) => x.uuid !== uuid));
      }
    }
    const savedRefs = { ...obj.refs };
    for (const [field] of Object.entries(obj.refs)) this.setRefs(obj, field, []);
    obj.refs = savedRefs; // postDelete hooks still read the dead object's refs
    this.objects.delete(uuid);
    this.byType.get(type)?.delete(uuid);
    this.indexFq(obj, false);
    if (obj.parentUuid !== undefined) this.children.get(obj.parentUuid)?.delete(uuid);
    this.children.delete(uuid);
    this.hooks[type]?.postDelete?.(obj);
    this.onChange();
  }
}
