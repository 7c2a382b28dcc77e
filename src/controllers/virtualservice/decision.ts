// When a VS reconcile must take the placement reservation (model/reservation.ts), and taking it.
// A placement that changes nothing — the plan keeps exactly the SEs the status lists, and this VS
// holds a claim on each of them and on no other — is no decision: it takes no reservation, so a
// converged VS costs no apiserver write. Anything else (a first placement, failover, scale-out or
// scale-in, a claim left over) is decided under the reservation, from the fresh VS the
// reservation write returned.
import { claimsOf, takeReservation, type Reservation, type ReservationIO, type SEObj, type VSObj } from '../model/index.js';

/** Whether placing `assigned` changes nothing for this VS (pure). */
export function placementSettled(vs: Pick<VSObj, 'metadata' | 'status'>, assigned: readonly string[], ses: readonly SEObj[]): boolean {
  const want = new Set(assigned);
  const listed = placedOn(vs);
  if (listed.length !== want.size || listed.some((n) => !want.has(n))) return false;
  for (const se of ses) {
    const held = claimsOf(se).get(vs.metadata.name) === vs.metadata.uid;
    if (held !== want.has(se.metadata.name)) return false;
  }
  return true;
}

/** The SEs the VS status lists. */
export function placedOn(vs: Pick<VSObj, 'status'>): string[] {
  return (vs.status?.serviceEngines ?? []).flatMap((s) => (s.name !== undefined ? [s.name] : []));
}

/** A decision under the reservation: the fresh VS it was taken on, and the reservation. */
export interface Decision { vs: VSObj; reservation: Reservation }

export type DecisionOutcome =
  | { kind: 'decide'; decision: Decision }
  | { kind: 'busy'; holder: string; retryAfterMs: number }
  | { kind: 'gone' };

export async function beginDecision(io: ReservationIO, vs: VSObj): Promise<DecisionOutcome> {
  const t = await takeReservation(io, vs);
  if (t.kind === 'held') return { kind: 'decide', decision: { vs: t.vs, reservation: t.reservation } };
  return t;
}
