// Scale-in (ServiceEngineGroup.spec.drainTimeoutSeconds, 0 or more), one SE leaving one VS,
// as a pure planner. The order issue 13 asks for: the SE is drained while it is still in the
// ECMP set — its agent switches the VIP to closing through the Runtime API (no reload), so every
// HTTP response says Connection: close and HAProxy closes the connection after it, and keep-alive
// clients reconnect to an SE that stays — then its ref is withdrawn, then (after a grace for the
// fabric to converge and for requests in flight to finish) the VIP leaves its config.
//
//   drain    ref kept, VIP draining; until the timeout, or earlier once the agent has reported
//            0 connections for the VS at least MIN_DRAIN_MS after the drain began (a heartbeat
//            sent before the switch could still say 0 of an idle moment)
//   withdraw ref removed now (one step: the caller records when)
//   grace    ref gone, VIP still served, draining, for GRACE_MS: flows the fabric had pinned to
//            the SE move to the others (a vRouter does the same), and only what was in flight at
//            that instant can fail
//   done     the VIP leaves the SE's config; the drain is forgotten
//
// drainTimeoutSeconds 0 keeps the order the operator had before: withdraw at once, then the grace —
// the same path with an empty drain phase (there is one mechanism for both, leaving.ts ScaleInDrains).
export type DrainPhase = 'drain' | 'withdraw' | 'grace' | 'done';

/** Shortest drain before "0 connections" may end it: two heartbeats of 2 s and a little. */
export const MIN_DRAIN_MS = 5_000;
/** Withdrawn to VIP removed: the fabric's convergence (a vRouter learns the withdrawal from the control node; measured without it: a request failed in a scale-in of 3 → 1 SEs at ~10 requests/s). */
export const GRACE_MS = 5_000;

export interface DrainState {
  startedAt: number;
  withdrawnAt?: number;
  /** begun with no drain phase (drainTimeoutSeconds 0, or the VS not serving): the caller plans it with drainMs 0 */
  immediate?: boolean;
}

export interface DrainInput {
  state: DrainState;
  now: number;
  drainMs: number;
  /** The VS's current connections on the leaving SE from its agent's last heartbeat (undefined: unknown, silent agent). */
  connections: number | undefined;
  /** The heartbeat's time (operator clock), to know it was sent after the drain switched on. */
  reportedAt: number | undefined;
  graceMs?: number;
  minDrainMs?: number;
}

export interface DrainStep {
  phase: DrainPhase;
  /** ms until the phase can change by time alone (the caller's requeue); undefined when done */
  nextInMs?: number;
  /** why the drain ended (for the event): the timeout or the SE empty */
  ended?: 'timeout' | 'empty' | 'immediate';
}

export function planDrain(i: DrainInput): DrainStep {
  const grace = i.graceMs ?? GRACE_MS;
  const { startedAt, withdrawnAt } = i.state;
  if (withdrawnAt !== undefined) {
    const left = withdrawnAt + grace - i.now;
    return left > 0 ? { phase: 'grace', nextInMs: left } : { phase: 'done' };
  }
  if (i.drainMs <= 0) return { phase: 'withdraw', ended: 'immediate' };
  const elapsed = i.now - startedAt;
  if (elapsed >= i.drainMs) return { phase: 'withdraw', ended: 'timeout' };
  const minDrain = Math.min(i.minDrainMs ?? MIN_DRAIN_MS, i.drainMs);
  const freshReport = i.reportedAt !== undefined && i.reportedAt >= startedAt + minDrain;
  if (elapsed >= minDrain && freshReport && i.connections === 0) return { phase: 'withdraw', ended: 'empty' };
  // Re-planned at least every second while draining: heartbeats come every 2 s.
  return { phase: 'drain', nextInMs: Math.min(1_000, i.drainMs - elapsed) };
}
