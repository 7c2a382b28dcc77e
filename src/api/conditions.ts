// Status conditions the way k8s.io/apimachinery/pkg/api/meta does them: setting a condition moves
// lastTransitionTime only when its status flips, and reports whether anything changed, so a
// reconcile that observes nothing new writes nothing.
export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** metav1.Condition, as every kind's status.conditions[] holds it. */
export interface Condition {
  type: string;
  status: ConditionStatus;
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

/** A condition to set: lastTransitionTime is filled in by setStatusCondition when omitted. */
export type NewCondition = Omit<Condition, 'lastTransitionTime'> & { lastTransitionTime?: string };

/** RFC 3339 with second precision, as metav1.Time serialises. */
export function formatTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Sets (adds or updates) a condition in place and returns true when anything changed.
 * lastTransitionTime is kept unless status changes (or the condition is new); then it becomes
 * the given lastTransitionTime or now.
 */
export function setStatusCondition(conditions: Condition[], next: NewCondition, now: Date = new Date()): boolean {
  const existing = conditions.find((c) => c.type === next.type);
  if (existing === undefined) {
    conditions.push({ ...next, lastTransitionTime: next.lastTransitionTime ?? formatTime(now) });
    return true;
  }
  let changed = false;
  if (existing.status !== next.status) {
    existing.status = next.status;
    existing.lastTransitionTime = next.lastTransitionTime ?? formatTime(now);
    changed = true;
  }
  if (existing.reason !== next.reason) {
    existing.reason = next.reason;
    changed = true;
  }
  if (existing.message !== next.message) {
    existing.message = next.message;
    changed = true;
  }
  if (existing.observedGeneration !== next.observedGeneration) {
    if (next.observedGeneration === undefined) delete existing.observedGeneration;
    else existing.observedGeneration = next.observedGeneration;
    changed = true;
  }
  return changed;
}

/** Removes a condition in place; true when it was there. */
export function removeStatusCondition(conditions: Condition[], type: string): boolean {
  const i = conditions.findIndex((c) => c.type === type);
  if (i < 0) return false;
  conditions.splice(i, 1);
  return true;
}

export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === 'True';
}

export function isFalse(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === 'False';
}

/** True when the condition is True and was set for the given generation (kubectl wait semantics plus freshness). */
export function isTrueFor(conditions: readonly Condition[] | undefined, type: string, generation: number): boolean {
  const c = findCondition(conditions, type);
  return c?.status === 'True' && c.observedGeneration === generation;
}
