// Every panel of the monitoring pack's Grafana dashboard returns data through a real Prometheus
// (Debian's package, loopback, test/support/prometheus.ts) that scrapes the operator while real
// traffic flows (issue 15 item 3): real SE agents and HAProxy on the netns ground
// (./support.ts), wrk through the VIP, so the agent-fed series — per-VS traffic, pool members,
// SE CPU/memory, heartbeats, the autoscale metric — are there as in production. The queries are
// read from the dashboard JSON, not listed here. A query "returns data" when its instant result
// holds at least one finite value (a histogram_quantile over no observations is NaN: not data).
// The only queries allowed to stay empty are those on counters that only a failure increments
// (NO_DATA_WHEN_HEALTHY, with why); they are printed either way.
// Root only (network namespaces); otherwise skipped with one line.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetnsDataplane } from '../../src/sim/dataplane/dataplane.js';
import { runLoad } from '../../src/sim/dataplane/loadgen.js';
import { type Harness, type OperatorProcess } from '../e2e/harness.js';
import { agentDataplane, startDataplaneHarness } from './support.js';
import { applyGroup, applyPool, applyVS, vsStatus } from '../e2e/vs-support.js';
import { skipReason } from '../dataplane/support.js';
import { freePort } from '../support/net.js';
import { dashboardQueries, expandDashboardExpr, seriesNames, startPrometheus, type Prometheus } from '../support/prometheus.js';

const skip = skipReason();
if (skip !== undefined) process.stdout.write(`e2e-dataplane monitoring-dashboard: ${skip}\n`);

const POOL_SERVER = '198.18.30.3';
/** Series a healthy run never creates (prom-client exports a labelled counter once incremented): why each panel may be empty. */
const NO_DATA_WHEN_HEALTHY: Record<string, string> = {
  controller_runtime_reconcile_errors_total: 'no reconcile failed',
  workqueue_retries_total: 'no work item was retried with backoff',
  lbop_service_engine_boot_failures_total: 'no SE boot failed',
  lbop_cloudview_list_errors_total: 'no CloudView list failed',
};
const LOAD_S = 45;

let h: Harness;
let dp: NetnsDataplane;
let op: OperatorProcess;
let prom: Prometheus;
const stateRoot = mkdtempSync(join(tmpdir(), 'lbop-e2e-dash-'));

before(async () => {
  if (skip !== undefined) return;
  dp = agentDataplane(stateRoot, [POOL_SERVER]);
  h = await startDataplaneHarness('e2e-dp-dashboard', dp);
  op = h.startOperator(['--se-api-addr', `127.0.0.1:${await freePort()}`, '--leader-elect', '--lease-name', `lbop-${h.namespace}`, '--lease-namespace', 'lb-system']);
  // Scraping from the start, so the SE's boot is observed (the boot-time panel's rate over 1h).
  prom = await startPrometheus({ target: new URL(op.metricsURL).host });
});

after(async () => {
  await prom?.stop();
  await h?.stop();
  rmSync(stateRoot, { recursive: true, force: true });
});

it('every dashboard panel returns data while wrk runs through the VIP', { skip, timeout: 300_000 }, async () => {
  const t0 = Date.now();
  await applyGroup(h);
  await applyPool(h, 'vs2-pool', [{ ip: POOL_SERVER, port: 80 }]);
  // Autoscale on (its target far above the load, so it holds 1 SE): the autoscale panel's series.
  await applyVS(h, { minSEs: 1, maxSEs: 1, vsSpec: { scaleout: { ecmp: true, minSEs: 1, maxSEs: 1, autoscale: { metric: 'RequestsPerSecondPerSE', target: 1_000_000 } } } });
  await h.waitFor(async () => (((await vsStatus(h))?.serviceEngines ?? []).some((e) => e.connected === true && e.cloudProgrammingDone === true) ? true : undefined),
    { timeoutMs: 180_000, intervalMs: 500, what: 'vs2 served by its SE' });
  const vip = (await vsStatus(h))?.vip?.[0]?.ipAddress ?? '';
  assert.match(vip, /^198\.18\.20\.\d+$/);
  const servedMs = Date.now() - t0;
  // A second SE boots now (a buffer SE), so the boot-time histogram changes between two scrapes:
  // the first boot's series is born with its observation, and rate() over it alone is 0 (NaN p90).
  await applyGroup(h, 'default', { bufferSEs: 1 });
  // ... and Prometheus has scraped that second observation before the panels are read.
  // startPrometheus returns only after the first scrape, so the first boot's sample (count 1) is
  // taken before this one: in CI both boots once landed before Prometheus's first scrape (it hands
  // targets over 5 s after ready), the series was born at 2 and the p90 stayed empty (2026-12-07).
  await h.waitFor(async () => ((await prom.instant('sum(lbop_service_engine_boot_seconds_count)'))
    .some((x) => Number(x.value[1]) >= 2) ? true : undefined), { timeoutMs: 180_000, intervalMs: 1000, what: 'the buffer SE\'s boot scraped by Prometheus' });

  const loading = runLoad(dp.client, { url: `http://${vip}/`, connections: 2, seconds: LOAD_S, maxRequests: 2_000_000, newConnections: true, timeoutSeconds: 2 });
  const queries = await dashboardQueries();
  assert.ok(queries.length >= 30, `${queries.length} dashboard queries`);
  const optional = (expr: string): string | undefined => seriesNames(expr).map((n) => NO_DATA_WHEN_HEALTHY[n]).find((w) => w !== undefined);
  const hasData = async (expr: string): Promise<boolean> => (await prom.instant(expandDashboardExpr(expr))).some((s) => Number.isFinite(Number(s.value[1])));
  // All at once, each until it has data (or, for the optional ones, a short look): the file's run time stays small.
  const loadStart = Date.now();
  const results = await Promise.all(queries.map(async (q) => {
    const why = optional(q.expr);
    const deadline = Date.now() + (why !== undefined ? 10_000 : 40_000);
    for (;;) {
      if (await hasData(q.expr)) return { ...q, data: true, afterMs: Date.now() - loadStart, why };
      if (Date.now() > deadline) return { ...q, data: false, afterMs: Date.now() - loadStart, why };
      await new Promise((r) => setTimeout(r, 1000));
    }
  }));
  const r = await loading;
  const empty = results.filter((x) => !x.data);
  process.stdout.write(`e2e-dataplane monitoring-dashboard: served after ${servedMs} ms; ${results.length} queries, ${results.length - empty.length} with data ` +
    `(the last after ${Math.max(...results.filter((x) => x.data).map((x) => x.afterMs))} ms of load); wrk ${r.requests} requests at ${Math.round(r.requestsPerSecond)}/s, ${r.failures} failed; ` +
    `empty: ${JSON.stringify(empty.map((x) => `${x.where}${x.why !== undefined ? ` — allowed: ${x.why}` : ''}`))}\n`);
  assert.ok(r.requests > 100, `the load ran: ${r.requests}`);
  assert.deepEqual(empty.filter((x) => x.why === undefined).map((x) => `${x.where}: ${expandDashboardExpr(x.expr)}`), [], 'every panel query has data under load');
  // The agent-fed panels are among those checked (the point of this file over the operator-only one).
  for (const n of ['lbop_vs_requests_total', 'lbop_pool_member_up', 'lbop_se_cpu_percent', 'lbop_se_memory_bytes', 'lbop_se_heartbeats_total', 'lbop_vs_autoscale_metric']) {
    assert.ok(results.some((x) => x.data && seriesNames(x.expr).includes(n)), `a panel on ${n} returned data`);
  }
});
