import type { DrainState } from './model/drainplan.js';

/**
 * Scale-in drains in progress (model/drainplan.ts): per VS, the SEs it is leaving, with when the
 * drain began and when their ref was withdrawn. Every leaving SE is one, whatever the group's
 * drainTimeoutSeconds: with 0 the drain phase is empty (withdrawn at once, then the grace). The VS
 * controller steps them; the desired-config feed keeps the VIP on such an SE, draining, until the
 * drain is done — after the withdrawal too, since the fabric converges after the API call returns
 * (a vRouter learns it from the control node) and flows hashed to the SE meanwhile must still find
 * the VIP served there. In memory: after an operator restart a ref still held by an SE outside
 * the placement starts a new drain (the conservative side).
 */
export class ScaleInDrains {
  /** VS key "ns/name" → SE name → state */
  private readonly byVS = new Map<string, Map<string, DrainState>>();
  private readonly listeners: Array<(seKey: string) => void> = [];

  /** The SEs the desired config of SEKEY must recompute on (a drain began, was cancelled or is done). */
  onChange(fn: (seKey: string) => void): void {
    this.listeners.push(fn);
  }

  /** Begins SE's drain of the VS (idempotent); IMMEDIATE: with no drain phase. True when it began now. */
  begin(vsKey: string, se: string, now: number, immediate = false): boolean {
    const m = this.byVS.get(vsKey) ?? new Map<string, DrainState>();
    if (m.has(se)) return false;
    m.set(se, immediate ? { startedAt: now, immediate } : { startedAt: now });
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
