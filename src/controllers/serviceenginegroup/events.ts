// The group's Events when its size changes (pure): ScaledOut when it creates Service Engines,
// ScaledIn when it retires them (idle past seDeprovisionDelaySeconds, or failed and replaced),
// each saying from how many to how many and which SEs, so `kubectl events --for lbseg/NAME`
// answers "why do I have N VMs?".
import type { GroupPlan } from './plan.js';

export interface GroupEvent { type: 'Normal'; reason: 'ScaledOut' | 'ScaledIn'; note: string }

const list = (names: readonly string[]): string => (names.length <= 5 ? names.join(', ') : `${names.slice(0, 5).join(', ')} and ${names.length - 5} more`);

/** `before`: the SEs the group had (not being deleted); `created`: names created now. */
export function scaleEvents(before: number, created: readonly string[], retired: GroupPlan['retire']): GroupEvent[] {
  const out: GroupEvent[] = [];
  if (created.length > 0) {
    out.push({ type: 'Normal', reason: 'ScaledOut', note: `scaling out from ${before} to ${before + created.length} Service Engines: creating ${list(created)}` });
  }
  if (retired.length > 0) {
    const from = before + created.length;
    const why = retired.map((r) => `${r.name} (${r.reason === 'Idle' ? 'idle' : 'failed, replaced'})`);
    out.push({ type: 'Normal', reason: 'ScaledIn', note: `scaling in from ${from} to ${from - retired.length} Service Engines: retiring ${list(why)}` });
  }
  return out;
}
