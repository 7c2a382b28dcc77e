import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { FakeClock } from './clock.js';
import { queueMetrics, runtimeMetrics } from './metrics.js';
import { WorkQueue } from './workqueue.js';

test('metrics use the controller-runtime / client-go names on the given registry', async () => {
  const registry = new Registry();
  const m = runtimeMetrics(registry);
  assert.equal(runtimeMetrics(registry), m, 'idempotent per registry');
  m.reconcileTotal.inc({ controller: 'pool', result: 'success' });
  m.reconcileErrors.inc({ controller: 'pool' });
  m.reconcileTime.observe({ controller: 'pool' }, 0.01);
  m.leaderStatus.set({ name: 'lbop' }, 1);
  const q = new WorkQueue({ clock: new FakeClock(), metrics: queueMetrics(m, 'pool') });
  q.add('a');
  q.addRateLimited('b');
  const text = await registry.metrics();
  for (const line of [
    'controller_runtime_reconcile_total{controller="pool",result="success"} 1',
    'controller_runtime_reconcile_errors_total{controller="pool"} 1',
    'controller_runtime_reconcile_time_seconds_count{controller="pool"} 1',
    'workqueue_adds_total{name="pool"} 1',
    'workqueue_depth{name="pool"} 1',
    'workqueue_retries_total{name="pool"} 1',
    'leader_election_master_status{name="lbop"} 1',
  ]) {
    assert.ok(text.includes(line), `missing ${line}`);
  }
  assert.ok(text.includes('# TYPE workqueue_queue_duration_seconds histogram'));
  assert.ok(text.includes('# TYPE workqueue_work_duration_seconds histogram'));
  assert.equal(runtimeMetrics(new Registry()) === m, false, 'separate registries get separate metrics');
});

test('default process/Node series and lbop_build_info are on every runtime registry', async () => {
  const registry = new Registry();
  runtimeMetrics(registry);
  runtimeMetrics(registry); // idempotent: prom-client would throw on a second registration
  const text = await registry.metrics();
  for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_open_fds', 'nodejs_eventloop_lag_seconds', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_heap_size_used_bytes', 'nodejs_gc_duration_seconds']) {
    assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
  }
  assert.match(text, new RegExp(`^lbop_build_info\\{version="[^"]+",node="${process.versions.node.replaceAll('.', '\\.')}",commit="(?:[0-9a-f]+|unknown)"\\} 1$`, 'm'));
});

test('active workers, terminal errors and in-progress work are reported per controller', async () => {
  const registry = new Registry();
  const m = runtimeMetrics(registry);
  const clock = new FakeClock();
  const q = new WorkQueue({ clock, metrics: queueMetrics(m, 'vs') });
  m.probeQueue('vs', { processingSince: () => q.processingSince(), now: () => clock.now() });
  q.add('a');
  q.add('b');
  await q.get();
  clock.advance(3000);
  await q.get();
  clock.advance(1000);
  let text = await registry.metrics();
  assert.match(text, /workqueue_unfinished_work_seconds\{name="vs"\} 5$/m, '4 s + 1 s in progress');
  assert.match(text, /workqueue_longest_running_processor_seconds\{name="vs"\} 4$/m);
  q.done('a');
  q.done('b');
  text = await registry.metrics();
  assert.match(text, /workqueue_unfinished_work_seconds\{name="vs"\} 0$/m);
  assert.match(text, /workqueue_longest_running_processor_seconds\{name="vs"\} 0$/m);
  m.activeWorkers.inc({ controller: 'vs' });
  m.terminalErrors.inc({ controller: 'vs' });
  text = await registry.metrics();
  assert.match(text, /controller_runtime_active_workers\{controller="vs"\} 1$/m);
  assert.match(text, /controller_runtime_terminal_reconcile_errors_total\{controller="vs"\} 1$/m);
});

test('docs/metrics.md lists every series the code registers', async () => {
  const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
  const doc = readFileSync(join(root, 'docs/metrics.md'), 'utf8');
  // The names the code declares, in metric constructors (`name: '…'`) or handed to a helper that
  // makes one (`perSE('lbop_se_cpu_percent', …)`), in every file that uses prom-client; and
  // prom-client's defaults. Every one has the project's prefix or a controller-runtime /
  // client-go name: one `lbop_` prefix for our own series, never a second one.
  const declared = new Set<string>();
  const offPrefix: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) {
        const text = readFileSync(p, 'utf8');
        if (!text.includes("from 'prom-client'")) continue;
        for (const x of text.matchAll(/(?:name: |\()'([a-z][a-z0-9]*(?:_[a-z0-9]+){2,})'/g)) {
          const name = x[1] as string;
          if (/^(lbop|controller_runtime|workqueue|rest_client|leader_election|reflector)_/.test(name)) declared.add(name);
          else offPrefix.push(`${p.slice(root.length + 1)}: ${name}`);
        }
      }
    }
  };
  walk(join(root, 'src'));
  assert.ok(declared.size >= 40, `found only ${declared.size} series in src/`);
  assert.ok(declared.has('lbop_se_cpu_percent') && declared.has('lbop_vs_requests_total'), 'series registered through helpers are found');
  assert.deepEqual(offPrefix, [], 'a series outside lbop_ and the controller-runtime / client-go names');
  const registry = new Registry();
  runtimeMetrics(registry);
  for (const x of await registry.getMetricsAsJSON()) declared.add(x.name);
  const missing = [...declared].filter((n) => !doc.includes(`\`${n}\``));
  assert.deepEqual(missing, []);
});
