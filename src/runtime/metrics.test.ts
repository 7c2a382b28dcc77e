import { test } from 'node:test';
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
