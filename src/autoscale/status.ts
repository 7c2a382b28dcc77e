// status.autoscale has one writer, the autoscale controller; the VirtualService controller
// rewrites the rest of status from scratch each reconcile and must carry it over (a merge patch
// from a status without it would delete it, and with it the scale-down window it remembers).
import type { VirtualServiceStatus } from '../api/index.js';

export function withAutoscale(next: VirtualServiceStatus, current: VirtualServiceStatus | undefined): VirtualServiceStatus {
  return current?.autoscale !== undefined ? { ...next, autoscale: current.autoscale } : next;
}
