// The heartbeat body: applied config (or the rejection), per-VIP stats from `show stat`, SE CPU
// and memory. (bootID, sequence) let the operator drop replays and reorders.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Heartbeat, MemberOperStatus, ProbeReport, VipReport } from '../seapi/protocol.js';
import type { Applier } from './applier.js';
import { memberKey, parseShowStat, vipReports } from './haproxy/stats.js';
import type { HAProxy } from './haproxy/runner.js';
import type { SystemStats } from './sysstats.js';

export const AGENT_VERSION = ((): string => {
  // From src/agent (tsx) or dist/src/agent (built).
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'contrail-lb-operator' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // try the next
    }
  }
  return '0.0.0';
})();

export class Reporter {
  readonly bootID = randomUUID();
  private sequence = 0;
  /** Each member's last reported status (stats.ts: what a sample that misses it reports). */
  private last = new Map<string, MemberOperStatus>();
  /** The witness probes' results to carry (peerprobe.ts); none when unset. */
  probes: () => ProbeReport[] = () => [];

  constructor(private readonly applier: Applier, private readonly haproxy: HAProxy, private readonly system: SystemStats) {}

  /** The member statuses HAProxy reports now (memberwatch.ts); undefined while it serves nothing. */
  async members(): Promise<VipReport[] | undefined> {
    const rendered = this.applier.rendered;
    if (rendered === undefined || !this.haproxy.running) return undefined;
    return vipReports(rendered.vips, parseShowStat(await this.haproxy.showStat()), this.last);
  }

  async heartbeat(): Promise<Heartbeat> {
    const rendered = this.applier.rendered;
    let vips: VipReport[] = [];
    if (rendered !== undefined) {
      const csv = this.haproxy.running ? await this.haproxy.showStat().catch(() => '') : '';
      vips = vipReports(rendered.vips, parseShowStat(csv), this.last);
      this.last = new Map(vips.flatMap((v) => v.members.map((m) => [memberKey(v.id, m.id), m.status] as const)));
    }
    const probes = this.probes();
    return {
      ...(probes.length > 0 ? { probes } : {}),
      bootID: this.bootID,
      sequence: ++this.sequence,
      sentAt: new Date().toISOString(),
      agentVersion: AGENT_VERSION,
      applied: this.applier.applied,
      vips,
      se: await this.system.sample(),
    };
  }
}

/** interval ± 10 %, so a fleet booted together does not heartbeat in lockstep. */
export function jittered(intervalMs: number, random: () => number = Math.random): number {
  return Math.round(intervalMs * (0.9 + 0.2 * random()));
}
