import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  isOurs, NEUTRON_DESCRIPTION_MAX, objectName, ownerDescription, ownerFromAnnotations, ownerFromDescription, ownerFromMetadata,
  ownerKey, stampAnnotations, stampMetadata, type Owner,
} from './owner.js';

const owner: Owner = { clusterID: 'c-1', kind: 'VirtualService', namespace: 'demo', name: 'vs2', uid: '6f1c2a9e-1111-2222-3333-444455556666' };

test('names are lbop-<uid8>-<role>', () => {
  assert.equal(objectName(owner.uid, 'vip-0'), 'lbop-6f1c2a9e-vip-0');
  assert.equal(objectName(owner.uid, 'Data Port/1'), 'lbop-6f1c2a9e-data-port-1');
  assert.equal(ownerKey(owner), 'VirtualService/demo/vs2');
});

test('Contrail annotations round-trip and keep foreign pairs', () => {
  const a = stampAnnotations(owner, { key_value_pair: [{ key: 'other', value: 'x' }, { key: 'lbop.owner-name', value: 'stale' }] });
  assert.deepEqual(a.key_value_pair.filter((kv) => kv.key === 'other'), [{ key: 'other', value: 'x' }]);
  assert.equal(a.key_value_pair.filter((kv) => kv.key === 'lbop.owner-name').length, 1);
  assert.deepEqual(ownerFromAnnotations(a), owner);
  assert.equal(ownerFromAnnotations(undefined), undefined);
  assert.equal(ownerFromAnnotations({ key_value_pair: [{ key: 'lbop.owner-uid', value: 'u' }] }), undefined);
});

test('Nova metadata round-trips over the caller keys', () => {
  const m = stampMetadata(owner, { role: 'se' });
  assert.equal(m['role'], 'se');
  assert.equal(m['lbop.owner-uid'], owner.uid);
  assert.deepEqual(ownerFromMetadata(m), owner);
});

test('Neutron description is lbop: + compact JSON within 255 chars', () => {
  const d = ownerDescription(owner);
  assert.ok(d.startsWith('lbop:{"lbop.cluster-id":"c-1"'));
  assert.deepEqual(ownerFromDescription(d), owner);
  const long = { ...owner, name: 'n'.repeat(253), namespace: 'ns'.repeat(31) };
  const ld = ownerDescription(long);
  assert.ok(ld.length <= NEUTRON_DESCRIPTION_MAX);
  const back = ownerFromDescription(ld);
  assert.equal(back?.uid, owner.uid);
  assert.equal(back?.clusterID, owner.clusterID);
  assert.equal(ownerFromDescription('a user port'), undefined);
  assert.equal(ownerFromDescription('lbop:{not json'), undefined);
});

test('ours means tagged by this cluster', () => {
  assert.equal(isOurs(owner, 'c-1'), true);
  assert.equal(isOurs(owner, 'c-2'), false);
  assert.equal(isOurs(undefined, 'c-1'), false);
});
