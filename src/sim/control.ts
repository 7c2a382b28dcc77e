// The control API for tests, benchmarks and the demo: inspect objects and routes, read and reset
// stats, inject faults and rate limits, change server states.
import { createHash } from 'node:crypto';
import { ApiError, Router, type Request } from './http.js';
import type { Sim } from './context.js';
import type { ServerStatus } from './compute.js';
import { Faults, parseFault, RateLimits } from './faults.js';
import { floatingIpView, networkView, portView, subnetView } from './neutron-views.js';
import type { Stats } from './stats.js';
import { isObject, type VncObject } from './store.js';
import { computeRoutes } from './vrouter.js';

const OWNER_KEYS = ['lbop.cluster-id', 'lbop.owner-kind', 'lbop.owner-namespace', 'lbop.owner-name', 'lbop.owner-uid'];

function annotationTags(o: VncObject): Record<string, string> {
  const a = o.props['annotations'];
  const out: Record<string, string> = {};
  if (isObject(a) && Array.isArray(a['key_value_pair'])) {
    for (const kv of a['key_value_pair']) if (isObject(kv) && typeof kv['key'] === 'string' && OWNER_KEYS.includes(kv['key'])) out[kv['key']] = String(kv['value']);
  }
  return out;
}

function descriptionTags(d: unknown): Record<string, string> {
  if (typeof d !== 'string' || !d.startsWith('lbop:')) return {};
  try {
    const v = JSON.parse(d.slice(5)) as unknown;
    return isObject(v) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)])) : {};
  } catch {
    return {};
  }
}

function body(req: Request): Record<string, unknown> {
  const b = req.json();
  if (!isObject(b)) throw new ApiError(400, 'body must be a JSON object');
  return b;
}

export function controlRouter(sim: Sim, deps: { stats: Stats; faults: Faults; limits: RateLimits }): Router {
  const { stats, faults, limits } = deps;
  const r = new Router();
  r.add('GET', '/healthz', () => ({ status: 200, body: { ok: true } }));
  r.add('GET', '/sim/urls', () => ({ status: 200, body: sim.urls }));
  // For the benchmark: memory and CPU of the simulator process (?gc=1 collects first when the
  // process runs with --expose-gc).
  r.add('GET', '/sim/process', (req) => {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (req.query.get('gc') === '1' && gc !== undefined) gc();
    return { status: 200, body: { memory: process.memoryUsage(), cpu: process.cpuUsage(), objects: sim.store.objects.size, gc: gc !== undefined } };
  });
  r.add('GET', '/sim/objects', (req) => {
    const api = req.query.get('api');
    const type = req.query.get('type');
    const out: unknown[] = [];
    const push = (o: Record<string, unknown>): void => {
      if ((api === null || o['api'] === api) && (type === null || o['type'] === type)) out.push(o);
    };
    for (const o of sim.store.objects.values()) {
      push({ api: 'contrail', type: o.type, uuid: o.uuid, fq_name: o.fq, name: o.props['display_name'] ?? o.fq[o.fq.length - 1], owner: annotationTags(o) });
    }
    if (api === null || api === 'neutron') {
      for (const vn of sim.store.byType.get('virtual-network')?.values() ?? []) {
        const v = networkView(sim, vn);
        push({ api: 'neutron', type: 'network', uuid: v['id'], name: v['name'], owner: descriptionTags(v['description']) });
        for (const s of sim.ipam.subnetsOf(vn.uuid)) {
          const sv = subnetView(sim, s);
          push({ api: 'neutron', type: 'subnet', uuid: sv['id'], name: sv['name'], owner: {} });
        }
      }
      for (const vmi of sim.store.byType.get('virtual-machine-interface')?.values() ?? []) {
        const v = portView(sim, vmi);
        push({ api: 'neutron', type: 'port', uuid: v['id'], name: v['name'], owner: descriptionTags(v['description']) });
      }
      for (const f of sim.store.byType.get('floating-ip')?.values() ?? []) {
        const v = floatingIpView(sim, f);
        push({ api: 'neutron', type: 'floatingip', uuid: v['id'], name: v['floating_ip_address'], owner: descriptionTags(v['description']) });
      }
    }
    for (const s of sim.compute.servers.values()) {
      const owner = Object.fromEntries(Object.entries(s.metadata).filter(([k]) => OWNER_KEYS.includes(k)));
      push({ api: 'nova', type: 'server', uuid: s.id, name: s.name, status: s.status, host: s.host ?? null, owner });
    }
    // Server groups carry no tags (their name says whose they are); members are server ids.
    for (const g of sim.compute.serverGroups.groups.values()) push({ api: 'nova', type: 'server-group', uuid: g.id, name: g.name, policy: g.policy, members: [...g.members], owner: {} });
    for (const p of sim.identity.projects.values()) push({ api: 'keystone', type: 'project', uuid: p.id, name: p.name, owner: {} });
    return { status: 200, body: { objects: out } };
  });
  // A fingerprint of the whole cloud: tests compare it around rejected requests.
  r.add('GET', '/sim/digest', () => {
    const h = createHash('sha256');
    for (const o of [...sim.store.objects.values()].sort((a, b) => a.seq - b.seq)) {
      h.update(JSON.stringify([o.type, o.uuid, o.fq, o.parentUuid ?? null, o.props, o.refs, o.modified]));
    }
    h.update(JSON.stringify(sim.store.relaxedPairs().sort()));
    for (const s of sim.compute.servers.values()) h.update(JSON.stringify(s));
    for (const s of sim.ipam.bySubnetUuid.values()) h.update(`${s.uuid}:${s.alloc.usedCount}`);
    return { status: 200, body: { digest: h.digest('hex'), objects: sim.store.objects.size, servers: sim.compute.servers.size } };
  });
  r.add('GET', '/sim/routes', (req) => ({ status: 200, body: { networks: computeRoutes(sim, req.query.get('network') ?? undefined) } }));
  r.add('GET', '/sim/stats', () => ({ status: 200, body: stats.snapshot() }));
  r.add('POST', '/sim/stats/reset', () => {
    stats.reset();
    return { status: 200, body: { reset: true } };
  });
  r.add('GET', '/sim/faults', () => ({ status: 200, body: { faults: faults.all() } }));
  r.add('POST', '/sim/faults', (req) => {
    const b = req.json();
    const specs = Array.isArray(b) ? b : [b];
    const parsed = specs.map((s) => parseFault(s, Date.now()));
    return { status: 201, body: { faults: parsed.map((p) => faults.add(p)) } };
  });
  r.add('DELETE', '/sim/faults', () => ({ status: 200, body: { removed: faults.clear() } }));
  r.add('DELETE', '/sim/faults/{id}', (req) => {
    const n = faults.clear(req.params['id']);
    if (n === 0) throw new ApiError(404, `no fault ${req.params['id'] ?? ''}`);
    return { status: 200, body: { removed: n } };
  });
  r.add('GET', '/sim/rate-limits', () => ({ status: 200, body: limits.limits() }));
  r.add('PUT', '/sim/rate-limits', (req) => {
    const b = body(req);
    for (const [api, rps] of Object.entries(b)) {
      if (!['keystone', 'nova', 'neutron', 'contrail', 'analytics'].includes(api)) throw new ApiError(400, `unknown api ${api}`);
      if (rps !== null && (typeof rps !== 'number' || rps < 0)) throw new ApiError(400, `${api}: requests/s must be a number >= 0 or null`);
      limits.set(api, rps === null ? undefined : rps);
    }
    return { status: 200, body: limits.limits() };
  });
  r.add('POST', '/sim/servers/{id}/state', (req) => {
    const b = body(req);
    const state = b['state'];
    const allowed = ['ACTIVE', 'ERROR', 'SHUTOFF', 'vanish'];
    if (typeof state !== 'string' || !allowed.includes(state)) throw new ApiError(400, `state must be one of ${allowed.join(', ')}`);
    const s = sim.compute.setState(req.params['id'] ?? '', state as ServerStatus | 'vanish', typeof b['message'] === 'string' ? b['message'] : undefined);
    if (s === undefined) throw new ApiError(404, `no server ${req.params['id'] ?? ''}`);
    return { status: 200, body: { id: s.id, status: state === 'vanish' ? 'VANISHED' : s.status } };
  });
  r.add('POST', '/sim/boot-failures', (req) => {
    const b = body(req);
    const count = b['count'] ?? 1;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) throw new ApiError(400, 'count must be a positive integer');
    const message = typeof b['message'] === 'string' ? b['message'] : 'No valid host was found. There are not enough hosts available.';
    sim.compute.bootFailures.push({ remaining: count, message });
    return { status: 201, body: { pending: sim.compute.bootFailures.reduce((n, f) => n + f.remaining, 0) } };
  });
  r.add('GET', '/sim/config', () => ({ status: 200, body: sim.config }));
  r.add('PUT', '/sim/config', (req) => {
    const b = body(req);
    if (b['bootTimeMs'] !== undefined) {
      if (typeof b['bootTimeMs'] !== 'number' || b['bootTimeMs'] < 0) throw new ApiError(400, 'bootTimeMs must be a number >= 0');
      sim.config.bootTimeMs = b['bootTimeMs'];
    }
    if (b['aaaMode'] !== undefined) {
      if (!['no-auth', 'cloud-admin', 'rbac'].includes(String(b['aaaMode']))) throw new ApiError(400, 'aaaMode must be no-auth, cloud-admin or rbac');
      sim.config.aaaMode = b['aaaMode'] as Sim['config']['aaaMode'];
    }
    if (b['tokenLifetimeSeconds'] !== undefined) {
      if (typeof b['tokenLifetimeSeconds'] !== 'number' || b['tokenLifetimeSeconds'] <= 0) throw new ApiError(400, 'tokenLifetimeSeconds must be > 0');
      sim.config.tokenLifetimeSeconds = b['tokenLifetimeSeconds'];
    }
    return { status: 200, body: sim.config };
  });
  return r;
}
