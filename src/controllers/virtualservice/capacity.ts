// Placement with capacity claimed on the Service Engines (model/claims.ts): plan over what the
// cache shows, claim a slot on every SE the plan assigns, and plan again without the SEs that
// turned out full (another virtual service claimed the last slot first). Only SEs whose claim
// is held are returned, so a VS is never placed beyond an SE's maxVSPerSE, whatever the number
// of workers or replicas. Releases come last, after the status no longer lists the SE.
import { claimedBy, claimSE, releaseSE, type Claimant, type ClaimIO, type SEObj } from '../model/index.js';
import type { PlacementPlan } from './placement.js';

const ROUNDS = 4;

export interface ClaimedPlacement {
  plan: PlacementPlan;
  /** SEs the plan assigned whose slot another VS holds: dropped for now */
  full: string[];
}

/**
 * `planWithout(full)` is the pure placement with the SEs in `full` treated as unusable.
 * Returns a plan whose `assigned` SEs all hold this VS's claim.
 */
export async function placeWithClaims(
  io: ClaimIO, vs: Claimant, maxVSPerSE: number, ses: readonly SEObj[], planWithout: (full: ReadonlySet<string>) => PlacementPlan,
): Promise<ClaimedPlacement> {
  const full = new Set<string>();
  const claimed = new Set<string>();
  let plan = planWithout(full);
  for (let round = 0; round < ROUNDS; round++) {
    let lost = false;
    for (const name of plan.assigned) {
      if (claimed.has(name)) continue;
      const se = ses.find((s) => s.metadata.name === name);
      const outcome = se === undefined ? 'gone' : await claimSE(io, se, vs, maxVSPerSE);
      if (outcome === 'claimed') claimed.add(name);
      else {
        full.add(name);
        lost = true;
      }
    }
    if (!lost) return { plan, full: [...full] };
    plan = planWithout(full);
  }
  // Still racing after a few rounds: keep what is held; the next reconcile places the rest.
  const assigned = plan.assigned.filter((n) => claimed.has(n));
  return { plan: { ...plan, assigned, primary: assigned[0] }, full: [...full] };
}

/** Drops this VS's claims on every SE (of `ses`) it is no longer placed on. */
export async function releaseUnplaced(io: ClaimIO, vs: Pick<Claimant, 'name' | 'uid'>, ses: readonly SEObj[], placed: readonly string[]): Promise<string[]> {
  const keep = new Set(placed);
  const released: string[] = [];
  for (const se of claimedBy(ses, vs)) {
    if (keep.has(se.metadata.name)) continue;
    await releaseSE(io, se, vs);
    released.push(se.metadata.name);
  }
  return released;
}
