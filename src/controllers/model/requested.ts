// How many Service Engines a virtual service asks for: read by the VS controller (placement)
// and the group controller (how many SEs to keep), so it lives here, once.
import { groupSpec, vsSpec } from './defaults.js';
import type { GroupObj, VSObj } from './objects.js';

/** Desired SE count for a VS: scaleout.minSEs clamped to the group's per-VS scale-out bounds. */
export function requestedSEs(scaleout: { minSEs: number; maxSEs: number }, group: { minScaleoutPerVS: number; maxScaleoutPerVS: number }): number {
  const upper = Math.min(scaleout.maxSEs, group.maxScaleoutPerVS);
  return Math.max(1, Math.min(Math.max(scaleout.minSEs, group.minScaleoutPerVS), upper));
}

/**
 * requestedSEs over the defaulted specs of a VS and its group. With scaleout.autoscale the
 * autoscaler's status.autoscale.desiredSEs is the count, minSEs its floor (docs/autoscale.md).
 */
export function requestedSEsOf(vs: Pick<VSObj, 'spec' | 'status'>, group: GroupObj): number {
  const scaleout = vsSpec(vs).scaleout;
  const desired = vs.spec.scaleout?.autoscale !== undefined ? vs.status?.autoscale?.desiredSEs : undefined;
  return requestedSEs(desired !== undefined ? { ...scaleout, minSEs: Math.max(scaleout.minSEs, desired) } : scaleout, groupSpec(group));
}
