// Which Service Engines host a virtual service: a pure planner (DESIGN.md §3.3).
// It keeps healthy existing placements, fills up to the requested count from SEs with room
// (Packed: fullest first; Distributed: emptiest first), and says how many more SEs the group
// must boot or, when the group is at maxSEs, how many it cannot get (OPER_RESOURCES).

import type { PlacementPolicy } from '../model/index.js';

export interface SECandidate {
  name: string;
  /** creation time (RFC 3339); the oldest healthy placed SE is the primary */
  createdAt: string;
  /** the SE's server is ACTIVE and the SE is Ready */
  healthy: boolean;
  /** the SE is still booting: it will be usable soon, so it counts as coming capacity */
  booting: boolean;
  /** the SE is being deleted: never place on it */
  deleting: boolean;
  /** number of other virtual services placed on this SE */
  hostedVS: number;
}

export interface PlacementInput {
  /** how many SEs the VS wants (already clamped by the group's min/max scale-out) */
  requested: number;
  /** SE names the VS is placed on now (status, or the SEs holding its VIP refs) */
  current: readonly string[];
  candidates: readonly SECandidate[];
  maxVSPerSE: number;
  policy: PlacementPolicy;
  /** how many more SEs the group may still create (maxSEs - existing SEs) */
  groupHeadroom: number;
}

export interface PlacementPlan {
  /** SEs that host the VS after this step, primary first, then by age */
  assigned: string[];
  primary: string | undefined;
  /** placed SEs dropped now: unhealthy ones (failover) and, on scale-in, the youngest */
  removed: string[];
  /** placements still missing that booting or yet-to-boot SEs will fill */
  waitingForSEs: number;
  /** placements that cannot be had at all: the group is at maxSEs */
  shortfall: number;
}

function byAge(a: SECandidate, b: SECandidate): number {
  return a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.name.localeCompare(b.name);
}

export function planPlacement(input: PlacementInput): PlacementPlan {
  const requested = Math.max(0, input.requested);
  const byName = new Map(input.candidates.map((c) => [c.name, c]));
  const usable = (c: SECandidate | undefined): c is SECandidate => c !== undefined && c.healthy && !c.deleting;

  // Keep healthy current placements; everything else is removed at once (failover).
  const kept = input.current.map((n) => byName.get(n)).filter(usable).sort(byAge);
  const removed = input.current.filter((n) => !usable(byName.get(n)));

  // Scale-in: drop the youngest first so the primary (oldest) stays put.
  while (kept.length > requested) removed.push(kept.pop()!.name);

  const assignedNames = new Set(kept.map((c) => c.name));
  const free = input.candidates
    .filter((c) => usable(c) && !assignedNames.has(c.name) && c.hostedVS < input.maxVSPerSE)
    .sort((a, b) => {
      const load = input.policy === 'Packed' ? b.hostedVS - a.hostedVS : a.hostedVS - b.hostedVS;
      return load !== 0 ? load : byAge(a, b);
    });
  const picked = free.slice(0, requested - kept.length);
  const assigned = [...kept, ...picked].sort(byAge);

  const missing = requested - assigned.length;
  const bootingWithRoom = input.candidates.filter(
    (c) => c.booting && !c.deleting && !assignedNames.has(c.name) && c.hostedVS < input.maxVSPerSE,
  ).length;
  const coming = Math.min(missing, bootingWithRoom + Math.max(0, input.groupHeadroom));

  return {
    assigned: assigned.map((c) => c.name),
    primary: assigned[0]?.name,
    removed,
    waitingForSEs: coming,
    shortfall: missing - coming,
  };
}
