// bench:se — how fast a ServiceEngineGroup with 10 buffer SEs becomes Ready against the
// simulator's boot time (goal: ≤ boot time + 2 s, i.e. SEs boot in parallel), and how many
// cloud calls each SE costs (from /sim/stats). Real kube-apiserver (LBOP_TEST_KUBECONFIG or a
// private one), simulator in-process, operator as a child process. Prints figures; asserts nothing.
//   npm run bench:se            (env SE_BENCH_BOOT_MS, default 3000; SE_BENCH_COUNT, default 10)
import { conditionsOf, startHarness } from '../e2e/harness.js';
import type { KubeObject } from '../../src/runtime/index.js';

const bootMs = Number(process.env['SE_BENCH_BOOT_MS'] ?? 3000);
const count = Number(process.env['SE_BENCH_COUNT'] ?? 10);

interface Stats { total: Record<string, number>; requests: { api: string; method: string; route: string; status: number; count: number }[] }

async function main(): Promise<void> {
  const h = await startHarness({ name: 'se-bench', sim: { bootTimeMs: bootMs } });
  try {
    h.startOperator(['--log-level', 'info']);
    await h.waitFor(async () => conditionsOf(await h.get('Cloud', h.cloudName))['Ready']?.status === 'True', { what: 'Cloud Ready', timeoutMs: 60_000 });
    // Let the view's first refreshes and the sweep settle, then count from zero.
    await new Promise((r) => setTimeout(r, 1500));
    await h.simControl('POST', '/sim/stats/reset');
    const t0 = performance.now();
    await h.apply('ServiceEngineGroup', { metadata: { name: 'bench' }, spec: { cloudRef: h.cloudName, bufferSEs: count, maxSEs: count } } as KubeObject);
    await h.waitFor(async () => {
      const ready = (await h.list('ServiceEngine')).filter((s) => conditionsOf(s)['Ready']?.status === 'True');
      return ready.length >= count;
    }, { what: `${count} SEs Ready`, timeoutMs: 120_000, intervalMs: 50 });
    const elapsed = performance.now() - t0;
    const stats = await h.simControl<Stats>('GET', '/sim/stats');
    const writes = stats.requests.filter((r) => r.method !== 'GET');
    const reads = stats.requests.filter((r) => r.method === 'GET');
    const sum = (rs: Stats['requests']): number => rs.reduce((n, r) => n + r.count, 0);
    console.log(`SEs: ${count}, simulator boot time ${bootMs} ms`);
    console.log(`time from apply to all Ready: ${Math.round(elapsed)} ms (boot + ${Math.round(elapsed - bootMs)} ms; goal ≤ boot + 2000 ms)`);
    console.log(`cloud calls during the scale-out: ${sum(stats.requests)} (writes ${sum(writes)}, reads ${sum(reads)})`);
    console.log(`per SE created: ${(sum(writes) / count).toFixed(2)} writes, ${(sum(reads) / count).toFixed(2)} reads (reads are shared list calls)`);
    for (const r of [...writes, ...reads].sort((a, b) => b.count - a.count)) console.log(`  ${r.api.padEnd(9)} ${r.method.padEnd(6)} ${r.route} ${r.status}: ${r.count}`);
    console.log('minimum: 2 writes per SE (Neutron POST /ports for the management port, Nova POST /servers with it);');
    console.log('         reads do not scale with SEs: one list per kind per observation, shared by every booting SE.');

    // Steady state: no cloud writes at all over two observation periods.
    await h.simControl('POST', '/sim/stats/reset');
    await new Promise((r) => setTimeout(r, 10_000));
    const idle = await h.simControl<Stats>('GET', '/sim/stats');
    console.log(`steady state over 10 s: ${sum(idle.requests.filter((r) => r.method !== 'GET'))} writes, ${sum(idle.requests.filter((r) => r.method === 'GET'))} reads`);
    await h.remove('ServiceEngineGroup', 'bench');
    await h.waitFor(async () => (await h.ourObjects()).length === 0, { what: 'cleanup', timeoutMs: 120_000 });
  } finally {
    await h.stop();
  }
}

main().then(() => process.exit(0), (e: unknown) => {
  console.error(`bench:se: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
