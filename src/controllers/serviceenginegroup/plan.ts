// How many Service Engines a group keeps, which to boot and which to retire: a pure planner
// (DESIGN.md §3.1, §3.3). The group holds enough SEs to place every virtual service's requested
// scale-out, plus `bufferSEs` spares, never more than `maxSEs`. A failed SE is replaced first
// and deleted once its replacement is Ready (Octavia's failover order), unless the group is at
// maxSEs, where the failed SE must go to make room. Idle SEs beyond the need are retired after
// `seDeprovisionDelaySeconds`.

import type { SEPhase } from '../model/index.js';

export interface GroupSE {
  name: string;
  createdAt: string;
  phase: SEPhase;
  /** virtual services placed on it */
  hostedVS: number;
  /** when it last became idle (hostedVS 0); undefined = since creation */
  idleSince?: string;
}

export interface GroupPolicy {
  maxSEs: number;
  bufferSEs: number;
  maxVSPerSE: number;
  seDeprovisionDelaySeconds: number;
}

export interface GroupPlan {
  /** how many SEs to create now */
  create: number;
  /** SEs to delete now */
  retire: { name: string; reason: 'Failed' | 'Idle' }[];
  /** SEs the group wants alive (placements + buffer, capped) */
  desired: number;
  /** placements the group cannot provide because of maxSEs */
  shortfall: number;
  /** when an idle SE will next pass its deprovision delay (ms from now) */
  recheckAfterMs: number | undefined;
}

/** SEs needed to give every VS its requested number of distinct SEs, each hosting ≤ maxVSPerSE. */
export function sesNeeded(requested: readonly number[], maxVSPerSE: number): number {
  if (requested.length === 0) return 0;
  const total = requested.reduce((a, b) => a + b, 0);
  return Math.max(Math.max(...requested), Math.ceil(total / Math.max(1, maxVSPerSE)));
}

/** A VS's placements still missing, and the SEs it is on already (it needs distinct ones). */
export interface MissingPlacement { missing: number; on: ReadonlySet<string> }

/**
 * Placements no live SE can take (pure): each VS needs SEs it is not on yet with a free slot.
 * Greedy, most room first. SE capacity is a hard limit (claims), so a tight packing can strand a
 * VS's last placement on no SE at all (all the room left is on the SE it already uses): the group
 * then needs more SEs than sesNeeded's perfect packing says. Returns how many more.
 */
export function strandedSEs(free: ReadonlyMap<string, number>, wants: readonly MissingPlacement[], maxVSPerSE: number): number {
  const room = new Map(free);
  let total = 0;
  let worst = 0;
  for (const w of wants) {
    let left = w.missing;
    // The `left` roomiest SEs it is not on (first in order on a tie), by a scan per pick: a VS
    // misses a few placements, so this is O(SEs × missing) per VS, not a sort of all SEs per VS.
    const taken = new Set<string>();
    while (left > 0) {
      let best: string | undefined;
      let bestRoom = 0;
      for (const [se, n] of room) if (n > bestRoom && !w.on.has(se) && !taken.has(se)) { best = se; bestRoom = n; }
      if (best === undefined) break;
      taken.add(best);
      room.set(best, bestRoom - 1);
      left--;
    }
    total += left;
    worst = Math.max(worst, left);
  }
  return total === 0 ? 0 : Math.max(worst, Math.ceil(total / Math.max(1, maxVSPerSE)));
}

/** `stranded`: more SEs needed than a perfect packing says (strandedSEs). */
export function planGroup(policy: GroupPolicy, ses: readonly GroupSE[], vsRequests: readonly number[], now: Date, stranded = 0): GroupPlan {
  const live = ses.filter((s) => s.phase === 'Booting' || s.phase === 'Ready');
  const failed = ses.filter((s) => s.phase === 'Failed');
  const present = ses.filter((s) => s.phase !== 'Deleting').length;
  const busy = live.filter((s) => s.hostedVS > 0).length;

  const needed = Math.max(sesNeeded(vsRequests, policy.maxVSPerSE), busy, stranded > 0 ? live.length + stranded : 0);
  const desired = Math.min(policy.maxSEs, needed + policy.bufferSEs);
  const shortfall = Math.max(0, needed - policy.maxSEs);

  const retire: GroupPlan['retire'] = [];
  const missing = Math.max(0, desired - live.length);
  const headroom = policy.maxSEs - present;
  const create = Math.min(missing, Math.max(0, headroom));

  // Failed SEs: delete when their replacements are Ready, or now if they block a replacement.
  const ready = live.filter((s) => s.phase === 'Ready').length;
  const blocking = missing - create;
  const byAge = [...failed].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  byAge.forEach((s, i) => {
    if (ready >= desired || i < blocking) retire.push({ name: s.name, reason: 'Failed' });
  });

  // Idle SEs beyond the desired count, longest idle first, once the delay has passed.
  const delayMs = policy.seDeprovisionDelaySeconds * 1000;
  const idle = live
    .filter((s) => s.phase === 'Ready' && s.hostedVS === 0)
    .map((s) => ({ s, since: Date.parse(s.idleSince ?? s.createdAt) }))
    .sort((a, b) => a.since - b.since);
  let excess = live.length - desired;
  let recheckAfterMs: number | undefined;
  for (const { s, since } of idle) {
    if (excess <= 0) break;
    const due = since + delayMs - now.getTime();
    if (due <= 0) {
      retire.push({ name: s.name, reason: 'Idle' });
      excess--;
    } else {
      recheckAfterMs = recheckAfterMs === undefined ? due : Math.min(recheckAfterMs, due);
    }
  }

  return { create, retire, desired, shortfall, recheckAfterMs };
}
