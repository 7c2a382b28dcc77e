// startSimulator (contracts.md §2): Keystone, Nova, Neutron, the Contrail VNC API and the control
// API, each on its own loopback port, all over one CloudState (the VNC store + Nova servers).
import type { Socket } from 'node:net';
import { ApiError, serveApi, type ApiName, type ApiServer, type Pipeline, type Reply, type Request, type Router } from './http.js';
import type { AaaMode, Sim, SimulatorURLs } from './context.js';
import { Compute } from './compute.js';
import { controlRouter } from './control.js';
import { Faults, RateLimits } from './faults.js';
import { installHooks } from './hooks.js';
import { Ipam } from './ipam.js';
import { Identity, keystoneErrorReply, keystoneRouter, UNAUTHORIZED } from './keystone.js';
import { neutronErrorReply, neutronRouter } from './neutron.js';
import { novaErrorReply, novaRouter } from './nova.js';
import { Persistence } from './persist.js';
import { Random } from './rand.js';
import { seedTopology } from './seed.js';
import { Stats } from './stats.js';
import { VncStore } from './store.js';
import { loadTopology } from './topology.js';
import { analyticsRouter, vncErrorReply, vncRouter } from './vnc-api.js';

export type { SimulatorURLs } from './context.js';
export { TopologyError } from './topology.js';

export interface Simulator {
  urls: SimulatorURLs;
  close(): Promise<void>;
}

export interface SimulatorOptions {
  seed?: number;
  topology?: string;
  listen?: string;
  bootTimeMs?: number;
  tokenLifetimeSeconds?: number;
  statePath?: string;
  /** Fixed ports per API (0 or absent: a free port). */
  ports?: Partial<Record<ApiName, number>>;
  /**
   * Serve Contrail analytics (UVEs) on a port of its own (`urls.analytics`), as a deployment's
   * opserver listens on :8081 beside the VNC API's :8082; the VNC port then has no /analytics.
   * Default: analytics is served at the VNC API's base.
   */
  separateAnalytics?: boolean;
  /** Observers started with the simulator and closed before it (the netns data plane). */
  plugins?: SimPlugin[];
}

/**
 * The observer seam: a plugin gets the shared state and a subscription to every change (VNC
 * writes and Nova server changes alike); it reads the model and never writes it.
 */
export interface SimPlugin {
  start(sim: Sim, subscribe: (listener: () => void) => void): Promise<void>;
  close(): Promise<void>;
}

/** Default boot time: long enough that clients must observe BUILD, short enough for tests. */
export const DEFAULT_BOOT_TIME_MS = 500;

export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const topology = loadTopology(opts.topology);
  const random = new Random(opts.seed);
  const store = new VncStore(random);
  const ipam = new Ipam(random);
  installHooks(store, ipam);
  const listeners: Array<() => void> = [];
  const persistence = opts.statePath === undefined ? undefined : new Persistence(opts.statePath);
  const sim: Sim = {
    store, ipam, random, identity: new Identity(random), compute: undefined as unknown as Compute,
    urls: { keystone: '', nova: '', neutron: '', contrail: '', control: '' },
    config: {
      aaaMode: topology.aaaMode as AaaMode, bootTimeMs: opts.bootTimeMs ?? DEFAULT_BOOT_TIME_MS,
      tokenLifetimeSeconds: opts.tokenLifetimeSeconds ?? 3600, region: topology.region,
    },
    images: [], flavors: [], hosts: [], healthChecks: new Map(),
    changed: () => {
      persistence?.schedule(sim);
      for (const l of listeners) l();
    },
  };
  sim.compute = new Compute(sim);
  store.onChange = () => sim.changed();
  const restored = persistence?.load(sim);
  seedTopology(sim, topology, { identityOnly: restored !== undefined });
  if (restored !== undefined) persistence?.restoreIdentity(sim, restored);
  sim.compute.resume();

  const stats = new Stats();
  const faults = new Faults(random);
  const limits = new RateLimits();
  const hangs = new Set<NodeJS.Timeout>();

  const pipeline: Pipeline = {
    errorReply(api, err) {
      switch (api) {
        case 'keystone': return keystoneErrorReply(sim, err);
        case 'contrail': case 'analytics': return withAuthHeader(sim, vncErrorReply(err), err);
        case 'neutron': return withAuthHeader(sim, neutronErrorReply(err), err);
        case 'nova': return withAuthHeader(sim, novaErrorReply(err), err);
        default: return { status: err.status, headers: err.headers, body: { error: err.message } };
      }
    },
    async before(api, req, socket: Socket) {
      if (api === 'control') return undefined;
      if (!limits.take(api)) {
        return pipeline.errorReply(api, new ApiError(429, 'Rate limit exceeded', undefined, { 'Retry-After': '1' }));
      }
      const action = faults.decide(api, req.method, req.route, Date.now());
      if (action === undefined) return undefined;
      if (action.delayMs > 0) await new Promise((r) => setTimeout(r, action.delayMs));
      if (action.drop !== undefined) {
        await pipeline.hold?.(socket, action.drop.hangMs);
        return 'drop';
      }
      if (action.error !== undefined) return pipeline.errorReply(api, action.error);
      if (action.reply !== undefined) return action.reply;
      if (action.lostReply !== undefined) return { lostReply: action.lostReply };
      return undefined;
    },
    hold(socket, ms) {
      return new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          hangs.delete(t);
          resolve();
        }, ms);
        hangs.add(t);
        socket.once('close', () => {
          clearTimeout(t);
          hangs.delete(t);
          resolve();
        });
      });
    },
    authenticate(api, req) {
      authenticate(sim, api, req);
    },
    after(api, req, status, ms) {
      if (api !== 'control') stats.record(api, req.method, req.route, status, ms);
    },
    rewrite(api, path) {
      if (api !== 'nova' || !path.startsWith('/v2.1')) return { path, prefix: '' };
      const rest = path.slice('/v2.1'.length);
      const m = /^\/([0-9a-f]{32})(\/.*)?$/.exec(rest);
      if (m !== null) return { path: m[2] ?? '/', prefix: '/v2.1/{project_id}' };
      return { path: rest === '' ? '/' : rest, prefix: '/v2.1' };
    },
  };

  const host = opts.listen ?? '127.0.0.1';
  const routers: Array<[ApiName, Router]> = [
    ['keystone', keystoneRouter(sim)], ['nova', novaRouter(sim)], ['neutron', neutronRouter(sim)],
    ['contrail', vncRouter(sim, { analytics: opts.separateAnalytics !== true })], ['control', controlRouter(sim, { stats, faults, limits })],
    ...(opts.separateAnalytics === true ? [['analytics', analyticsRouter(sim)] as [ApiName, Router]] : []),
  ];
  const servers: ApiServer[] = [];
  try {
    for (const [api, router] of routers) servers.push(await serveApi(api, router, pipeline, host, opts.ports?.[api] ?? 0));
  } catch (e) {
    await Promise.all(servers.map((s) => s.close()));
    throw e;
  }
  const url = (api: ApiName): string => servers.find((s) => s.api === api)?.url as string;
  sim.urls = { keystone: url('keystone'), nova: `${url('nova')}/v2.1`, neutron: url('neutron'), contrail: url('contrail'), control: url('control'),
    ...(opts.separateAnalytics === true ? { analytics: url('analytics') } : {}) };
  store.baseUrl = sim.urls.contrail;
  const plugins: SimPlugin[] = [];
  try {
    for (const p of opts.plugins ?? []) {
      await p.start(sim, (l) => listeners.push(l));
      plugins.push(p);
    }
  } catch (e) {
    for (const p of plugins.reverse()) await p.close();
    sim.compute.close();
    await Promise.all(servers.map((s) => s.close()));
    throw e;
  }
  let closed = false;
  return {
    urls: { ...sim.urls },
    async close() {
      if (closed) return;
      closed = true;
      for (const p of [...plugins].reverse()) await p.close();
      sim.compute.close();
      for (const t of hangs) clearTimeout(t);
      persistence?.flush(sim);
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}

function withAuthHeader(sim: Sim, reply: Reply, err: ApiError): Reply {
  if (err.status !== 401) return reply;
  return { ...reply, headers: { ...(reply.headers ?? {}), 'WWW-Authenticate': `Keystone uri="${sim.urls.keystone}"` } };
}

const NO_AUTH: Record<string, ReadonlySet<string>> = {
  keystone: new Set(['/', '/v3', '/v3/auth/tokens']),
  contrail: new Set(['/', '/documentation']),
  nova: new Set(['/', '/v2.1/']),
  neutron: new Set(['/', '/v2.0']),
};

/** keystonemiddleware auth_token on Nova/Neutron/VNC; VNC also applies aaa_mode. */
function authenticate(sim: Sim, api: ApiName, req: Request): void {
  if (api === 'control') return;
  if (req.method === 'GET' && NO_AUTH[api]?.has(req.route)) return;
  if (api === 'keystone') {
    if (req.route === '/v3/auth/tokens') return;
  }
  // The analytics API authenticates as the VNC API does (its aaa_mode follows the config's).
  if ((api === 'contrail' || api === 'analytics') && sim.config.aaaMode === 'no-auth') return;
  const h = req.headers['x-auth-token'];
  const token = sim.identity.validate(typeof h === 'string' ? h : undefined);
  if (token === undefined) throw new ApiError(401, UNAUTHORIZED);
  req.token = token;
  if ((api === 'contrail' || api === 'analytics') && sim.config.aaaMode === 'cloud-admin' && !sim.identity.isAdmin(token)) {
    throw new ApiError(403, '403 Permission Denied');
  }
}
