// The group's side of heartbeat repair: which heartbeat-failed SEs it may replace now
// (model/repair.ts's gateRepairs: the breaker and the in-flight cap), and the RepairsHeld
// condition that says why the others wait. Pure. A held SE is shown to planGroup as Booting —
// live, so no replacement is made for it, and never retired as idle — until the gate lets it go.
import { findCondition, setStatusCondition, type Condition } from '../../api/index.js';
import { gateRepairs, type RepairCandidate, type RepairGate, type RepairPolicy, type SEObj } from '../model/index.js';
import type { GroupSE } from './plan.js';

export function repairCandidate(se: SEObj): RepairCandidate {
  const conds = se.status?.conditions;
  const hb = findCondition(conds, 'HeartbeatFailure');
  const agent = findCondition(conds, 'AgentConnected');
  const heartbeatFailed = hb?.status === 'True' && se.metadata.deletionTimestamp === undefined;
  return {
    name: se.metadata.name, heartbeatFailed,
    silent: heartbeatFailed || (agent?.status === 'False' && agent.reason === 'HeartbeatLost'),
    ...(heartbeatFailed ? { failedAt: hb.lastTransitionTime } : {}),
  };
}

/** The gate over the group's present SEs, and the members as planGroup should see them. */
export function gateMembers(p: RepairPolicy, ses: readonly SEObj[], members: readonly GroupSE[]): { gate: RepairGate; members: GroupSE[] } {
  const gate = gateRepairs(p, ses.filter((s) => s.metadata.deletionTimestamp === undefined).map(repairCandidate));
  const held = new Set(gate.held);
  return { gate, members: members.map((m) => (held.has(m.name) && m.phase === 'Failed' ? { ...m, phase: 'Booting' } : m)) };
}

/** RepairsHeld on the group's status (pure). */
export function reportRepairsHeld(conds: Condition[], gate: RepairGate, generation: number, now: Date): void {
  const set = (status: boolean, reason: string, message: string): void => {
    setStatusCondition(conds, { type: 'RepairsHeld', status: status ? 'True' : 'False', reason, message, observedGeneration: generation }, now);
  };
  if (gate.breakerOpen) {
    set(true, 'BreakerOpen', `${gate.silent} SEs silent at once, more than the breaker allows (${gate.threshold}): heartbeat repairs are held — `
      + 'so many failing together points at the operator or the management network, not the SEs');
  } else if (gate.held.length > 0) {
    set(true, 'MaxInFlight', `${gate.held.length} heartbeat repair(s) wait for the one(s) in flight (--se-repair-max-in-flight)`);
  } else {
    set(false, 'NoneHeld', gate.allowed.length > 0 ? `${gate.allowed.length} heartbeat repair(s) in flight` : 'no repair held');
  }
}
