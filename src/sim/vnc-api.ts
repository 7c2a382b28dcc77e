// The Contrail VNC REST API (cloud-api.md §1): CRUD on every type, lists, the action endpoints,
// the homepage and aaa-mode. Errors are plain text, as bottle's abort() sends them.
import { ApiError, Router, type Reply, type Request } from './http.js';
import type { AaaMode, Sim } from './context.js';
import { renderCreated, renderObject } from './render.js';
import { TYPE_BY_PLURAL, TYPES, underscored } from './schema.js';
import { isObject, VncError, type VncObject } from './store.js';
import { formatIPv4 } from './ip.js';
import { canonicalUuid, pyIso, pyRepr } from './rand.js';

const ACTIONS = ['fqname-to-id', 'id-to-fqname', 'ref-update', 'ref-relax-for-delete', 'list-bulk-collection', 'aaa-mode'];

export function vncErrorReply(err: ApiError): Reply {
  // keystonemiddleware answers 401 itself (JSON); everything else is bottle's plain text.
  if (err.status === 401) return { status: 401, headers: err.headers, body: { error: { code: 401, title: 'Unauthorized', message: err.message } } };
  return { status: err.status, headers: err.headers, body: err.message, contentType: 'text/html; charset=UTF-8' };
}

function typeOr404(t: string | undefined): string {
  if (t === undefined || TYPES[t] === undefined) throw new VncError(404, `Resource type '${t ?? ''}' not found`);
  return t;
}

const csv = (v: string | null): string[] | undefined => (v === null || v === '' ? undefined : v.split(','));
const truthy = (v: unknown): boolean => (typeof v === 'string' ? v.toLowerCase() === 'true' : v === true);

export interface ListQuery {
  parentIds?: string[];
  parentFqStr?: string;
  parentType?: string;
  backRefIds?: string[];
  objUuids?: string[];
  fqNames?: string[];
  filters?: Map<string, unknown[]>;
  fields?: string[];
  detail: boolean;
  count: boolean;
  hrefs: boolean;
  pageLimit?: number;
  pageMarker?: string;
}

/** utils.get_filters: "k==<json>,k2==<json>"; a value that is not JSON is taken as a string. */
function parseFilters(s: string | undefined): Map<string, unknown[]> | undefined {
  if (s === undefined || s === '') return undefined;
  const out = new Map<string, unknown[]>();
  for (const part of s.split(',')) {
    const i = part.indexOf('==');
    if (i < 0) continue;
    const k = part.slice(0, i);
    const raw = part.slice(i + 2);
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch {
      v = raw;
    }
    const list = out.get(k) ?? [];
    list.push(v);
    out.set(k, list);
  }
  return out;
}

export function listCollection(sim: Sim, type: string, q: ListQuery): unknown {
  const store = sim.store;
  const all = store.byType.get(type) ?? new Map<string, VncObject>();
  let candidates: VncObject[] | undefined;
  const narrow = (list: VncObject[]): void => {
    if (candidates === undefined) candidates = list;
    else {
      const keep = new Set(list.map((o) => o.uuid));
      candidates = candidates.filter((o) => keep.has(o.uuid));
    }
  };
  let parentIds = q.parentIds;
  if (parentIds === undefined && q.parentFqStr !== undefined) {
    const fq = q.parentFqStr.split(':');
    const types = q.parentType !== undefined ? [q.parentType] : (TYPES[type]?.parents ?? []);
    parentIds = types.map((t) => store.uuidByFq(t, fq)).filter((u): u is string => u !== undefined);
  }
  if (parentIds !== undefined) narrow(parentIds.flatMap((p) => store.childrenOf(p).filter((c) => c.type === type)));
  if (q.backRefIds !== undefined) {
    const seen = new Set<string>();
    narrow(q.backRefIds.flatMap((u) => store.referrers(u, type)).filter((o) => !seen.has(o.uuid) && seen.add(o.uuid)));
  }
  if (q.objUuids !== undefined) narrow(q.objUuids.map((u) => all.get(u)).filter((o): o is VncObject => o !== undefined));
  if (q.fqNames !== undefined) {
    narrow(q.fqNames.map((f) => store.uuidByFq(type, f.split(':'))).filter((u): u is string => u !== undefined).map((u) => all.get(u) as VncObject));
  }
  let list = candidates ?? [...all.values()];
  if (q.filters !== undefined) {
    const filters = [...q.filters.entries()];
    list = list.filter((o) => filters.every(([k, vals]) => {
      const have = k === 'name' ? o.fq[o.fq.length - 1] : k === 'uuid' ? o.uuid : o.props[k];
      const hs = JSON.stringify(have);
      return vals.some((v) => JSON.stringify(v) === hs || (typeof have !== 'string' && String(have) === String(v)));
    }));
  }
  const key = `${type}s`;
  if (q.count) return { [key]: { count: list.length } };
  // Paging (page_limit/page_marker): uuid order, the marker exclusive; `marker` is the last uuid
  // of a full page, null once the list is done.
  let marker: string | null | undefined;
  if (q.pageLimit !== undefined) {
    list = [...list].sort((a, b) => (a.uuid < b.uuid ? -1 : 1));
    if (q.pageMarker !== undefined) list = list.filter((o) => o.uuid > (q.pageMarker as string));
    const more = list.length > q.pageLimit;
    list = list.slice(0, q.pageLimit);
    marker = more ? (list[list.length - 1]?.uuid ?? null) : null;
  }
  const paged = (items: unknown[]): unknown => (marker === undefined ? { [key]: items } : { [key]: items, marker });
  const fields = q.fields === undefined ? undefined : new Set(q.fields);
  if (q.detail) {
    const extra = fields ?? new Set<string>();
    return paged(list.map((o) => ({ [type]: renderObject(store, o, { extra, hrefs: q.hrefs }) })));
  }
  return paged(
    list.map((o) => {
      const e: Record<string, unknown> = { uuid: o.uuid, fq_name: o.fq };
      if (q.hrefs) e['href'] = store.href(o.type, o.uuid);
      if (fields !== undefined) {
        const full = renderObject(store, o, { fields, extra: fields, hrefs: q.hrefs });
        for (const f of fields) if (full[f] !== undefined) e[f] = full[f];
      }
      return e;
    }),
  );
}

function queryToList(q: URLSearchParams): ListQuery {
  const out: ListQuery = { detail: truthy(q.get('detail')), count: truthy(q.get('count')), hrefs: !q.has('exclude_hrefs') };
  const set = <K extends keyof ListQuery>(k: K, v: ListQuery[K] | undefined): void => {
    if (v !== undefined) out[k] = v;
  };
  set('parentIds', csv(q.get('parent_id')));
  set('parentFqStr', q.get('parent_fq_name_str') ?? undefined);
  set('parentType', q.get('parent_type') ?? undefined);
  set('backRefIds', csv(q.get('back_ref_id')));
  set('objUuids', csv(q.get('obj_uuids')));
  set('fqNames', csv(q.get('fq_names')));
  set('filters', parseFilters(q.get('filters') ?? undefined));
  set('fields', csv(q.get('fields')));
  setPaging(out, q.get('page_limit'), q.get('page_marker'));
  return out;
}

const strList = (v: unknown): string[] | undefined =>
  Array.isArray(v) ? v.map(String) : typeof v === 'string' && v !== '' ? v.split(',') : undefined;

function bodyToList(b: Record<string, unknown>): ListQuery {
  const out: ListQuery = { detail: truthy(b['detail']), count: truthy(b['count']), hrefs: !truthy(b['exclude_hrefs']) };
  const pid = strList(b['parent_id']);
  if (pid !== undefined) out.parentIds = pid;
  const br = strList(b['back_ref_id']);
  if (br !== undefined) out.backRefIds = br;
  const ou = strList(b['obj_uuids']);
  if (ou !== undefined) out.objUuids = ou;
  const f = strList(b['fields']);
  if (f !== undefined) out.fields = f;
  const fl = typeof b['filters'] === 'string' ? parseFilters(b['filters']) : undefined;
  if (fl !== undefined) out.filters = fl;
  const str = (v: unknown): string | null => (v === undefined || v === null ? null : String(v));
  setPaging(out, str(b['page_limit']), str(b['page_marker']));
  return out;
}

function setPaging(out: ListQuery, limit: string | null, marker: string | null): void {
  if (limit === null || limit === '') return;
  const n = Number(limit);
  if (!Number.isInteger(n) || n <= 0) throw new VncError(400, `Bad Request: page_limit must be a positive integer: ${limit}`);
  out.pageLimit = n;
  if (marker !== null && marker !== '' && marker !== 'None') out.pageMarker = marker;
}

function homepage(sim: Sim): unknown {
  const base = sim.urls.contrail;
  const links: unknown[] = [];
  for (const t of Object.keys(TYPES)) {
    links.push({ link: { href: `${base}/${t}s`, name: t, rel: 'collection' } });
    links.push({ link: { href: `${base}/${t}`, name: t, rel: 'resource-base' } });
  }
  for (const a of ACTIONS) links.push({ link: { href: `${base}/${a}`, name: a, rel: 'action' } });
  return { href: base, links };
}

function body(req: Request): Record<string, unknown> {
  const b = req.json();
  if (!isObject(b)) throw new VncError(400, 'Bad Request, request body must be a JSON object');
  return b;
}

/**
 * The VNC API. `analytics: false` (SimulatorOptions.separateAnalytics): /analytics is not served
 * here but on a port of its own, as a deployment's opserver (:8081) beside the VNC API (:8082).
 */
export function vncRouter(sim: Sim, o: { analytics?: boolean } = {}): Router {
  const store = sim.store;
  const r = new Router();
  // Concrete labels for known types only, so junk paths cannot grow the stats without bound.
  r.label = (template, params) => {
    if (template === '/{collection}' && TYPE_BY_PLURAL.has(params['collection'] ?? '')) return `/${params['collection'] ?? ''}`;
    if (template === '/{type}/{id}' && TYPES[params['type'] ?? ''] !== undefined) return `/${params['type'] ?? ''}/{id}`;
    return template;
  };
  r.add('GET', '/', () => ({ status: 200, body: homepage(sim) }));
  r.add('GET', '/documentation', () => ({ status: 200, body: 'Contrail VNC API (simulated)' }));
  r.add('GET', '/aaa-mode', () => ({ status: 200, body: { 'aaa-mode': sim.config.aaaMode } }));
  r.add('PUT', '/aaa-mode', (req) => {
    const mode = body(req)['aaa-mode'];
    if (mode !== 'no-auth' && mode !== 'cloud-admin' && mode !== 'rbac') throw new VncError(400, `Invalid aaa-mode ${pyRepr(mode)}`);
    sim.config.aaaMode = mode as AaaMode;
    sim.changed();
    return { status: 200, body: { 'aaa-mode': mode } };
  });
  r.add('POST', '/fqname-to-id', (req) => {
    const b = body(req);
    const t = typeOr404(typeof b['type'] === 'string' ? b['type'] : undefined);
    const fq = b['fq_name'];
    if (!Array.isArray(fq)) throw new VncError(400, 'Bad Request: fq_name must be a list');
    let u = store.uuidByFq(t, fq.map(String));
    if (u === undefined && t === 'project' && fq.length === 2 && fq[0] === 'default-domain') {
      // vnc_openstack's on-demand sync: a Keystone project unknown to VNC is created on lookup.
      const ks = sim.identity.projectByName(String(fq[1]));
      if (ks !== undefined) u = store.create('project', { fq_name: ['default-domain', ks.name], uuid: canonicalUuid(ks.id), parent_type: 'domain' }).uuid;
    }
    if (u === undefined) throw new VncError(404, `Name ${pyRepr(fq)} not found`);
    return { status: 200, body: { uuid: u } };
  });
  r.add('POST', '/id-to-fqname', (req) => {
    const u = body(req)['uuid'];
    const o = typeof u === 'string' ? store.get(u) : undefined;
    if (o === undefined) throw new VncError(404, `UUID ${String(u)} not found`);
    return { status: 200, body: { fq_name: o.fq, type: o.type } };
  });
  if (o.analytics !== false) analyticsRoutes(sim, r);
  r.add('POST', '/ref-update', (req) => {
    const b = body(req);
    for (const k of ['type', 'uuid', 'ref-type', 'operation']) {
      if (b[k] === undefined || b[k] === null) throw new VncError(400, `Bad Request: type/uuid/ref-type/operation is null: ${b['type'] as string}, ${b['uuid'] as string}, ${b['ref-type'] as string}, ${b['operation'] as string}`);
    }
    const op = String(b['operation']).toUpperCase();
    if (op !== 'ADD' && op !== 'DELETE') throw new VncError(400, `Bad Request: operation should be add or delete: ${String(b['operation'])}`);
    const t = typeOr404(String(b['type']));
    const refType = typeOr404(String(b['ref-type']));
    const refUuid = typeof b['ref-uuid'] === 'string' ? b['ref-uuid'] : undefined;
    const refFq = Array.isArray(b['ref-fq-name']) ? b['ref-fq-name'].map(String) : undefined;
    if (refUuid === undefined && refFq === undefined) throw new VncError(400, 'Bad Request: ref-uuid or ref-fq-name must be specified');
    store.refUpdate(t, String(b['uuid']), refType, refUuid, refFq, op, b['attr'] ?? null, b['relax_ref_for_delete'] === true);
    return { status: 200, body: { uuid: b['uuid'] } };
  });
  r.add('POST', '/ref-relax-for-delete', (req) => {
    const b = body(req);
    if (typeof b['uuid'] !== 'string' || typeof b['ref-uuid'] !== 'string') throw new VncError(400, 'Bad Request: uuid and ref-uuid are required');
    store.relax(b['uuid'], b['ref-uuid']);
    return { status: 200, body: { uuid: b['uuid'] } };
  });
  r.add('POST', '/list-bulk-collection', (req) => {
    const b = body(req);
    const t = typeOr404(typeof b['type'] === 'string' ? b['type'] : undefined);
    return { status: 200, body: listCollection(sim, t, bodyToList(b)) };
  });
  // VN address actions (api_server.py): allocate/free addresses without instance-ips.
  const vnOf = (req: Request): VncObject => store.mustGet('virtual-network', req.params['id'] ?? '');
  r.add('POST', '/virtual-network/{id}/ip-alloc', (req) => {
    const vn = vnOf(req);
    const b = body(req);
    const count = b['count'] ?? 1;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 1024) throw new VncError(400, `Bad Request: invalid count ${pyRepr(count)}`);
    const subnet = typeof b['subnet'] === 'string' ? sim.ipam.subnetsOf(vn.uuid).find((x) => `${x.prefix.ip_prefix}/${x.prefix.ip_prefix_len}` === b['subnet']) : undefined;
    if (b['subnet'] !== undefined && subnet === undefined) throw new VncError(400, `Virtual-Network(${pyRepr(vn.fq)}) has invalid subnet(${String(b['subnet'])})`);
    const got: string[] = [];
    try {
      for (let i = 0; i < count; i++) got.push(formatIPv4(sim.ipam.allocate(vn, subnet === undefined ? {} : { subnetUuid: subnet.uuid }).ip));
    } catch (e) {
      for (const ip of got) sim.ipam.free(vn.uuid, ip);
      throw e;
    }
    sim.changed();
    return { status: 200, body: { ip_addr: got } };
  });
  r.add('POST', '/virtual-network/{id}/ip-free', (req) => {
    const vn = vnOf(req);
    const list = body(req)['ip_addr'];
    if (!Array.isArray(list)) throw new VncError(400, 'Bad Request: ip_addr must be a list');
    for (const ip of list) sim.ipam.free(vn.uuid, ip);
    sim.changed();
    return { status: 200, body: {} };
  });
  r.add('POST', '/virtual-network/{id}/subnet-ip-count', (req) => {
    const vn = vnOf(req);
    const list = body(req)['subnet_list'];
    if (!Array.isArray(list)) throw new VncError(400, 'Bad Request: subnet_list must be a list');
    const subnets = sim.ipam.subnetsOf(vn.uuid);
    return { status: 200, body: { ip_count_list: list.map((c) => subnets.find((x) => `${x.prefix.ip_prefix}/${x.prefix.ip_prefix_len}` === c)?.alloc.usedCount ?? 0) } };
  });
  const collectionType = (req: Request): string => {
    const c = req.params['collection'] ?? '';
    if (ACTIONS.includes(c)) throw new VncError(405, 'Method Not Allowed');
    const t = TYPE_BY_PLURAL.get(c);
    if (t === undefined) throw new VncError(404, `Resource type '${c.replace(/s$/, '')}' not found`);
    return t;
  };
  const objectType = (req: Request): string => {
    return typeOr404(req.params['type']);
  };
  r.add('POST', '/{collection}', (req) => {
    const t = collectionType(req);
    const b = body(req);
    const inner = b[t];
    if (!isObject(inner)) throw new VncError(400, `Bad Request, no ${t} in POST body`);
    const o = store.create(t, inner, { projectId: projectOf(req) });
    return { status: 200, body: { [t]: renderCreated(store, o) } };
  });
  r.add('GET', '/{collection}', (req) => ({ status: 200, body: listCollection(sim, collectionType(req), queryToList(req.query)) }));
  r.add('GET', '/{type}/{id}', (req) => {
    const t = objectType(req);
    const o = store.mustGet(t, req.params['id'] ?? '');
    const etag = `"${pyIso(o.modified)}"`;
    if (req.headers['if-none-match'] === etag) return { status: 304, headers: { ETag: etag } };
    const q = req.query;
    const fields = csv(q.get('fields'));
    const fset = fields === undefined ? undefined : new Set(fields);
    const opt = {
      backRefs: !q.has('exclude_back_refs'), children: !q.has('exclude_children'), hrefs: !q.has('exclude_hrefs'),
      ...(fset === undefined ? {} : { fields: fset, extra: fset }),
    };
    return { status: 200, headers: { ETag: etag }, body: { [t]: renderObject(store, o, opt) } };
  });
  r.add('PUT', '/{type}/{id}', (req) => {
    const t = objectType(req);
    const id = req.params['id'] ?? '';
    store.mustGet(t, id);
    if (req.raw.trim() === '') return { status: 200 };
    const b = body(req);
    const o = store.update(t, id, b[t] ?? {});
    return { status: 200, body: { [t]: { uuid: o.uuid, href: store.href(t, o.uuid) } } };
  });
  r.add('DELETE', '/{type}/{id}', (req) => {
    store.delete(objectType(req), req.params['id'] ?? '');
    return { status: 200 };
  });
  return r;
}

function projectOf(req: Request): string | undefined {
  const h = req.headers['x-project-id'];
  return typeof h === 'string' ? h : undefined;
}

export { underscored };

/** Contrail analytics (opserver) on a port of its own: its root and the UVE query (analyticsRoutes). */
export function analyticsRouter(sim: Sim): Router {
  const r = new Router();
  analyticsRoutes(sim, r);
  return r;
}

/**
 * Contrail analytics: its root (GET /analytics) and the UVE query (opserver: POST /analytics/uves/<table> {kfilt, cfilt}): a VMI's
 * UVE keyed by its fq_name string, with the vRouter's view of its service-health-checks. Only
 * VMIs with a probed check are reported (as analytics has no UVE for what no agent sent).
 */
function analyticsRoutes(sim: Sim, r: Router): void {
  const store = sim.store;
  // The opserver's root, a list of links (what the Cloud controller's analytics probe asks).
  r.add('GET', '/analytics', () => ({ status: 200, body: [{ href: `${sim.urls.analytics ?? sim.urls.contrail}/analytics/uves`, name: 'uves' }] }));
  r.add('POST', '/analytics/uves/virtual-machine-interface', (req) => {
    const b = body(req);
    const kfilt = b['kfilt'];
    if (kfilt !== undefined && (!Array.isArray(kfilt) || kfilt.some((k) => typeof k !== 'string'))) throw new VncError(400, 'Bad Request: kfilt must be a list of strings');
    const keys = (kfilt as string[] | undefined) ?? [...sim.healthChecks.keys()].flatMap((u) => { const o = store.get(u); return o === undefined ? [] : [o.fq.join(':')]; });
    const value: Array<{ name: string; value: Record<string, unknown> }> = [];
    for (const key of keys) {
      const uuid = store.uuidByFq('virtual-machine-interface', key.split(':'));
      const hc = uuid === undefined ? undefined : sim.healthChecks.get(uuid);
      const vmi = uuid === undefined ? undefined : store.get(uuid);
      if (hc === undefined || vmi === undefined) continue;
      const instances = (vmi.refs['service_health_check_refs'] ?? []).map((r) => ({
        name: (store.get(r.uuid)?.fq ?? []).join(':'), uuid: r.uuid, is_running: true, status: hc.up ? 'Active' : 'InActive',
      }));
      value.push({ name: key, value: { UveVMInterfaceAgent: { is_health_check_active: hc.up, health_check_instance_list: instances } } });
    }
    return { status: 200, body: { value } };
  });
}
