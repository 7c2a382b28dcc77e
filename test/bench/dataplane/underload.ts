// The phases run under a paced load of RATE requests/s (paced.ts: half on new connections, half
// keep-alive), on the ground of ground.ts:
//   - reloads: N reload-type changes back to back, each waited until every SE shows it;
//   - an SE's Nova server deleted: failed requests, and when capacity is full again (a replacement
//     serving and in the fabric's route, and new connections spread within ±SPREAD of even);
//   - a scale-in (3 → 2) with the group's drainTimeoutSeconds: failed requests vs the flows the
//     fabric had pinned to the leaving SE at the instant its route withdrew it (and HAProxy's scur there).
import { performance } from 'node:perf_hooks';
import { drainVar } from '../../../src/agent/haproxy/render.js';
import { cliCommand } from '../../../src/agent/haproxy/socket.js';
import { applyGroup, applyVS } from '../../e2e/vs-support.js';
import { CLIENT_NET } from '../../../src/sim/dataplane/renumber.js';
import { startLogged, type ConnectionMode, type LoggedResult } from '../../../src/sim/dataplane/loadgen.js';
import { attribute, type Attribution } from './attribution.js';
import { openOf, sessionsOf, type Ground, type Serving } from './ground.js';
import { startMixed, stopMixed, type MixedResult } from './paced.js';
import { algorithmChange, propagate } from './propagation.js';

const SPREAD = 0.15;
/** The spread is judged over this many ms of new connections (≈ RATE/2 × WINDOW_MS/1000 sessions). */
const WINDOW_MS = 2_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** FN under the load (at its rate a second before FN starts); the load is stopped whether FN ends or throws. */
async function withLoad<T>(g: Ground, rate: number, fn: () => Promise<T>): Promise<T & { load: MixedResult }> {
  const load = startMixed(g.dp.client, g.url, rate, 300);
  let value: T;
  try {
    await sleep(1_000);
    value = await fn();
  } catch (e) {
    await stopMixed(load).catch(() => undefined);
    throw e;
  }
  return { ...value, load: await stopMixed(load) };
}

export function reloadsUnderLoad(g: Ground, ses: readonly Serving[], n: number, rate: number): Promise<{ load: MixedResult; propagation: number[] }> {
  return withLoad(g, rate, async () => {
    const propagation: number[] = [];
    for (let i = 0; i < n; i++) propagation.push((await propagate(g, ses, algorithmChange(g, i % 2 === 0 ? 'LeastConnections' : 'RoundRobin'))).allMs);
    if (n % 2 === 1) await propagate(g, ses, algorithmChange(g, 'RoundRobin'));
    await sleep(1_000);
    return { propagation };
  });
}

/** Sessions per serving SE (by server) now; SEs whose socket does not answer are left out. */
async function sessions(g: Ground, servers: readonly string[]): Promise<Map<string, number>> {
  const m = new Map<string, number>();
  await Promise.all(servers.map(async (s) => {
    const rows = await g.stats(s, 500).catch(() => undefined);
    if (rows !== undefined) m.set(s, sessionsOf(rows));
  }));
  return m;
}

/** Even: every SE took within ±SPREAD of an even share of the new sessions between A and B (and enough of them to judge). */
export function even(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>, servers: readonly string[]): { even: boolean; per: number[] } {
  const per = servers.map((s) => (b.get(s) ?? NaN) - (a.get(s) ?? NaN));
  const total = per.reduce((x, y) => x + y, 0);
  const share = total / servers.length;
  return { even: Number.isFinite(total) && total >= 30 * servers.length && per.every((p) => Math.abs(p - share) <= SPREAD * share), per };
}

export interface Death {
  load: MixedResult;
  /** Client connections open on the victim's VIP frontends (scur) in the last stats read before the delete, and how long before it. */
  openAtDeath: number;
  readLeadMs: number;
  /** The most open there in the second before the delete (the samples' maximum). */
  openBefore: number;
  outOfRouteMs: number;
  replacementServingMs: number;
  evenMs: number;
  spread: number[];
}

export function seDeath(g: Ground, ses: readonly Serving[], rate: number, boundMs = 150_000): Promise<Death> {
  const victim = ses[ses.length - 1] as Serving;
  return withLoad(g, rate, async () => {
    // In flight at the death: the victim's open client connections, sampled for a second as fast
    // as its stats socket answers; the last sample is read just before the delete. Under the mixed
    // load each is a request in flight or a keep-alive connection whose next request goes to it.
    const open: Array<{ at: number; n: number }> = [];
    const sampleUntil = performance.now() + 1_000;
    while (performance.now() < sampleUntil) {
      const rows = await g.stats(victim.server, 300).catch(() => undefined);
      if (rows !== undefined) open.push({ at: performance.now(), n: openOf(rows) });
      await sleep(5);
    }
    const t0 = performance.now();
    const lastRead = open[open.length - 1];
    let outOfRouteMs = NaN;
    let replacementServingMs = NaN;
    let evenMs = NaN;
    let spread: number[] = [];
    await g.api.call(g.h.sim.urls.nova, 'DELETE', `/servers/${victim.server}`);
    const history: Array<{ at: number; servers: string[]; counts: Map<string, number> }> = [];
    while (Number.isNaN(evenMs)) {
      const at = performance.now() - t0;
      if (at > boundMs) throw new Error(`capacity not full again within ${boundMs} ms of the SE's delete (out of the route ${outOfRouteMs.toFixed(0)} ms, replacement serving ${replacementServingMs.toFixed(0)} ms, last spread ${spread.join('/')})`);
      const members = g.routeMembers();
      if (Number.isNaN(outOfRouteMs) && !victim.vmis.some((v) => members.includes(v))) outOfRouteMs = at;
      const now = await g.servingNow([victim.server]);
      if (now.length >= ses.length && Number.isNaN(replacementServingMs)) replacementServingMs = performance.now() - t0;
      const servers = now.map((s) => s.server).sort();
      history.push({ at, servers, counts: await sessions(g, servers) });
      // Judged over the last WINDOW_MS, and only once the replacement serves.
      const last = history[history.length - 1];
      const from = history.find((x) => x.at >= at - WINDOW_MS - 250 && x.at <= at - WINDOW_MS + 250 && x.servers.join() === servers.join());
      if (last !== undefined && from !== undefined && servers.length === ses.length) {
        const e = even(from.counts, last.counts, servers);
        spread = e.per;
        if (e.even) evenMs = performance.now() - t0;
      }
      await sleep(250);
    }
    return {
      outOfRouteMs, replacementServingMs, evenMs, spread,
      openAtDeath: lastRead?.n ?? NaN, readLeadMs: t0 - (lastRead?.at ?? NaN), openBefore: Math.max(0, ...open.map((x) => x.n)),
    };
  });
}

/** One of the scale-in's logged clients (procs/reqlog.ts); each takes an equal share of the rate. */
export interface ScaleInClient { label: string; mode: ConnectionMode; port?: number; tls?: string }
/** By default wrk's two kinds (a new connection per request; keep-alive reconnecting at once) and a lazy one, on port 80. */
export const SCALE_IN_CLIENTS: readonly ScaleInClient[] = [{ label: 'close', mode: 'close' }, { label: 'eager', mode: 'eager' }, { label: 'lazy', mode: 'lazy' }];

export interface ScaleIn {
  /** per client (by label), every failed request logged */
  load: Record<string, LoggedResult>;
  /** the failures placed against the withdrawal instant and the flow table (attribution.ts) */
  attribution: Attribution;
  /** epoch ms: the scale-in applied, and W (the route rewrite) */
  appliedAt: number;
  withdrawalAt: number;
  /** the flow table read every 200 ms during the scale-in */
  timeline: FlowSample[];
  /** the VIP route's members as the fabric had them, each change (polled every 2 ms until the withdrawal) */
  routeChanges: Array<{ at: number; members: string[] }>;
  /** what the fabric's reconciles applied from the apply to W (and each probe-set change) */
  actions: Array<{ at: number; what: string }>;
  /** the fabric's health-check transitions from 5 s before the apply */
  probeEvents: Array<{ se: string; up: boolean; reason: string; at: number }>;
  /** the group's drainTimeoutSeconds for this scale-in (0: withdrawn first, then drained) */
  drainSeconds: number;
  /** ms from the apply to the fabric's route without the leaving SE */
  withdrawnMs: number;
  /**
   * In flight at the withdrawal instant, read in the fabric's beforeWithdraw hook (the route not
   * yet rewritten): the flows pinned to the leaving next hop by conntrack state, open ones
   * (ESTABLISHED, SYN_SENT, SYN_RECV) summed in `inFlight`,
   * and the leaving SE's HAProxy scur.
   */
  pinned: Record<string, number>;
  inFlight: number;
  scurAtWithdrawal: number;
  /** The leaving SE's drain switch for vs2's VIP at the withdrawal (`get var`): true when it drained in the set. */
  drainingAtWithdrawal: boolean | undefined;
  /** The leaving SE's HAProxy worker pid at the withdrawal (`show info`): a reload changes it. */
  workerPid: number;
  /** ms the hook's reads held the rewrite back (flows opened meanwhile are not counted) */
  hookMs: number;
  /** The most client connections open there in the second before the withdrawal (sampled). */
  openBefore: number;
  leaving: string;
}

/** The current HAProxy worker's pid on the SE (its stats socket's `show info`); NaN when it does not answer. */
export async function workerPid(g: Ground, server: string): Promise<number> {
  const info = await cliCommand(g.sock(server), 'show info', 300).catch(() => '');
  return Number(/^Pid: (\d+)$/m.exec(info)?.[1] ?? NaN);
}

/** Conntrack states whose flow a withdrawal can break (a request written or about to be). */
const OPEN_STATES = ['ESTABLISHED', 'SYN_SENT', 'SYN_RECV'];

export async function scaleIn(g: Ground, ses: readonly Serving[], to: number, rate: number, drainSeconds: number, boundMs = 90_000, clients: readonly ScaleInClient[] = SCALE_IN_CLIENTS, vsSpec?: Record<string, unknown>): Promise<ScaleIn> {
  await applyGroup(g.h, 'default', { drainTimeoutSeconds: drainSeconds });
  const loads = await Promise.all(clients.map((c) => startLogged(g.dp.client, {
    address: g.vip, rate: rate / clients.length, connections: 100, mode: c.mode, maxSeconds: 300, maxRequests: 200_000, label: c.label,
    ...(c.port !== undefined ? { port: c.port } : {}), ...(c.tls !== undefined ? { tls: c.tls } : {}),
  })));
  const stopAll = async (): Promise<Record<string, LoggedResult>> => Object.fromEntries((await Promise.all(loads.map((l) => l.stop()))).map((x) => [x.label, x]));
  let r: Withdrawal;
  try {
    await sleep(1_000);
    r = await withdrawal(g, ses, to, boundMs, vsSpec);
  } catch (e) {
    await stopAll().catch(() => undefined);
    throw e;
  }
  const load = await stopAll();
  const { table, at, seen, ...rest } = r;
  const leavingVmis = ses.find((x) => x.name === r.leaving)?.vmis ?? [];
  // Each connection placed by the read nearest W that saw it: the hook's, else the periodic ones.
  const placedBy = new Map([...seen, ...table]);
  return { ...rest, load, drainSeconds, withdrawalAt: at, attribution: attribute(Object.values(load), { at, clientAddress: CLIENT_NET.address, table: placedBy, leavingVmis }) };
}

type Withdrawal = Omit<ScaleIn, 'load' | 'drainSeconds' | 'attribution' | 'withdrawalAt'> & { table: Map<string, { state: string; vmi: string }>; at: number; seen: Map<string, { state: string; vmi: string }> };

/** One read of the fabric's flow table: per SE, its open flows and those not seen in an earlier read. */
export interface FlowSample { at: number; per: Record<string, { open: number; new: number }> }

async function withdrawal(g: Ground, ses: readonly Serving[], to: number, boundMs: number, vsSpec?: Record<string, unknown>): Promise<Withdrawal> {
  const open = new Map<string, Array<{ at: number; n: number }>>();
  let stopSampling = false;
  let atHook: { server: string; scur: number; pid: number; draining: boolean | undefined; ms: number } | undefined;
  const vipPrefix = `${g.vip}/32`;
  let hookStart = 0;
  let before: Map<string, string> | undefined;
  let table = new Map<string, { state: string; vmi: string }>();
  let at = NaN;
  g.dp.beforeWithdraw = async ({ prefix, leaving }) => {
    if (prefix !== vipPrefix || atHook !== undefined || before !== undefined) return;
    const se = ses.find((s) => s.vmis.some((v) => leaving.includes(v)));
    const vmi = se?.vmis.find((v) => leaving.includes(v));
    if (se === undefined || vmi === undefined) return;
    hookStart = performance.now();
    // The slow reads first; the flow table last, as close to the rewrite as it can be.
    const [rows, pid, sw] = await Promise.all([
      g.stats(se.server, 300).catch(() => undefined), workerPid(g, se.server),
      cliCommand(g.sock(se.server), `get var ${drainVar(`${g.h.namespace}/vs2/0`)}`, 300).catch(() => ''),
    ]);
    const draining = /value=<1>/.test(sw) ? true : /value=<0>/.test(sw) ? false : undefined;
    table = await g.dp.flowTable(g.vip);
    // W: the rewrite follows this hook at once.
    at = Date.now();
    before = new Map([...table].filter(([, f]) => f.vmi === vmi).map(([k, f]) => [k, f.state]));
    atHook = { server: se.server, scur: rows === undefined ? NaN : openOf(rows), pid, draining, ms: performance.now() - hookStart };
  };
  // The fabric's flow table every 200 ms: which SE each client connection is on (by its local
  // port) for the attribution, and the open flows per SE over time (the timeline).
  const seen = new Map<string, { state: string; vmi: string }>();
  const timeline: FlowSample[] = [];
  const flowSampler = (async () => {
    while (!stopSampling) {
      const t = await g.dp.flowTable(g.vip).catch(() => undefined);
      if (t !== undefined) {
        const per: FlowSample['per'] = {};
        for (const [k, f] of t) {
          if (f.vmi === '' || !OPEN_STATES.includes(f.state)) continue;
          const se = ses.find((x) => x.vmis.includes(f.vmi))?.name ?? f.vmi;
          const p = per[se] ?? (per[se] = { open: 0, new: 0 });
          p.open++;
          if (!seen.has(k)) { p.new++; seen.set(k, f); }
        }
        timeline.push({ at: Date.now(), per });
      }
      await sleep(200);
    }
  })();
  // Open connections on every SE, sampled as fast as the sockets answer.
  const sampler = (async () => {
    while (!stopSampling) {
      await Promise.all(ses.map(async (s) => {
        const rows = await g.stats(s.server, 300).catch(() => undefined);
        if (rows !== undefined) (open.get(s.server) ?? open.set(s.server, []).get(s.server))?.push({ at: performance.now(), n: openOf(rows) });
      }));
      await sleep(20);
    }
  })();
  const appliedAt = Date.now();
  const routeChanges: Array<{ at: number; members: string[] }> = [];
  const actions: Array<{ at: number; what: string }> = [];
  g.dp.onAction = (what) => { actions.push({ at: Date.now(), what }); };
  try {
    const t0 = performance.now();
    await applyVS(g.h, { minSEs: to, maxSEs: to, ...(vsSpec !== undefined ? { vsSpec } : {}) });
    let gone: Serving | undefined;
    let last = '';
    while (gone === undefined) {
      if (performance.now() - t0 > boundMs) throw new Error(`no SE withdrawn from the fabric's route within ${boundMs} ms of the scale-in`);
      const members = new Set(g.routeMembers());
      const now = [...members].sort().join(',');
      if (now !== last) { routeChanges.push({ at: Date.now(), members: [...members].map((v) => ses.find((x) => x.vmis.includes(v))?.name ?? v) }); last = now; }
      gone = ses.find((s) => !s.vmis.some((v) => members.has(v)));
      if (gone === undefined) await sleep(2);
    }
    const seenAt = performance.now();
    const leaving = gone;
    const samples = open.get(leaving.server) ?? [];
    const hook = atHook as typeof atHook;
    const pinned: Record<string, number> = {};
    for (const st of (before as Map<string, string> | undefined)?.values() ?? []) pinned[st] = (pinned[st] ?? 0) + 1;
    const r = {
      withdrawnMs: seenAt - t0,
      pinned,
      inFlight: hook === undefined ? NaN : OPEN_STATES.reduce((n, st) => n + (pinned[st] ?? 0), 0),
      scurAtWithdrawal: hook?.scur ?? NaN,
      hookMs: hook?.ms ?? NaN,
      workerPid: hook?.pid ?? NaN,
      drainingAtWithdrawal: hook?.draining,
      openBefore: Math.max(0, ...samples.filter((x) => x.at < seenAt && x.at >= seenAt - 1_000).map((x) => x.n)),
      leaving: leaving.name,
      table, at, appliedAt, timeline, seen, routeChanges, actions,
      probeEvents: g.dp.probeEvents.filter((e) => e.at >= appliedAt - 5_000).map((e) => ({ ...e, se: ses.find((x) => x.vmis.includes(e.vmi))?.name ?? e.vmi })),
    };
    // Until the leaving SE has dropped the VIP (its grace over) or is gone, then a little longer.
    await g.h.waitFor(async () => {
      const rows = await g.stats(leaving.server, 300).catch(() => undefined);
      return rows === undefined || !rows.some((x) => (x['pxname'] ?? '').startsWith('fe:')) ? true : undefined;
    }, { timeoutMs: boundMs, intervalMs: 200, what: 'the leaving SE without the VIP' });
    await sleep(2_000);
    return r;
  } finally {
    g.dp.beforeWithdraw = undefined;
    g.dp.onAction = undefined;
    stopSampling = true;
    await sampler;
    await flowSampler;
  }
}
