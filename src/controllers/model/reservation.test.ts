import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertHeld, decideTake, holds, RESERVATION_ANNOTATION, reservationOf, Superseded, type Reservation } from './reservation.js';
import type { VSObj } from './objects.js';

const now = new Date('2026-01-01T00:00:00Z');
const vs = (r?: Reservation | string): Pick<VSObj, 'metadata'> => ({
  metadata: { name: 'web', namespace: 'demo', ...(r !== undefined ? { annotations: { [RESERVATION_ANNOTATION]: typeof r === 'string' ? r : JSON.stringify(r) } } : {}) },
});
const held = (holder: string, nonce: string, expiresInMs: number): Reservation => ({ holder, nonce, expires: new Date(now.getTime() + expiresInMs).toISOString() });

describe('decideTake', () => {
  test('a VS with no reservation is taken with the new nonce and an expiry one TTL away', () => {
    const d = decideTake(vs(), 'p1', now, 'n1', 60_000);
    assert.deepEqual(d, { kind: 'take', next: { holder: 'p1', nonce: 'n1', expires: '2026-01-01T00:01:00.000Z' } });
  });

  test("another process's live reservation is busy until it expires", () => {
    const d = decideTake(vs(held('p2', 'n2', 5_000)), 'p1', now, 'n1');
    assert.deepEqual(d, { kind: 'busy', holder: 'p2', retryAfterMs: 5_000 });
  });

  test("another process's lapsed reservation is taken over (with a new nonce)", () => {
    const d = decideTake(vs(held('p2', 'n2', -1)), 'p1', now, 'n1');
    assert.equal(d.kind, 'take');
    assert.equal(d.kind === 'take' ? d.next.nonce : '', 'n1');
  });

  test('our own process re-takes a reservation left by a failed reconcile, with a new nonce', () => {
    const d = decideTake(vs(held('p1', 'old', 50_000)), 'p1', now, 'new');
    assert.equal(d.kind === 'take' ? d.next.nonce : 'busy', 'new');
  });

  test('a hand-edited annotation counts as no reservation', () => {
    assert.equal(reservationOf(vs('{not json')), undefined);
    assert.equal(reservationOf(vs('{"holder":1}')), undefined);
    assert.equal(decideTake(vs('garbage'), 'p1', now, 'n1').kind, 'take');
  });
});

describe('the fence', () => {
  test('holds compares the nonce, not the holder: an old reservation of the same process is not ours', () => {
    const mine = held('p1', 'n1', 60_000);
    assert.equal(holds(vs(mine), mine), true);
    assert.equal(holds(vs(held('p1', 'n2', 60_000)), mine), false);
    assert.equal(holds(vs(), mine), false);
  });

  test('assertHeld throws Superseded naming the new holder', () => {
    const mine = held('p1', 'n1', 60_000);
    assert.doesNotThrow(() => assertHeld(vs(mine), mine));
    assert.throws(() => assertHeld(vs(held('p2', 'n2', 60_000)), mine), (e: unknown) => e instanceof Superseded && e.by === 'p2' && /demo\/web/.test(e.message));
    assert.throws(() => assertHeld(vs(), mine), Superseded);
  });
});
