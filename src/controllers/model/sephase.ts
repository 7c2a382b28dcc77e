// "Is this Service Engine usable, booting, failed or going away?" — the one answer every
// controller uses: the group (replace a failed SE), the VirtualService (take it out of ECMP sets
// at once, never place on it) and the SE controller itself (a server lost after ACTIVE is a
// failure to report, not a boot to retry). The contract between them is the SE's Ready
// condition and its typed reason below; nobody compares reason strings of their own.
//
// To add an input (the SE agent's heartbeat is next): put it in SEPhaseInputs, decide it here,
// give it a reason in SE_REASON, and every reader follows.
import { findCondition, type Condition } from '../../api/index.js';
import type { SEObj } from './objects.js';

/** Reasons of the SE's Ready (and Booted/NetworksAttached) conditions. */
export const SE_REASON = {
  Ready: 'Ready',
  Active: 'Active',
  Attached: 'Attached',
  Attaching: 'Attaching',
  Booting: 'Booting',
  BootFailed: 'BootFailed',
  /** The server went ERROR/SHUTOFF/away after it was ACTIVE: the group replaces the SE. */
  ServerFailed: 'ServerFailed',
  /** The agent is silent past --se-failure-timeout and the data-path health check fails too: replaced. */
  HeartbeatFailure: 'HeartbeatFailure',
  Deleting: 'Deleting',
  CloudNotReady: 'CloudNotReady',
  TenantNotAllowed: 'TenantNotAllowed',
  /** The group has antiAffinity but no Nova server group yet: the SE waits to boot in it. */
  ServerGroupPending: 'ServerGroupPending',
} as const;

export type SEReason = (typeof SE_REASON)[keyof typeof SE_REASON];

export type SEPhase = 'Booting' | 'Ready' | 'Failed' | 'Deleting';

export interface SEHealth {
  phase: SEPhase;
  /** The Ready condition's reason (undefined before the SE controller first reported). */
  reason: string | undefined;
  /** The server was ACTIVE once: losing it now is a failure, not a boot to retry. */
  wasActive: boolean;
  /**
   * Booting, but the last boot failed (quota, NoValidHost, image or flavor gone): the cloud's
   * own message, kept by the SE controller until a boot succeeds. The VS shows it as
   * OPER_RESOURCES when no SE carries it.
   */
  bootFault: string | undefined;
  /**
   * The SE agent's heartbeat as the AgentConnected condition reports it; undefined without the
   * SE API (or before the first report). Silence alone never makes the SE Failed: repair needs
   * the data path to fail too (model/repair.ts), which the SE controller reports as Ready=False
   * reason HeartbeatFailure — Failed here, like a server Nova lost.
   */
  agentConnected: boolean | undefined;
}

/** What sePhase decides from. Today the SE object; the agent's heartbeat joins here. */
export type SEPhaseInputs = Pick<SEObj, 'metadata' | 'status'>;

/** Nova states of a server that was ACTIVE and no longer serves: the SE has failed. */
export const SERVER_DEAD_STATES: ReadonlySet<string> = new Set(['ERROR', 'SHUTOFF', 'DELETED', 'SOFT_DELETED', 'SHELVED', 'SHELVED_OFFLOADED']);

/** The SE controller reported it failed (its server lost, or HeartbeatFailure) — also while it is being deleted. */
export function seReportedFailed(se: SEPhaseInputs): boolean {
  const ready = findCondition(se.status?.conditions, 'Ready');
  return ready?.status !== 'True' && (ready?.reason === SE_REASON.ServerFailed || ready?.reason === SE_REASON.HeartbeatFailure);
}

export function sePhase(se: SEPhaseInputs): SEHealth {
  const conditions: readonly Condition[] | undefined = se.status?.conditions;
  const ready = findCondition(conditions, 'Ready');
  const failed = seReportedFailed(se);
  const wasActive = findCondition(conditions, 'Booted')?.status === 'True' || failed;
  const reason = ready?.reason;
  const agent = findCondition(conditions, 'AgentConnected');
  const agentConnected = agent === undefined ? undefined : agent.status === 'True';
  const none = { reason, wasActive, bootFault: undefined, agentConnected };
  if (se.metadata.deletionTimestamp !== undefined) return { phase: 'Deleting', ...none };
  if (ready?.status === 'True') return { phase: 'Ready', ...none };
  if (failed) return { phase: 'Failed', ...none };
  const booted = findCondition(conditions, 'Booted');
  const bootFault = booted?.reason === SE_REASON.BootFailed ? (se.status?.fault ?? booted.message) : undefined;
  return { phase: 'Booting', reason, wasActive, bootFault, agentConnected };
}

/** Usable for placement and ECMP: Ready and not being deleted. */
export const seUsable = (se: SEPhaseInputs): boolean => sePhase(se).phase === 'Ready';
