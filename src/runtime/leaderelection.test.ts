import { test } from 'node:test';
import assert from 'node:assert/strict';
import { heldByOther, nextLeaseSpec } from './leaderelection.js';

test('a lease is held by another until a full duration passes after we saw it change', () => {
  const spec = { holderIdentity: 'a', leaseDurationSeconds: 15, renewTime: '1999-01-01T00:00:00.000000Z' };
  // The holder's renewTime is ancient (skewed clock) but we saw it change at t=1000: still held.
  assert.equal(heldByOther(spec, 'b', 1000, 1000 + 14_999, 15_000), true);
  assert.equal(heldByOther(spec, 'b', 1000, 1000 + 15_000, 15_000), false);
  assert.equal(heldByOther(spec, 'a', 1000, 1001, 15_000), false, 'our own lease');
  assert.equal(heldByOther({ ...spec, holderIdentity: '' }, 'b', 1000, 1001, 15_000), false, 'released');
  assert.equal(heldByOther({ holderIdentity: 'a' }, 'b', 0, 2000, 3000), true, 'default duration when unset');
});

test('taking over counts a transition and sets acquireTime; renewing keeps them', () => {
  const t0 = Date.UTC(2026, 0, 1);
  const taken = nextLeaseSpec({ holderIdentity: 'a', leaseTransitions: 2, acquireTime: 'x' }, 'b', t0, 15_000);
  assert.deepEqual(taken, {
    holderIdentity: 'b',
    leaseDurationSeconds: 15,
    acquireTime: '2026-01-01T00:00:00.000000Z',
    renewTime: '2026-01-01T00:00:00.000000Z',
    leaseTransitions: 3,
  });
  const renewed = nextLeaseSpec(taken, 'b', t0 + 2000, 15_000);
  assert.equal(renewed.acquireTime, taken.acquireTime);
  assert.equal(renewed.renewTime, '2026-01-01T00:00:02.000000Z');
  assert.equal(renewed.leaseTransitions, 3);
  assert.equal(nextLeaseSpec(undefined, 'b', t0, 2500).leaseDurationSeconds, 3);
  assert.equal(nextLeaseSpec({ holderIdentity: '' }, 'b', t0, 15_000).leaseTransitions, 0, 'a released lease is no transition');
});
