import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { planGroup, sesNeeded, strandedSEs, type GroupPolicy, type GroupSE } from './plan.js';

const policy: GroupPolicy = { maxSEs: 10, bufferSEs: 0, maxVSPerSE: 10, seDeprovisionDelaySeconds: 300 };
const now = new Date('2026-01-01T01:00:00Z');
const se = (name: string, over: Partial<GroupSE> = {}): GroupSE => ({
  name, createdAt: '2026-01-01T00:00:00Z', phase: 'Ready', hostedVS: 0, ...over,
});

describe('sesNeeded', () => {
  test('is the largest scale-out, or the packing bound when SEs fill up', () => {
    assert.equal(sesNeeded([], 10), 0);
    assert.equal(sesNeeded([1, 3, 2], 10), 3);
    assert.equal(sesNeeded([2, 2, 2, 2], 2), 4);
  });
});

describe('planGroup', () => {
  test('an empty group with bufferSEs boots the buffer', () => {
    const plan = planGroup({ ...policy, bufferSEs: 2 }, [], [], now);
    assert.equal(plan.create, 2);
    assert.deepEqual(plan.retire, []);
  });

  test('booting SEs count: nothing is created twice', () => {
    const plan = planGroup({ ...policy, bufferSEs: 2 }, [se('a', { phase: 'Booting' }), se('b', { phase: 'Booting' })], [], now);
    assert.equal(plan.create, 0);
  });

  test('VS demand plus buffer, capped at maxSEs, with the rest reported as shortfall', () => {
    const plan = planGroup({ ...policy, maxSEs: 3, bufferSEs: 1 }, [se('a', { hostedVS: 1 })], [4], now);
    assert.equal(plan.desired, 3);
    assert.equal(plan.create, 2);
    assert.equal(plan.shortfall, 1);
  });

  test('a failed SE is replaced first and deleted once the replacement is Ready', () => {
    const failed = se('dead', { phase: 'Failed', hostedVS: 1 });
    const first = planGroup(policy, [failed], [1], now);
    assert.equal(first.create, 1);
    assert.deepEqual(first.retire, []);
    const later = planGroup(policy, [failed, se('new', { hostedVS: 1 })], [1], now);
    assert.equal(later.create, 0);
    assert.deepEqual(later.retire, [{ name: 'dead', reason: 'Failed' }]);
  });

  test('at maxSEs a failed SE is deleted at once to make room', () => {
    const plan = planGroup({ ...policy, maxSEs: 1 }, [se('dead', { phase: 'Failed' })], [1], now);
    assert.equal(plan.create, 0);
    assert.deepEqual(plan.retire, [{ name: 'dead', reason: 'Failed' }]);
  });

  test('idle SEs beyond the need are retired only after the deprovision delay', () => {
    const ses = [
      se('busy', { hostedVS: 1 }),
      se('idle-long', { idleSince: '2026-01-01T00:50:00Z' }),
      se('idle-new', { idleSince: '2026-01-01T00:58:00Z' }),
    ];
    const plan = planGroup(policy, ses, [1], now);
    assert.deepEqual(plan.retire, [{ name: 'idle-long', reason: 'Idle' }]);
    assert.equal(plan.recheckAfterMs, 3 * 60 * 1000);
  });

  test('buffer SEs are kept however long they are idle', () => {
    const plan = planGroup({ ...policy, bufferSEs: 2 }, [se('a'), se('b')], [], now);
    assert.deepEqual(plan.retire, []);
    assert.equal(plan.create, 0);
  });

  test('deleting SEs neither count as live nor take room beyond maxSEs', () => {
    const plan = planGroup({ ...policy, maxSEs: 2, bufferSEs: 2 }, [se('x', { phase: 'Deleting' })], [], now);
    assert.equal(plan.create, 2);
  });
});

describe('strandedSEs', () => {
  test('a perfect packing needs nothing more', () => {
    assert.equal(strandedSEs(new Map([['a', 1], ['b', 1]]), [{ missing: 1, on: new Set(['a']) }, { missing: 1, on: new Set(['b']) }], 10), 0);
  });
  test('the only room left is on the SE a VS already uses: one more SE', () => {
    // Four VSs each on x, each wanting a second SE; x is the only SE with room.
    const wants = ['v1', 'v2', 'v3', 'v4'].map(() => ({ missing: 1, on: new Set(['x']) }));
    assert.equal(strandedSEs(new Map([['x', 4], ['y', 0]]), wants, 10), 1);
  });
  test('one VS short of several distinct SEs needs that many', () => {
    assert.equal(strandedSEs(new Map(), [{ missing: 3, on: new Set() }], 10), 3);
  });
  test('a group with a stranded placement grows past the perfect-packing count', () => {
    const ses = [se('a', { phase: 'Ready', hostedVS: 10 }), se('b', { phase: 'Ready', hostedVS: 6 })];
    assert.equal(planGroup(policy, ses, [2, 2, 2, 2, 2, 2, 2, 2], new Date(0), 1).create, 1);
  });
});
