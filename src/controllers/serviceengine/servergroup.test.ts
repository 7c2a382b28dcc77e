import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServiceEngineGroup } from '../../api/index.js';
import { serverGroupGate } from './servergroup.js';

const group = (antiAffinity: boolean | undefined, status?: ServiceEngineGroup['status']): ServiceEngineGroup => ({
  apiVersion: 'lb.contrail-operator.io/v1alpha1', kind: 'ServiceEngineGroup', metadata: { name: 'spread' },
  spec: { cloudRef: 'c', ...(antiAffinity !== undefined ? { antiAffinity } : {}) }, ...(status !== undefined ? { status } : {}),
}) as ServiceEngineGroup;

test('serverGroupGate: no antiAffinity (or no group) boots without a hint', () => {
  assert.deepEqual(serverGroupGate(undefined), { go: true, hint: undefined });
  assert.deepEqual(serverGroupGate(group(false, { serverGroupUUID: 'left-over' })), { go: true, hint: undefined });
});

test('serverGroupGate: antiAffinity with a server group boots with the group hint', () => {
  assert.deepEqual(serverGroupGate(group(true, { serverGroupUUID: 'sg-1' })), { go: true, hint: 'sg-1' });
});

test('serverGroupGate: antiAffinity without one waits, saying why (the group\'s AntiAffinity message)', () => {
  const g = serverGroupGate(group(true));
  assert.equal(g.go, false);
  assert.match(g.go ? '' : g.message, /spread has antiAffinity but no Nova server group yet/);
  const refused = serverGroupGate(group(true, { conditions: [{ type: 'AntiAffinity', status: 'False', reason: 'ServerGroupFailed', message: 'nova createServerGroup: Quota exceeded, too many server groups.', lastTransitionTime: '2026-01-01T00:00:00Z' }] }));
  assert.match(refused.go ? '' : refused.message, /: nova createServerGroup: Quota exceeded, too many server groups\.; the SE boots once it has one$/);
});
