// bench:vs — 100 VirtualServices with 2 SEs each against the simulator with its default
// latencies (no injected delay, 500 ms boot): time from apply to all Ready, cloud writes per VS
// from /sim/stats against the derived minimum, and the writes made during a steady-state window
// of one hour-equivalent of observation periods (120 refreshes: what 1 h is at the default 30 s
// resync; the bench runs them at the smallest allowed period, 5 s, so 600 s). Real kube-apiserver (LBOP_TEST_KUBECONFIG or a private
// one), simulator in-process, operator as a child process. Prints figures; asserts nothing.
// While converging it samples the placement invariants (checkInvariants) on every poll and
// prints the most VSs one SE ever carried (maxVSPerSE is 10) and any violation seen.
//   npm run bench:vs     (env VS_BENCH_COUNT default 100, at most 200: the VIP subnet is a /24;
//                         VS_BENCH_SES default 2, VS_BENCH_STEADY_S default 600)
import { conditionsOf, startHarness } from '../e2e/harness.js';
import type { KubeObject } from '../../src/runtime/index.js';
import { checkInvariants, type GroupObj, type SEObj, type VSObj } from '../../src/controllers/model/index.js';
import { applyGroup, applyPool, applyVS, type VS } from '../e2e/vs-support.js';

const count = Number(process.env['VS_BENCH_COUNT'] ?? 100);
const ses = Number(process.env['VS_BENCH_SES'] ?? 2);
const steadyS = Number(process.env['VS_BENCH_STEADY_S'] ?? 600);
const RESYNC_S = 5;
const MAX_VS_PER_SE = 10;
if (count > 200) throw new Error(`VS_BENCH_COUNT=${count}: the bench's VIP subnet is a /24, keep it at most 200`);

interface Req { api: string; method: string; route: string; status: number; count: number }
interface Stats { requests: Req[] }

/** A cloud write: anything but a GET, a token request, or a VNC action that only reads. */
function isWrite(r: Req): boolean {
  if (r.method === 'GET') return false;
  if (r.api === 'keystone') return false;
  return !['/fqname-to-id', '/id-to-fqname', '/list-bulk-collection'].includes(r.route);
}
const sum = (rs: Req[]): number => rs.reduce((n, r) => n + r.count, 0);

async function main(): Promise<void> {
  const h = await startHarness({ name: 'vs-bench', resyncSeconds: RESYNC_S });
  try {
    h.startOperator(['--log-level', 'warn']);
    await h.waitFor(async () => conditionsOf(await h.get('Cloud', h.cloudName))['Ready']?.status === 'True', { what: 'Cloud Ready', timeoutMs: 60_000 });
    const seCount = Math.ceil((count * ses) / MAX_VS_PER_SE);
    // Headroom of 2 SEs: capacity is a hard limit, and a packing that fills every slot exactly can
    // strand a VS's last placement (the only room left is on its own SE); the group boots one more.
    await applyGroup(h, 'default', { maxSEs: seCount + 2, maxVSPerSE: MAX_VS_PER_SE, maxScaleoutPerVS: Math.max(ses, 1) });
    await applyPool(h);
    await new Promise((r) => setTimeout(r, 1500));
    await h.simControl('POST', '/sim/stats/reset');

    const t0 = performance.now();
    const names = Array.from({ length: count }, (_, i) => `bench-${String(i).padStart(3, '0')}`);
    for (const n of names) await applyVS(h, { vs: n, minSEs: ses });
    const applied = performance.now() - t0;
    const seen = { maxVSPerSE: 0, maxClaims: 0, samples: 0, violations: new Set<string>() };
    const sample = async (settled: boolean): Promise<VS[]> => {
      const vss = await h.list<VS>('VirtualService');
      const report = checkInvariants({
        groups: await h.list<GroupObj & KubeObject>('ServiceEngineGroup'), ses: await h.list<SEObj & KubeObject>('ServiceEngine'), vss: vss as unknown as VSObj[],
      }, { settled });
      seen.samples++;
      seen.maxVSPerSE = Math.max(seen.maxVSPerSE, report.maxVSPerSEObserved);
      seen.maxClaims = Math.max(seen.maxClaims, report.maxClaimsObserved);
      for (const v of report.violations) seen.violations.add(v);
      return vss;
    };
    await h.waitFor(async () => {
      const ready = (await sample(false)).filter((v) => conditionsOf(v)['Ready']?.status === 'True' && v.status?.seSummary === `${ses}/${ses}`);
      return ready.length >= count;
    }, { what: `${count} VS Ready on ${ses} SEs`, timeoutMs: 600_000, intervalMs: 250 });
    await sample(true);
    const elapsed = performance.now() - t0;
    const stats = await h.simControl<Stats>('GET', '/sim/stats');
    const writes = stats.requests.filter(isWrite);
    const reads = stats.requests.filter((r) => !isWrite(r));
    console.log(`VS: ${count} × ${ses} SEs (group: ${seCount} SEs needed at best, maxSEs ${seCount + 2}, maxVSPerSE ${MAX_VS_PER_SE}; ended with ${(await h.list<KubeObject>('ServiceEngine')).length}), simulator default latencies, boot 500 ms`);
    console.log(`time from first apply to all Ready: ${Math.round(elapsed)} ms (applying the ${count} objects took ${Math.round(applied)} ms)`);
    console.log(`placement (${seen.samples} snapshots while converging, the last one settled): most VSs on one SE ${seen.maxVSPerSE} ` +
      `(maxVSPerSE ${MAX_VS_PER_SE}), most claims on one SE ${seen.maxClaims}, invariant violations ${seen.violations.size}`);
    for (const v of [...seen.violations].slice(0, 20)) console.log(`  violation: ${v}`);
    console.log(`cloud calls: ${sum(stats.requests)} (writes ${sum(writes)}, reads ${sum(reads)})`);
    const vsRoutes = (r: Req): boolean => ['/virtual-machine-interfaces', '/instance-ips', '/ref-update', '/ref-relax-for-delete', '/floating-ips'].includes(r.route) && r.api === 'contrail';
    const vsWrites = sum(writes.filter(vsRoutes));
    console.log(`writes per VS: ${(sum(writes) / count).toFixed(2)} all (incl. SE creation), ${(vsWrites / count).toFixed(2)} VIP/ECMP writes`);
    console.log(`minimum per VS: 2 + 2×SEs = ${2 + 2 * ses} VIP/ECMP writes (POST VIP VMI, POST instance-ip, per SE ref-update ADD + ref-relax-for-delete),`);
    console.log(`                plus the SEs' own writes shared by ${MAX_VS_PER_SE} VSs each`);
    for (const r of [...writes, ...reads].sort((a, b) => b.count - a.count)) console.log(`  ${r.api.padEnd(9)} ${r.method.padEnd(6)} ${r.route} ${r.status}: ${r.count}`);

    await h.simControl('POST', '/sim/stats/reset');
    await new Promise((r) => setTimeout(r, steadyS * 1000));
    const idle = await h.simControl<Stats>('GET', '/sim/stats');
    const periods = Math.floor(steadyS / RESYNC_S);
    console.log(`steady state over ${steadyS} s = ${periods} observation periods at ${RESYNC_S} s (${((periods * 30) / 3600).toFixed(2)} h at the default 30 s): ` +
      `${sum(idle.requests.filter(isWrite))} writes (goal 0), ${sum(idle.requests.filter((r) => !isWrite(r)))} reads`);
    for (const r of idle.requests.filter(isWrite)) console.log(`  steady write: ${r.api} ${r.method} ${r.route} ${r.status}: ${r.count}`);

    for (const n of names) await h.remove('VirtualService', n);
    await h.waitFor(async () => (await h.list<KubeObject>('VirtualService')).length === 0, { what: 'VS deleted', timeoutMs: 300_000 });
  } finally {
    await h.stop();
  }
}

main().catch((e: unknown) => {
  console.error(`bench:vs failed: ${(e as Error).message}`);
  process.exitCode = 1;
});
