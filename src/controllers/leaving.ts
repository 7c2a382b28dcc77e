import type { DrainState } from './model/drainplan.js';

// SEs a virtual service just left (its status stopped naming them): the VS controller has already
// withdrawn their ECMP refs, but the fabric converges after the API call returns (a vRouter learns
// it from the control node, the simulator's data plane on its next reconcile), and flows hashed to
// the SE meanwhile must still find the VIP served there. So the SE keeps the VIP, draining
// (keep-alive responses say Connection: close), for LEAVE_DRAIN_MS, and only then does its config
// drop it. Measured without it: a request failed in a scale-in of 3 → 1 SEs at ~10 requests/s.
// With drainTimeoutSeconds > 0 the drain comes first instead, while still in the set (ScaleInDrains
// below, model/drainplan.ts).
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

/**
 * Scale-in drains in progress (drainTimeoutSeconds > 0, model/drainplan.ts): per VS, the SEs it
 * is leaving, with when the drain began and when their ref was withdrawn. The VS controller
 * steps them; the desired-config feed keeps the VIP on such an SE, draining, until the drain is
 * done. In memory, as LeavingSEs: after an operator restart a ref still held by an SE outside the
 * placement starts a new drain (the conservative side).
 */
export class ScaleInDrains {
  /** VS key "ns/name" → SE name → state */
  private readonly byVS = new Map<string, Map<string, DrainState>>();
  private readonly listeners: Array<(seKey: string) => void> = [];

  /** The SEs the desired config of SEKEY must recompute on (a drain began, was cancelled or is done). */
  onChange(fn: (seKey: string) => void): void {
    this.listeners.push(fn);
  }

  /** Begins SE's drain of the VS (idempotent); true when it began now. */
  begin(vsKey: string, se: string, now: number): boolean {
    const m = this.byVS.get(vsKey) ?? new Map<string, DrainState>();
    if (m.has(se)) return false;
    m.set(se, { startedAt: now });
    this.byVS.set(vsKey, m);
    this.notify(vsKey, se);
    return true;
  }

  withdrawn(vsKey: string, se: string, now: number): void {
    const s = this.byVS.get(vsKey)?.get(se);
    if (s !== undefined && s.withdrawnAt === undefined) s.withdrawnAt = now;
  }

  /** Done, cancelled (placed there again) or the SE failed: the VIP follows the placement alone. */
  end(vsKey: string, se: string): void {
    const m = this.byVS.get(vsKey);
    if (m?.delete(se) !== true) return;
    if (m.size === 0) this.byVS.delete(vsKey);
    this.notify(vsKey, se);
  }

  of(vsKey: string): ReadonlyMap<string, DrainState> {
    return this.byVS.get(vsKey) ?? new Map();
  }

  /** VS names ("name" in the SE's namespace) draining on the SE "ns/name". */
  onSE(seKey: string): Set<string> {
    const slash = seKey.indexOf('/');
    const ns = seKey.slice(0, slash);
    const se = seKey.slice(slash + 1);
    const out = new Set<string>();
    for (const [vsKey, m] of this.byVS) if (vsKey.startsWith(`${ns}/`) && m.has(se)) out.add(vsKey.slice(ns.length + 1));
    return out;
  }

  private notify(vsKey: string, se: string): void {
    const seKey = `${vsKey.slice(0, vsKey.indexOf('/'))}/${se}`;
    for (const fn of this.listeners) fn(seKey);
  }
}
