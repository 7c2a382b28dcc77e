// The shared part of the simulated Neutron API: who the caller is, what it may see, lookups
// with Neutron's own NotFound errors, revision preconditions, and list filtering/pagination.
// Each resource's routes (neutron-networks/-subnets/-ports/-floatingips.ts) use it.
import { ApiError, type Reply, type Request } from './http.js';
import type { Sim } from './context.js';
import { bad, optStr } from './neutron-input.js';
import { networkView } from './neutron-views.js';
import { ensureProject, tenantIdOf } from './ports.js';
import { type JsonObject, type VncObject } from './store.js';

export interface NeutronScope {
  isAdmin(req: Request): boolean;
  callerTenant(req: Request): string;
  visible(req: Request, view: Record<string, unknown>, sharedOk?: boolean): boolean;
  targetProject(req: Request, b: JsonObject): VncObject;
  getNetwork(req: Request, id: string): VncObject;
  getPort(req: Request, id: string): VncObject;
  getFip(req: Request, id: string): VncObject;
  checkRevision(req: Request, o: VncObject): void;
  notFound(collection: string, id: string): ApiError;
  listReply(req: Request, key: string, views: Array<Record<string, unknown>>): Reply;
}

export function neutronScope(sim: Sim): NeutronScope {
  const store = sim.store;
  const isAdmin = (req: Request): boolean => req.token !== undefined && sim.identity.isAdmin(req.token);
  const callerTenant = (req: Request): string => req.token?.project?.id ?? '';
  const visible = (req: Request, view: Record<string, unknown>, sharedOk = false): boolean =>
    isAdmin(req) || view['tenant_id'] === callerTenant(req) || (sharedOk && (view['shared'] === true || view['router:external'] === true));
  const targetProject = (req: Request, b: JsonObject): VncObject => {
    const t = optStr(b, 'project_id') ?? optStr(b, 'tenant_id');
    if (t !== undefined && t !== callerTenant(req) && !isAdmin(req)) throw new ApiError(403, 'Not authorized.', 'HTTPForbidden');
    return ensureProject(sim, t ?? callerTenant(req));
  };
  const getNetwork = (req: Request, id: string): VncObject => {
    const vn = store.get(id);
    if (vn?.type !== 'virtual-network' || !visible(req, networkView(sim, vn), true)) throw new ApiError(404, `Network ${id} could not be found.`, 'NetworkNotFound');
    return vn;
  };
  const getPort = (req: Request, id: string): VncObject => {
    const vmi = store.get(id);
    if (vmi?.type !== 'virtual-machine-interface' || !visible(req, { tenant_id: tenantIdOf(vmi.parentUuid) })) {
      throw new ApiError(404, `Port ${id} could not be found.`, 'PortNotFound');
    }
    return vmi;
  };
  const getFip = (req: Request, id: string): VncObject => {
    const f = store.get(id);
    if (f?.type !== 'floating-ip' || !visible(req, { tenant_id: tenantIdOf(f.refs['project_refs']?.[0]?.uuid) })) {
      throw new ApiError(404, `Floating IP ${id} could not be found`, 'FloatingIPNotFound');
    }
    return f;
  };

  /** `If-Match: revision_number=N` on PUT/DELETE (neutron's revision_if_match extension). */
  const checkRevision = (req: Request, o: VncObject): void => {
    const h = req.headers['if-match'];
    if (typeof h !== 'string') return;
    const m = /revision_number=(\d+)/.exec(h);
    if (m === null) throw bad(`Invalid If-Match header: ${h}`);
    const current = o.rev ?? 0;
    if (Number(m[1]) !== current) {
      throw new ApiError(412, `Constrained to ${m[1] as string}, but current revision is ${current}`, 'RevisionNumberConstraintFailed');
    }
  };
  /** The resource's own NotFound (a missing pagination marker is reported as the resource). */
  const notFound = (collection: string, id: string): ApiError => {
    const m: Record<string, [string, string]> = {
      ports: ['PortNotFound', `Port ${id} could not be found.`], networks: ['NetworkNotFound', `Network ${id} could not be found.`],
      subnets: ['SubnetNotFound', `Subnet ${id} could not be found.`], floatingips: ['FloatingIPNotFound', `Floating IP ${id} could not be found`],
    };
    const [kind, msg] = m[collection] ?? ['NotFound', `${id} could not be found.`];
    return new ApiError(404, msg, kind);
  };
  /** Neutron list filters: every query key except paging/fields, values ORed, compared as strings. */
  const listReply = (req: Request, key: string, views: Array<Record<string, unknown>>): Reply => {
    const skip = new Set(['fields', 'limit', 'marker', 'sort_key', 'sort_dir', 'page_reverse']);
    const filters = new Map<string, string[]>();
    for (const [k, v] of req.query) if (!skip.has(k)) filters.set(k, [...(filters.get(k) ?? []), v]);
    const match = (view: Record<string, unknown>): boolean => {
      for (const [k, vals] of filters) {
        if (k === 'fixed_ips') {
          const ips = (view['fixed_ips'] as Array<Record<string, unknown>>) ?? [];
          const ok = vals.every((f) => {
            const [fk, fv] = f.split('=');
            return ips.some((ip) => String(ip[fk ?? '']) === fv);
          });
          if (!ok) return false;
          continue;
        }
        const have = view[k === 'project_id' ? 'tenant_id' : k];
        if (have === undefined) continue;
        if (!vals.some((v) => String(have) === v || (Array.isArray(have) && have.map(String).includes(v)))) return false;
      }
      return true;
    };
    const fields = req.query.getAll('fields');
    let out = views.filter(match);
    const body: Record<string, unknown> = {};
    const limitStr = req.query.get('limit');
    if (limitStr !== null) {
      // Pagination as neutron's api_common does it: sorted by id, `marker` exclusive, a `next` link
      // while more remain, a `previous` one once past the first page.
      const limit = Number(limitStr);
      if (!Number.isInteger(limit) || limit < 0) throw bad(`Bad limit request: Limit must be an integer 0 or greater and not '${limitStr}'.`, 'BadRequest');
      out.sort((a, b) => (String(a['id']) < String(b['id']) ? -1 : 1));
      const marker = req.query.get('marker');
      if (marker !== null) {
        const i = out.findIndex((v) => v['id'] === marker);
        if (i < 0) throw notFound(key, marker);
        out = out.slice(i + 1);
      }
      const links: unknown[] = [];
      const page = limit === 0 ? out : out.slice(0, limit);
      const link = (rel: string, m: string, extra: Record<string, string> = {}): unknown => {
        const q = new URLSearchParams(req.query);
        q.set('marker', m);
        for (const [k, v] of Object.entries(extra)) q.set(k, v);
        return { rel, href: `${sim.urls.neutron}${req.path}?${q.toString()}` };
      };
      if (limit > 0 && out.length > limit) links.push(link('next', String(page[page.length - 1]?.['id'])));
      if (marker !== null && page.length > 0) links.push(link('previous', String(page[0]?.['id']), { page_reverse: 'True' }));
      if (links.length > 0) body[`${key}_links`] = links;
      out = page;
    }
    if (fields.length > 0) out = out.map((v) => Object.fromEntries(fields.filter((f) => f in v).map((f) => [f, v[f]])));
    body[key] = out;
    return { status: 200, body };
  };

  return { isAdmin, callerTenant, visible, targetProject, getNetwork, getPort, getFip, checkRevision, notFound, listReply };
}
