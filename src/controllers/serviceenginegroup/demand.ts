// What the group boots SEs for: the placements a new Service Engine could actually satisfy (pure).
// A placement counts once the VS's VIP addresses are allocated (VIPAllocated=True: its first
// reconcile allocates them before any SE exists, so this costs a normal VS nothing) and its last
// reconcile did not fail for a reason no SE fixes (a refused network, its VIP refs not
// programmable). A VS whose VIP subnet is exhausted, over a quota, or whose static address is in
// use — or not reconciled yet, or still waiting for its Cloud — asks for no new SE: booting one
// would not place it. Before this rule the group booted SEs up to maxSEs for such VSs (7 of 8
// after an exhausted-subnet run). SEs it already holds claims on stay (they are busy); once its
// address is allocated, its next status says so and the demand counts.
import type { Condition } from '../../api/index.js';
import { claimsOf, requestedSEsOf, vsSpec, type GroupObj, type SEObj, type VSObj } from '../model/index.js';
import type { MissingPlacement } from './plan.js';

/** Placed=False reasons an SE can fix: no room yet, booting, at maxSEs, or its boot failing (the group replaces it). */
const PLACED_BY_SES = new Set(['WaitingForSEs', 'InsufficientSEs', 'SEBootFailed', 'Disabled']);

/** Why this VS asks for no new SE, or undefined when its placements count. */
export function blockedBy(vs: Pick<VSObj, 'metadata' | 'status'>): string | undefined {
  const conditions: readonly Condition[] = vs.status?.conditions ?? [];
  const vip = conditions.find((c) => c.type === 'VIPAllocated');
  if (vip === undefined) return 'not reconciled yet';
  if (vip.status !== 'True') return `VIPAllocated: ${vip.reason}`;
  const placed = conditions.find((c) => c.type === 'Placed');
  const current = placed?.observedGeneration === undefined || vs.metadata.generation === undefined || placed.observedGeneration >= vs.metadata.generation;
  if (placed !== undefined && placed.status === 'False' && current && !PLACED_BY_SES.has(placed.reason)) return `Placed: ${placed.reason}`;
  return undefined;
}

export interface GroupDemand {
  /** per VS that counts: the SEs it requests (sesNeeded's input) */
  requests: number[];
  /** per VS that counts and still misses placements: how many, and the SEs it holds claims on */
  wants: MissingPlacement[];
  /** VSs whose placements do not count (blockedBy) */
  blocked: number;
}

/**
 * The group's demand from its VSs and SEs, in one pass over each: the claims are indexed by VS
 * once (name → uid → SEs), not looked up per VS × SE as before (O(VS × SE) parses at 1000 VS).
 */
export function groupDemand(group: GroupObj, vss: readonly VSObj[], ses: readonly SEObj[]): GroupDemand {
  const claimedOn = new Map<string, Set<string>>(); // `${vs name}/${uid}` → SE names
  for (const se of ses) {
    for (const [name, uid] of claimsOf(se)) {
      const k = `${name}/${uid}`;
      let on = claimedOn.get(k);
      if (on === undefined) claimedOn.set(k, (on = new Set()));
      on.add(se.metadata.name);
    }
  }
  const out: GroupDemand = { requests: [], wants: [], blocked: 0 };
  for (const v of vss) {
    if (v.metadata.deletionTimestamp !== undefined) continue;
    if (blockedBy(v) !== undefined) { out.blocked++; continue; }
    const requested = requestedSEsOf(v, group);
    out.requests.push(requested);
    if (!vsSpec(v).enabled) continue;
    const on = claimedOn.get(`${v.metadata.name}/${v.metadata.uid ?? ''}`) ?? new Set<string>();
    const missing = Math.max(0, requested - on.size);
    if (missing > 0) out.wants.push({ missing, on });
  }
  return out;
}
