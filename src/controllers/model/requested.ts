// How many Service Engines a virtual service asks for: read by the VS controller (placement)
// and the group controller (how many SEs to keep), so it lives here, once.
import { groupSpec, vsSpec } from './defaults.js';
import type { GroupObj, VSObj } from './objects.js';

/** Desired SE count for a VS: scaleout.minSEs clamped to the group's per-VS scale-out bounds. */
export function requestedSEs(scaleout: { minSEs: number; maxSEs: number }, group: { minScaleoutPerVS: number; maxScaleoutPerVS: number }): number {
  const upper = Math.min(scaleout.maxSEs, group.maxScaleoutPerVS);
  return Math.max(1, Math.min(Math.max(scaleout.minSEs, group.minScaleoutPerVS), upper));
}

/** requestedSEs over the defaulted specs of a VS and its group. */
export function requestedSEsOf(vs: Pick<VSObj, 'spec'>, group: GroupObj): number {
  return requestedSEs(vsSpec(vs).scaleout, groupSpec(group));
}
