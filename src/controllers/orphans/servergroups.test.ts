import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverGroupName, type ServerGroup } from '../../cloud/index.js';
import { knownGroups, leakedServerGroups } from './servergroups.js';
import type { GroupObj } from '../model/index.js';

const CLUSTER = '5d1f0c2a-0000-4000-8000-000000000001';
const LIVE = 'aaaa1111-2222-4333-8444-555566667777';
const GONE = 'bbbb1111-2222-4333-8444-555566667777';
const sg = (id: string, name: string, members: string[] = []): ServerGroup => ({ id, name, policies: ['anti-affinity'], members });
const seg = (uid: string, serverGroupUUID?: string): GroupObj => ({
  apiVersion: 'lb.contrail-operator.io/v1alpha1', kind: 'ServiceEngineGroup', metadata: { name: uid.slice(0, 4), uid }, spec: { cloudRef: 'c' },
  ...(serverGroupUUID !== undefined ? { status: { serverGroupUUID } } : {}),
}) as GroupObj;

test('leakedServerGroups: only ours (name + cluster), owner gone, unrecorded and empty', () => {
  const listed = [
    sg('live', serverGroupName(LIVE, CLUSTER)),
    sg('leak', serverGroupName(GONE, CLUSTER)),
    sg('busy', serverGroupName(GONE, CLUSTER), ['server-1']),
    sg('other-cluster', serverGroupName(GONE, 'ffff0000-0000-4000-8000-000000000009')),
    sg('someone-elses', 'web-anti-affinity'),
    sg('recorded', serverGroupName('cccc1111-2222-4333-8444-555566667777', CLUSTER)),
  ];
  const known = knownGroups([seg(LIVE), seg('dddd1111-2222-4333-8444-555566667777', 'recorded')]);
  assert.deepEqual(leakedServerGroups(listed, CLUSTER, known).map((g) => g.id), ['leak']);
});

test('serverGroupName carries the group and the cluster, nothing else matches', () => {
  assert.equal(serverGroupName(LIVE, CLUSTER), 'lbop-aaaa1111-5d1f0c2a-anti-affinity');
  assert.deepEqual(leakedServerGroups([sg('x', 'lbop-aaaa1111-anti-affinity')], CLUSTER, knownGroups([])), []);
});
