import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { requestedSEs } from '../model/index.js';
import { planPlacement, type PlacementInput, type SECandidate } from './placement.js';

function se(name: string, createdAt: string, over: Partial<SECandidate> = {}): SECandidate {
  return { name, createdAt, healthy: true, booting: false, deleting: false, hostedVS: 0, ...over };
}

function input(over: Partial<PlacementInput>): PlacementInput {
  return { requested: 1, current: [], candidates: [], maxVSPerSE: 10, policy: 'Packed', groupHeadroom: 0, ...over };
}

describe('planPlacement', () => {
  test('first placement picks the oldest SE with room and makes it primary', () => {
    const plan = planPlacement(input({ candidates: [se('b', '2026-01-02'), se('a', '2026-01-01')] }));
    assert.deepEqual(plan.assigned, ['a']);
    assert.equal(plan.primary, 'a');
    assert.equal(plan.waitingForSEs, 0);
    assert.equal(plan.shortfall, 0);
  });

  test('Packed prefers the fullest SE, Distributed the emptiest', () => {
    const candidates = [se('empty', '2026-01-01'), se('busy', '2026-01-02', { hostedVS: 3 })];
    assert.deepEqual(planPlacement(input({ candidates, policy: 'Packed' })).assigned, ['busy']);
    assert.deepEqual(planPlacement(input({ candidates, policy: 'Distributed' })).assigned, ['empty']);
  });

  test('full SEs, unhealthy, booting and deleting SEs are never picked', () => {
    const candidates = [
      se('full', '2026-01-01', { hostedVS: 2 }),
      se('sick', '2026-01-01', { healthy: false }),
      se('boot', '2026-01-01', { healthy: false, booting: true }),
      se('gone', '2026-01-01', { deleting: true }),
    ];
    const plan = planPlacement(input({ candidates, maxVSPerSE: 2 }));
    assert.deepEqual(plan.assigned, []);
    assert.equal(plan.primary, undefined);
    assert.equal(plan.waitingForSEs, 1, 'the booting SE will fill the placement');
    assert.equal(plan.shortfall, 0);
  });

  test('healthy placements are kept even when a fuller SE exists (no churn)', () => {
    const candidates = [se('a', '2026-01-01'), se('busy', '2026-01-02', { hostedVS: 5 })];
    const plan = planPlacement(input({ current: ['a'], candidates }));
    assert.deepEqual(plan.assigned, ['a']);
    assert.deepEqual(plan.removed, []);
  });

  test('scale-out 1 -> 3 adds SEs; the oldest stays primary', () => {
    const candidates = [se('a', '2026-01-01'), se('b', '2026-01-02'), se('c', '2026-01-03'), se('d', '2026-01-04')];
    const plan = planPlacement(input({ requested: 3, current: ['b'], candidates, policy: 'Distributed' }));
    assert.deepEqual(plan.assigned, ['a', 'b', 'c']);
    assert.equal(plan.primary, 'a');
  });

  test('scale-in 3 -> 2 removes the youngest placement', () => {
    const candidates = [se('a', '2026-01-01'), se('b', '2026-01-02'), se('c', '2026-01-03')];
    const plan = planPlacement(input({ requested: 2, current: ['c', 'a', 'b'], candidates }));
    assert.deepEqual(plan.assigned, ['a', 'b']);
    assert.deepEqual(plan.removed, ['c']);
    assert.equal(plan.primary, 'a');
  });

  test('failover: an unhealthy placed SE is removed at once and replaced; primary moves to the oldest healthy', () => {
    const candidates = [se('a', '2026-01-01', { healthy: false }), se('b', '2026-01-02'), se('c', '2026-01-03')];
    const plan = planPlacement(input({ requested: 2, current: ['a', 'b'], candidates }));
    assert.deepEqual(plan.removed, ['a']);
    assert.deepEqual(plan.assigned, ['b', 'c']);
    assert.equal(plan.primary, 'b');
  });

  test('a placed SE that vanished from the group is removed', () => {
    const plan = planPlacement(input({ current: ['ghost'], candidates: [se('a', '2026-01-01')] }));
    assert.deepEqual(plan.removed, ['ghost']);
    assert.deepEqual(plan.assigned, ['a']);
  });

  test('missing capacity: group headroom means waiting, none left means shortfall', () => {
    const candidates = [se('a', '2026-01-01')];
    const waiting = planPlacement(input({ requested: 3, candidates, groupHeadroom: 5 }));
    assert.equal(waiting.waitingForSEs, 2);
    assert.equal(waiting.shortfall, 0);
    const short = planPlacement(input({ requested: 3, candidates, groupHeadroom: 1 }));
    assert.equal(short.waitingForSEs, 1);
    assert.equal(short.shortfall, 1);
  });

  test('planning is idempotent: applying a plan and planning again changes nothing', () => {
    const candidates = [se('a', '2026-01-01'), se('b', '2026-01-02', { hostedVS: 1 }), se('c', '2026-01-03')];
    const first = planPlacement(input({ requested: 2, candidates }));
    const second = planPlacement(input({ requested: 2, current: first.assigned, candidates }));
    assert.deepEqual(second.assigned, first.assigned);
    assert.deepEqual(second.removed, []);
  });
});

describe('requestedSEs', () => {
  test('clamps scaleout.minSEs into the group bounds and the VS maximum', () => {
    assert.equal(requestedSEs({ minSEs: 1, maxSEs: 4 }, { minScaleoutPerVS: 1, maxScaleoutPerVS: 4 }), 1);
    assert.equal(requestedSEs({ minSEs: 1, maxSEs: 4 }, { minScaleoutPerVS: 2, maxScaleoutPerVS: 4 }), 2);
    assert.equal(requestedSEs({ minSEs: 6, maxSEs: 8 }, { minScaleoutPerVS: 1, maxScaleoutPerVS: 4 }), 4);
    assert.equal(requestedSEs({ minSEs: 3, maxSEs: 2 }, { minScaleoutPerVS: 1, maxScaleoutPerVS: 4 }), 2);
  });
});
