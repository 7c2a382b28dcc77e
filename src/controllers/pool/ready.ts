// A Pool's Ready condition when the operator runs without the SE API. Then nothing health-checks
// the members, and the one thing a Pool can be is resolved — so Ready mirrors Resolved (status,
// reason, message). Without it a Pool had no Ready at all, and `kubectl wait
// --for=condition=Ready contrail-lb --all`, the usual "is everything up" command, hung on Pools.
// With the SE API on, Ready is member health (health.ts) and this is not used.
import { findCondition, setStatusCondition, type Condition, type NewCondition } from '../../api/index.js';

/** Said in Ready's message so nobody takes a resolved Pool for a checked one. */
export const NOT_CHECKED_NOTE = 'member health is not checked (the operator runs without the SE API)';

/** Ready from Resolved (pure); undefined when Resolved is not reported yet. */
export function readyFromResolved(resolved: Condition | NewCondition | undefined): NewCondition | undefined {
  if (resolved === undefined) return undefined;
  return {
    type: 'Ready',
    status: resolved.status,
    reason: resolved.reason,
    message: `${resolved.message}; ${NOT_CHECKED_NOTE}`,
    ...(resolved.observedGeneration !== undefined ? { observedGeneration: resolved.observedGeneration } : {}),
  };
}

/** Wraps a Pool status mutation so Ready follows the Resolved it leaves (the no-SE-API hook). */
export function withReadyFromResolved<T extends { status?: { conditions?: Condition[] } }>(mutate: (p: T) => void, now: () => Date): (p: T) => void {
  return (p) => {
    mutate(p);
    const conditions = p.status?.conditions;
    const ready = readyFromResolved(findCondition(conditions, 'Resolved'));
    if (conditions !== undefined && ready !== undefined) setStatusCondition(conditions, ready, now());
  };
}
