// Contrail, Nova and Neutron clients and the Contrail CloudView against the simulator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CloudView, Conflict, contrailSources, KIND, NotFound, objectName, openCloudView, ownerFromAnnotations, ownerFromMetadata,
  stampAnnotations, stampMetadata, type InstanceIp, type Owner, type ViewChange, type VirtualMachineInterface,
} from '../../src/cloud/index.js';
import { assertNoSecrets } from './capture.js';
import { ADMIN_PASSWORD, control, eventually, IMAGE, MGMT_NET, requestCount, simCloud, VIP_NET, VIP_SUBNET } from './sim.js';

const owner: Owner = { clusterID: 'cluster-a', kind: 'VirtualService', namespace: 'demo', name: 'vs2', uid: '6f1c2a9e-1111-2222-3333-444455556666' };

test('Contrail: VIP port + shared active-active instance-ip, ref-update, relax, typed conflicts', async () => {
  const { cloud, cap, registry, close } = await simCloud();
  const errors: unknown[] = [];
  try {
    const vnc = cloud.contrail;
    assert.ok(vnc);
    const vn = await vnc.read('virtual-network', VIP_NET);
    const vmi = (role: string) => vnc.create('virtual-machine-interface', {
      fq_name: ['default-domain', 'demo', objectName(owner.uid, role)], parent_type: 'project',
      virtual_network_refs: [{ to: vn.fq_name, uuid: vn.uuid }], annotations: stampAnnotations(owner),
    });
    const vip = await vmi('vip-0');
    const se1 = await vmi('se1-data');
    const dup = await vmi('vip-0').then(() => undefined, (e: unknown) => e);
    errors.push(dup);
    assert.ok(dup instanceof Conflict && dup.conflict === 'AlreadyExists', String(dup));
    assert.match(dup.serverMessage, /already exists with uuid/);
    assert.equal(await vnc.fqNameToId('virtual-machine-interface', vip.fq_name), vip.uuid);
    assert.deepEqual((await vnc.idToFqName(vip.uuid)).fq_name, vip.fq_name);
    const iip = await vnc.create('instance-ip', {
      fq_name: [objectName(owner.uid, 'vip-0')], subnet_uuid: VIP_SUBNET, instance_ip_mode: 'active-active', instance_ip_secondary: true,
      virtual_network_refs: [{ to: vn.fq_name, uuid: vn.uuid }], virtual_machine_interface_refs: [{ to: vip.fq_name, uuid: vip.uuid }],
      annotations: stampAnnotations(owner),
    });
    const got = await vnc.read<InstanceIp>('instance-ip', iip.uuid);
    assert.equal(got.instance_ip_address, '19.1.1.252');
    assert.deepEqual(ownerFromAnnotations(got.annotations), owner);
    await vnc.refUpdate({ type: 'instance-ip', uuid: iip.uuid, refType: 'virtual-machine-interface', refUuid: se1.uuid, operation: 'ADD' });
    await vnc.refUpdate({ type: 'instance-ip', uuid: iip.uuid, refType: 'virtual-machine-interface', refUuid: se1.uuid, operation: 'ADD' });
    const byBackRef = await vnc.list<InstanceIp>('instance-ip', { backRefId: [se1.uuid], detail: true, fields: ['virtual_machine_interface_refs'] });
    assert.deepEqual(byBackRef.map((i) => i.uuid), [iip.uuid]);
    assert.equal(byBackRef[0]?.virtual_machine_interface_refs?.length, 2);
    const referred = await vnc.delete('virtual-machine-interface', se1.uuid).then(() => undefined, (e: unknown) => e);
    errors.push(referred);
    assert.ok(referred instanceof Conflict && referred.conflict === 'StillReferred', String(referred));
    await vnc.refRelaxForDelete(iip.uuid, se1.uuid);
    await vnc.delete('virtual-machine-interface', se1.uuid);
    const after = await vnc.read<InstanceIp>('instance-ip', iip.uuid);
    assert.deepEqual(after.virtual_machine_interface_refs?.map((r) => r.uuid), [vip.uuid]);
    const gone = await vnc.read('virtual-machine-interface', se1.uuid).then(() => undefined, (e: unknown) => e);
    errors.push(gone);
    assert.ok(gone instanceof NotFound);
    // Long uuid lists go through list-bulk-collection.
    const many = [vip.uuid, ...Array.from({ length: 80 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`)];
    const bulk = await vnc.list<VirtualMachineInterface>('virtual-machine-interface', { objUuids: many, detail: true, fields: ['annotations'] });
    assert.deepEqual(bulk.map((v) => v.uuid), [vip.uuid]);
    assert.equal(await vnc.count('instance-ip'), 1);
    const ops = (await registry.getMetricsAsJSON()).find((m) => m.name === 'lbop_cloud_api_requests_total')?.values.map((v) => v.labels['op']);
    assert.ok(ops?.includes('list:virtual-machine-interface'));
    await assertNoSecrets([ADMIN_PASSWORD, (await cloud.keystone.token({ name: 'admin' })).value], { logs: cap.lines, errors, registry });
  } finally { await close(); }
});

test('Nova: boot tagged server, observe ACTIVE, attach/detach a port, delete', async () => {
  const { cloud, close } = await simCloud();
  try {
    const nova = cloud.nova({ name: 'demo' });
    const neutron = cloud.neutron({ name: 'demo' });
    const mgmt = await neutron.createPort({ network_id: MGMT_NET, name: objectName(owner.uid, 'mgmt') });
    const { id } = await nova.createServer({
      name: objectName(owner.uid, 'se-1'), imageRef: IMAGE, flavorRef: '2', networks: [{ port: mgmt.id }], metadata: stampMetadata(owner), config_drive: true,
    });
    const active = await eventually('server ACTIVE', async () => {
      const s = await nova.getServer(id);
      return s.status === 'ACTIVE' ? s : undefined;
    });
    assert.deepEqual(ownerFromMetadata(active.metadata), owner);
    const listed = await nova.listServers({ name: '^lbop-' });
    assert.deepEqual(listed.map((s) => s.id), [id]);
    const data = await neutron.createPort({ network_id: VIP_NET });
    const att = await nova.attachInterface(id, { port_id: data.id });
    assert.equal(att.port_id, data.id);
    assert.ok((await nova.listInterfaces(id)).some((i) => i.port_id === data.id));
    await nova.detachInterface(id, data.id);
    await nova.deleteServer(id);
    await eventually('server gone', async () => (await nova.getServer(id).then(() => undefined, (e: unknown) => (e instanceof NotFound ? true : undefined))));
  } finally { await close(); }
});

test('Contrail CloudView: one list per kind, ours only, server ERROR and vanished VMI notified', async () => {
  const { sim, cloud, close } = await simCloud();
  try {
    const vnc = cloud.contrail;
    assert.ok(vnc);
    const vn = await vnc.read('virtual-network', VIP_NET);
    const nova = cloud.nova({ name: 'demo' });
    const changes: ViewChange[] = [];
    const view = new CloudView({ cloud: 'sim', sources: contrailSources({ contrail: vnc, novas: [nova], clusterID: owner.clusterID }), onChange: (c) => changes.push(...c) });
    const mine = await vnc.create('virtual-machine-interface', {
      fq_name: ['default-domain', 'demo', objectName(owner.uid, 'vip-0')], parent_type: 'project',
      virtual_network_refs: [{ to: vn.fq_name, uuid: vn.uuid }], annotations: stampAnnotations(owner),
    });
    await vnc.create('virtual-machine-interface', {
      fq_name: ['default-domain', 'demo', 'someone-elses'], parent_type: 'project', virtual_network_refs: [{ to: vn.fq_name, uuid: vn.uuid }],
      annotations: stampAnnotations({ ...owner, clusterID: 'other-cluster' }),
    });
    const { id } = await nova.createServer({ name: objectName(owner.uid, 'se-1'), imageRef: IMAGE, flavorRef: '2', networks: [{ uuid: MGMT_NET }], metadata: stampMetadata(owner) });
    await view.refresh();
    assert.equal(view.listCalls, 7, 'VMIs, IIPs, FIPs, service health checks, VMs, VNs, servers: one list each');
    assert.deepEqual(view.list(KIND.vmi).map((o) => o.id), [mine.uuid]);
    assert.deepEqual(view.list(KIND.server).map((o) => o.id), [id]);
    assert.ok(view.list(KIND.virtualNetwork).some((o) => o.id === VIP_NET));
    await eventually('ACTIVE observed', async () => { await view.refresh(); return view.get<{ status: string }>(KIND.server, id)?.obj.status === 'ACTIVE' ? true : undefined; });
    changes.length = 0;
    await control(sim, 'POST', `/sim/servers/${id}/state`, { state: 'ERROR', message: 'host died' });
    await vnc.delete('virtual-machine-interface', mine.uuid);
    await view.refresh();
    const seen = changes.map((c) => `${c.kind}:${c.change}:${c.owner?.uid}`).sort();
    assert.deepEqual(seen, [`server:updated:${owner.uid}`, `virtual-machine-interface:removed:${owner.uid}`]);
    assert.equal(view.get<{ status: string }>(KIND.server, id)?.obj.status, 'ERROR');
  } finally { await close(); }
});

test('concurrent callers share one authentication per project; openCloudView picks the Contrail kinds', async () => {
  const { cloud, registry, close } = await simCloud();
  try {
    const tokens = await Promise.all(Array.from({ length: 10 }, () => cloud.keystone.token({ name: 'demo' })));
    assert.equal(new Set(tokens.map((t) => t.value)).size, 1);
    assert.equal(await requestCount(registry, { op: 'authenticate' }), 1);
    const view = openCloudView(cloud, { clusterID: owner.clusterID, projects: [{ name: 'demo' }] });
    await view.refresh();
    assert.equal(view.synced, true);
    assert.equal(view.listCalls, 7, 'the Contrail kinds, service health checks included');
    assert.ok(view.list(KIND.virtualNetwork).length >= 4);
    const plain = openCloudView({ ...cloud, contrail: undefined }, { clusterID: owner.clusterID, projects: [] });
    await plain.refresh();
    assert.equal(plain.listCalls, 5);
    assert.ok(plain.list(KIND.network).some((n) => n.id === VIP_NET));
  } finally { await close(); }
});
