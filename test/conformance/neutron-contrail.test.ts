// Neutron under the Contrail plugin, against the simulator only: the views over the shared VNC
// state, floating IPs from a floating-ip-pool, and the in-use conflicts (cloud-api.md §2, §5).
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { get, http, login, sim, type Json, type Res } from './support.js';

const VIP_NET = '02b846e6-cd68-4c84-b7ab-3709946ed28b';
const VIP_SUBNET = 'a834986a-385e-4616-9d9c-6b91cfaa51e0';
const PUBLIC = '6f0c3b8e-2d4a-4b9c-8e1f-0a2b3c4d5e05';
let neutron = '';
let contrail = '';
let admin = '';
let member = '';

const n = (m: string, p: string, body?: unknown, token = admin): Promise<Res> => http(m, `${neutron}${p}`, { token, ...(body === undefined ? {} : { body }) });
const v = (m: string, p: string, body?: unknown): Promise<Res> => http(m, `${contrail}${p}`, { token: admin, ...(body === undefined ? {} : { body }) });

before(async () => {
  const s = await sim();
  neutron = s.urls.neutron;
  contrail = s.urls.contrail;
  admin = (await login(s.urls.keystone, 'admin', 'admin-secret', 'demo')).token;
  member = (await login(s.urls.keystone, 'demo', 'demo-secret', 'demo')).token;
});

test('one state: a Neutron port is a VMI with an instance-ip; a VNC VMI is a Neutron port', async () => {
  const p = get((await n('POST', '/v2.0/ports', { port: { network_id: VIP_NET, name: 'vip' } })).json, 'port') as Json;
  const vmi = await v('GET', `/virtual-machine-interface/${String(p['id'])}`);
  assert.equal(vmi.status, 200);
  const back = get(vmi.json, 'virtual-machine-interface', 'instance_ip_back_refs') as Json[];
  assert.equal(back.length, 1);
  const iip = await v('GET', `/instance-ip/${String(back[0]?.['uuid'])}`);
  assert.equal(get(iip.json, 'instance-ip', 'instance_ip_address'), get(p, 'fixed_ips', 0, 'ip_address'));
  assert.equal(get(iip.json, 'instance-ip', 'subnet_uuid'), VIP_SUBNET);
  const made = await v('POST', '/virtual-machine-interfaces', { 'virtual-machine-interface': { fq_name: ['default-domain', 'demo', 'vnc-made'], parent_type: 'project', virtual_network_refs: [{ to: ['default-domain', 'demo', 'vip-net'] }] } });
  const id = String(get(made.json, 'virtual-machine-interface', 'uuid'));
  const viaNeutron = await n('GET', `/v2.0/ports/${id}`);
  assert.equal(viaNeutron.status, 200);
  assert.deepEqual(get(viaNeutron.json, 'port', 'fixed_ips'), []);
  const shared = await v('POST', '/instance-ips', { 'instance-ip': { fq_name: ['shared-vip'], instance_ip_secondary: true, virtual_network_refs: [{ to: ['default-domain', 'demo', 'vip-net'] }], virtual_machine_interface_refs: [{ uuid: id, to: ['default-domain', 'demo', 'vnc-made'] }] } });
  assert.equal(shared.status, 200);
  assert.equal((get((await n('GET', `/v2.0/ports/${id}`)).json, 'port', 'fixed_ips') as Json[]).length, 1, 'an IIP referring to the VMI is a fixed IP of the port');
  const net = get((await n('GET', `/v2.0/networks/${VIP_NET}`)).json, 'network') as Json;
  assert.deepEqual(net['subnets'], [VIP_SUBNET]);
  assert.equal(net['tenant_id'], '5c1d7e2a8b3f4c6d9e0f1a2b3c4d5e6f');
});

test('§5 floating IPs: create on the public network, associate, disassociate with port_id null, delete 204', async () => {
  const p = get((await n('POST', '/v2.0/ports', { port: { network_id: VIP_NET } })).json, 'port') as Json;
  const res = await n('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: PUBLIC, port_id: p['id'] } });
  assert.equal(res.status, 201, res.text);
  const f = get(res.json, 'floatingip') as Json;
  for (const k of ['id', 'floating_ip_address', 'floating_network_id', 'port_id', 'fixed_ip_address', 'router_id', 'status', 'project_id']) assert.ok(k in f, k);
  assert.equal(f['floating_network_id'], PUBLIC);
  assert.equal(f['fixed_ip_address'], get(p, 'fixed_ips', 0, 'ip_address'));
  assert.match(String(f['floating_ip_address']), /^203\.0\.113\.\d+$/);
  const fipVnc = await v('GET', `/floating-ip/${String(f['id'])}`);
  assert.deepEqual((get(fipVnc.json, 'floating-ip', 'virtual_machine_interface_refs') as Json[]).map((r) => r['uuid']), [p['id']]);
  const dis = await n('PUT', `/v2.0/floatingips/${String(f['id'])}`, { floatingip: { port_id: null } });
  assert.deepEqual([get(dis.json, 'floatingip', 'port_id'), get(dis.json, 'floatingip', 'status')], [null, 'DOWN']);
  assert.equal((await n('DELETE', `/v2.0/floatingips/${String(f['id'])}`)).status, 204);
  assert.equal((await n('GET', `/v2.0/floatingips/${String(f['id'])}`)).status, 404);
  const notExternal = await n('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: VIP_NET } });
  assert.equal(notExternal.status, 400);
});

test('§5 floating-ip pool exhausted → 409 IpAddressGenerationFailure; duplicate address → 409', async () => {
  const net = await n('POST', '/v2.0/networks', { network: { name: 'ext-small', 'router:external': true, shared: true } });
  const netId = String(get(net.json, 'network', 'id'));
  await n('POST', '/v2.0/subnets', { subnet: { network_id: netId, cidr: '198.51.100.0/29' } });
  const got: string[] = [];
  for (let i = 0; i < 4; i++) {
    const f = await n('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: netId } });
    assert.equal(f.status, 201, f.text);
    got.push(String(get(f.json, 'floatingip', 'floating_ip_address')));
  }
  assert.deepEqual(got, ['198.51.100.4', '198.51.100.3', '198.51.100.2', '198.51.100.1'], '/29: gateway .6, DNS .5, then top down');
  const out = await n('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: netId } });
  assert.equal(out.status, 409);
  assert.equal(get(out.json, 'NeutronError', 'type'), 'IpAddressGenerationFailure');
  const dup = await n('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: PUBLIC, floating_ip_address: '203.0.113.10' } });
  assert.equal(dup.status, 201);
  const again = await n('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: PUBLIC, floating_ip_address: '203.0.113.10' } });
  assert.equal(again.status, 409);
  assert.equal(get(again.json, 'NeutronError', 'type'), 'IpAddressInUse');
});

test('§5 in-use conflicts: network with ports → NetworkInUse, subnet with IPs → SubnetInUse', async () => {
  const net = get((await n('POST', '/v2.0/networks', { network: { name: 'busy' } })).json, 'network') as Json;
  const sub = get((await n('POST', '/v2.0/subnets', { subnet: { network_id: net['id'], cidr: '10.77.0.0/24' } })).json, 'subnet') as Json;
  assert.equal(sub['gateway_ip'], '10.77.0.254', 'Contrail puts the gateway at last−1');
  const p = get((await n('POST', '/v2.0/ports', { port: { network_id: net['id'] } })).json, 'port') as Json;
  assert.equal(get(p, 'fixed_ips', 0, 'ip_address'), '10.77.0.252');
  const delNet = await n('DELETE', `/v2.0/networks/${String(net['id'])}`);
  assert.deepEqual([delNet.status, get(delNet.json, 'NeutronError', 'type')], [409, 'NetworkInUse']);
  const delSub = await n('DELETE', `/v2.0/subnets/${String(sub['id'])}`);
  assert.deepEqual([delSub.status, get(delSub.json, 'NeutronError', 'type')], [409, 'SubnetInUse']);
  assert.equal((await n('DELETE', `/v2.0/ports/${String(p['id'])}`)).status, 204);
  assert.equal((await n('DELETE', `/v2.0/subnets/${String(sub['id'])}`)).status, 204);
  assert.equal((await n('DELETE', `/v2.0/networks/${String(net['id'])}`)).status, 204);
});

test('§5 tenancy: a member sees its project\'s and shared networks, not another project\'s ports', async () => {
  const nets = (get((await n('GET', '/v2.0/networks', undefined, member)).json, 'networks') as Json[]).map((x) => x['name']);
  assert.ok(nets.includes('vip-net') && nets.includes('avi-mgmt') && nets.includes('public'));
  const s = await sim();
  const adminProj = (await login(s.urls.keystone, 'admin', 'admin-secret', 'admin')).token;
  const foreign = get((await n('POST', '/v2.0/ports', { port: { network_id: '6f0c3b8e-2d4a-4b9c-8e1f-0a2b3c4d5e01' } }, adminProj)).json, 'port') as Json;
  assert.equal((await n('GET', `/v2.0/ports/${String(foreign['id'])}`, undefined, member)).status, 404);
  const forbidden = await n('POST', '/v2.0/ports', { port: { network_id: VIP_NET, tenant_id: '9a6e2f3b1c4d4e8f9a0b1c2d3e4f5a6b' } }, member);
  assert.equal(forbidden.status, 403);
});
