// Service Engine metrics: how long boots take and how often they fail, per Cloud (DESIGN.md §2
// rule 7: every failure is visible as a metric too).
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface SEMetrics {
  bootFailures: Counter<'cloud'>;
  bootSeconds: Histogram<'cloud'>;
  /** 1 while the SE is Partitioned (agent silent, data path serving): kept, alerted (LbopSEPartitioned). */
  partitioned: Gauge<'namespace' | 'serviceengine'>;
}

export function seMetrics(registry: Registry): SEMetrics {
  const existing = registry.getSingleMetric('lbop_service_engine_boot_failures_total') as SEMetrics['bootFailures'] | undefined;
  if (existing !== undefined) {
    return {
      bootFailures: existing, bootSeconds: registry.getSingleMetric('lbop_service_engine_boot_seconds') as SEMetrics['bootSeconds'],
      partitioned: registry.getSingleMetric('lbop_service_engine_partitioned') as SEMetrics['partitioned'],
    };
  }
  return {
    bootFailures: new Counter({
      name: 'lbop_service_engine_boot_failures_total', help: 'Service Engine boots that failed (server ERROR or the boot request refused)',
      labelNames: ['cloud'] as const, registers: [registry],
    }),
    bootSeconds: new Histogram({
      name: 'lbop_service_engine_boot_seconds', help: 'Time from the boot request to the server observed ACTIVE',
      labelNames: ['cloud'] as const, buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300, 600], registers: [registry],
    }),
    partitioned: new Gauge({
      name: 'lbop_service_engine_partitioned', help: 'Service Engines whose agent is silent while their data path serves (1 = Partitioned: kept, not replaced)',
      labelNames: ['namespace', 'serviceengine'] as const, registers: [registry],
    }),
  };
}
