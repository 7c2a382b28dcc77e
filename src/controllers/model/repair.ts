// Repair decisions for Service Engines whose agent went silent (issue 13 §3), pure. Two questions:
//
// judgeHeartbeat — what is this SE? A silent agent alone proves nothing about the traffic: the
//   control channel (agent → SE API over the management network) and the data path (vRouter →
//   the SE's data vNICs, probed by the Contrail service-health-check the operator attached) fail
//   independently. So the verdict needs both signals:
//     heartbeat fresh                                  → Connected
//     silent, inside the grace after a start/takeover  → Grace (nobody is judged yet)
//     silent, data path reported up                    → Partitioned: keep serving, never replace
//                                                        (once the probe had time to see a death)
//     silent < failure timeout, data path down/unknown → Silent (AgentConnected=False, wait)
//     silent ≥ failure timeout, data path down         → Failed: replace (SEHeartbeatFailure)
//     silent ≥ failure timeout, data path unknown      → Undetermined: kept — replacing on a guess
//                                                        is how Octavia's failover storms start
//     declared Failed and still silent                 → Failed (sticky until a heartbeat)
//     never heard from, data path up                   → Silent, then Undetermined (not Partitioned)
//
// gateRepairs — may the group replace them now? A breaker: when more SEs of a group are silent
//   at once than the breaker allows, the likelier story is that the operator (or the management
//   network) is the one partitioned, so every heartbeat repair is held (condition RepairsHeld).
//   Otherwise at most maxInFlight heartbeat repairs go at a time, oldest failure first; the rest
//   wait their turn. Failures Nova itself reports (server ERROR/gone) are not the breaker's: the
//   cloud said so, no guess involved.

export interface RepairPolicy {
  /** Silence after which AgentConnected goes False (--se-heartbeat-timeout). */
  heartbeatTimeoutMs: number;
  /** Silence after which an SE whose data path fails too is replaced (--se-failure-timeout). */
  failureTimeoutMs: number;
  /** Percent of a group's SEs that may be silent at once before repairs are held (--se-repair-breaker). */
  breakerPercent: number;
  /** Heartbeat repairs (replacements) at a time per group (--se-repair-max-in-flight). */
  maxInFlight: number;
  /**
   * How long after the last heartbeat a data-path "up" is believed: the SE may have died up to one
   * heartbeat interval after its last heartbeat, and the probe needs its own window to notice.
   * Before that a silent SE with a passing probe is Silent, not Partitioned.
   */
  dataPathSettleMs: number;
}

/** The SE health check's detection window, worst case (serviceengine/healthcheck.ts: 2 misses of a 0.5 s timeout, 0.5 s apart). */
export const DATA_PATH_PROBE_WINDOW_MS = 2_000;

/** The settle time for a heartbeat interval: the interval with its +10 % jitter, then the probe's window. */
export const dataPathSettleMs = (heartbeatIntervalMs: number): number => Math.ceil(heartbeatIntervalMs * 1.1) + DATA_PATH_PROBE_WINDOW_MS;

export const DEFAULT_REPAIR_POLICY: RepairPolicy = { heartbeatTimeoutMs: 10_000, failureTimeoutMs: 60_000, breakerPercent: 20, maxInFlight: 1, dataPathSettleMs: dataPathSettleMs(2000) };

/** The data path as the cloud's health check reports it; Unknown = no report (no check, no analytics). */
export type DataPath = { state: 'Up' } | { state: 'Down'; reason: string } | { state: 'Unknown'; reason: string };

export type HeartbeatVerdict =
  | { kind: 'Connected' }
  | { kind: 'Grace' }
  | { kind: 'Silent'; silentMs: number }
  | { kind: 'Partitioned'; silentMs: number }
  | { kind: 'Failed'; silentMs: number; reason: string }
  | { kind: 'Undetermined'; silentMs: number; reason: string };

export interface HeartbeatInputs {
  /** The registry's connectivity: Unknown = no heartbeat yet, inside the grace after a start or takeover. */
  connectivity: 'Connected' | 'Disconnected' | 'Unknown';
  /**
   * ms since the epoch silence is counted from: the last heartbeat, or — for an agent never heard
   * from — when the SE became ACTIVE or the grace ended, whichever is later.
   */
  silentSince: number;
  dataPath: DataPath;
  now: number;
  /**
   * The agent heartbeated at least once (in this registry or, before a restart, in status). One
   * never heard from has served nothing of ours: a passing probe does not make it Partitioned.
   */
  heardFrom: boolean;
  /**
   * Already declared Failed and still silent: stays Failed whatever the data path says now — the
   * operator itself takes a failed SE out of its VIPs (its data vNICs may go), which must not
   * read as "no report, keep it" and bring it back.
   */
  declaredFailed: boolean;
}

export function judgeHeartbeat(p: RepairPolicy, i: HeartbeatInputs): HeartbeatVerdict {
  if (i.connectivity === 'Connected') return { kind: 'Connected' };
  if (i.connectivity === 'Unknown') return { kind: 'Grace' };
  const silentMs = Math.max(0, i.now - i.silentSince);
  if (i.declaredFailed) return { kind: 'Failed', silentMs, reason: 'still silent since it was declared failed' };
  if (i.dataPath.state === 'Up') {
    if (!i.heardFrom) return silentMs < p.failureTimeoutMs ? { kind: 'Silent', silentMs } : { kind: 'Undetermined', silentMs, reason: 'the agent never heartbeated, though the data-path probe passes' };
    return silentMs >= p.dataPathSettleMs ? { kind: 'Partitioned', silentMs } : { kind: 'Silent', silentMs };
  }
  if (silentMs < p.failureTimeoutMs) return { kind: 'Silent', silentMs };
  if (i.dataPath.state === 'Down') return { kind: 'Failed', silentMs, reason: i.dataPath.reason };
  return { kind: 'Undetermined', silentMs, reason: i.dataPath.reason };
}

/** When the verdict can next change by time alone (ms from now); undefined = only news changes it. */
export function nextJudgementInMs(p: RepairPolicy, v: HeartbeatVerdict): number | undefined {
  if (v.kind === 'Silent') return Math.max(1, p.failureTimeoutMs - v.silentMs);
  return undefined;
}

export interface RepairCandidate {
  name: string;
  /** The heartbeat verdict says Failed (the SE's HeartbeatFailure condition). */
  heartbeatFailed: boolean;
  /** The agent is silent at all (AgentConnected False after having been judged). */
  silent: boolean;
  /** When it was declared failed (RFC 3339), for the oldest-first order. */
  failedAt?: string;
}

export interface RepairGate {
  /** Heartbeat-failed SEs the group may replace now. */
  allowed: string[];
  /** Heartbeat-failed SEs kept for now (breaker open or waiting for a slot). */
  held: string[];
  /** The breaker is open: too many silent at once. */
  breakerOpen: boolean;
  silent: number;
  /** How many may be silent at once before the breaker opens. */
  threshold: number;
}

/**
 * The breaker opens when more than max(1, ⌊breaker% × group⌋) SEs are silent at once — one lone
 * failure in a small group is always repaired (else a 3-SE group could never heal itself).
 */
export function gateRepairs(p: RepairPolicy, ses: readonly RepairCandidate[]): RepairGate {
  const silent = ses.filter((s) => s.silent || s.heartbeatFailed).length;
  const threshold = Math.max(1, Math.floor((ses.length * p.breakerPercent) / 100));
  const failed = ses.filter((s) => s.heartbeatFailed)
    .sort((a, b) => (a.failedAt ?? '').localeCompare(b.failedAt ?? '') || a.name.localeCompare(b.name))
    .map((s) => s.name);
  if (silent > threshold) return { allowed: [], held: failed, breakerOpen: true, silent, threshold };
  const n = Math.max(0, p.maxInFlight);
  return { allowed: failed.slice(0, n), held: failed.slice(n), breakerOpen: false, silent, threshold };
}

// ---------------------------------------------------------------------------------------------
// Plain Neutron's data-path signal (docs/se-repair.md "Plain Neutron"): witnesses. Neutron has no
// health-check object and nothing a tenant can read tells a hung VM from a serving one (Nova says
// ACTIVE, the port says ACTIVE: the hypervisor still runs it, its tap device is still plugged).
// So other SEs on the same data network probe the silent SE's data addresses the way the
// vRouter's health check would, and report in their heartbeats. Port status DOWN (Neutron's L2
// agent saw the device go) is a Down too; ACTIVE is never taken for Up.

/** Witnesses asked per silent SE: enough that one witness's own fault cannot decide alone when more exist. */
export const MAX_WITNESSES = 3;

export interface WitnessCandidate {
  /** "<namespace>/<name>". */
  key: string;
  /** The data networks the SE has a port on. */
  networks: readonly string[];
  /** Its agent heartbeats now (a silent witness reports nothing). */
  connected: boolean;
}

/** Up to MAX_WITNESSES connected SEs sharing a data network with the silent one, by name (stable across looks). */
export function pickWitnesses(silent: string, networks: readonly string[], candidates: readonly WitnessCandidate[]): string[] {
  const nets = new Set(networks);
  return candidates.filter((c) => c.key !== silent && c.connected && c.networks.some((n) => nets.has(n)))
    .map((c) => c.key).sort().slice(0, MAX_WITNESSES);
}

export interface WitnessReport {
  witness: string;
  address: string;
  up: boolean;
  reason?: string;
}

export interface NeutronDataPathInputs {
  /** The witnesses asked (none: no other connected SE shares a data network). */
  witnesses: readonly string[];
  /** Their results about the silent SE, from heartbeats accepted after the ask began. */
  reports: readonly WitnessReport[];
  /** Neutron's `status` of each of the SE's bound data ports. */
  portStatus: readonly string[];
}

/**
 * The data path on plain Neutron (pure): Up when any witness reached the SE's health URI; Down
 * when every witness that reported failed to, or when Neutron reports every data port DOWN;
 * Unknown otherwise (no witness, none reported yet) — and Unknown never replaces an SE.
 */
export function neutronDataPath(i: NeutronDataPathInputs): DataPath {
  if (i.reports.some((r) => r.up)) return { state: 'Up' };
  if (i.portStatus.length > 0 && i.portStatus.every((s) => s === 'DOWN')) return { state: 'Down', reason: `Neutron reports its data port${i.portStatus.length > 1 ? 's' : ''} DOWN` };
  if (i.reports.length > 0) {
    const by = [...new Set(i.reports.map((r) => r.witness))].sort();
    const why = [...new Set(i.reports.map((r) => r.reason ?? 'no answer'))].sort().join('; ');
    return { state: 'Down', reason: `its data path does not answer ${by.join(', ')} (${why})` };
  }
  if (i.witnesses.length === 0) return { state: 'Unknown', reason: 'no other heartbeating SE shares a data network with it to probe its data path' };
  return { state: 'Unknown', reason: `waiting for ${i.witnesses.join(', ')} to probe its data path` };
}
