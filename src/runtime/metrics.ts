// Prometheus metrics with the names controller-runtime and client-go use, so existing
// dashboards work, plus prom-client's default process_* / nodejs_* series (event-loop lag is the
// one that matters most for a Node operator) and lbop_build_info. Registered once per Registry;
// the caller passes the Registry in. docs/metrics.md lists every series.
import { collectDefaultMetrics, Counter, Gauge, Histogram, register as globalRegistry, type Registry } from 'prom-client';
import { buildInfo } from '../buildinfo.js';
import type { QueueMetrics } from './workqueue.js';

const withProcess = new WeakSet<Registry>();

/** process_*, nodejs_* (event-loop lag, GC, heap) and lbop_build_info on a registry (idempotent). */
export function processMetrics(registry: Registry): void {
  if (withProcess.has(registry)) return;
  withProcess.add(registry);
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
  const b = buildInfo();
  new Gauge({
    name: 'lbop_build_info',
    help: 'Always 1; the labels say which build of the operator this is',
    labelNames: ['version', 'node', 'commit'],
    registers: [registry],
  }).set({ version: b.version, node: b.node, commit: b.commit }, 1);
}

/** What a queue reports at scrape time: when each key being processed was taken (ms, its clock). */
export interface QueueProbe {
  processingSince(): Iterable<number>;
  now(): number;
}

export interface RuntimeMetrics {
  registry: Registry;
  reconcileTotal: Counter<'controller' | 'result'>;
  reconcileErrors: Counter<'controller'>;
  /** reconciles that found their object converged: the reconciler said so and sent no write (writetally.ts) */
  reconcileConverged: Counter<'controller'>;
  terminalErrors: Counter<'controller'>;
  activeWorkers: Gauge<'controller'>;
  maxConcurrent: Gauge<'controller'>;
  /** Registers a queue for workqueue_unfinished_work_seconds / _longest_running_processor_seconds. */
  probeQueue(name: string, probe: QueueProbe): void;
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
  processMetrics(registry);
  const probes = new Map<string, QueueProbe>();
  const inProgress = (p: QueueProbe): number[] => {
    const now = p.now();
    return [...p.processingSince()].map((t) => Math.max(0, now - t) / 1000);
  };
  new Gauge({
    name: 'workqueue_unfinished_work_seconds',
    help: 'How many seconds of work has been done that is in progress and hasn\'t been observed by work_duration. Large values indicate stuck threads.',
    labelNames: ['name'],
    registers,
    collect() {
      for (const [name, p] of probes) this.set({ name }, inProgress(p).reduce((a, b) => a + b, 0));
    },
  });
  new Gauge({
    name: 'workqueue_longest_running_processor_seconds',
    help: 'How many seconds has the longest running processor for workqueue been running.',
    labelNames: ['name'],
    registers,
    collect() {
      for (const [name, p] of probes) this.set({ name }, Math.max(0, ...inProgress(p)));
    },
  });
  const m: RuntimeMetrics = {
    probeQueue: (name, probe) => {
      probes.set(name, probe);
    },
    terminalErrors: new Counter({
      name: 'controller_runtime_terminal_reconcile_errors_total',
      help: 'Total number of terminal reconciliation errors per controller',
      labelNames: ['controller'],
      registers,
    }),
    activeWorkers: new Gauge({
      name: 'controller_runtime_active_workers',
      help: 'Number of currently used workers per controller',
      labelNames: ['controller'],
      registers,
    }),
    maxConcurrent: new Gauge({
      name: 'controller_runtime_max_concurrent_reconciles',
      help: 'Maximum number of concurrent reconciles per controller',
      labelNames: ['controller'],
      registers,
    }),
    registry,
    reconcileTotal: new Counter({
      name: 'controller_runtime_reconcile_total',
      help: 'Total number of reconciliations per controller',
      labelNames: ['controller', 'result'],
      registers,
    }),
    reconcileConverged: new Counter({
      name: 'lbop_reconcile_converged_total',
      help: 'Reconciles that found their object converged: nothing to do, no apiserver write (Events aside) and no cloud write',
      labelNames: ['controller'],
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
