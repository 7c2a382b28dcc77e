import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sweepEvents } from './events.js';

const owner = { clusterID: 'c1', kind: 'VirtualService', namespace: 'demo', name: 'vs2', uid: 'u-1' };

test('one OrphanDeleted per sweep naming kind, id and owner; failures as a Warning with the error', () => {
  assert.deepEqual(sweepEvents([{ kind: 'port', id: 'p-1', owner }, { kind: 'server', id: 's-1' }], [{ kind: 'instance-ip', id: 'i-1', owner, error: 'contrail delete: 409 in use' }]), [
    { type: 'Normal', reason: 'OrphanDeleted', note: 'deleted 2 orphaned cloud object(s) whose owner is gone: port p-1 (owner VirtualService demo/vs2 u-1); server s-1' },
    { type: 'Warning', reason: 'OrphanDeleteFailed', note: 'could not delete 1 orphaned cloud object(s), the next sweep retries: instance-ip i-1 (owner VirtualService demo/vs2 u-1): contrail delete: 409 in use' },
  ]);
});

test('nothing swept, no event; a big sweep lists five and counts the rest', () => {
  assert.deepEqual(sweepEvents([], []), []);
  const many = Array.from({ length: 8 }, (_, i) => ({ kind: 'port', id: `p-${i}` }));
  assert.match(sweepEvents(many, [])[0]?.note ?? '', /^deleted 8 .*p-4; and 3 more$/);
});
