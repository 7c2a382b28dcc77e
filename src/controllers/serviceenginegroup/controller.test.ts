import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findCondition, type ServiceEngineGroupStatus } from '../../api/index.js';
import { freeSlots, seName, summarizeGroup } from './controller.js';

test('SE names are <group>-se-<slot>; the free slots are the lowest of 0..maxSEs-1 no SE has', () => {
  assert.equal(seName('default', 0), 'default-se-0');
  assert.equal(seName('x'.repeat(300), 7), `${'x'.repeat(240)}-se-7`);
  assert.deepEqual(freeSlots('g', 4, new Set()), [0, 1, 2, 3]);
  assert.deepEqual(freeSlots('g', 4, new Set(['g-se-1', 'g-se-3', 'other-se-0', 'g-se-9'])), [0, 2]);
  // Every slot taken: nothing to create, whatever the plan says — maxSEs names exist at most.
  assert.deepEqual(freeSlots('g', 2, new Set(['g-se-0', 'g-se-1'])), []);
});

test('group status counts SEs, ready and idle ones; Ready when the desired count is ready', () => {
  const st: ServiceEngineGroupStatus = {};
  const members = [
    { name: 'a', createdAt: '1', phase: 'Ready' as const, hostedVS: 1 },
    { name: 'b', createdAt: '2', phase: 'Ready' as const, hostedVS: 0 },
    { name: 'c', createdAt: '3', phase: 'Deleting' as const, hostedVS: 0 },
  ];
  summarizeGroup(st, 2, members, { create: 0, retire: [], desired: 2, shortfall: 0, recheckAfterMs: undefined }, new Date(0));
  assert.deepEqual([st.seCount, st.readySECount, st.idleSECount, st.observedGeneration], [2, 2, 1, 2]);
  assert.equal(findCondition(st.conditions, 'Ready')?.status, 'True');
  summarizeGroup(st, 2, members, { create: 0, retire: [], desired: 2, shortfall: 1, recheckAfterMs: undefined }, new Date(0));
  assert.equal(findCondition(st.conditions, 'Ready')?.reason, 'MaxSEsReached');
});
