// The demo's traffic (issue 14): bursts of real HTTP requests from the client namespace to the VIP
// (wrk, src/sim/dataplane/loadgen.ts; every request a new connection, so a new ECMP hash), and
// which SE carried them, read from each SE's own HAProxy (`show stat` on the agent's stats socket,
// parsed by the agent's own parser). The figures are what a load-balancer user counts: requests
// answered, failed, and the split over the Service Engines.
import { join } from 'node:path';
import { showStat } from '../agent/haproxy/socket.js';
import { vipFrontendTotals } from '../agent/haproxy/stats.js';
import { runLoad, type LoadResult } from '../sim/dataplane/loadgen.js';

/** A Service Engine as the demo names it: its ServiceEngine object and its Nova server. */
export interface DemoSE { name: string; serverUUID: string }

/** Sessions one SE took during a burst; undefined when its HAProxy could not be asked. */
export interface SEShare { se: string; sessions: number | undefined }

export interface Burst { load: LoadResult; split: SEShare[] }

/** Load accumulated over several bursts (the failover step); REFUSED: bursts wrk could not start at all (its first connect refused). */
export interface Sustained {
  bursts: number; requests: number; failures: number; refused: number; ms: number;
  /** Failures by wrk's kind (connect, read, write, status, timeout). */
  errors: Record<string, number>;
  /** When the last burst with a failure (or refused) ended, ms after the start; undefined: none failed. */
  lastFailureMs: number | undefined;
}

export class DemoTraffic {
  /** CLIENT: the client namespace; SE_STATE: the directory holding each agent's --state-dir by server id. */
  constructor(private readonly client: string, private readonly vip: string, private readonly seState: string) {}

  private async sessions(se: DemoSE): Promise<number | undefined> {
    try {
      return vipFrontendTotals(await showStat(join(this.seState, se.serverUUID, 'stats.sock'))).sessions;
    } catch {
      return undefined; // the SE is gone (deleted) or its HAProxy is restarting
    }
  }

  /** REQUESTS new connections (4 at a time, at most SECONDS), and each SE's share of them. */
  async burst(ses: DemoSE[], requests: number, seconds = 10): Promise<Burst> {
    const before = await Promise.all(ses.map((s) => this.sessions(s)));
    const load = await runLoad(this.client, { url: `http://${this.vip}/`, connections: 4, seconds, maxRequests: requests, newConnections: true, timeoutSeconds: 1 });
    const after = await Promise.all(ses.map((s) => this.sessions(s)));
    const split = ses.map((s, i) => {
      const a = after[i];
      const b = before[i];
      return { se: s.name, sessions: a === undefined ? undefined : a - (b ?? 0) };
    });
    return { load, split };
  }

  /**
   * Bursts of REQUESTS until DONE says so (asked after each burst) or MAX_MS pass: traffic that
   * keeps flowing while something changes underneath. Bounded in count and time.
   */
  async sustain(requests: number, maxMs: number, done: (last: LoadResult) => Promise<boolean>): Promise<Sustained & { finished: boolean }> {
    const t0 = Date.now();
    const total: Sustained = { bursts: 0, requests: 0, failures: 0, refused: 0, ms: 0, errors: {}, lastFailureMs: undefined };
    for (let i = 0; i < 1000 && Date.now() - t0 < maxMs; i++) {
      total.bursts++;
      let load: LoadResult;
      try {
        load = await runLoad(this.client, { url: `http://${this.vip}/`, connections: 4, seconds: 5, maxRequests: requests, newConnections: true, timeoutSeconds: 1 });
      } catch (e) {
        // wrk gives up before its first request when the VIP refuses the connection outright.
        if (!/unable to connect/.test((e as Error).message)) throw e;
        total.refused++;
        total.lastFailureMs = Date.now() - t0;
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      total.requests += load.requests;
      total.failures += load.failures;
      for (const [k, n] of Object.entries(load.errors)) if (n > 0) total.errors[k] = (total.errors[k] ?? 0) + n;
      if (load.failures > 0) total.lastFailureMs = Date.now() - t0;
      if (await done(load)) return { ...total, ms: Date.now() - t0, finished: true };
    }
    return { ...total, ms: Date.now() - t0, finished: false };
  }
}

const ms = (us: number): string => `${(us / 1000).toFixed(1)} ms`;

/** A burst in the words of the demo's output: what was answered, by whom, and the split per SE. Pure. */
export function describeBurst(b: Burst): string[] {
  const l = b.load;
  const answeredBy = Object.entries(l.perServer).sort(([x], [y]) => x.localeCompare(y)).map(([s, n]) => `${s}: ${n}`).join(', ');
  const errs = Object.entries(l.errors).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ');
  const lines = [
    `  ${l.requests} requests answered (pool server ${answeredBy === '' ? '-' : answeredBy}), ${l.failures} failed${errs === '' ? '' : ` (${errs})`}`
    + ` — ${Math.round(l.requestsPerSecond)} req/s, latency p50 ${ms(l.latencyUs.p50)} p99 ${ms(l.latencyUs.p99)}`,
    '  split over the Service Engines (connections each SE\'s HAProxy took; the few wrk cut when it stopped included):',
  ];
  const total = b.split.reduce((n, s) => n + (s.sessions ?? 0), 0);
  for (const s of b.split) {
    if (s.sessions === undefined) {
      lines.push(`    ${s.se.padEnd(26)}      -  (its HAProxy did not answer)`);
      continue;
    }
    const pct = total === 0 ? 0 : Math.round((100 * s.sessions) / total);
    lines.push(`    ${s.se.padEnd(26)} ${String(s.sessions).padStart(6)}  ${String(pct).padStart(3)}%  ${'#'.repeat(Math.round(pct / 4))}`);
  }
  return lines;
}

/** SEs that took a share of a burst. */
export const sesServing = (b: Burst): number => b.split.filter((s) => (s.sessions ?? 0) > 0).length;
