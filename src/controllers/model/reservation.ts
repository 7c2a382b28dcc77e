// One placement decision at a time per VirtualService: a reservation on the VS itself, taken with
// compare-and-swap (a merge patch with a resourceVersion precondition; 409 → read again and
// decide again). Only the holder changes the VS's placement — claims on SEs, VIP refs, the
// status listing of SEs — and its status write is fenced by the reservation: it is sent with the
// resourceVersion of a version that carries the reservation, and on 409 it is re-applied only if
// the fresh object still carries it (`assertHeld`). Each reservation has a fresh nonce, so a
// release removes only its own reservation: a holder whose reservation expired and was taken
// over (an old leader still running, a long pause) can neither write status nor release the new
// holder's reservation. That is what makes maxScaleoutPerVS hold with two deciders on one VS;
// maxVSPerSE holds through the SE claims (claims.ts), maxSEs through the SE slot names.
//
// A converged VS needs no decision and takes no reservation (no write in steady state).
import { randomBytes } from 'node:crypto';
import { isConflict, isNotFound, objectPath, type KubeClient } from '../../runtime/index.js';
import { resourceOf, type VSObj } from './objects.js';

export const RESERVATION_ANNOTATION = 'lb.contrail-operator.io/se-reservation';
const VS = resourceOf('VirtualService');
const MAX_CONFLICTS = 16;
/** Longer than any one placement decision (claims, cloud refs, status): a dead holder's lapses. */
export const RESERVATION_TTL_MS = 60_000;

export interface Reservation {
  /** the deciding process (one identity per operator process) */
  holder: string;
  /** fresh per reservation: what a release and the status fence compare */
  nonce: string;
  /** RFC 3339; after it another holder may take the reservation over */
  expires: string;
}

export function reservationOf(vs: Pick<VSObj, 'metadata'>): Reservation | undefined {
  const raw = vs.metadata.annotations?.[RESERVATION_ANNOTATION];
  if (raw === undefined || raw === '') return undefined;
  try {
    const p = JSON.parse(raw) as Partial<Reservation> | null;
    if (p === null || typeof p.holder !== 'string' || typeof p.nonce !== 'string' || typeof p.expires !== 'string') return undefined;
    return { holder: p.holder, nonce: p.nonce, expires: p.expires };
  } catch {
    return undefined; // hand-edited: treated as no reservation, the next take rewrites it
  }
}

export type TakeDecision =
  | { kind: 'take'; next: Reservation }
  | { kind: 'busy'; holder: string; retryAfterMs: number };

/**
 * Whether `holder` may reserve this version of the VS now (pure). Free, lapsed, or held by the
 * same process (its work queue gives a key to one worker at a time, so a reservation of its own
 * is left over from a reconcile that failed) → take it with a new nonce.
 */
export function decideTake(vs: Pick<VSObj, 'metadata'>, holder: string, now: Date, nonce: string, ttlMs = RESERVATION_TTL_MS): TakeDecision {
  const cur = reservationOf(vs);
  const expiresAt = cur === undefined ? 0 : Date.parse(cur.expires);
  if (cur !== undefined && cur.holder !== holder && Number.isFinite(expiresAt) && expiresAt > now.getTime()) {
    return { kind: 'busy', holder: cur.holder, retryAfterMs: expiresAt - now.getTime() };
  }
  return { kind: 'take', next: { holder, nonce, expires: new Date(now.getTime() + ttlMs).toISOString() } };
}

/** Whether this version of the VS still carries our reservation (pure). */
export function holds(vs: Pick<VSObj, 'metadata'>, r: Pick<Reservation, 'nonce'>): boolean {
  return reservationOf(vs)?.nonce === r.nonce;
}

/** The status write's fence was lost: another decider reserved the VS since. */
export class Superseded extends Error {
  constructor(readonly vs: string, readonly by: string | undefined, why?: string) {
    super(`VirtualService ${vs}: placement reservation ${why ?? `taken over by ${by ?? 'nobody (released)'}`}; this decision is dropped`);
    this.name = 'Superseded';
  }
}

/** For a status mutate: throws Superseded when this version of the VS is not ours. */
export function assertHeld(vs: Pick<VSObj, 'metadata'>, r: Pick<Reservation, 'nonce'>): void {
  if (!holds(vs, r)) throw new Superseded(`${vs.metadata.namespace ?? ''}/${vs.metadata.name}`, reservationOf(vs)?.holder);
}

/**
 * Before a cloud write, which no precondition can fence: a reservation within this margin of its
 * expiry (by our clock) is treated as lost, so a takeover — which needs the expiry passed by the
 * taker's clock — never overlaps our writes unless the clocks are further apart than the margin.
 */
export const RESERVATION_MARGIN_MS = 15_000;

export function assertFresh(vsKey: string, r: Reservation, now: Date, marginMs = RESERVATION_MARGIN_MS): void {
  if (now.getTime() > Date.parse(r.expires) - marginMs) throw new Superseded(vsKey, undefined, 'lapsed before the cloud writes');
}

export interface ReservationIO {
  client: KubeClient;
  /** this process's identity */
  holder: string;
  now(): Date;
  signal?: AbortSignal;
  /** a fresh nonce (tests make it deterministic) */
  nonce?(): string;
}

export type TakeOutcome =
  | { kind: 'held'; reservation: Reservation; vs: VSObj }
  | { kind: 'busy'; holder: string; retryAfterMs: number }
  | { kind: 'gone' };

const freshNonce = (): string => randomBytes(8).toString('hex');

async function patch(io: ReservationIO, vs: VSObj, value: Reservation | null): Promise<VSObj> {
  const body = { metadata: { resourceVersion: vs.metadata.resourceVersion, annotations: { [RESERVATION_ANNOTATION]: value === null ? null : JSON.stringify(value) } } };
  return io.client.patch<VSObj>(objectPath(VS, { namespace: vs.metadata.namespace ?? '', name: vs.metadata.name }), body, 'merge', { ...(io.signal !== undefined ? { signal: io.signal } : {}) });
}

async function read(io: ReservationIO, vs: VSObj): Promise<VSObj | undefined> {
  try {
    return await io.client.get<VSObj>(objectPath(VS, { namespace: vs.metadata.namespace ?? '', name: vs.metadata.name }), { ...(io.signal !== undefined ? { signal: io.signal } : {}) });
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/**
 * Reserves the VS for one placement decision, starting from `cached` (a 409 reads it again).
 * 'held' returns the VS as written: the version a fenced status write starts from.
 */
export async function takeReservation(io: ReservationIO, cached: VSObj): Promise<TakeOutcome> {
  let vs: VSObj | undefined = cached;
  for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
    if (vs === undefined) return { kind: 'gone' };
    const d = decideTake(vs, io.holder, io.now(), (io.nonce ?? freshNonce)());
    if (d.kind === 'busy') return d;
    try {
      return { kind: 'held', reservation: d.next, vs: await patch(io, vs, d.next) };
    } catch (e) {
      if (isNotFound(e)) return { kind: 'gone' };
      if (!isConflict(e)) throw e;
      vs = await read(io, vs);
    }
  }
  throw new Error(`VirtualService ${cached.metadata.namespace ?? ''}/${cached.metadata.name}: ${MAX_CONFLICTS} conflicting reservation writes in a row`);
}

/**
 * Removes the reservation if it is still ours (its nonce); another holder's is left alone.
 * Returns whether ours was removed (false: lapsed and taken over, or the VS is gone).
 */
export async function releaseReservation(io: ReservationIO, latest: VSObj, r: Pick<Reservation, 'nonce'>): Promise<boolean> {
  let vs: VSObj | undefined = latest;
  for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
    if (vs === undefined || !holds(vs, r)) return false;
    try {
      await patch(io, vs, null);
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      if (!isConflict(e)) throw e;
      vs = await read(io, vs);
    }
  }
  throw new Error(`VirtualService ${latest.metadata.namespace ?? ''}/${latest.metadata.name}: ${MAX_CONFLICTS} conflicting reservation releases in a row`);
}
