// One autoscale sample per SE the virtual service is up on, from the agents' last heartbeats
// (src/seapi/agents.ts): the VS's open connections on the SE (summed over its VIPs), its requests
// per second there, or the SE's CPU. Requests/s is the increase of HAProxy's request counter
// between two heartbeats the controller saw, over the agent's own clock (`sentAt`, stamped right
// after it read the counters: the operator's receive times carry the network's and a busy
// agent's delays, which made a 1,700 requests/s load read as 4,100 in one sample), so it needs
// memory: RateMemory, one per controller, keyed by SE and VS, reset when the agent restarts (a
// new boot id: its counters and clock start again).
import type { AutoscaleMetric, SESample } from '../../autoscale/plan.js';
import type { AgentRecord } from '../../seapi/index.js';

interface CounterReading { bootID: string; sequence: number; requests: number; at: number; rate?: number }

export class RateMemory {
  private readonly readings = new Map<string, CounterReading>();

  /** Requests/s between the previous heartbeat seen for this key and this one (undefined: first). */
  rate(key: string, rec: AgentRecord, requests: number): number | undefined {
    const prev = this.readings.get(key);
    if (prev !== undefined && prev.bootID === rec.bootID && prev.sequence === rec.sequence) return prev.rate;
    const sent = Date.parse(rec.last.sentAt);
    const at = Number.isFinite(sent) ? sent : rec.lastHeartbeatAt;
    const next: CounterReading = { bootID: rec.bootID, sequence: rec.sequence, requests, at };
    if (prev !== undefined && prev.bootID === rec.bootID && at > prev.at && requests >= prev.requests) {
      next.rate = (requests - prev.requests) / ((at - prev.at) / 1000);
    }
    this.readings.set(key, next);
    return next.rate;
  }

  /** Drops what is not in `keep` (SEs the VS left, VSs gone). */
  retain(keep: (key: string) => boolean): void {
    for (const k of this.readings.keys()) if (!keep(k)) this.readings.delete(k);
  }
}

export interface SampleInput {
  metric: AutoscaleMetric;
  namespace: string;
  virtualService: string;
  /** SE names the VS is up on (status: connected, refs in place) */
  ses: readonly string[];
  agent: (seKey: string) => AgentRecord | undefined;
  rates: RateMemory;
}

export const rateKey = (seKey: string, vs: string): string => `${seKey}|${vs}`;

export function collectSamples(i: SampleInput): SESample[] {
  const prefix = `${i.namespace}/${i.virtualService}/`;
  return i.ses.map((se) => {
    const seKey = `${i.namespace}/${se}`;
    const rec = i.agent(seKey);
    if (rec === undefined) return { se };
    const vips = rec.last.vips.filter((v) => v.id.startsWith(prefix));
    const at = new Date(rec.lastHeartbeatAt);
    switch (i.metric) {
      case 'CPUPercent':
        return { se, value: rec.last.se.cpuPercent, at };
      case 'ConnectionsPerSE':
        return vips.length === 0 ? { se } : { se, value: vips.reduce((n, v) => n + v.currentConnections, 0), at };
      case 'RequestsPerSecondPerSE': {
        if (vips.length === 0) return { se };
        const rate = i.rates.rate(rateKey(seKey, i.virtualService), rec, vips.reduce((n, v) => n + v.requests, 0));
        return rate === undefined ? { se } : { se, value: rate, at };
      }
    }
  });
}
