import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CloudView, KIND, type Owner } from '../../cloud/index.js';
import { createdPortEntry, observeSE, toObservation, toSEPort, withAttachment } from './observe.js';

const owner: Owner = { clusterID: 'c1', kind: 'ServiceEngine', namespace: 'demo', name: 'g-se-abcde', uid: 'aaaabbbb-0000-4000-8000-000000000001' };
const port = (id: string, name: string, net: string, device = '', aap: unknown[] = []) => ({
  id, name, network_id: net, mac_address: `02:00:00:00:00:${id.slice(-2)}`, fixed_ips: [{ ip_address: `10.0.0.${id.slice(-1)}` }],
  allowed_address_pairs: aap, device_owner: '', device_id: device, status: 'ACTIVE',
});

test('Neutron: management port, data ports (attached, referenced by an AAP), and the server, by owner uid', () => {
  const view = new CloudView({ cloud: 'x', sources: [] });
  view.written(KIND.port, 'p1', port('p1', 'lbop-aaaabbbb-mgmt', 'mgmt', 'srv'), owner);
  view.written(KIND.port, 'p2', port('p2', 'lbop-aaaabbbb-data-02b846e6', 'vip-net', 'srv', [{ ip_address: '19.1.1.7' }]), owner);
  view.written(KIND.port, 'p3', port('p3', 'lbop-aaaabbbb-data-6f0c3b8e', 'srv-net'), owner);
  view.written(KIND.port, 'other', port('p9', 'lbop-ccccdddd-mgmt', 'mgmt'), { ...owner, uid: 'someone-else' });
  view.written(KIND.server, 'srv', { id: 'srv', name: 'lbop-aaaabbbb-se', status: 'ACTIVE', metadata: {}, created: '2026-01-01T00:00:00Z' }, owner);
  const seen = observeSE(view, 'neutron', owner.uid);
  assert.equal(seen.mgmt?.uuid, 'p1');
  assert.deepEqual(seen.servers.map((s) => s.id), ['srv']);
  const obs = toObservation(seen);
  assert.deepEqual(obs.managementPort, { uuid: 'p1' });
  assert.deepEqual(obs.server, { uuid: 'srv', status: 'ACTIVE' });
  assert.deepEqual(obs.dataPorts, [
    { uuid: 'p2', networkUUID: 'vip-net', referenced: true, attached: true },
    { uuid: 'p3', networkUUID: 'srv-net', referenced: false, attached: false },
  ]);
});

test('Contrail: a VMI is referenced only by one of OUR instance-ips or any floating IP; its own address is not a reference', () => {
  const vmi = (backIips: string[], fips: string[] = []) => ({
    uuid: 'v1', display_name: 'lbop-aaaabbbb-data-02b846e6', virtual_network_refs: [{ to: [], uuid: 'vip-net' }],
    virtual_machine_refs: [{ to: ['srv'], uuid: 'srv' }], virtual_machine_interface_mac_addresses: { mac_address: ['02:aa'] },
    instance_ip_back_refs: backIips.map((u) => ({ to: [u], uuid: u })), floating_ip_back_refs: fips.map((u) => ({ to: [u], uuid: u })),
  });
  const ours = new Set(['vip-iip']);
  assert.equal(toSEPort('contrail', vmi(['own-iip']), ours).referenced, false);
  assert.equal(toSEPort('contrail', vmi(['own-iip', 'vip-iip']), ours).referenced, true);
  assert.equal(toSEPort('contrail', vmi(['own-iip'], ['fip']), ours).referenced, true);
  const p = toSEPort('contrail', vmi([]), ours);
  assert.deepEqual([p.role, p.networkUUID, p.attachedTo, p.mac], ['data', 'vip-net', 'srv', '02:aa']);
});

test('write-through entries read back as the port that was created, bound and unbound', () => {
  for (const mode of ['neutron', 'contrail'] as const) {
    const created = createdPortEntry(mode, port('p5', 'lbop-aaaabbbb-mgmt', 'mgmt') as never);
    assert.equal(toSEPort(mode, created, new Set()).attachedTo, undefined, mode);
    const bound = withAttachment(mode, created, 'srv');
    assert.equal(toSEPort(mode, bound, new Set()).attachedTo, 'srv', mode);
    assert.equal(toSEPort(mode, withAttachment(mode, bound, undefined), new Set()).attachedTo, undefined, mode);
    assert.equal(toSEPort(mode, bound, new Set()).role, 'mgmt');
  }
});

test('a duplicate server (a boot repeated after a crash): the oldest is adopted', () => {
  const view = new CloudView({ cloud: 'x', sources: [] });
  view.written(KIND.server, 'new', { id: 'new', status: 'BUILD', metadata: {}, created: '2026-01-01T00:00:05Z' }, owner);
  view.written(KIND.server, 'old', { id: 'old', status: 'ACTIVE', metadata: {}, created: '2026-01-01T00:00:01Z' }, owner);
  const seen = observeSE(view, 'neutron', owner.uid);
  assert.deepEqual(seen.servers.map((s) => s.id), ['old', 'new']);
  assert.equal(toObservation(seen).server?.uuid, 'old');
});
