// SEs a virtual service just left (its status stopped naming them): the VS controller has already
// withdrawn their ECMP refs, but the fabric converges after the API call returns (a vRouter learns
// it from the control node, the simulator's data plane on its next reconcile), and flows hashed to
// the SE meanwhile must still find the VIP served there. So the SE keeps the VIP, draining
// (keep-alive responses say Connection: close), for LEAVE_DRAIN_MS, and only then does its config
// drop it. Measured without it: a request failed in a scale-in of 3 → 1 SEs at ~10 requests/s.
export const LEAVE_DRAIN_MS = 5_000;

export class LeavingSEs {
  /** seKey → VS name → the timer that ends its drain */
  private readonly bySE = new Map<string, Map<string, NodeJS.Timeout>>();

  constructor(private readonly expired: (seKey: string) => void, private readonly drainMs = LEAVE_DRAIN_MS) {}

  leave(seKey: string, vs: string): void {
    const m = this.bySE.get(seKey) ?? new Map<string, NodeJS.Timeout>();
    if (m.has(vs)) return;
    const t = setTimeout(() => {
      m.delete(vs);
      if (m.size === 0) this.bySE.delete(seKey);
      this.expired(seKey);
    }, this.drainMs);
    t.unref();
    m.set(vs, t);
    this.bySE.set(seKey, m);
  }

  /** Placed on the SE again (or gone for good): no drain. */
  stay(seKey: string, vs: string): void {
    const m = this.bySE.get(seKey);
    const t = m?.get(vs);
    if (m === undefined || t === undefined) return;
    clearTimeout(t);
    m.delete(vs);
    if (m.size === 0) this.bySE.delete(seKey);
  }

  forgetSE(seKey: string): void {
    for (const t of this.bySE.get(seKey)?.values() ?? []) clearTimeout(t);
    this.bySE.delete(seKey);
  }

  of(seKey: string): ReadonlySet<string> {
    return new Set(this.bySE.get(seKey)?.keys() ?? []);
  }
}
