import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planVipRefs, type SEDataVnic } from './ecmp.js';

const vnic = (se: string, over: Partial<SEDataVnic> = {}): SEDataVnic => ({ se, vmiUUID: `vmi-${se}`, attached: true, healthy: true, ...over });

test('adds a ref per assigned, healthy, attached SE', () => {
  const plan = planVipRefs(['a', 'b'], [vnic('a'), vnic('b')], []);
  assert.deepEqual(plan.actions, [
    { op: 'ADD', vmiUUID: 'vmi-a', se: 'a' },
    { op: 'ADD', vmiUUID: 'vmi-b', se: 'b' },
  ]);
  assert.deepEqual(plan.programmed, ['a', 'b']);
});

test('an SE without an attached vNIC in the VIP network does not join yet', () => {
  const plan = planVipRefs(['a', 'b', 'c'], [vnic('a'), vnic('b', { attached: false }), vnic('c', { vmiUUID: undefined })], []);
  assert.deepEqual(plan.actions, [{ op: 'ADD', vmiUUID: 'vmi-a', se: 'a' }]);
  assert.deepEqual(plan.programmed, ['a']);
});

test('steady state plans nothing', () => {
  const plan = planVipRefs(['a', 'b'], [vnic('a'), vnic('b')], ['vmi-b', 'vmi-a']);
  assert.deepEqual(plan.actions, []);
});

test('failed SE refs are deleted before new refs are added; scale-in refs after', () => {
  const vnics = [vnic('dead', { healthy: false }), vnic('old'), vnic('new')];
  const plan = planVipRefs(['new'], vnics, ['vmi-old', 'vmi-dead', 'vmi-stranger']);
  assert.deepEqual(plan.actions, [
    { op: 'DELETE', vmiUUID: 'vmi-dead', reason: 'failed' },
    { op: 'DELETE', vmiUUID: 'vmi-stranger', reason: 'unknown' },
    { op: 'ADD', vmiUUID: 'vmi-new', se: 'new' },
    { op: 'DELETE', vmiUUID: 'vmi-old', reason: 'scale-in' },
  ]);
});

test('an assigned but unhealthy SE is never programmed', () => {
  const plan = planVipRefs(['a'], [vnic('a', { healthy: false })], ['vmi-a']);
  assert.deepEqual(plan.actions, [{ op: 'DELETE', vmiUUID: 'vmi-a', reason: 'failed' }]);
  assert.deepEqual(plan.programmed, []);
});

test('an SE whose agent has not applied the VS yet does not join; once it has, it does', () => {
  const before = planVipRefs(['a', 'b'], [vnic('a', { joinable: true }), vnic('b', { joinable: false })], ['vmi-a']);
  assert.deepEqual(before.actions, []);
  assert.deepEqual(before.programmed, ['a']);
  const after = planVipRefs(['a', 'b'], [vnic('a', { joinable: true }), vnic('b', { joinable: true })], ['vmi-a']);
  assert.deepEqual(after.actions, [{ op: 'ADD', vmiUUID: 'vmi-b', se: 'b' }]);
  assert.deepEqual(after.programmed, ['a', 'b']);
});

test('an SE already in the set stays while its agent applies a newer config', () => {
  const plan = planVipRefs(['a', 'b'], [vnic('a', { joinable: false }), vnic('b', { joinable: false })], ['vmi-a', 'vmi-b']);
  assert.deepEqual(plan.actions, []);
  assert.deepEqual(plan.programmed, ['a', 'b']);
});
