// A measurement, not a test (not in make test): how steady the autoscaler's requests/s reading is
// under a steady wrk load on 3 SEs, and where its noise comes from (docs/autoscale.md, "How steady
// the requests/s reading is"). Three sources side by side for one stretch of steady load:
//   - HAProxy's own counter on each SE, read through its stats socket once a second (ground truth:
//     how even the load and the ECMP spread are, second by second);
//   - each heartbeat the autoscaler read (the operator's debug line "autoscale samples": sequence,
//     the agent's sentAt, the operator's receive time, the VS's request count) — the heartbeat
//     spacing and how far sentAt lags the counter read;
//   - the reading itself (per SE, and the average the planner takes), whose swing is the figure.
// Run as root on the netns ground:
//   scripts/with-cluster.sh node --import tsx --test --test-concurrency=1 test/e2e-dataplane/autoscale-rate.measure.ts
// LBOP_MEASURE_S (default 60) sets the stretch.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { connect } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetnsDataplane } from '../../src/sim/dataplane/dataplane.js';
import { runLoad } from '../../src/sim/dataplane/loadgen.js';
import { type Harness, type OperatorProcess } from '../e2e/harness.js';
import { agentDataplane, startDataplaneHarness } from './support.js';
import { applyGroup, applyPool, applyVS, vsStatus } from '../e2e/vs-support.js';
import { skipReason } from '../dataplane/support.js';
import { freePort } from '../support/net.js';

const skip = skipReason();
const POOL_SERVER = '198.18.30.3';
const MEASURE_S = Number(process.env['LBOP_MEASURE_S'] ?? 60);

let h: Harness;
let dp: NetnsDataplane;
let op: OperatorProcess;
const stateRoot = mkdtempSync(join(tmpdir(), 'lbop-e2e-rate-'));

/** HAProxy's cumulative req_tot over the frontends of one SE (its stats socket). */
function reqTotal(sock: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    let out = '';
    const c = connect(sock, () => c.write('show stat\n'));
    c.setTimeout(2000, () => { c.destroy(); resolve(undefined); });
    c.on('data', (b) => (out += b.toString()));
    c.on('error', () => resolve(undefined));
    c.on('end', () => {
      const lines = out.split('\n');
      const head = (lines[0] ?? '').replace(/^# /, '').split(',');
      const px = head.indexOf('pxname');
      const sv = head.indexOf('svname');
      const rq = head.indexOf('req_tot');
      let n = 0;
      for (const l of lines.slice(1)) {
        const f = l.split(',');
        if (f[sv] === 'FRONTEND' && (f[px] ?? '').startsWith('fe:')) n += Number(f[rq] ?? 0) || 0;
      }
      resolve(n);
    });
  });
}

const stats = (xs: number[]): string => {
  if (xs.length === 0) return 'none';
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return `n=${xs.length} min ${Math.round(s[0]!)} p10 ${Math.round(q(0.1))} median ${Math.round(q(0.5))} p90 ${Math.round(q(0.9))} max ${Math.round(s[s.length - 1]!)} mean ${Math.round(mean)} (max/min ${(s[s.length - 1]! / Math.max(1e-9, s[0]!)).toFixed(2)})`;
};

before(async () => {
  if (skip !== undefined) return;
  dp = agentDataplane(stateRoot, [POOL_SERVER]);
  h = await startDataplaneHarness('e2e-dp-rate', dp);
  op = h.startOperator(['--se-api-addr', `127.0.0.1:${await freePort()}`]);
});

after(async () => {
  await h?.stop();
  rmSync(stateRoot, { recursive: true, force: true });
});

it('the requests/s reading under steady load on 3 SEs', { skip, timeout: 600_000 }, async () => {
  await applyGroup(h);
  await applyPool(h, 'vs2-pool', [{ ip: POOL_SERVER, port: 80 }]);
  // Far above the load: the planner holds 3 (AtMinimum) and only reads.
  await applyVS(h, { minSEs: 3, maxSEs: 3, vsSpec: { scaleout: { ecmp: true, minSEs: 3, maxSEs: 3, autoscale: { metric: 'RequestsPerSecondPerSE', target: 1_000_000 } } } });
  await h.waitFor(async () => (((await vsStatus(h))?.serviceEngines ?? []).filter((e) => e.connected === true && e.cloudProgrammingDone === true).length === 3 ? true : undefined),
    { timeoutMs: 240_000, intervalMs: 500, what: 'vs2 served by 3 SEs' });
  const vip = (await vsStatus(h))?.vip?.[0]?.ipAddress ?? '';
  await h.waitFor(async () => {
    const r = await runLoad(dp.client, { url: `http://${vip}/`, connections: 1, seconds: 1, maxRequests: 1, timeoutSeconds: 1 });
    return r.requests >= 1 && r.failures === 0 ? true : undefined;
  }, { timeoutMs: 30_000, intervalMs: 200, what: 'a first served request' });
  const socks = readdirSync(stateRoot).map((d) => join(stateRoot, d, 'stats.sock')).filter((p) => existsSync(p));
  assert.equal(socks.length, 3, `stats sockets: ${socks.join(', ')}`);

  const warmS = 15;
  const loading = runLoad(dp.client, { url: `http://${vip}/`, connections: 4, seconds: warmS + MEASURE_S + 5, maxRequests: 10_000_000, newConnections: true, timeoutSeconds: 2 });
  await new Promise((r) => setTimeout(r, warmS * 1000));
  const t0 = Date.now();
  const logFrom = op.output().length;
  const truth: { t: number; n: (number | undefined)[] }[] = [];
  const load0 = loadavg()[0]!;
  while (Date.now() - t0 < MEASURE_S * 1000) {
    const t = Date.now();
    truth.push({ t, n: await Promise.all(socks.map(reqTotal)) });
    await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - t))));
  }
  const logs = op.output().slice(logFrom);
  const r = await loading;

  // Ground truth: per-SE requests/s per second and per 5 s, and the total per 5 s.
  const perSec: number[] = [];
  const per5: number[] = [];
  const total5: number[] = [];
  for (let i = 1; i < truth.length; i++) {
    const a = truth[i - 1]!;
    const b = truth[i]!;
    for (let k = 0; k < socks.length; k++) if (a.n[k] !== undefined && b.n[k] !== undefined) perSec.push((b.n[k]! - a.n[k]!) / ((b.t - a.t) / 1000));
  }
  for (let i = 5; i < truth.length; i += 5) {
    const a = truth[i - 5]!;
    const b = truth[i]!;
    let tot = 0;
    for (let k = 0; k < socks.length; k++) {
      if (a.n[k] === undefined || b.n[k] === undefined) continue;
      const v = (b.n[k]! - a.n[k]!) / ((b.t - a.t) / 1000);
      per5.push(v);
      tot += v;
    }
    total5.push(tot);
  }

  // The autoscaler's readings.
  type Reading = { se: string; value?: number; sequence?: number; sentAt?: string; receivedAt?: string; requests?: number };
  const obs: { at: number; samples: Reading[] }[] = [];
  for (const line of logs.split('\n')) {
    if (!line.includes('"autoscale samples"')) continue;
    try {
      const j = JSON.parse(line) as { timestamp: string; samples: Reading[] };
      obs.push({ at: Date.parse(j.timestamp), samples: j.samples });
    } catch { /* a torn line */ }
  }
  const perSE: number[] = [];
  const avg: number[] = [];
  const missing: number[] = [];
  const spacing: number[] = [];
  const lag: number[] = [];
  const seqGap: number[] = [];
  const last = new Map<string, Reading>();
  for (const o of obs) {
    const vals = o.samples.filter((s) => s.value !== undefined).map((s) => s.value!);
    perSE.push(...vals);
    missing.push(o.samples.length - vals.length);
    if (vals.length > 0) avg.push(vals.reduce((a, b) => a + b, 0) / vals.length);
    for (const s of o.samples) {
      const p = last.get(s.se);
      if (s.sentAt !== undefined && s.receivedAt !== undefined) lag.push(Date.parse(s.receivedAt) - Date.parse(s.sentAt));
      if (p !== undefined && p.sequence !== undefined && s.sequence !== undefined && s.sequence !== p.sequence) {
        spacing.push(Date.parse(s.sentAt ?? '') - Date.parse(p.sentAt ?? ''));
        seqGap.push(s.sequence - p.sequence);
      }
      last.set(s.se, s);
    }
  }
  const out = [
    `autoscale-rate: ${MEASURE_S} s of steady load on 3 SEs; wrk ${r.requests} requests at ${Math.round(r.requestsPerSecond)}/s (${Math.round(r.requestsPerSecond / 3)} per SE), ${r.failures} failed; load average ${load0.toFixed(2)} → ${loadavg()[0]!.toFixed(2)}`,
    `  HAProxy per SE, per 1 s: ${stats(perSec)}`,
    `  HAProxy per SE, per 5 s: ${stats(per5)}`,
    `  HAProxy total, per 5 s:  ${stats(total5)}`,
    `  autoscaler reading per SE: ${stats(perSE)}`,
    `  autoscaler average (the planner's currentMetric): ${stats(avg)}; observations ${obs.length}, SEs without a reading per observation ${JSON.stringify(missing)}`,
    `  sentAt spacing between the heartbeats two observations read: ${stats(spacing)} ms; heartbeats apart ${JSON.stringify([...new Set(seqGap)].sort())}`,
    `  receive − sentAt: ${stats(lag)} ms`,
  ];
  process.stdout.write(out.join('\n') + '\n');
  assert.ok(obs.length > 0, 'the operator logged its samples');
});
