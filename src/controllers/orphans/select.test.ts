import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KIND, type Owner } from '../../cloud/index.js';
import { ownerLiveness, selectOrphans, type Tagged } from './select.js';

const owner = (uid: string, o: Partial<Owner> = {}): Owner => ({ clusterID: 'c1', kind: 'ServiceEngine', namespace: 'demo', name: `se-${uid}`, uid, ...o });
const item = (kind: string, id: string, ow: Owner | undefined): Tagged => ({ kind, id, owner: ow, obj: {} });

const alive = ownerLiveness(
  new Map([['ServiceEngine', new Set(['live'])], ['VirtualService', new Set(['vs-live'])], ['Cloud', new Set<string>()]]),
  (ns) => ns === 'demo',
  new Set(['Cloud']),
);

test('only our objects whose owner is known gone are selected, in dependency order', () => {
  const items = [
    item(KIND.vmi, 'vmi-dead', owner('dead')),
    item(KIND.server, 'srv-dead', owner('dead')),
    item(KIND.instanceIp, 'iip-dead', owner('vs-dead', { kind: 'VirtualService' })),
    item(KIND.floatingIp, 'fip-dead', owner('vs-dead', { kind: 'VirtualService' })),
    item(KIND.server, 'srv-live', owner('live')),
    item(KIND.port, 'untagged', undefined),
    item(KIND.server, 'other-cluster', owner('dead', { clusterID: 'c2' })),
    item(KIND.server, 'unknown-kind', owner('dead', { kind: 'Gadget' })),
    item(KIND.server, 'unwatched-ns', owner('dead', { namespace: 'elsewhere' })),
    item(KIND.server, 'no-ns', owner('dead', { namespace: '' })),
    item(KIND.virtualMachine, 'vm-dead', owner('dead')),
    item(KIND.vmi, 'cloud-owned', owner('gone-cloud', { kind: 'Cloud', namespace: '' })),
  ];
  assert.deepEqual(selectOrphans(items, 'c1', alive).map((t) => t.id), ['fip-dead', 'iip-dead', 'srv-dead', 'vmi-dead', 'cloud-owned']);
});

test('a leaked SE health check is swept after the VMIs that referred to it', () => {
  const items = [item(KIND.serviceHealthCheck, 'hc-dead', owner('dead')), item(KIND.vmi, 'vmi-dead', owner('dead')), item(KIND.serviceHealthCheck, 'hc-live', owner('live'))];
  assert.deepEqual(selectOrphans(items, 'c1', alive).map((t) => t.id), ['vmi-dead', 'hc-dead']);
});

test('nothing is selected when every owner lives or the cluster differs', () => {
  const items = [item(KIND.server, 'a', owner('live')), item(KIND.port, 'b', owner('dead', { clusterID: 'other' }))];
  assert.deepEqual(selectOrphans(items, 'c1', alive), []);
});
