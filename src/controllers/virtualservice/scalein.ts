// Scale-in, for one VS in one reconcile: which leaving SEs keep their ECMP ref for
// now (program.ts `hold`), which are withdrawn in this step, and when to look again. The phases
// are model/drainplan.ts's; the state lives in ScaleInDrains (leaving.ts), which the desired-config
// feed follows to keep the VIP on the leaving SE, draining, until the drain is done.
//
// A leaving SE is one that holds a ref of the VS but is no longer in the placement, and is usable
// (healthy, agent connected): a failed SE is not drained — its ref goes at once (failover).
import type { ScaleInDrains } from '../leaving.js';
import { planDrain, type DrainState } from '../model/drainplan.js';
import type { ProgramEvent } from './program.js';

export interface ScaleInInput {
  vsKey: string;
  drains: ScaleInDrains;
  drainMs: number;
  /** the VS is enabled and placed somewhere (a VS disabled or left with no SE is not drained) */
  serving: boolean;
  assigned: readonly string[];
  /** SEs whose data port holds one of the VS's refs now */
  holding: readonly string[];
  usable: (se: string) => boolean;
  /** The VS's connections on the SE from its agent's last heartbeat, and that heartbeat's time. */
  connections: (se: string) => { count: number | undefined; at: number | undefined };
  now: number;
}

export interface ScaleInStep {
  hold: string[];
  /** withdrawn by this step's program (ScaleInDrains.withdrawn once it succeeded) */
  withdraw: string[];
  events: ProgramEvent[];
  requeueMs?: number;
}

export function stepScaleIn(i: ScaleInInput): ScaleInStep {
  const out: ScaleInStep = { hold: [], withdraw: [], events: [] };
  const assigned = new Set(i.assigned);
  const holding = new Set(i.holding);
  const soon = (ms: number | undefined): void => {
    if (ms !== undefined) out.requeueMs = Math.max(100, Math.min(out.requeueMs ?? Infinity, ms));
  };
  // Every leaving SE goes through the same steps; drainTimeoutSeconds 0, or a VS disabled or left
  // with no SE, begins with no drain phase (withdrawn at once, then the grace).
  const immediate = i.drainMs <= 0 || !i.serving;
  for (const se of holding) {
    if (assigned.has(se) || !i.usable(se)) continue;
    if (i.drains.begin(i.vsKey, se, i.now, immediate) && !immediate) {
      out.events.push({ type: 'Normal', reason: 'SEDraining', note: `Service Engine ${se} leaves the virtual service: drained while still in the ECMP set (keep-alive clients told Connection: close) for up to ${Math.round(i.drainMs / 1000)} s, then withdrawn` });
    }
  }
  for (const [se, state] of [...i.drains.of(i.vsKey)]) {
    // Placed there again, failed, or its ref already gone without us: the drain is over.
    if (assigned.has(se) || !i.usable(se) || (state.withdrawnAt === undefined && !holding.has(se))) {
      i.drains.end(i.vsKey, se);
      continue;
    }
    const c = i.connections(se);
    const step = planDrain({ state: state as DrainState, now: i.now, drainMs: state.immediate === true ? 0 : i.drainMs, connections: c.count, reportedAt: c.at });
    switch (step.phase) {
      case 'drain':
        out.hold.push(se);
        soon(step.nextInMs);
        break;
      case 'withdraw': {
        out.withdraw.push(se);
        soon(1_000);
        // Withdrawn with no drain before: the order the operator always had, no event (as before).
        if (step.ended === 'immediate') break;
        const why = step.ended === 'empty' ? 'no connection left' : step.ended === 'timeout' ? `drain timeout, ${c.count ?? 'unknown'} connection(s) still open` : 'no drain';
        out.events.push({ type: 'Normal', reason: 'SEWithdrawn', note: `Service Engine ${se} withdrawn from the virtual service's ECMP set after its drain (${why}); its VIP stays in its config a few seconds more` });
        break;
      }
      case 'grace':
        soon(step.nextInMs);
        break;
      case 'done':
        i.drains.end(i.vsKey, se);
        break;
    }
  }
  return out;
}
