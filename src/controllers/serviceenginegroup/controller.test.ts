import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findCondition, type ServiceEngineGroupStatus } from '../../api/index.js';
import { seName, summarizeGroup } from './controller.js';

test('SE names look like Avi\'s: <group>-se-<5 chars>', () => {
  const names = new Set(Array.from({ length: 50 }, () => seName('default')));
  for (const n of names) assert.match(n, /^default-se-[a-z0-9]{5}$/);
  assert.ok(names.size > 45, 'random suffixes');
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
