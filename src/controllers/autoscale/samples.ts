// One autoscale sample per SE the virtual service is up on, from the agents' last heartbeats
// (src/seapi/agents.ts): the VS's open connections on the SE (summed over its VIPs), its requests
// per second there, or the SE's CPU. Requests/s is a rate over a sliding window of the heartbeats
// the controller read (RATE_WINDOW_SECONDS, as the HPA reads a rate over its metrics pipeline's
// window rather than the last two scrapes): the increase of HAProxy's request counter from the
// oldest reading in the window to the newest, over the agent's own clock (`sentAt`, stamped right
// after it read the counters: the operator's receive times carry the network's and a busy agent's
// delays, which made a 1,700 requests/s load read as 4,100 in one sample). So it needs memory:
// RateMemory, one per controller, keyed by SE and VS, started again when the agent restarts (a new
// boot id: its counters and clock start again) or its counter goes back (HAProxy restarted).
// Measured under wrk on the netns ground (docs/autoscale.md, "How steady the requests/s reading
// is"): the reading between two consecutive observations follows the load faithfully — the SEs
// agreed within ~10 % in every observation, heartbeats were read 3.7–7.6 s apart, received
// ≤ 0.4 s after sentAt — so its swings were the load's own; the window averages them out.
import type { AutoscaleMetric, SESample } from '../../autoscale/plan.js';
import type { AgentRecord } from '../../seapi/index.js';

/** The requests/s window: readings are every observation period (5 s), so a rate over ~6 of them. */
export const RATE_WINDOW_SECONDS = 30;

interface CounterReading { sequence: number; requests: number; at: number }
interface CounterSeries { bootID: string; readings: CounterReading[]; rate?: number; instant?: number }

/** What the last reading of a key gave: the windowed rate, the two-reading one, and the span. */
export interface RateReading { rate?: number; instant?: number; spanSeconds?: number }

export class RateMemory {
  private readonly series = new Map<string, CounterSeries>();
  private readonly windowMs: number;

  constructor(windowSeconds = RATE_WINDOW_SECONDS) {
    this.windowMs = windowSeconds * 1000;
  }

  /**
   * Requests/s over the window ending at this heartbeat (undefined: the first reading of this
   * boot). Until a window's worth of readings exists, the rate is over what there is (≥ 2 readings),
   * so a scale-up does not wait a whole window for its first figure.
   */
  rate(key: string, rec: AgentRecord, requests: number): number | undefined {
    const s = this.series.get(key);
    const newest = s?.readings[s.readings.length - 1];
    if (s !== undefined && newest !== undefined && s.bootID === rec.bootID && newest.sequence === rec.sequence) return s.rate;
    const sent = Date.parse(rec.last.sentAt);
    const at = Number.isFinite(sent) ? sent : rec.lastHeartbeatAt;
    const reading: CounterReading = { sequence: rec.sequence, requests, at };
    // A new boot, a counter that went back (HAProxy restarted) or a clock that did: start again.
    if (s === undefined || newest === undefined || s.bootID !== rec.bootID || requests < newest.requests || at <= newest.at) {
      this.series.set(key, { bootID: rec.bootID, readings: [reading] });
      return undefined;
    }
    const rs = s.readings;
    rs.push(reading);
    // Keep one reading at or before the window's start (the span is then ≥ the window), but none
    // from before two windows: after a long silence the rate starts again rather than average it.
    while (rs.length > 2 && rs[1]!.at <= at - this.windowMs) rs.shift();
    while (this.windowMs > 0 && rs.length > 1 && rs[0]!.at < at - 2 * this.windowMs) rs.shift();
    const oldest = rs[0]!;
    const prev = rs[rs.length - 2];
    s.rate = rs.length < 2 ? undefined : (requests - oldest.requests) / ((at - oldest.at) / 1000);
    s.instant = prev === undefined ? undefined : (requests - prev.requests) / ((at - prev.at) / 1000);
    return s.rate;
  }

  /** The last reading of a key, for the controller's debug line. */
  reading(key: string): RateReading {
    const s = this.series.get(key);
    if (s === undefined) return {};
    const rs = s.readings;
    return {
      ...(s.rate !== undefined ? { rate: s.rate } : {}),
      ...(s.instant !== undefined ? { instant: s.instant } : {}),
      spanSeconds: (rs[rs.length - 1]!.at - rs[0]!.at) / 1000,
    };
  }

  /** Drops what is not in `keep` (SEs the VS left, VSs gone). */
  retain(keep: (key: string) => boolean): void {
    for (const k of this.series.keys()) if (!keep(k)) this.series.delete(k);
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
