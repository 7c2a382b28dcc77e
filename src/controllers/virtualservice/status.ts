// The status of a virtual service as an Avi admin reads `show virtualservice summary`: a pure
// summarizer over what the reconcile decided and observed (DESIGN.md §1, §3.3). It also says
// which events the change from the previous status deserves, so a no-op reconcile emits none.
import { setStatusCondition, formatTime, type Condition, type VirtualServiceStatus, type VirtualServiceStatusOperStatus } from '../../api/index.js';
import type { MemberCounts } from '../model/index.js';
import { memberVerdict } from './members.js';

export type OperState = NonNullable<VirtualServiceStatusOperStatus['state']>;

/** A reason the VS cannot be (fully) programmed, from planning or from a typed cloud error. */
export interface Problem {
  state: 'OPER_DOWN' | 'OPER_RESOURCES';
  /** the condition it falsifies */
  condition: 'VIPAllocated' | 'Placed';
  /** CamelCase condition reason: Forbidden, IPExhausted, IPInUse, InsufficientSEs, ProgrammingFailed, ... */
  reason: string;
  /** the cloud's own message (or ours), shown in operStatus.reason[] */
  message: string;
}

export interface VipSummary {
  vipID: string;
  ipAddress?: string;
  subnet?: string;
  subnetUUID?: string;
  networkRef?: string;
  portUUID?: string;
  floatingIP?: string;
  /** SEs whose refs on this VIP are in place */
  programmed: number;
}

export interface SESummary {
  name: string;
  healthy: boolean;
  attached: boolean;
  /** With the SE API on: the SE's agent heartbeats and applied the current config with this VS. */
  serving?: boolean;
  /** The SE's Partitioned condition: agent silent, data path serving (model/repair.ts). */
  partitioned?: boolean;
}

export interface SummaryInput {
  generation: number | undefined;
  enabled: boolean;
  ecmp: boolean;
  requested: number;
  /** assigned SEs, primary first */
  assigned: readonly SESummary[];
  /** SEs programmed on every VIP */
  programmed: ReadonlySet<string>;
  vips: readonly VipSummary[];
  /** placements the group cannot provide (maxSEs reached) */
  shortfall: number;
  problems: readonly Problem[];
  previous: VirtualServiceStatus | undefined;
  now: Date;
  /** The SE API is on: Ready means served (≥ 1 SE serving), not only placed. */
  agents?: boolean;
  /** Up but below requested because SEs cannot boot: the cloud's message (bootFaultNote). */
  shortBecause?: string | undefined;
  /** With the SE API on: the pool's members as the VS's SEs see them (members.ts). */
  members?: MemberCounts;
  /** The VS's TLS Secret cannot be served (controllers/tlssecrets.ts): its enableSSL ports are left out. */
  tlsProblem?: { reason: string; message: string };
}

export function summarize(i: SummaryInput): VirtualServiceStatus {
  const up = i.assigned.filter((s) => i.programmed.has(s.name)).length;
  const requested = Math.max(1, i.requested);
  const primary = i.assigned[0]?.name;
  const g = i.generation !== undefined ? { observedGeneration: i.generation } : {};
  const { state, reasons } = operState(i, up);
  const prevOper = i.previous?.operStatus;
  const operStatus: VirtualServiceStatusOperStatus = {
    state, reason: reasons,
    lastChangedTime: prevOper?.state === state && prevOper.lastChangedTime !== undefined ? prevOper.lastChangedTime : formatTime(i.now),
  };
  return {
    ...g,
    operStatus,
    percentSEsUp: i.enabled ? Math.min(100, Math.round((100 * up) / requested)) : 0,
    seSummary: `${up}/${requested}`,
    vip: i.vips.map((v) => ({
      vipID: v.vipID,
      ...(v.ipAddress !== undefined ? { ipAddress: v.ipAddress } : {}),
      ...(v.subnet !== undefined ? { subnet: v.subnet } : {}),
      ...(v.subnetUUID !== undefined ? { subnetUUID: v.subnetUUID } : {}),
      ...(v.networkRef !== undefined ? { networkRef: v.networkRef } : {}),
      ...(v.portUUID !== undefined ? { portUUID: v.portUUID } : {}),
      ...(v.floatingIP !== undefined ? { floatingIP: v.floatingIP } : {}),
      numSEsAssigned: i.assigned.length,
      numSEsRequested: requested,
    })),
    serviceEngines: i.assigned.map((s) => ({
      name: s.name,
      primary: s.name === primary,
      standby: !i.ecmp && s.name !== primary,
      connected: s.healthy && s.attached && (i.agents !== true || s.serving === true),
      cloudProgrammingDone: i.programmed.has(s.name),
      ...(s.partitioned === true ? { partitioned: true } : {}),
    })),
    conditions: conditionsFor(i, state, reasons, up, requested),
  };
}

const allAllocated = (i: SummaryInput): boolean => i.vips.length > 0 && i.vips.every((v) => v.ipAddress !== undefined);

/** The Avi oper state and its reasons. */
function operState(i: SummaryInput, up: number): { state: OperState; reasons: string[] } {
  const problem = i.problems.find((p) => p.state === 'OPER_DOWN') ?? i.problems[0];
  if (!i.enabled) return { state: 'OPER_DISABLED', reasons: ['virtual service is disabled'] };
  if (problem !== undefined) return { state: problem.state, reasons: i.problems.map((p) => p.message) };
  const noMember = memberVerdict(i.members).down;
  if (up >= 1 && noMember !== undefined) return { state: 'OPER_DOWN', reasons: [noMember] };
  if (up >= 1) return { state: 'OPER_UP', reasons: [] };
  if (i.shortfall > 0 && i.assigned.length === 0) return { state: 'OPER_RESOURCES', reasons: ['no Service Engine capacity: the group is at maxSEs'] };
  return { state: 'OPER_INITIALIZING', reasons: [allAllocated(i) ? 'waiting for Service Engines' : 'allocating VIPs'] };
}

/** VIPAllocated, Placed, Degraded and Ready, from the previous conditions (times move only on a flip). */
function conditionsFor(i: SummaryInput, state: OperState, reasons: string[], up: number, requested: number): Condition[] {
  const g = i.generation !== undefined ? { observedGeneration: i.generation } : {};
  const conditions: Condition[] = structuredClone(i.previous?.conditions ?? []);
  const set = (type: string, status: 'True' | 'False', reason: string, message: string): void => {
    setStatusCondition(conditions, { type, status, reason, message, ...g }, i.now);
  };
  const vipProblem = i.problems.find((p) => p.condition === 'VIPAllocated');
  if (vipProblem !== undefined) set('VIPAllocated', 'False', vipProblem.reason, vipProblem.message);
  else if (allAllocated(i)) set('VIPAllocated', 'True', 'Allocated', i.vips.map((v) => `${v.vipID}=${v.ipAddress ?? ''}`).join(', '));
  else set('VIPAllocated', 'False', 'Pending', 'allocating VIP addresses');

  const placeProblem = i.problems.find((p) => p.condition === 'Placed');
  if (placeProblem !== undefined) set('Placed', 'False', placeProblem.reason, placeProblem.message);
  else if (!i.enabled) set('Placed', 'False', 'Disabled', 'a disabled virtual service is on no Service Engine');
  else if (up >= 1) set('Placed', 'True', 'Placed', `on ${up} of ${requested} Service Engines`);
  else if (i.shortfall > 0 && i.assigned.length === 0) set('Placed', 'False', 'InsufficientSEs', 'the group is at maxSEs and no SE has room');
  else set('Placed', 'False', 'WaitingForSEs', `${i.assigned.length} assigned, none programmed yet`);

  const members = memberVerdict(i.members);
  if (state === 'OPER_UP' && up < requested) {
    set('Degraded', 'True', i.shortBecause !== undefined ? 'SEBootFailed' : 'BelowRequested', `${up} of ${requested} requested Service Engines are up${i.shortBecause !== undefined ? `; ${i.shortBecause}` : ''}`);
  } else if (state === 'OPER_UP' && i.tlsProblem !== undefined) {
    set('Degraded', 'True', i.tlsProblem.reason, i.tlsProblem.message);
  } else if (state === 'OPER_UP' && members.degraded !== undefined) {
    setStatusCondition(conditions, { type: 'Degraded', ...members.degraded, ...g }, i.now);
  } else set('Degraded', 'False', state === 'OPER_UP' ? 'AllUp' : 'NotUp', state === 'OPER_UP' ? `${up} of ${requested} Service Engines are up` : `virtual service is ${state}`);

  const serving = i.assigned.filter((s) => s.serving === true && i.programmed.has(s.name)).length;
  // Every port of the VS needs the unusable TLS Secret: nothing to serve until it is fixed.
  if (state === 'OPER_UP' && i.agents === true && serving === 0 && i.tlsProblem !== undefined) set('Ready', 'False', i.tlsProblem.reason, i.tlsProblem.message);
  else if (state === 'OPER_UP' && i.agents === true && serving === 0) set('Ready', 'False', 'NotServed', `placed on ${up} Service Engine(s); waiting for an SE agent to apply the config`);
  else if (state === 'OPER_UP') set('Ready', 'True', 'OperUp', `VIP ${i.vips.map((v) => v.ipAddress ?? '').join(', ')} ${i.agents === true ? `served by ${serving}` : `on ${up}`} Service Engine(s)`);
  else if (state === 'OPER_DOWN' && i.problems.length === 0 && members.down !== undefined) set('Ready', 'False', 'NoMemberUp', members.down);
  else set('Ready', 'False', state === 'OPER_DISABLED' ? 'Disabled' : camel(state), reasons.join('; ') || state);
  return conditions;
}

/** OPER_RESOURCES → OperResources (a condition reason is CamelCase). */
function camel(state: OperState): string {
  const word = state.replace(/^OPER_/, '').toLowerCase();
  return `Oper${word.charAt(0).toUpperCase()}${word.slice(1)}`;
}

/** Placed=False reasons that mean "cannot be placed as specified" (not merely "not yet"). */
const PLACEMENT_FAILURES = new Set(['InsufficientSEs', 'SEBootFailed', 'Forbidden', 'NotFound', 'InvalidSpec', 'GroupNotFound']);

export interface StatusEvent { type: 'Normal' | 'Warning'; reason: string; note: string }

/** Events for the change between two statuses (none when nothing changed). */
export function transitionEvents(prev: VirtualServiceStatus | undefined, next: VirtualServiceStatus): StatusEvent[] {
  const out: StatusEvent[] = [];
  const was = prev?.operStatus?.state;
  const is = next.operStatus?.state;
  const upCount = (s: VirtualServiceStatus | undefined): number => s?.serviceEngines?.filter((x) => x.cloudProgrammingDone === true).length ?? 0;
  const requested = (s: VirtualServiceStatus | undefined): number => s?.vip?.[0]?.numSEsRequested ?? 0;
  if (is === 'OPER_UP' && was !== 'OPER_UP') out.push({ type: 'Normal', reason: 'VSUp', note: `virtual service is up on ${upCount(next)} Service Engine(s)` });
  if (was === 'OPER_UP' && is !== 'OPER_UP') out.push({ type: 'Warning', reason: 'VSDown', note: `virtual service is ${is ?? 'unknown'}: ${(next.operStatus?.reason ?? []).join('; ')}` });
  const before = upCount(prev);
  const after = upCount(next);
  if (was === 'OPER_UP' && is === 'OPER_UP' && after !== before && after === requested(next)) {
    if (after > before) out.push({ type: 'Normal', reason: 'ScaleOutComplete', note: `scaled out to ${after} Service Engines` });
    else out.push({ type: 'Normal', reason: 'ScaleInComplete', note: `scaled in to ${after} Service Engines` });
  }
  // A TLS Secret problem (tlssecrets.ts) newly in Degraded or Ready: one Warning per new problem.
  const tlsNow = next.conditions?.find((c) => c.status !== 'Unknown' && c.reason.startsWith('TLSSecret'));
  if (tlsNow !== undefined && !(prev?.conditions ?? []).some((c) => c.reason === tlsNow.reason && c.message === tlsNow.message)) {
    out.push({ type: 'Warning', reason: tlsNow.reason, note: tlsNow.message });
  }
  const placedBefore = prev?.conditions?.find((c) => c.type === 'Placed');
  const placed = next.conditions?.find((c) => c.type === 'Placed');
  if (placed?.status === 'False' && PLACEMENT_FAILURES.has(placed.reason) && after === 0 &&
      (placedBefore?.reason !== placed.reason || placedBefore.message !== placed.message || placedBefore.status !== 'False')) {
    out.push({ type: 'Warning', reason: 'InitialPlacementFailed', note: placed.message });
  }
  return out;
}
