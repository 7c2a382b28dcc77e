// Reconciling and Stalled, the two "abnormal-true" conditions of the kstatus convention
// (sigs.k8s.io/cli-utils/pkg/kstatus), which Flux, kpt, Config Sync and cli-utils waiters read
// for custom resources: Reconciling=True → InProgress, Stalled=True → Failed, neither (with
// status.observedGeneration == metadata.generation) → Current. Without them kstatus can only
// guess from Ready: Ready=False is InProgress forever (a wrong password never fails a Flux sync),
// and a Pool, which has no Ready, is Current whatever its servers.
//
// They are derived here, purely, from the conditions each kind already writes — the kind's
// readiness condition and, for a VirtualService, the one that says why it is not up — so the
// controllers keep one truth and this file only translates it. Each controller's status write
// runs withKstatus() after its own mutation (a one-line hook); the rules per kind, with the
// reasons they read, are in docs/gitops.md ("What Ready means") and docs/troubleshooting.md.
import { findCondition, setStatusCondition, type Condition } from '../../api/index.js';
import type { KindName } from '../../api/index.js';
import { SE_REASON } from './sephase.js';

/**
 * A Pool's verdict is read from its `Ready` condition (member health, written only when the
 * operator serves the SE API) and, without it, from `Resolved`: the Pool has one truth either way.
 */
export const POOL_READINESS_CONDITIONS = ['Ready', 'Resolved'] as const;

export type KstatusState = 'Current' | 'InProgress' | 'Failed';

/** What the object's own conditions say, in kstatus's three words (generation aside). */
export interface KstatusVerdict {
  state: KstatusState;
  /** CamelCase reason for Reconciling/Stalled: the reason of the condition it was read from. */
  reason: string;
  message: string;
}

/** Ready=False reasons that mean "still converging, nothing to fix" (→ Reconciling). */
const CONVERGING: Record<KindName, ReadonlySet<string>> = {
  // A Cloud is checked in one reconcile: any False is a failure of its own (auth, endpoints,
  // names) or its Secret's, retried with backoff but needing a change outside the operator.
  Cloud: new Set(),
  ServiceEngineGroup: new Set(['ScalingOut']),
  // CloudNotReady waits on another object, whose own Stalled says what is wrong with it.
  ServiceEngine: new Set([SE_REASON.Booting, SE_REASON.Attaching, SE_REASON.Deleting, SE_REASON.CloudNotReady]),
  // WaitingForCloud (Resolved); NotChecked is Ready=Unknown (no SE has reported yet).
  Pool: new Set(['WaitingForCloud', 'NotChecked']),
  // NotServed: placed, waiting for an SE agent to apply the config (SE API on).
  VirtualService: new Set(['OperInitializing', 'NotServed']),
};

/** Ready=False reasons that are what the user asked for (→ Current, neither condition True). */
const AS_ASKED: Partial<Record<KindName, ReadonlySet<string>>> = {
  VirtualService: new Set(['Disabled']),
  // Every server switched off (spec.servers[].enabled: false) on purpose.
  Pool: new Set(['AllDisabled']),
};

/** VirtualService: Placed/VIPAllocated=False reasons that are progress, not a problem. */
const VS_PENDING = new Set(['Pending', 'WaitingForSEs']);

/** The condition a kind's readiness is read from. */
export function readinessConditionOf(kind: KindName, conditions?: readonly Condition[]): string {
  if (kind !== 'Pool') return 'Ready';
  return POOL_READINESS_CONDITIONS.find((t) => findCondition(conditions, t) !== undefined) ?? 'Resolved';
}

/** The verdict a kind's conditions give (pure). */
export function kstatusVerdict(kind: KindName, conditions: readonly Condition[] | undefined): KstatusVerdict {
  const type = readinessConditionOf(kind, conditions);
  const ready = findCondition(conditions, type);
  // A Pool whose servers wait for their Cloud is converging whatever Ready says of members.
  const resolved = kind === 'Pool' ? findCondition(conditions, 'Resolved') : undefined;
  if (resolved?.status === 'False' && CONVERGING.Pool.has(resolved.reason)) return { state: 'InProgress', reason: resolved.reason, message: resolved.message };
  if (ready === undefined) return { state: 'InProgress', reason: 'NotObserved', message: `${type} not reported yet` };
  if (ready.status === 'True') return { state: 'Current', reason: ready.reason, message: ready.message };
  if (ready.status === 'Unknown') return { state: 'InProgress', reason: ready.reason, message: ready.message };
  if (AS_ASKED[kind]?.has(ready.reason) === true) return { state: 'Current', reason: ready.reason, message: ready.message };
  if (kind === 'ServiceEngine') return seVerdict(conditions, ready);
  if (kind === 'VirtualService') return vsVerdict(conditions, ready);
  if (CONVERGING[kind].has(ready.reason)) return { state: 'InProgress', reason: ready.reason, message: ready.message };
  return { state: 'Failed', reason: ready.reason, message: ready.message };
}

/** An SE "booting" again after a failed boot (Booted=False BootFailed) is stuck until the cause is fixed. */
function seVerdict(conditions: readonly Condition[] | undefined, ready: Condition): KstatusVerdict {
  const booted = findCondition(conditions, 'Booted');
  if (ready.reason === SE_REASON.Booting && booted?.status === 'False' && booted.reason === SE_REASON.BootFailed) {
    return { state: 'Failed', reason: booted.reason, message: booted.message };
  }
  if (CONVERGING.ServiceEngine.has(ready.reason)) return { state: 'InProgress', reason: ready.reason, message: ready.message };
  return { state: 'Failed', reason: ready.reason, message: ready.message };
}

/**
 * A VirtualService's Ready reason is its oper state (OperDown, OperResources, …); the specific
 * reason is on VIPAllocated or Placed. Down with only pending ones (VIP being allocated, SEs
 * being programmed) is progress; down with any other is a problem, named by that reason.
 */
function vsVerdict(conditions: readonly Condition[] | undefined, ready: Condition): KstatusVerdict {
  const why = ['VIPAllocated', 'Placed']
    .map((t) => findCondition(conditions, t))
    .filter((c): c is Condition => c !== undefined && c.status === 'False');
  if (CONVERGING.VirtualService.has(ready.reason)) {
    // The more specific step (Pending, WaitingForSEs) when one says it; Ready's message has the
    // oper state's reasons ("waiting for Cloud jvnc2"), the step's its count.
    const step = why.find((c) => VS_PENDING.has(c.reason));
    if (step === undefined) return { state: 'InProgress', reason: ready.reason, message: ready.message };
    return { state: 'InProgress', reason: step.reason, message: `${ready.message} (${step.type}: ${step.message})` };
  }
  const problem = why.find((c) => !VS_PENDING.has(c.reason));
  if (problem !== undefined) return { state: 'Failed', reason: problem.reason, message: problem.message };
  const pending = why[0];
  if (pending !== undefined) return { state: 'InProgress', reason: pending.reason, message: pending.message };
  return { state: 'Failed', reason: ready.reason, message: ready.message };
}

/**
 * Sets Reconciling and Stalled on a status from its other conditions (pure: time is given).
 * Both are always present, False when normal, so `kubectl get -o yaml` shows the convention
 * is followed and a flip stamps lastTransitionTime. Never both True: kstatus reads the first.
 */
export function applyKstatus(kind: KindName, status: { conditions?: Condition[] }, generation: number | undefined, now: Date): void {
  const conditions = (status.conditions ??= []);
  const v = kstatusVerdict(kind, conditions.filter((c) => c.type !== 'Reconciling' && c.type !== 'Stalled'));
  const g = generation !== undefined ? { observedGeneration: generation } : {};
  const set = (type: 'Reconciling' | 'Stalled', on: boolean, reason: string, message: string): void => {
    setStatusCondition(conditions, { type, status: on ? 'True' : 'False', reason, message, ...g }, now);
  };
  const readiness = `${readinessConditionOf(kind)} is ${findCondition(conditions, readinessConditionOf(kind))?.status ?? 'not reported'} (${v.reason})`;
  switch (v.state) {
    case 'Current':
      set('Reconciling', false, 'Current', readiness);
      set('Stalled', false, 'Current', readiness);
      return;
    case 'InProgress':
      set('Reconciling', true, v.reason, v.message);
      set('Stalled', false, 'Progressing', 'making progress: see Reconciling');
      return;
    case 'Failed':
      set('Reconciling', false, 'Stalled', 'not making progress: see Stalled');
      set('Stalled', true, v.reason, v.message);
  }
}

/** Wraps a status mutation so Reconciling/Stalled follow what it wrote: the controllers' hook. */
export function withKstatus<T extends { metadata: { generation?: number }; status?: { conditions?: Condition[] } }>(
  kind: KindName, mutate: (obj: T) => void, now: () => Date,
): (obj: T) => void {
  return (obj) => {
    mutate(obj);
    applyKstatus(kind, (obj.status ??= {}), obj.metadata.generation, now());
  };
}
