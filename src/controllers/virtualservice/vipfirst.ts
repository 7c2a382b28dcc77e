// A virtual service whose VIP address cannot be had takes no Service Engine capacity (pure).
// Placement claims SE slots before the VIP is programmed (claims.ts's order), so a VS whose last
// reconcile found its VIP subnet exhausted (or a quota, or the static address in use) would go on
// claiming a slot on every reconcile — and with maxVSPerSE filled by such VSs, the VSs that do
// have an address wait for SEs and the group boots more, up to maxSEs. Until a VIP address
// exists in the cloud for each of its VIPs, such a VS is placed on nothing; its VIP is retried as
// before, and once it is allocated the next reconcile places it.
import type { VirtualServiceStatus } from '../../api/index.js';
import type { VipPlan } from './vip.js';

/** Allocation failures a retry alone does not clear (the cloud's resources, not a transient error). */
const RESOURCE_REASONS = new Set(['IPExhausted', 'QuotaExceeded', 'IPInUse']);

/** Why this VS should claim no SE now, or undefined. */
export function vipBlocked(status: VirtualServiceStatus | undefined, generation: number | undefined, vips: readonly VipPlan[]): string | undefined {
  if (vips.every((v) => v.ip?.address !== undefined)) return undefined;
  const c = (status?.conditions ?? []).find((x) => x.type === 'VIPAllocated');
  if (c === undefined || c.status !== 'False' || !RESOURCE_REASONS.has(c.reason)) return undefined;
  if (generation !== undefined && c.observedGeneration !== undefined && c.observedGeneration < generation) return undefined;
  return c.reason;
}
