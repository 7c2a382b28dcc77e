// Deleting a VS is a placement decision too: it removes the VS's VIP refs from its SEs and gives
// its SE slots back. Taken under the same reservation as placement (model/reservation.ts), a
// deletion cannot overlap a placement still in flight for the VS — an old leader, or a worker
// that read the VS just before its deletionTimestamp — which would otherwise claim a slot or add
// a ref after the teardown released them, and leak both once the finalizer is gone. The
// finalizer itself is removed by a JSON Patch that first tests the reservation is still ours, so
// a deleter whose reservation lapsed and was taken over cannot let the object go under the new
// holder.
import { isNotFound, isStatus, objectPath, removeFinalizerPatch, type JsonPatchOp, type KubeClient } from '../../runtime/index.js';
import {
  holds, reservationOf, resourceOf, RESERVATION_ANNOTATION, Superseded, takeReservation,
  type Reservation, type ReservationIO, type VSObj,
} from '../model/index.js';

const VS = resourceOf('VirtualService');
const MAX_CONFLICTS = 10;

/** `/` and `~` escaped as JSON Pointer wants (RFC 6901). */
const pointer = (annotation: string): string => `/metadata/annotations/${annotation.replace(/~/g, '~0').replace(/\//g, '~1')}`;

/**
 * The patch that drops `finalizer` only while `vs` carries exactly the reservation `r` (pure):
 * undefined when the finalizer is already gone.
 */
export function fencedFinalizerPatch(vs: Pick<VSObj, 'metadata'>, finalizer: string): JsonPatchOp[] | undefined {
  const ops = removeFinalizerPatch(vs.metadata.finalizers, finalizer);
  const raw = vs.metadata.annotations?.[RESERVATION_ANNOTATION];
  if (ops === undefined || raw === undefined) return ops;
  return [{ op: 'test', path: pointer(RESERVATION_ANNOTATION), value: raw }, ...ops];
}

export type DeletionStart =
  | { kind: 'held'; vs: VSObj; reservation: Reservation }
  | { kind: 'busy'; holder: string; retryAfterMs: number }
  | { kind: 'gone' };

/** Reserves the deleting VS (a placement in flight makes it 'busy': wait for it). */
export async function beginDeletion(io: ReservationIO, vs: VSObj): Promise<DeletionStart> {
  return takeReservation(io, vs);
}

/**
 * Removes the finalizer while still holding `r`; a 409/422 reads the VS again and retries only
 * if the reservation is still ours (else Superseded: the new holder finishes the deletion).
 */
export async function removeFinalizerHeld(client: KubeClient, held: VSObj, r: Pick<Reservation, 'nonce'>, finalizer: string, signal?: AbortSignal): Promise<void> {
  const path = objectPath(VS, { namespace: held.metadata.namespace ?? '', name: held.metadata.name });
  let vs = held;
  for (let attempt = 0; ; attempt++) {
    if (!holds(vs, r)) throw new Superseded(`${vs.metadata.namespace ?? ''}/${vs.metadata.name}`, reservationOf(vs)?.holder);
    const ops = fencedFinalizerPatch(vs, finalizer);
    if (ops === undefined) return;
    try {
      await client.patch<VSObj>(path, ops, 'json', signal !== undefined ? { signal } : {});
      return;
    } catch (e) {
      if (isNotFound(e)) return;
      if (!isStatus(e, 409, 422) || attempt >= MAX_CONFLICTS) throw e;
      try {
        vs = await client.get<VSObj>(path, signal !== undefined ? { signal } : {});
      } catch (g) {
        if (isNotFound(g)) return;
        throw g;
      }
    }
  }
}
