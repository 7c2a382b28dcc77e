// Scale-in drains an SE while it is still in the VIP's ECMP set (issue 13, item 4): when placement
// drops an SE, its ref stays for DRAIN_IN_SET_MS while its config already marks the VIP draining
// (controllers/leaving.ts: HAProxy answers every keep-alive response with Connection: close, so
// those clients reconnect — and the fabric hashes their new flows over the set). Then the ref is
// withdrawn, and the VIP leaves the SE's config only after that (leaving.ts again). Withdrawing at
// once instead moves every open connection on the SE to the others, which reset them: each idle
// keep-alive client's next request fails, not only the requests in flight.
// In memory, per VS (never module-global): a new leader withdraws what it finds dropped at once.
export const DRAIN_IN_SET_MS = 3_000;

export class ScaleInDrain {
  /** VS key → SE → when placement dropped it (ms) */
  private readonly since = new Map<string, Map<string, number>>();

  constructor(private readonly drainMs = DRAIN_IN_SET_MS) {}

  /**
   * `listed`: the SEs the VS's status named before this reconcile; `assigned`: placement now.
   * Returns the dropped SEs to keep in the set for now, and when to look again.
   */
  keep(vsKey: string, listed: readonly string[], assigned: readonly string[], now: number): { keep: string[]; recheckMs?: number } {
    const placed = new Set(assigned);
    const mine = this.since.get(vsKey) ?? new Map<string, number>();
    for (const se of listed) if (!placed.has(se) && !mine.has(se)) mine.set(se, now);
    const keep: string[] = [];
    let recheckMs: number | undefined;
    for (const [se, at] of mine) {
      const left = at + this.drainMs - now;
      if (placed.has(se) || left <= 0) {
        mine.delete(se); // placed again, or drained: its ref may go
        continue;
      }
      keep.push(se);
      recheckMs = Math.min(recheckMs ?? left, left);
    }
    if (mine.size === 0) this.since.delete(vsKey);
    else this.since.set(vsKey, mine);
    return recheckMs === undefined ? { keep } : { keep, recheckMs };
  }

  forget(vsKey: string): void {
    this.since.delete(vsKey);
  }
}
