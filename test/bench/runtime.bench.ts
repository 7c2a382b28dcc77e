// Runtime benchmark on a private real kube-apiserver (started and stopped here):
//  1. initial list+sync of N ConfigMaps (time, RSS, heap per cached object);
//  2. reflector → queue → no-op reconcile throughput for the N initial adds, and for N updates;
//  3. time from a spec change (PATCH sent) to reconcile start, p50/p99.
// Usage: npm run bench:runtime  (env RT_BENCH_OBJECTS, default 10000)
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { startCluster } from '../support/cluster.js';
import { Controller } from '../../src/runtime/controller.js';
import { Informer } from '../../src/runtime/informer.js';
import { KubeClient } from '../../src/runtime/kube.js';
import { collectionPath } from '../../src/runtime/objects.js';
import { configMaps, createNamespace, pool } from '../integration/fixtures/runtime-support.js';

const N = Number(process.env.RT_BENCH_OBJECTS ?? 10_000);

// Child mode: a fresh process that only syncs a cache, so its RSS is the cache's cost.
if (process.argv[2] === '--sync-child') {
  const [kubeconfig, ns] = process.argv.slice(3) as [string, string];
  const c = await KubeClient.create(kubeconfig);
  (globalThis as { gc?: () => void }).gc?.();
  const before = process.memoryUsage();
  const inf = new Informer(c, configMaps, { namespace: ns });
  const ac = new AbortController();
  const t0 = performance.now();
  const run = inf.start(ac.signal);
  await inf.waitForSync();
  const ms = performance.now() - t0;
  (globalThis as { gc?: () => void }).gc?.();
  const after = process.memoryUsage();
  process.stdout.write(JSON.stringify({ ms, size: inf.store.size, before, after }) + '\n');
  ac.abort();
  await run;
  c.close();
  process.exit(0);
}

const mb = (b: number): string => `${(b / 1048576).toFixed(1)} MB`;
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const waitFor = async (cond: () => boolean, ms: number): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('benchmark condition timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

const cluster = await startCluster({ installCRDs: false });
const client = await KubeClient.create(cluster.kubeconfig);
const stop = new AbortController();
try {
  const ns = await createNamespace(client, 'rt-bench');
  const coll = collectionPath(configMaps, ns);
  const names = Array.from({ length: N }, (_, i) => `cm-${i}`);
  let t = performance.now();
  // Objects of a realistic size (~1 KB of data each).
  const payload = 'x'.repeat(900);
  await pool(names, 50, (n) => client.create(coll, { metadata: { name: n, labels: { app: 'bench' } }, data: { v: '0', payload } }).then(() => undefined));
  console.log(`setup: created ${N} ConfigMaps in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  const child = await new Promise<string>((resolve, reject) =>
    execFile(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), '--sync-child', cluster.kubeconfig, ns],
      { maxBuffer: 1 << 20 },
      (err, stdout) => (err ? reject(err) : resolve(stdout)),
    ),
  );
  const m = JSON.parse(child) as { ms: number; size: number; before: NodeJS.MemoryUsage; after: NodeJS.MemoryUsage };
  console.log(
    `fresh process: list+sync of ${m.size} objects in ${(m.ms / 1000).toFixed(2)} s; RSS ${mb(m.before.rss)} → ${mb(m.after.rss)} ` +
      `(cache +${mb(m.after.rss - m.before.rss)}; goal ≤ 100 MB); heap ${mb(m.before.heapUsed)} → ${mb(m.after.heapUsed)} ` +
      `= ${((m.after.heapUsed - m.before.heapUsed) / m.size / 1024).toFixed(2)} KB per cached object`,
  );

  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const rss0 = process.memoryUsage().rss;
  const inf = new Informer(client, configMaps, { namespace: ns });
  const lastSeen = new Map<string, string>();
  const startedAt = new Map<string, number>();
  let reconciles = 0;
  const ctl = new Controller({
    name: 'bench',
    informer: inf,
    workers: 2,
    reconcile: async (_ref, ctx) => {
      reconciles++;
      const v = (inf.store.get(ctx.key)?.data as Record<string, string> | undefined)?.v ?? '';
      if (!startedAt.has(`${ctx.key}=${v}`)) startedAt.set(`${ctx.key}=${v}`, performance.now());
      lastSeen.set(ctx.key, v);
    },
  });
  ctl.start();
  t = performance.now();
  const running = inf.start(stop.signal);
  await inf.waitForSync();
  const syncMs = performance.now() - t;
  await waitFor(() => lastSeen.size === N && ctl.inFlight() === 0 && ctl.queue.len() === 0, 120_000);
  const initialMs = performance.now() - t;
  gc();
  const heap1 = process.memoryUsage().heapUsed;
  const rss1 = process.memoryUsage().rss;
  console.log(`initial list+sync of ${N} objects: ${(syncMs / 1000).toFixed(2)} s (goal ≤ 10 s)`);
  console.log(`bench process (after creating the objects): RSS ${mb(rss0)} → ${mb(rss1)}, heap per cached object ${((heap1 - heap0) / N / 1024).toFixed(2)} KB`);
  const drainMs = Math.max(1, initialMs - syncMs);
  console.log(
    `reflector→queue→no-op reconcile (2 workers), the ${N} initial adds: all reconciled ${(initialMs / 1000).toFixed(2)} s after start, ` +
      `queue drained ${(drainMs / 1000).toFixed(2)} s after sync = ${Math.round(N / (drainMs / 1000))} events/s`,
  );

  // Update every object once; throughput is bounded by how fast the apiserver takes writes.
  const r0 = reconciles;
  const ev0 = inf.reflector.stats.events;
  t = performance.now();
  await pool(names, 50, (n) => client.patch(`${coll}/${n}`, { data: { v: '1' } }).then(() => undefined));
  const writesMs = performance.now() - t;
  await waitFor(() => names.every((n) => lastSeen.get(`${ns}/${n}`) === '1'), 120_000);
  const allMs = performance.now() - t;
  const events = inf.reflector.stats.events - ev0;
  console.log(
    `update burst: ${N} PATCHes in ${(writesMs / 1000).toFixed(2)} s (${Math.round(N / (writesMs / 1000))} writes/s); ` +
      `${events} watch events → ${reconciles - r0} reconciles; all reconciled ${Math.round(allMs - writesMs)} ms after the last write ` +
      `(${Math.round(events / (allMs / 1000))} events/s end to end)`,
  );

  // Latency: one spec change at a time, measured from sending the PATCH to reconcile start.
  const lat: number[] = [];
  for (let i = 0; i < 300; i++) {
    const key = `${ns}/${names[(i * 7919) % N]}`;
    const v = `lat-${i}`;
    const sent = performance.now();
    await client.patch(`${coll}/${key.split('/')[1]}`, { data: { v } });
    await waitFor(() => startedAt.has(`${key}=${v}`), 10_000);
    lat.push((startedAt.get(`${key}=${v}`) as number) - sent);
  }
  console.log(`spec change → reconcile start (300 samples, PATCH round trip included): p50 ${pct(lat, 50).toFixed(1)} ms, p99 ${pct(lat, 99).toFixed(1)} ms`);
  await ctl.stop(1000);
  stop.abort();
  await running;
} finally {
  stop.abort();
  client.close();
  await cluster.stop();
}
