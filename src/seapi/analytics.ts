// Per-VS traffic analytics from the agents' heartbeats (docs/metrics-analytics.md, "Per-VS
// analytics"): the lbop_vs_* traffic series, one per (namespace, virtualservice, vip, se), read at
// scrape time from the last accepted heartbeat of every agent. Counters are HAProxy's own
// cumulative counts (an agent restart resets them, which rate() treats as a counter reset). Only
// the leader exports them (it is the replica heartbeats reach), so a sum over replicas counts once.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { AgentRegistry } from './agents.js';
import type { VipReport } from './protocol.js';

type Labels = 'namespace' | 'virtualservice' | 'vip' | 'se';
const LABELS: Labels[] = ['namespace', 'virtualservice', 'vip', 'se'];

export interface VipSample { labels: Record<Labels, string>; report: VipReport }

/** Every VIP report of every known agent, labelled. Pure over the registry's records. */
export function vipSamples(agents: AgentRegistry): VipSample[] {
  const out: VipSample[] = [];
  for (const seKey of agents.keys()) {
    const rec = agents.get(seKey);
    if (rec === undefined) continue;
    const se = seKey.slice(seKey.indexOf('/') + 1);
    for (const v of rec.last.vips) {
      // VipIntent ids are "<namespace>/<virtualservice>/<vipID>" (desired.ts).
      const [namespace, virtualservice, vip] = v.id.split('/');
      if (namespace === undefined || virtualservice === undefined || vip === undefined) continue;
      out.push({ labels: { namespace, virtualservice, vip, se }, report: v });
    }
  }
  return out;
}

export interface AnalyticsOptions {
  /** false: no `se` label, each series summed over the SEs (--metrics-se-labels=false) */
  seLabels?: boolean;
}

export function registerVSAnalytics(registry: Registry, agents: AgentRegistry, exporting: () => boolean = () => true, o: AnalyticsOptions = {}): void {
  const perSE = o.seLabels !== false;
  const labelNames: Labels[] = perSE ? LABELS : LABELS.filter((l) => l !== 'se');
  const labelsOf = (s: VipSample): Partial<Record<Labels, string>> => {
    if (perSE) return s.labels;
    const { se: _se, ...rest } = s.labels;
    return rest;
  };
  const samples = (): VipSample[] => (exporting() ? vipSamples(agents) : []);
  const counter = (name: string, help: string, value: (r: VipReport) => number): void => {
    new Counter<Labels>({
      name, help, labelNames, registers: [registry],
      collect() {
        this.reset();
        for (const s of samples()) this.inc(labelsOf(s), Math.max(0, value(s.report)));
      },
    });
  };
  // Without the se label a gauge is the sum over SEs (inc after reset), or their max for an average.
  const gauge = (name: string, help: string, value: (r: VipReport) => number, over: 'sum' | 'max' = 'sum'): void => {
    new Gauge<Labels>({
      name, help, labelNames, registers: [registry],
      collect() {
        this.reset();
        const max = new Map<string, { labels: Partial<Record<Labels, string>>; v: number }>();
        for (const s of samples()) {
          const labels = labelsOf(s);
          if (perSE) this.set(labels, value(s.report));
          else if (over === 'sum') this.inc(labels, value(s.report));
          else {
            const k = JSON.stringify(labels);
            max.set(k, { labels, v: Math.max(max.get(k)?.v ?? -Infinity, value(s.report)) });
          }
        }
        for (const m of max.values()) this.set(m.labels, m.v);
      },
    });
  };
  counter('lbop_vs_requests_total', 'Requests (HTTP) or sessions (TCP) served, per VIP and SE (HAProxy\'s count from the heartbeat).', (r) => r.requests);
  gauge('lbop_vs_connections_current', 'Open client connections per VIP and SE.', (r) => r.currentConnections);
  counter('lbop_vs_connections_total', 'Client connections accepted per VIP and SE.', (r) => r.totalConnections);
  counter('lbop_vs_bytes_in_total', 'Bytes from clients per VIP and SE.', (r) => r.bytesIn);
  counter('lbop_vs_bytes_out_total', 'Bytes to clients per VIP and SE.', (r) => r.bytesOut);
  gauge('lbop_vs_response_time_seconds', 'HAProxy\'s average response time over its last 1024 requests, per VIP and SE.', (r) => r.responseTimeMs / 1000, 'max');
  // Heartbeats by verdict, per SE (always with the se label: one SE, two series). `rejected`
  // (malformed, or no valid identity) is refused before an SE is known: lbop_se_api_requests_total.
  new Counter<'namespace' | 'se' | 'result'>({
    name: 'lbop_se_heartbeats_total', help: 'Heartbeats per SE: accepted, or replayed (a sequence or boot not after the last one).', labelNames: ['namespace', 'se', 'result'], registers: [registry],
    collect() {
      this.reset();
      if (!exporting()) return;
      for (const [seKey, n] of agents.heartbeatCounts()) {
        const namespace = seKey.slice(0, seKey.indexOf('/'));
        const se = seKey.slice(seKey.indexOf('/') + 1);
        this.inc({ namespace, se, result: 'accepted' }, n.accepted);
        this.inc({ namespace, se, result: 'replayed' }, n.replayed);
      }
    },
  });
  new Counter<Labels | 'class'>({
    name: 'lbop_vs_errors_total', help: 'HTTP 4xx and 5xx responses and connection errors per VIP and SE.', labelNames: [...labelNames, 'class'], registers: [registry],
    collect() {
      this.reset();
      for (const s of samples()) {
        for (const [cls, n] of Object.entries(s.report.errors)) this.inc({ ...labelsOf(s), class: cls }, Math.max(0, n));
      }
    },
  });
}
