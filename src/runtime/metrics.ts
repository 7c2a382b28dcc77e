// Prometheus metrics with the names controller-runtime and client-go use, so existing
// dashboards work. Registered once per Registry; the caller passes the Registry in.
import { Counter, Gauge, Histogram, register as globalRegistry, type Registry } from 'prom-client';
import type { QueueMetrics } from './workqueue.js';

export interface RuntimeMetrics {
  registry: Registry;
  reconcileTotal: Counter<'controller' | 'result'>;
  reconcileErrors: Counter<'controller'>;
  reconcileTime: Histogram<'controller'>;
  queueDepth: Gauge<'name'>;
  queueAdds: Counter<'name'>;
  queueLatency: Histogram<'name'>;
  workDuration: Histogram<'name'>;
  queueRetries: Counter<'name'>;
  leaderStatus: Gauge<'name'>;
}

const created = new WeakMap<Registry, RuntimeMetrics>();

const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** The runtime's metrics on a registry (idempotent per registry). */
export function runtimeMetrics(registry: Registry = globalRegistry): RuntimeMetrics {
  const existing = created.get(registry);
  if (existing) return existing;
  const registers = [registry];
  const m: RuntimeMetrics = {
    registry,
    reconcileTotal: new Counter({
      name: 'controller_runtime_reconcile_total',
      help: 'Total number of reconciliations per controller',
      labelNames: ['controller', 'result'],
      registers,
    }),
    reconcileErrors: new Counter({
      name: 'controller_runtime_reconcile_errors_total',
      help: 'Total number of reconciliation errors per controller',
      labelNames: ['controller'],
      registers,
    }),
    reconcileTime: new Histogram({
      name: 'controller_runtime_reconcile_time_seconds',
      help: 'Length of time per reconciliation per controller',
      labelNames: ['controller'],
      buckets: SECONDS_BUCKETS,
      registers,
    }),
    queueDepth: new Gauge({ name: 'workqueue_depth', help: 'Current depth of workqueue', labelNames: ['name'], registers }),
    queueAdds: new Counter({
      name: 'workqueue_adds_total',
      help: 'Total number of adds handled by workqueue',
      labelNames: ['name'],
      registers,
    }),
    queueLatency: new Histogram({
      name: 'workqueue_queue_duration_seconds',
      help: 'How long in seconds an item stays in workqueue before being requested',
      labelNames: ['name'],
      buckets: SECONDS_BUCKETS,
      registers,
    }),
    workDuration: new Histogram({
      name: 'workqueue_work_duration_seconds',
      help: 'How long in seconds processing an item from workqueue takes',
      labelNames: ['name'],
      buckets: SECONDS_BUCKETS,
      registers,
    }),
    queueRetries: new Counter({
      name: 'workqueue_retries_total',
      help: 'Total number of retries handled by workqueue',
      labelNames: ['name'],
      registers,
    }),
    leaderStatus: new Gauge({
      name: 'leader_election_master_status',
      help: 'Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master',
      labelNames: ['name'],
      registers,
    }),
  };
  created.set(registry, m);
  return m;
}

/** Work-queue hooks that feed the workqueue_* metrics for the queue called name. */
export function queueMetrics(m: RuntimeMetrics, name: string): QueueMetrics {
  return {
    add: () => m.queueAdds.inc({ name }),
    depth: (n) => m.queueDepth.set({ name }, n),
    queueLatency: (s) => m.queueLatency.observe({ name }, s),
    workDuration: (s) => m.workDuration.observe({ name }, s),
    retry: () => m.queueRetries.inc({ name }),
  };
}
