// The analytics series beyond per-VS traffic (docs/metrics.md): pool member health and
// connections and each SE's CPU, memory and last heartbeat, from the agents' last heartbeats;
// the SEs a VS asks for and what the autoscaler sees, from the VirtualService objects. Read at
// scrape time, exported by the leader only (like lbop_vs_*), so a sum over replicas counts once
// and a series goes with its object. Cardinality: member series are members × SEs per VS
// (≤ 1000 × maxScaleoutPerVS), and `--metrics-se-labels=false` drops `se` from them (a member is
// up when it is up on every SE; connections are summed); SE series are one per SE.
import { Gauge, type Registry } from 'prom-client';
import type { AgentRegistry, ConfigSource, SEConfig } from '../seapi/index.js';
import { requestedSEsOf, vsSpec, type Informers, type VSObj } from './model/index.js';

export interface AnalyticsSources {
  agents: AgentRegistry;
  /** The SE's current desired config (which pool each VIP uses). */
  configOf: (seKey: string) => SEConfig | undefined;
  virtualServices: () => readonly VSObj[];
  /** SEs the VS asks for now (model/requested.ts), undefined when its group is missing. */
  requested: (vs: VSObj) => number | undefined;
  exporting: () => boolean;
  seLabels?: boolean;
}

interface MemberSample { labels: Record<string, string>; up: number; connections: number }

/** Every pool member on every SE's VIPs, labelled; DISABLED members are not exported. */
function memberSamples(s: AnalyticsSources): MemberSample[] {
  const out: MemberSample[] = [];
  for (const seKey of s.agents.keys()) {
    const rec = s.agents.get(seKey);
    if (rec === undefined) continue;
    const [namespace = '', se = ''] = seKey.split('/');
    const pools = new Map((s.configOf(seKey)?.vips ?? []).map((v) => [v.id, v.pool.name.slice(v.pool.name.indexOf('/') + 1)]));
    for (const v of rec.last.vips) {
      const virtualservice = v.id.split('/')[1];
      const pool = pools.get(v.id);
      if (virtualservice === undefined || pool === undefined) continue;
      for (const m of v.members) {
        if (m.status === 'DISABLED') continue;
        const labels: Record<string, string> = { namespace, virtualservice, pool, server: m.id };
        if (s.seLabels !== false) labels['se'] = se;
        out.push({ labels, up: m.status === 'DOWN' ? 0 : 1, connections: m.currentConnections });
      }
    }
  }
  return out;
}

export function registerAnalytics(registry: Registry, s: AnalyticsSources): void {
  const memberLabels = ['namespace', 'virtualservice', 'pool', 'server', ...(s.seLabels !== false ? ['se'] : [])];
  new Gauge({
    name: 'lbop_pool_member_up', help: 'Whether the pool member passes the SE\'s health check (NO_MONITOR counts as up); without se labels, up on every SE.',
    labelNames: memberLabels, registers: [registry],
    collect() {
      this.reset();
      if (!s.exporting()) return;
      const byKey = new Map<string, MemberSample>();
      for (const m of memberSamples(s)) {
        const k = JSON.stringify(m.labels);
        const seen = byKey.get(k);
        byKey.set(k, seen === undefined ? m : { ...seen, up: Math.min(seen.up, m.up) });
      }
      for (const m of byKey.values()) this.set(m.labels, m.up);
    },
  });
  new Gauge({
    name: 'lbop_pool_member_connections_current', help: 'Open connections from the SE to the pool member (summed over SEs without se labels).',
    labelNames: memberLabels, registers: [registry],
    collect() {
      this.reset();
      if (!s.exporting()) return;
      for (const m of memberSamples(s)) this.inc(m.labels, m.connections);
    },
  });
  const perSE = (name: string, help: string, value: (rec: NonNullable<ReturnType<AgentRegistry['get']>>) => number): void => {
    new Gauge({
      name, help, labelNames: ['namespace', 'se'], registers: [registry],
      collect() {
        this.reset();
        if (!s.exporting()) return;
        for (const seKey of s.agents.keys()) {
          const rec = s.agents.get(seKey);
          const [namespace = '', se = ''] = seKey.split('/');
          if (rec !== undefined) this.set({ namespace, se }, value(rec));
        }
      },
    });
  };
  perSE('lbop_se_cpu_percent', 'The SE\'s CPU utilization, 0-100, from its last heartbeat.', (r) => r.last.se.cpuPercent);
  perSE('lbop_se_memory_bytes', 'The SE\'s resident memory, from its last heartbeat.', (r) => r.last.se.memoryBytes);
  perSE('lbop_se_last_heartbeat_timestamp_seconds', 'Unix time the operator accepted the SE\'s last heartbeat.', (r) => r.lastHeartbeatAt / 1000);

  const perVS = (name: string, help: string, labelNames: string[], each: (vs: VSObj, set: (labels: Record<string, string>, v: number) => void) => void): void => {
    new Gauge({
      name, help, labelNames, registers: [registry],
      collect() {
        this.reset();
        if (!s.exporting()) return;
        for (const vs of s.virtualServices()) each(vs, (labels, v) => this.set({ namespace: vs.metadata.namespace ?? '', virtualservice: vs.metadata.name, ...labels }, v));
      },
    });
  };
  // The VS's own state, from its status (docs/metrics-analytics.md): what the dashboard's oper-state
  // table, SEs-up graph and VIP table read.
  const OPER_STATES = ['OPER_UP', 'OPER_DOWN', 'OPER_INITIALIZING', 'OPER_RESOURCES', 'OPER_DISABLED', 'OPER_UNKNOWN'] as const;
  perVS('lbop_vs_oper_state', 'The VS\'s operStatus.state: 1 for the current one, 0 for the other five.', ['namespace', 'virtualservice', 'state'], (vs, set) => {
    const now = vs.status?.operStatus?.state ?? 'OPER_UNKNOWN';
    for (const st of OPER_STATES) set({ state: st }, st === now ? 1 : 0);
  });
  perVS('lbop_vs_ses_up', 'SEs the VS is programmed on (status.numSEsUp).', ['namespace', 'virtualservice'], (vs, set) => set({}, vs.status?.numSEsUp ?? 0));
  perVS('lbop_vs_vip_info', 'The VS\'s VIP addresses (1), for joins and tables: vip is the vipID, floating_ip empty without one.', ['namespace', 'virtualservice', 'vip', 'address', 'floating_ip'], (vs, set) => {
    for (const v of vs.status?.vip ?? []) {
      if (v.ipAddress !== undefined) set({ vip: v.vipID ?? '', address: v.ipAddress, floating_ip: v.floatingIP ?? '' }, 1);
    }
  });
  perVS('lbop_vs_ses_requested', 'SEs the VS asks for: the autoscaler\'s desiredSEs (minSEs its floor), else minSEs, clamped to the group.', ['namespace', 'virtualservice'], (vs, set) => {
    const n = s.requested(vs);
    if (n !== undefined) set({}, n);
  });
  perVS('lbop_vs_autoscale_metric', 'The per-SE average of the autoscale metric the autoscaler last observed (status.autoscale.currentMetric).', ['namespace', 'virtualservice', 'metric'], (vs, set) => {
    const a = vs.spec.scaleout?.autoscale;
    const m = vs.status?.autoscale?.currentMetric;
    if (a !== undefined && m !== undefined) set({ metric: a.metric }, m);
  });
  perVS('lbop_vs_autoscale_target', 'spec.scaleout.autoscale.target, per SE.', ['namespace', 'virtualservice', 'metric'], (vs, set) => {
    const a = vs.spec.scaleout?.autoscale;
    if (a !== undefined) set({ metric: a.metric }, a.target);
  });
}

/** The sources from the operator's informers and SE API state. */
export function analyticsSources(inf: Informers, agents: AgentRegistry, configs: ConfigSource, exporting: () => boolean, seLabels: boolean): AnalyticsSources {
  return {
    agents, exporting, seLabels,
    configOf: (k) => configs.get(k),
    virtualServices: () => inf.virtualServices.store.list(),
    requested: (vs) => {
      const g = inf.groups.store.get(`${vs.metadata.namespace ?? ''}/${vsSpec(vs).seGroupRef}`);
      return g === undefined ? undefined : requestedSEsOf(vs, g);
    },
  };
}
