// A Pool's health as the user reads it: a pure planner over what the SE agents report (their
// HAProxy checks, carried by the heartbeat) and the Pool's spec — status.servers[] health, upCount,
// the Ready condition and the PoolMemberDown / PoolMemberUp events. The Pool controller feeds it
// the reports of every SE hosting a VirtualService that uses the pool (reports.ts). How one member
// is judged over several SEs (any SE seeing it up makes it UP) is model/memberhealth.ts.
import type { NewCondition, PoolStatusServer } from '../../api/index.js';
import { aggregateMember, countMembers, isUp, type MemberCounts, type MemberHealth, type PoolMemberStatus, type SEReport, type SpecServer } from '../model/index.js';

export type { PoolMemberStatus, SEReport } from '../model/index.js';

export interface HealthInput {
  servers: readonly SpecServer[];
  /** Some enabled VirtualService uses the pool. */
  inUse: boolean;
  /** Servers the Resolved condition could not place in a network. */
  unresolved: number;
  /** One per SE hosting a VirtualService of the pool. */
  reports: readonly SEReport[];
  /** The last status announced per member (id → status): what events are computed against. */
  previous: ReadonlyMap<string, PoolMemberStatus | undefined>;
  generation: number | undefined;
}

export interface PoolHealthEvent {
  type: 'Normal' | 'Warning';
  reason: 'PoolMemberDown' | 'PoolMemberUp';
  note: string;
}

export interface HealthPlan {
  members: MemberHealth[];
  upCount: number;
  ready: NewCondition;
  events: PoolHealthEvent[];
}

export function planPoolHealth(i: HealthInput): HealthPlan {
  const members = i.servers.map((s) => {
    const m = aggregateMember(s, i.reports);
    if (!i.inUse && m.operStatus === 'UNKNOWN') m.operReason = 'no VirtualService uses the pool: nothing checks it';
    return m;
  });
  const counts = countMembers(members);
  const events: PoolHealthEvent[] = [];
  for (const m of members) {
    const was = i.previous.get(m.id);
    if (m.operStatus === 'DOWN' && was !== 'DOWN') {
      events.push({ type: 'Warning', reason: 'PoolMemberDown', note: `server ${m.id} is DOWN: ${m.operReason ?? ''}` });
    } else if (isUp(m.operStatus) && was === 'DOWN') {
      events.push({ type: 'Normal', reason: 'PoolMemberUp', note: `server ${m.id} is UP again (seen up by ${m.serviceEngines.filter((s) => isUp(s.operStatus)).map((s) => s.name).join(', ')})` });
    }
  }
  return { members, upCount: counts.up, ready: readyCondition(i, counts), events };
}

function readyCondition(i: HealthInput, c: MemberCounts): NewCondition {
  const g = i.generation !== undefined ? { observedGeneration: i.generation } : {};
  const cond = (status: NewCondition['status'], reason: string, message: string): NewCondition => ({ type: 'Ready', status, reason, message, ...g });
  if (c.total === 0) return cond('False', 'NoServers', 'the pool has no servers');
  if (c.disabled === c.total) return cond('False', 'AllDisabled', `all ${c.total} servers are disabled in spec`);
  if (!i.inUse) {
    // Nothing to check yet, nothing wrong either: a pool applied before its VirtualService must not
    // hold up `kubectl wait --for=condition=Ready` or a GitOps health check (docs/operator.md).
    if (i.unresolved > 0) return cond('False', 'Unresolved', `${i.unresolved} of ${c.total} servers are not resolved to a network (see Resolved)`);
    return cond('True', 'NotInUse', `no VirtualService uses the pool; its ${c.total - c.disabled} enabled servers are not health-checked`);
  }
  const enabled = c.total - c.disabled;
  if (c.reported === 0) return cond('Unknown', 'NotChecked', 'no Service Engine has reported the servers yet');
  const downs = c.down > 0 ? `; DOWN: ${c.downIDs.join(', ')}${c.down > c.downIDs.length ? ', …' : ''}` : '';
  if (c.up >= 1) return cond('True', 'MembersUp', `${c.up} of ${enabled} enabled servers up${downs}`);
  return cond('False', 'NoMemberUp', `none of ${enabled} enabled servers is up${downs}`);
}

/**
 * status.servers[] with the plan's health merged into the resolution entries (same spec order);
 * lastChangeTime carries over from the status being replaced while a member's status holds.
 */
export function withHealth<T extends PoolStatusServer>(entries: readonly T[], plan: HealthPlan, current: readonly PoolStatusServer[] | undefined, now: string): T[] {
  const before = new Map((current ?? []).map((s) => [`${s.ip ?? ''}:${s.port ?? 0}`, s]));
  return entries.map((e, n) => {
    const m = plan.members[n];
    if (m === undefined) return e;
    const prev = before.get(m.id);
    return {
      ...e,
      operStatus: m.operStatus,
      // The CRD's maxLength: HAProxy's check texts of three SEs fit, a longer one is cut.
      ...(m.operReason !== undefined ? { operReason: m.operReason.length > 1024 ? `${m.operReason.slice(0, 1023)}…` : m.operReason } : {}),
      lastChangeTime: prev?.operStatus === m.operStatus && prev.lastChangeTime !== undefined ? prev.lastChangeTime : now,
      serviceEngines: m.serviceEngines,
    };
  });
}
