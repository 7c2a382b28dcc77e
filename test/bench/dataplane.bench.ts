// npm run bench:dataplane (root): what a user of the load balancer measures, in one run.
//   1. the proxy's overhead (1 SE vs straight to the pool server) and the ECMP scaling (3 SEs vs 1),
//      on the netns data plane with the SE agent's own apply path, without the operator (dataplane/overhead.ts);
//   then on the real ground of test/e2e-dataplane — kube-apiserver, the operator, the simulator's
//   netns data plane with a real se-agent per SE, vs2 on 3 SEs (dataplane/ground.ts):
//   4. config propagation to ALL SEs, p50/p99: a Runtime API member change and a reload-type change;
//   5. N reloads under a paced RATE requests/s (half new connections, half keep-alive): failed requests;
//   6. detection times: the heartbeat detector (agent stopped → AgentConnected=False) and the
//      data-path one (SE hung → its health check withdraws it from ECMP) (dataplane/detection.ts);
//   2. an SE's Nova server deleted under that load: failed requests vs connections open on it just
//      before the delete, seconds to full capacity;
//   3. a scale-in 3 → 2 under that load: failed requests vs connections open on the leaving SE at
//      the withdrawal instant.
// Figures only (no assertion); every wait and load is bounded; namespaces and processes go on exit.
//   env BENCH_SECONDS / BENCH_CONNECTIONS (part 1), BENCH_CHANGES (20), BENCH_RELOADS (30), BENCH_RATE (1000),
//   BENCH_DRAIN_SECONDS (10: the scale-in's drainTimeoutSeconds), BENCH_ONLY=scale-in (the ground and part 3 only)
import { execFileSync } from 'node:child_process';
import { useCluster } from '../support/cluster.js';
import { skipReason } from '../dataplane/support.js';
import { detection } from './dataplane/detection.js';
import { startGround } from './dataplane/ground.js';
import { measureOverhead } from './dataplane/overhead.js';
import { describeMixed, type MixedResult } from './dataplane/paced.js';
import { measurePropagation, summary } from './dataplane/propagation.js';
import { reloadsUnderLoad, scaleIn, seDeath, type ScaleIn } from './dataplane/underload.js';
import { describeAttribution, describeLogged } from './dataplane/attribution.js';

const env = (k: string, d: number): number => Number(process.env[k] ?? String(d));
const SECONDS = env('BENCH_SECONDS', 5);
const CONNS = env('BENCH_CONNECTIONS', 32);
const CHANGES = env('BENCH_CHANGES', 20);
const RELOADS = env('BENCH_RELOADS', 30);
const RATE = env('BENCH_RATE', 1000);
/** The scale-in's drainTimeoutSeconds (0: the old order, withdrawn first). */
const DRAIN = env('BENCH_DRAIN_SECONDS', 10);
/** BENCH_ONLY=scale-in: the ground and the scale-in row only. */
const ONLY = process.env['BENCH_ONLY'];

const skip = skipReason();
if (skip !== undefined) {
  process.stdout.write(`bench:dataplane: ${skip}\n`);
  process.exit(0);
}
execFileSync('scripts/ensure-debs.sh', ['iproute2:ip', 'wrk:wrk', 'haproxy:haproxy'], { stdio: 'inherit' });

const out = (s: string): void => { process.stdout.write(`bench:dataplane: ${s}\n`); };
const lost = (r: MixedResult): number => r.fresh.lost + r.kept.lost;
const s = (ms: number): string => (ms / 1000).toFixed(1);

const scaleInLine = (si: ScaleIn): void => {
  out(`scale-in 3 → 2 at ${RATE} requests/s (a third each: new connection per request, eager keep-alive, lazy keep-alive), drainTimeoutSeconds ${si.drainSeconds}: ${(si.load['close']?.failed.length ?? 0) + (si.load['eager']?.failed.length ?? 0)} failed (close + eager, wrk's kinds), lazy ${si.load['lazy']?.failed.length ?? 0}, vs ${si.inFlight} in flight at the withdrawal (flows the fabric had pinned to ${si.leaving}: ${JSON.stringify(si.pinned)}; its HAProxy scur ${si.scurAtWithdrawal}, drain switch ${String(si.drainingAtWithdrawal)}; read in ${si.hookMs.toFixed(0)} ms before the rewrite; at most ${si.openBefore} open in the second before) — withdrawn ${s(si.withdrawnMs)} s after the apply — ${describeLogged(si.load)}`);
  for (const l of describeAttribution(si.attribution)) out(`  ${l}`);
};

async function main(): Promise<void> {
  out('2 shared cores: wrk, node, the operator, the agents and every HAProxy compete for the same CPUs');
  if (ONLY === undefined) for (const l of await measureOverhead(SECONDS, CONNS)) out(l);

  const g = await startGround(3);
  try {
    const ses = await g.serving(3, 'vs2 served by 3 SEs');
    out(`ground: the operator, 3 SEs (real agents) serving vs2 on ${g.vip}; loads: ${RATE} requests/s paced, half new connections, half keep-alive (100 connections each)`);

    if (ONLY === 'scale-in') {
      const si = await scaleIn(g, ses, 2, RATE, DRAIN);
      scaleInLine(si);
      return;
    }
    const p = await measurePropagation(g, ses, CHANGES);
    out(`config propagation to all 3 SEs, apply → every SE's HAProxy shows it (stats socket polled every 10 ms):`);
    out(`  member change (enabled ↔ disabled, Runtime API, no reload): ${summary(p.member)}`);
    out(`  reload-type change (lbAlgorithm RoundRobin ↔ LeastConnections): ${summary(p.reload)}`);

    const r = await reloadsUnderLoad(g, ses, RELOADS, RATE);
    out(`${RELOADS} reloads (each to all 3 SEs) at ${RATE} requests/s: ${lost(r.load)} failed — ${describeMixed(r.load)}; propagation under load ${summary(r.propagation)}`);

    const det = await detection(g, ses);
    out(`detection: agent stopped → AgentConnected=False ${s(det.heartbeatMs)} s (heartbeat timeout 10 s from the last heartbeat); SE hung → health check down ${s(det.probeDownMs)} s, out of the VIP's ECMP group ${s(det.outOfRouteMs)} s (goal ≤ 3 s)`);

    const d = await seDeath(g, await g.serving(3, 'vs2 served by 3 SEs'), RATE);
    out(`an SE's Nova server deleted at ${RATE} requests/s: ${lost(d.load)} failed vs ${d.openAtDeath} connection(s) open on it (read ${d.readLeadMs.toFixed(0)} ms before the delete; at most ${d.openBefore} in the second before) — ${describeMixed(d.load)}; out of the fabric's route ${s(d.outOfRouteMs)} s, replacement serving ${s(d.replacementServingMs)} s, full capacity (3 SEs, new connections within ±15 % of even over 2 s: ${d.spread.join('/')}) ${s(d.evenMs)} s after the delete`);

    const now = await g.serving(3, 'vs2 served by 3 SEs again');
    const si = await scaleIn(g, now, 2, RATE, DRAIN);
    scaleInLine(si);
  } finally {
    await g.close();
    await (await useCluster()).stop();
  }
}

main().then(() => process.exit(0), (e: unknown) => {
  process.stderr.write(`bench:dataplane: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
