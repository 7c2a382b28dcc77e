// status.autoscale has one writer, the autoscale controller; the VirtualService controller
// rewrites the rest of status from scratch each reconcile and must carry it over (a merge patch
// from a status without it would delete it, and with it the scale-down window it remembers).
import type { VirtualServiceStatus, VirtualServiceStatusAutoscale } from '../api/index.js';

export function withAutoscale(next: VirtualServiceStatus, current: VirtualServiceStatus | undefined): VirtualServiceStatus {
  return current?.autoscale !== undefined ? { ...next, autoscale: current.autoscale } : next;
}

/** On a plain-Neutron Cloud autoscale holds the plain count and says why (docs/autoscale.md). */
export function neutronHold(cloud: string, plain: number): VirtualServiceStatusAutoscale {
  return {
    desiredSEs: plain,
    reason: 'NotSupportedByCloud',
    message: `Cloud ${cloud} is plain Neutron: the VIP is an allowed address pair held by one SE at a time, so more SEs add no capacity; holding ${plain} SE(s)`,
  };
}
