// The SE controller's side of heartbeat repair (model/repair.ts decides): it keeps the SE's
// data-path health check in place (healthcheck.ts), asks the cloud for the data path only while
// the agent is silent (no cost while heartbeats flow), reports the verdict as conditions —
//   HeartbeatFailure  True when silent past --se-failure-timeout with the data path failing too:
//                     Ready goes False with the same reason, the SE is Failed and the group
//                     replaces it (within its breaker and in-flight cap)
//   Partitioned       True when silent while the data path works: kept, serving, alerted
// — and turns their flips into events (SEHeartbeatFailure, SEPartitioned, SEReconnected).
import { findCondition, type Condition } from '../../api/index.js';
import { KIND, type FqName } from '../../cloud/index.js';
import { isCloudError } from '../../cloud/index.js';
import {
  judgeHeartbeat, neutronDataPath, nextJudgementInMs, pickWitnesses, SE_REASON,
  type CloudConnection, type DataPath, type HeartbeatVerdict, type RepairPolicy, type SEChannel, type WitnessReport,
} from '../model/index.js';
import { applyHealthCheck, dataPathOf, HEALTH_CHECK_PORT, healthCheckName, observeHealthChecks, planHealthCheck } from './healthcheck.js';
import type { SESeen } from './observe.js';
import type { Owner } from '../../cloud/index.js';

/** While silent, the data path is asked again this often (the probe itself runs every second). */
export const DATA_PATH_RECHECK_MS = 3_000;

/** The SE's data ports (VMIs) bound to its server. */
function boundData(seen: SESeen): SESeen['data'] {
  const server = seen.servers[0];
  return seen.data.filter((p) => server !== undefined && p.attachedTo === server.id);
}
const dataVMIs = (seen: SESeen): string[] => boundData(seen).map((p) => p.uuid);

/** Another SE of the namespace, as a possible witness: its key and the data networks its status lists. */
export interface PeerSE { key: string; networks: readonly string[] }

/**
 * Plain Neutron's data path: the silent SE's witnesses are asked (through their heartbeat acks)
 * to probe its data addresses; their answers, from heartbeats accepted after the ask began, and
 * Neutron's port status decide (model/repair.ts neutronDataPath).
 */
export function neutronDataPathOfSE(ch: SEChannel, seKey: string, seen: SESeen | undefined, peers: () => readonly PeerSE[], now: number): DataPath {
  const data = seen === undefined ? [] : boundData(seen);
  const addresses = [...new Set(data.flatMap((p) => p.ips))];
  const board = ch.witnesses;
  const portStatus = data.map((p) => p.status ?? '');
  if (board === undefined || addresses.length === 0) return neutronDataPath({ witnesses: [], reports: [], portStatus });
  const networks = [...new Set(data.map((p) => p.networkUUID))];
  const witnesses = pickWitnesses(seKey, networks, peers().map((p) => ({ ...p, connected: ch.agents.connected(p.key, now) })));
  if (witnesses.length === 0) {
    board.drop(seKey);
    return neutronDataPath({ witnesses, reports: [], portStatus });
  }
  const since = board.ask(seKey, addresses, HEALTH_CHECK_PORT, witnesses, now);
  const reports: WitnessReport[] = witnesses.flatMap((w) => {
    const rec = ch.agents.get(w);
    if (rec === undefined || rec.lastHeartbeatAt <= since) return [];
    return (rec.last.probes ?? []).filter((p) => p.se === seKey && addresses.includes(p.address))
      .map((p) => ({ witness: w, address: p.address, up: p.up, ...(p.reason !== undefined ? { reason: p.reason } : {}) }));
  });
  return neutronDataPath({ witnesses, reports, portStatus });
}

/**
 * Keeps (want) or tears down (!want) the SE's service-health-check. Contrail only: plain Neutron
 * has no such object (its data path comes from witnesses, neutronDataPathOfSE).
 */
export async function syncHealthCheck(conn: CloudConnection, owner: Owner, seen: SESeen | undefined, want: boolean): Promise<boolean> {
  const contrail = conn.cloud.contrail;
  if (conn.mode !== 'contrail' || contrail === undefined) return false;
  const vmis = want && seen !== undefined ? dataVMIs(seen) : [];
  try {
    // Create, then attach (re-planned over the written-through view): one reconcile, both steps.
    let wrote = false;
    for (let step = 0; step < 3; step++) {
      const { checks, vmis: seenVMIs } = observeHealthChecks(conn.view, owner.uid, vmis);
      const actions = planHealthCheck(want, healthCheckName(owner.uid), checks, seenVMIs);
      if (!(await applyHealthCheck(contrail, conn.view, owner, actions))) break;
      wrote = true;
    }
    return wrote;
  } catch (e) {
    // An attach to a VMI deleted meanwhile (scale-in): the next list shows what is left. Teardown
    // never lands here: its detaches tolerate a gone VMI, and a check still referred to (409) is
    // an error, so the finalizer stays until the check is gone.
    if (want && isCloudError(e) && e.kind === 'NotFound') {
      conn.view.invalidate(KIND.serviceHealthCheck);
      return true;
    }
    throw e;
  }
}

/** The data path as the vRouters report it for the SE's data vNICs; never throws. */
export async function dataPathOfSE(conn: CloudConnection, seen: SESeen | undefined): Promise<DataPath> {
  const contrail = conn.cloud.contrail;
  if (conn.mode !== 'contrail' || contrail === undefined) return { state: 'Unknown', reason: 'plain-Neutron clouds have no data-path health check' };
  const fqs: FqName[] = (seen === undefined ? [] : dataVMIs(seen)).flatMap((id) => {
    const fq = (conn.view.get(KIND.vmi, id)?.obj as { fq_name?: FqName } | undefined)?.fq_name;
    return fq !== undefined && fq.length > 0 ? [fq] : [];
  });
  if (fqs.length === 0) return { state: 'Unknown', reason: 'the SE has no data vNIC to probe' };
  try {
    return dataPathOf(fqs, await contrail.vmiHealth(fqs));
  } catch (e) {
    return { state: 'Unknown', reason: `the data-path report could not be read: ${isCloudError(e) ? e.message : String(e)}` };
  }
}

/** The verdict for the SE's agent now (asks the cloud only when the agent is silent). */
export interface AgentHistory {
  /** When the SE became ACTIVE (its Booted condition), ms since the epoch. */
  bootedAt: number | undefined;
  /** status.agent.lastHeartbeatTime is set: an earlier operator heard the agent. */
  heardBefore: boolean;
  /** The HeartbeatFailure condition is True. */
  declaredFailed: boolean;
}

export async function judgeAgent(ch: SEChannel, conn: CloudConnection, seKey: string, seen: SESeen | undefined, h: AgentHistory, now: number, peers: () => readonly PeerSE[] = () => []): Promise<HeartbeatVerdict> {
  const connectivity = ch.agents.state(seKey, now);
  const rec = ch.agents.get(seKey);
  const base = { now, heardFrom: rec !== undefined || h.heardBefore, declaredFailed: h.declaredFailed };
  if (connectivity !== 'Disconnected') {
    if (connectivity === 'Connected') ch.witnesses?.drop(seKey);
    return judgeHeartbeat(ch.repair, { ...base, connectivity, silentSince: now, dataPath: { state: 'Unknown', reason: '' } });
  }
  // Silence the registry did not see (before this start or takeover) never counts.
  const silentSince = Math.max(rec?.lastHeartbeatAt ?? h.bootedAt ?? now, ch.agents.judgingSince());
  const dataPath = h.declaredFailed ? { state: 'Unknown' as const, reason: 'not asked: declared failed' }
    : conn.mode === 'contrail' ? await dataPathOfSE(conn, seen) : neutronDataPathOfSE(ch, seKey, seen, peers, now);
  return judgeHeartbeat(ch.repair, { ...base, connectivity, silentSince, dataPath });
}

/**
 * A Partitioned or Undetermined SE is asked again this often: its data path may die later (it is
 * then Failed at once — its silence is old), but many of them at once (the operator cut off from
 * the management network) must not flood analytics.
 */
export const SETTLED_RECHECK_MS = 10_000;

/** When to look again because of the verdict (a silent SE is re-judged; a Partitioned one re-probed). */
export function repairRecheckMs(p: RepairPolicy, v: HeartbeatVerdict | undefined): number | undefined {
  if (v === undefined) return undefined;
  // The start grace ends by time alone, and an agent never heard from is announced by no one:
  // without a look after it, a silent SE judged in the grace would wait for unrelated news.
  if (v.kind === 'Grace') return DATA_PATH_RECHECK_MS;
  if (v.kind === 'Silent') return Math.min(DATA_PATH_RECHECK_MS, nextJudgementInMs(p, v) ?? DATA_PATH_RECHECK_MS);
  if (v.kind === 'Partitioned' || v.kind === 'Undetermined') return SETTLED_RECHECK_MS;
  // Failed is sticky until a heartbeat, which enqueues the SE itself.
  return undefined;
}

type SetCondition = (type: string, status: boolean, reason: string, message: string) => void;

/**
 * HeartbeatFailure and Partitioned from the verdict (pure). Messages carry no counters, so a
 * status is written when the verdict changes, not on every look. Grace: earlier verdicts stand.
 */
export function reportRepair(conds: readonly Condition[], v: HeartbeatVerdict, p: RepairPolicy, set: SetCondition): void {
  const s = (ms: number): string => `${Math.round(ms / 1000)} s`;
  switch (v.kind) {
    case 'Grace':
      if (findCondition(conds, 'HeartbeatFailure') === undefined) set('HeartbeatFailure', false, 'AwaitingHeartbeat', 'not judged yet: the grace after an operator start or leader change');
      if (findCondition(conds, 'Partitioned') === undefined) set('Partitioned', false, 'AwaitingHeartbeat', 'not judged yet');
      return;
    case 'Connected':
      set('HeartbeatFailure', false, 'Heartbeating', 'the SE agent heartbeats');
      set('Partitioned', false, 'Heartbeating', 'the control channel works');
      return;
    case 'Silent':
      set('HeartbeatFailure', false, 'Silent', `the agent is silent; the SE is replaced after ${s(p.failureTimeoutMs)} of silence only if its data path fails too`);
      set('Partitioned', false, 'DataPathNotUp', 'the data-path health check does not report the SE serving');
      return;
    case 'Partitioned':
      set('HeartbeatFailure', false, 'Partitioned', 'the agent is silent but the data path serves: kept, not replaced');
      set('Partitioned', true, 'ControlChannelLost', 'no heartbeat from the SE agent, but the vRouter\'s health check passes on its data vNICs: it keeps serving its last config; check the management network between the SE and the operator');
      return;
    case 'Undetermined':
      set('HeartbeatFailure', false, 'DataPathUnknown', `silent for longer than ${s(p.failureTimeoutMs)}, but the data path is not known (${v.reason}): kept rather than replaced on a guess`);
      set('Partitioned', false, 'DataPathUnknown', v.reason);
      return;
    case 'Failed':
      set('HeartbeatFailure', true, SE_REASON.HeartbeatFailure, `no heartbeat for longer than ${s(p.failureTimeoutMs)} and the data path fails (${v.reason}); the group replaces this SE`);
      set('Partitioned', false, 'DataPathDown', v.reason);
      return;
  }
}

export interface RepairEvent { type: 'Normal' | 'Warning'; reason: 'SEHeartbeatFailure' | 'SEPartitioned' | 'SEReconnected'; message: string }

const isTrueIn = (c: readonly Condition[] | undefined, t: string): boolean => findCondition(c, t)?.status === 'True';

/** The events a status change means (pure): a condition's flip, never its repetition. */
export function repairEvents(name: string, before: readonly Condition[] | undefined, after: readonly Condition[] | undefined): RepairEvent[] {
  const out: RepairEvent[] = [];
  if (!isTrueIn(before, 'HeartbeatFailure') && isTrueIn(after, 'HeartbeatFailure')) {
    out.push({ type: 'Warning', reason: 'SEHeartbeatFailure', message: `Service Engine ${name}: ${findCondition(after, 'HeartbeatFailure')?.message ?? ''}` });
  }
  if (!isTrueIn(before, 'Partitioned') && isTrueIn(after, 'Partitioned')) {
    out.push({ type: 'Warning', reason: 'SEPartitioned', message: `Service Engine ${name}: agent silent, data path serving — kept, not replaced` });
  }
  const wasLost = findCondition(before, 'AgentConnected')?.reason === 'HeartbeatLost';
  if (wasLost && isTrueIn(after, 'AgentConnected')) {
    out.push({ type: 'Normal', reason: 'SEReconnected', message: `Service Engine ${name}: the agent heartbeats again` });
  }
  return out;
}

/**
 * One reconcile's repair step for a Ready SE with the SE API on: the health check kept in place,
 * then the verdict. Returns the verdict (for status and the next look) and whether it wrote.
 */
export async function repairStep(ch: SEChannel, conn: CloudConnection, owner: Owner, seKey: string, seen: SESeen, h: AgentHistory, now: number, peers: () => readonly PeerSE[] = () => []): Promise<{ verdict: HeartbeatVerdict; wrote: boolean }> {
  const wrote = await syncHealthCheck(conn, owner, seen, true);
  return { verdict: await judgeAgent(ch, conn, seKey, seen, h, now, peers), wrote };
}
