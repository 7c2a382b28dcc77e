// The Cloud's contrail.analyticsURL end to end (docs/se-repair.md): the simulator serves analytics
// on a port of its own, as a deployment's opserver (:8081) beside the VNC API (:8082), so the VNC
// port has no /analytics. The operator runs the SE API with no agents, so every SE falls silent
// and heartbeat repair asks analytics for its data vNICs' health-check state: with analyticsURL
// set the UVE query reaches the analytics port and succeeds; with it removed (the default: the VNC
// API URL) the same query goes to the VNC port and fails 404 there.
// The Cloud's own check probes the analytics URL too (docs/troubleshooting.md, AnalyticsReachable):
// the VNC port answers 404 (AnalyticsNotFound), a closed port refuses (AnalyticsUnreachable); either
// keeps the Cloud Ready, with Ready's reason AnalyticsUnreachable, and one event per transition.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness, type OperatorProcess } from './harness.js';
import { applySeed } from './vs-support.js';
import { freePort } from '../support/net.js';
import { findCondition, type Condition } from '../../src/api/index.js';
import type { KubeObject } from '../../src/runtime/index.js';

const UVE_ROUTE = '/analytics/uves/virtual-machine-interface';

let h: Harness;
let op: OperatorProcess;

/** UVE queries the simulator answered, by the API (port) that got them. */
async function uveQueries(api: 'analytics' | 'contrail'): Promise<number> {
  const res = await fetch(`${h.sim.urls.control}/sim/stats`);
  const stats = (await res.json()) as { requests: { api: string; route: string; count: number }[] };
  return stats.requests.filter((r) => r.api === api && r.route === UVE_ROUTE).reduce((n, r) => n + r.count, 0);
}

/** The operator's own count of its UVE queries by HTTP status. */
async function operatorUVEs(code: string): Promise<number> {
  const text = await h.metrics(op);
  return [...text.matchAll(/^lbop_cloud_api_requests_total\{([^}]*)\} (\d+)$/gm)]
    .filter((m) => m[1]!.includes('op="uves:virtual-machine-interface"') && m[1]!.includes(`code="${code}"`))
    .reduce((n, m) => n + Number(m[2]), 0);
}

type CloudObj = KubeObject & { status?: { conditions?: Condition[] } };

/** The Cloud's Ready and AnalyticsReachable as `status/reason`, once its status describes its generation. */
async function cloudConditions(): Promise<{ ready: string; analytics: string; readyMessage: string; analyticsMessage: string } | undefined> {
  const c = await h.get<CloudObj>('Cloud', h.cloudName);
  const st = c?.status as ({ observedGeneration?: number; conditions?: Condition[] } | undefined);
  if (c === undefined || st?.observedGeneration !== c.metadata.generation) return undefined;
  const r = findCondition(st?.conditions, 'Ready');
  const a = findCondition(st?.conditions, 'AnalyticsReachable');
  return { ready: `${r?.status}/${r?.reason}`, analytics: `${a?.status}/${a?.reason}`, readyMessage: r?.message ?? '', analyticsMessage: a?.message ?? '' };
}

/** Until the Cloud's conditions read `ready` and `analytics` (each `status/reason`). */
const cloudSays = (ready: string, analytics: string): Promise<NonNullable<Awaited<ReturnType<typeof cloudConditions>>>> =>
  h.waitFor(async () => {
    const c = await cloudConditions();
    return c !== undefined && c.ready === ready && c.analytics === analytics ? c : undefined;
  }, { timeoutMs: 30_000, intervalMs: 250, what: `Cloud Ready ${ready}, AnalyticsReachable ${analytics}` });

/** The Cloud's events (cluster-scoped: in `default`) with this reason. */
const cloudEvents = async (reason: string): Promise<string[]> =>
  (await h.events('default')).filter((e) => e.regarding.kind === 'Cloud' && e.regarding.name === h.cloudName && e.reason === reason).map((e) => e.note);

before(async () => {
  h = await startHarness({ name: 'e2e-analytics', sim: { separateAnalytics: true }, noCloud: true });
  assert.ok(h.sim.urls.analytics !== undefined && h.sim.urls.analytics !== h.sim.urls.contrail);
  await h.apply('Cloud', h.cloudManifest({ contrail: { apiURL: h.sim.urls.contrail, analyticsURL: h.sim.urls.analytics } }));
  // The SE API without agents: every SE is silent, so once the failure timeout is up (10 s) repair
  // asks analytics for its data path (the sim has no prober: Unknown, so none is replaced).
  op = h.startOperator(['--se-api-addr', `127.0.0.1:${await freePort()}`, '--se-heartbeat-timeout', '3', '--se-failure-timeout', '10']);
});

after(async () => {
  await h?.stop();
});

test('with contrail.analyticsURL the operator asks analytics at that URL, never at the VNC API', async () => {
  const c = await cloudSays('True/Ready', 'True/Reachable');
  assert.equal(c.analyticsMessage, `analytics at ${h.sim.urls.analytics} answered`);
  await applySeed(h, { minSEs: 1, maxSEs: 1 });
  await h.waitFor(async () => ((await uveQueries('analytics')) > 0 ? true : undefined), { timeoutMs: 120_000, intervalMs: 1000, what: 'a UVE query on the analytics port' });
  assert.equal(await uveQueries('contrail'), 0, 'the VNC port got no UVE query');
  assert.ok((await operatorUVEs('200')) > 0, 'the operator counted its UVE queries as answered');
  assert.equal(await operatorUVEs('404'), 0);
});

test('without it (the default) analytics is asked at the VNC API URL: here it has no /analytics, so 404', async () => {
  await h.apply('Cloud', h.cloudManifest({ contrail: { apiURL: h.sim.urls.contrail } }));
  await h.waitFor(async () => ((await operatorUVEs('404')) > 0 ? true : undefined), { timeoutMs: 60_000, intervalMs: 1000, what: 'a UVE query answered 404 by the VNC port' });
  // From the first 404 on, the new connection asks only the VNC port.
  const onAnalytics = await uveQueries('analytics');
  const failed = await operatorUVEs('404');
  await h.waitFor(async () => ((await operatorUVEs('404')) > failed ? true : undefined), { timeoutMs: 60_000, intervalMs: 1000, what: 'the next UVE query' });
  assert.equal(await uveQueries('analytics'), onAnalytics, 'no UVE query reached the analytics port');
});

test('the Cloud probes analytics: the VNC URL (the default here) is AnalyticsNotFound, Ready stays True and says it', async () => {
  // The Cloud still points at the VNC port for analytics (the previous test's default).
  const c = await cloudSays('True/AnalyticsUnreachable', 'False/AnalyticsNotFound');
  assert.match(c.analyticsMessage, new RegExp(`^analytics at ${h.sim.urls.contrail}: `));
  assert.match(c.readyMessage, /degraded: analytics at .* heartbeat repair cannot check SEs' data paths/);
  const notes = await h.waitFor(async () => { const n = await cloudEvents('AnalyticsUnreachable'); return n.length > 0 ? n : undefined; }, { timeoutMs: 15_000, intervalMs: 250, what: 'an AnalyticsUnreachable event' });
  assert.match(notes[0]!, /^AnalyticsNotFound: analytics at /);
  assert.equal((await cloudEvents('ConnectionFailed')).length, 0, 'Ready never went False');
});

test('a wrong analyticsURL (a closed port) is AnalyticsUnreachable; fixed, AnalyticsReachable True again with an event', async () => {
  const closed = `http://127.0.0.1:${await freePort()}`;
  await h.apply('Cloud', h.cloudManifest({ contrail: { apiURL: h.sim.urls.contrail, analyticsURL: closed } }));
  const c = await cloudSays('True/AnalyticsUnreachable', 'False/AnalyticsUnreachable');
  assert.match(c.analyticsMessage, new RegExp(`^analytics at ${closed}: `));
  await h.waitFor(async () => ((await cloudEvents('AnalyticsUnreachable')).some((n) => n.startsWith('AnalyticsUnreachable: ')) ? true : undefined),
    { timeoutMs: 15_000, intervalMs: 250, what: 'an AnalyticsUnreachable event for the closed port' });
  await h.apply('Cloud', h.cloudManifest({ contrail: { apiURL: h.sim.urls.contrail, analyticsURL: h.sim.urls.analytics } }));
  await cloudSays('True/Ready', 'True/Reachable');
  const back = await h.waitFor(async () => { const n = await cloudEvents('AnalyticsReachable'); return n.length > 0 ? n : undefined; }, { timeoutMs: 15_000, intervalMs: 250, what: 'an AnalyticsReachable event' });
  assert.match(back[0]!, new RegExp(`^analytics at ${h.sim.urls.analytics} answered again after AnalyticsUnreachable`));
  assert.match(op.output(), /contrail analytics unreachable; heartbeat repair cannot check data paths/);
});
