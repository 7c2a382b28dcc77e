// The agent registry: what the operator knows of each SE's agent from its heartbeats. In memory
// only — a heartbeat writes nothing to etcd (issue 13's write budget); the controllers turn the
// change feed (connected flips, member up/down, applied version changed) into status, which is
// written only when it changes. After a start or a leader takeover the registry knows nobody, so
// for one heartbeat timeout nobody is declared disconnected (the grace): a restart never fails an SE.
import type { AppliedConfig, Heartbeat, MemberOperStatus } from './protocol.js';

export const HEARTBEAT_TIMEOUT_MS = 10_000;
/** How many earlier boot ids are remembered to drop heartbeats a restarted agent sent before it restarted. */
const REMEMBERED_BOOTS = 8;

export interface MemberState {
  status: MemberOperStatus;
  reason?: string;
}

export interface AgentRecord {
  seKey: string;
  /** Nova server id from the client certificate. */
  serverID: string;
  bootID: string;
  sequence: number;
  /** ms since the epoch of the last accepted heartbeat (the operator's clock, never the agent's). */
  lastHeartbeatAt: number;
  agentVersion: string;
  applied: AppliedConfig;
  /** vipID → memberID → state. */
  members: Map<string, Map<string, MemberState>>;
  /** The last accepted report (stats for /metrics later). */
  last: Heartbeat;
  /** Whether the feed last said connected. */
  connected: boolean;
  earlierBoots: string[];
}

export type AgentChange =
  | { type: 'connected'; seKey: string; connected: boolean }
  | { type: 'member'; seKey: string; vipID: string; memberID: string; state: MemberState; previous?: MemberState }
  | { type: 'applied'; seKey: string; applied: AppliedConfig; previous?: AppliedConfig };

export type Connectivity = 'Connected' | 'Disconnected' | 'Unknown';

export type Verdict = { accepted: true } | { accepted: false; reason: string };

export interface RegistryOptions {
  timeoutMs?: number;
  now?: () => number;
}

export class AgentRegistry {
  private readonly agents = new Map<string, AgentRecord>();
  /** Heartbeats taken and refused as replays or reorders, per SE (lbop_se_heartbeats_total, seapi/analytics.ts). */
  private readonly verdicts = new Map<string, { accepted: number; replayed: number }>();
  private readonly subscribers = new Set<(c: AgentChange) => void>();
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private graceUntil: number;

  constructor(opts: RegistryOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? HEARTBEAT_TIMEOUT_MS;
    this.now = opts.now ?? Date.now;
    this.graceUntil = this.now() + this.timeoutMs;
  }

  /** A leader takeover: like a start, nobody is judged for one heartbeat timeout. */
  restartGrace(now = this.now()): void {
    this.graceUntil = now + this.timeoutMs;
  }

  /**
   * Since when this registry judges silence (its start or the last takeover): silence before it
   * was not seen here, so it never counts toward a failure timeout.
   */
  judgingSince(): number {
    return this.graceUntil - this.timeoutMs;
  }

  get size(): number {
    return this.agents.size;
  }

  get(seKey: string): AgentRecord | undefined {
    return this.agents.get(seKey);
  }

  keys(): IterableIterator<string> {
    return this.agents.keys();
  }

  /** Forgets a deleted SE. */
  forget(seKey: string): void {
    this.agents.delete(seKey);
    this.verdicts.delete(seKey);
  }

  onChange(cb: (c: AgentChange) => void): () => void {
    this.subscribers.add(cb);
    return () => this.subscribers.delete(cb);
  }

  /**
   * Takes a heartbeat of the SE (identity from its certificate). Replays and reorders are refused:
   * within one boot the sequence must grow; a boot id seen before the current one is stale.
   */
  accept(seKey: string, serverID: string, hb: Heartbeat, now = this.now()): Verdict {
    const v = this.take(seKey, serverID, hb, now);
    const n = this.verdicts.get(seKey) ?? { accepted: 0, replayed: 0 };
    if (v.accepted) n.accepted++;
    else n.replayed++;
    this.verdicts.set(seKey, n);
    return v;
  }

  /** Heartbeats per SE by verdict since this replica started (an SE forgotten drops its counts). */
  heartbeatCounts(): ReadonlyMap<string, { readonly accepted: number; readonly replayed: number }> {
    return this.verdicts;
  }

  private take(seKey: string, serverID: string, hb: Heartbeat, now: number): Verdict {
    let rec = this.agents.get(seKey);
    if (rec !== undefined && rec.serverID === serverID) {
      if (hb.bootID === rec.bootID && hb.sequence <= rec.sequence) return { accepted: false, reason: `sequence ${hb.sequence} is not after ${rec.sequence} of boot ${hb.bootID}` };
      if (rec.earlierBoots.includes(hb.bootID)) return { accepted: false, reason: `boot ${hb.bootID} was superseded by boot ${rec.bootID}` };
    } else rec = undefined; // first heartbeat, or a replacement server under the same SE name: a new agent
    const changes: AgentChange[] = [];
    if (rec === undefined) {
      rec = { seKey, serverID, bootID: hb.bootID, sequence: hb.sequence, lastHeartbeatAt: now, agentVersion: hb.agentVersion, applied: hb.applied, members: new Map(), last: hb, connected: false, earlierBoots: [] };
      this.agents.set(seKey, rec);
      changes.push({ type: 'applied', seKey, applied: hb.applied });
    } else {
      if (hb.bootID !== rec.bootID) rec.earlierBoots = [rec.bootID, ...rec.earlierBoots].slice(0, REMEMBERED_BOOTS);
      if (!sameApplied(rec.applied, hb.applied)) changes.push({ type: 'applied', seKey, applied: hb.applied, previous: rec.applied });
      Object.assign(rec, { bootID: hb.bootID, sequence: hb.sequence, lastHeartbeatAt: now, agentVersion: hb.agentVersion, applied: hb.applied, last: hb });
    }
    const members = new Map<string, Map<string, MemberState>>();
    for (const vip of hb.vips) {
      const before = rec.members.get(vip.id);
      const now = new Map<string, MemberState>();
      for (const m of vip.members) {
        const state: MemberState = m.reason !== undefined ? { status: m.status, reason: m.reason } : { status: m.status };
        now.set(m.id, state);
        const previous = before?.get(m.id);
        if (previous?.status !== state.status) changes.push({ type: 'member', seKey, vipID: vip.id, memberID: m.id, state, ...(previous !== undefined ? { previous } : {}) });
      }
      members.set(vip.id, now);
    }
    rec.members = members;
    if (!rec.connected) {
      rec.connected = true;
      changes.push({ type: 'connected', seKey, connected: true });
    }
    this.emit(changes);
    return { accepted: true };
  }

  /** Connected: a heartbeat within the timeout. Unknown: none, but within the grace after a start. */
  state(seKey: string, now = this.now()): Connectivity {
    const rec = this.agents.get(seKey);
    if (rec !== undefined && now - rec.lastHeartbeatAt <= this.timeoutMs) return 'Connected';
    return now < this.graceUntil ? 'Unknown' : 'Disconnected';
  }

  connected(seKey: string, now = this.now()): boolean {
    return this.state(seKey, now) === 'Connected';
  }

  /** Announces the agents whose heartbeats stopped (run about once a second). */
  tick(now = this.now()): void {
    if (now < this.graceUntil) return;
    const changes: AgentChange[] = [];
    for (const rec of this.agents.values()) {
      if (rec.connected && now - rec.lastHeartbeatAt > this.timeoutMs) {
        rec.connected = false;
        changes.push({ type: 'connected', seKey: rec.seKey, connected: false });
      }
    }
    this.emit(changes);
  }

  private emit(changes: AgentChange[]): void {
    for (const c of changes) for (const cb of this.subscribers) cb(c);
  }
}

function sameApplied(a: AppliedConfig, b: AppliedConfig): boolean {
  return a.version === b.version && a.hash === b.hash && a.rejected?.version === b.rejected?.version && a.rejected?.error === b.rejected?.error;
}
