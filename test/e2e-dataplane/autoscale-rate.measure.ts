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
import { mkdtempSync, rmSync } from 'node:fs';
import { execFile } from 'node:child_process';
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

/** Integers from a command's output, e.g. `ss -s`'s TIME-WAIT count in a namespace. */
function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve) => execFile(cmd, args, { encoding: 'utf8', timeout: 5000 }, (_e, out) => resolve(out ?? '')));
}
const timeWait = async (ns: string): Promise<number> => Number(/timewait (\d+)/.exec(await run('ip', ['netns', 'exec', ns, 'ss', '-s']))?.[1] ?? NaN);
const conntrackCount = async (): Promise<number> => Number((await run('cat', ['/proc/sys/net/netfilter/nf_conntrack_count'])).trim());

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

  // LBOP_MEASURE_TW_REUSE=1: the client may reuse its TIME-WAIT ports (the hypothesis: without it a
  // Connection: close load from one address runs out of connect() ports and stalls in waves).
  // LBOP_MEASURE_STEADY=1: every namespace of the run but the fabric (client, SEs, pool server)
  // reuses TIME-WAIT ports and has the whole port range, so neither hop runs out of ports.
  const nsOfRun = (await run('ip', ['netns', 'list'])).split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n.startsWith(dp.client.replace(/-client$/, '')) && !n.endsWith('-fabric'));
  if (process.env['LBOP_MEASURE_TW_REUSE'] !== undefined) await run('ip', ['netns', 'exec', dp.client, 'sysctl', '-w', `net.ipv4.tcp_tw_reuse=${process.env['LBOP_MEASURE_TW_REUSE']}`]);
  if (process.env['LBOP_MEASURE_STEADY'] !== undefined) {
    for (const n of nsOfRun) await run('ip', ['netns', 'exec', n, 'sysctl', '-w', 'net.ipv4.tcp_tw_reuse=1', 'net.ipv4.ip_local_port_range=1024 65535']);
  }
  const warmS = 15;
  const loading = runLoad(dp.client, { url: `http://${vip}/`, connections: 4, seconds: warmS + MEASURE_S + 5, maxRequests: 10_000_000, newConnections: true, timeoutSeconds: 2 });
  await new Promise((r) => setTimeout(r, warmS * 1000));
  const t0 = Date.now();
  const logFrom = op.output().length;
  const nsList = (await run('ip', ['netns', 'list'])).split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n.startsWith(dp.client.replace(/-client$/, '')));
  const side: { t: number; conntrack: number; tw: Record<string, number> }[] = [];
  const load0 = loadavg()[0]!;
  while (Date.now() - t0 < MEASURE_S * 1000) {
    const t = Date.now();
    side.push({ t: t - t0, conntrack: await conntrackCount(), tw: Object.fromEntries(await Promise.all(nsList.map(async (n) => [n.slice(-12), await timeWait(n)] as const))) });
    await new Promise((r) => setTimeout(r, Math.max(0, 5000 - (Date.now() - t))));
  }
  const logs = op.output().slice(logFrom);
  const r = await loading;

  // The autoscaler's readings.
  type Reading = { se: string; value?: number; instant?: number; spanSeconds?: number; sequence?: number; sentAt?: string; receivedAt?: string; requests?: number };
  const obs: { at: number; samples: Reading[] }[] = [];
  for (const line of logs.split('\n')) {
    if (!line.includes('"autoscale samples"')) continue;
    try {
      const j = JSON.parse(line) as { timestamp: string; samples: Reading[] };
      obs.push({ at: Date.parse(j.timestamp), samples: j.samples });
    } catch { /* a torn line */ }
  }
  const perSE: number[] = [];
  const instantPerSE: number[] = [];
  const instantAvg: number[] = [];
  const spans: number[] = [];
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
    const inst = o.samples.filter((s) => s.instant !== undefined).map((s) => s.instant!);
    instantPerSE.push(...inst);
    if (inst.length > 0) instantAvg.push(inst.reduce((a, b) => a + b, 0) / inst.length);
    spans.push(...o.samples.filter((s) => s.spanSeconds !== undefined).map((s) => s.spanSeconds!));
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
    `  two consecutive readings (the reading before the window) per SE: ${stats(instantPerSE)}`,
    `  two consecutive readings, averaged over the SEs: ${stats(instantAvg)}`,
    `  autoscaler reading per SE: ${stats(perSE)}; window spans ${stats(spans)} s`,
    `  autoscaler average (the planner's currentMetric): ${stats(avg)}; observations ${obs.length}, SEs without a reading per observation ${JSON.stringify(missing)}`,
    `  sentAt spacing between the heartbeats two observations read: ${stats(spacing)} ms; heartbeats apart ${JSON.stringify([...new Set(seqGap)].sort())}`,
    `  receive − sentAt: ${stats(lag)} ms`,
  ];
  if (process.env['LBOP_MEASURE_DEBUG'] !== undefined) {
    out.push(`  every 5 s: conntrack entries, TIME-WAIT sockets per namespace: ${JSON.stringify(side)}`);
    out.push(`  two-reading rates: ${JSON.stringify(obs.map((o) => o.samples.map((s) => s.instant === undefined ? null : Math.round(s.instant))))}`);
    out.push(`  readings: ${JSON.stringify(obs.map((o) => o.samples.map((s) => s.value === undefined ? null : Math.round(s.value))))}`);
  }
  process.stdout.write(out.join('\n') + '\n');
  assert.ok(obs.length > 0, 'the operator logged its samples');
});
