import { test } from 'node:test';
import assert from 'node:assert/strict';
import { outsiders, planServerGroup } from './servergroup.js';
import type { SEObj } from '../model/index.js';
import type { Condition } from '../../api/index.js';

test('planServerGroup: none found → create; the recorded one kept; duplicates without members removed', () => {
  assert.deepEqual(planServerGroup(true, undefined, []), { keep: undefined, create: true, remove: [] });
  assert.deepEqual(planServerGroup(true, 'b', [{ id: 'a', members: [] }, { id: 'b', members: [] }]), { keep: 'b', create: false, remove: ['a'] });
  // Recorded one gone (deleted behind our back): none left → create again.
  assert.deepEqual(planServerGroup(true, 'gone', []), { keep: undefined, create: true, remove: [] });
});

test('planServerGroup: after a crash (nothing recorded) the group holding SEs is adopted; a duplicate with members is left alone', () => {
  assert.deepEqual(planServerGroup(true, undefined, [{ id: 'a', members: [] }, { id: 'b', members: ['s1', 's2'] }]), { keep: 'b', create: false, remove: ['a'] });
  assert.deepEqual(planServerGroup(true, 'a', [{ id: 'a', members: ['s1'] }, { id: 'b', members: ['s2'] }]), { keep: 'a', create: false, remove: [] });
});

test('planServerGroup: antiAffinity off (or the group deleted) removes every one of ours', () => {
  assert.deepEqual(planServerGroup(false, 'a', [{ id: 'a', members: ['s1'] }, { id: 'b', members: [] }]), { keep: undefined, create: false, remove: ['a', 'b'] });
  assert.deepEqual(planServerGroup(false, undefined, []), { keep: undefined, create: false, remove: [] });
});

test('outsiders: booted SEs whose server is not a member; booting, failed-boot and deleting SEs are not', () => {
  const booted: Condition[] = [{ type: 'Booted', status: 'True', reason: 'Active', message: 'ACTIVE', lastTransitionTime: '2026-01-01T00:00:00Z' }];
  const se = (name: string, serverUUID?: string, deleting = false, conditions: Condition[] = booted): SEObj => ({
    apiVersion: 'lb.contrail-operator.io/v1alpha1', kind: 'ServiceEngine',
    metadata: { name, uid: name, ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: { cloudRef: 'c', seGroupRef: 'g' },
    ...(serverUUID !== undefined ? { status: { serverUUID, conditions } } : {}),
  }) as SEObj;
  const failedBoot: Condition[] = [{ type: 'Booted', status: 'False', reason: 'BootFailed', message: 'No valid host was found.', lastTransitionTime: '2026-01-01T00:00:00Z' }];
  const out = outsiders([se('in', 's1'), se('out', 's9'), se('booting'), se('going', 's8', true), se('failed-boot', 's7', false, failedBoot)], ['s1']);
  assert.deepEqual(out.map((s) => s.metadata.name), ['out']);
});
