// cloud-api.md §1–§2 and §7 (VNC): the Contrail config API as the simulator serves it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { get, http, login, sim, type Json, type Res } from './support.js';

const VIP_NET = '02b846e6-cd68-4c84-b7ab-3709946ed28b';
const VIP_SUBNET = 'a834986a-385e-4616-9d9c-6b91cfaa51e0';
const IPAM = ['default-domain', 'default-project', 'default-network-ipam'];
let n = 0;
const unique = (p: string): string => `${p}-${++n}`;

async function ctx(): Promise<{ base: string; token: string; call: (m: string, p: string, b?: unknown) => Promise<Res> }> {
  const s = await sim();
  const { token } = await login(s.urls.keystone, 'admin', 'admin-secret', 'admin');
  return { base: s.urls.contrail, token, call: (m, p, b) => http(m, `${s.urls.contrail}${p}`, { token, ...(b === undefined ? {} : { body: b }) }) };
}

type Call = Awaited<ReturnType<typeof ctx>>['call'];

async function createVn(call: Call, subnets: Json[], extra: Json = {}): Promise<{ uuid: string; fq: string[] }> {
  const fq = ['default-domain', 'demo', unique('vn')];
  const res = await call('POST', '/virtual-networks', {
    'virtual-network': { fq_name: fq, parent_type: 'project', network_ipam_refs: [{ to: IPAM, attr: { ipam_subnets: subnets } }], ...extra },
  });
  assert.equal(res.status, 200, res.text);
  return { uuid: String(get(res.json, 'virtual-network', 'uuid')), fq };
}

async function createVmi(call: Call, vn: string[], extra: Json = {}): Promise<{ uuid: string; fq: string[] }> {
  const fq = ['default-domain', 'demo', unique('vmi')];
  const res = await call('POST', '/virtual-machine-interfaces', {
    'virtual-machine-interface': { fq_name: fq, parent_type: 'project', virtual_network_refs: [{ to: vn }], ...extra },
  });
  assert.equal(res.status, 200, res.text);
  return { uuid: String(get(res.json, 'virtual-machine-interface', 'uuid')), fq };
}

async function createIip(call: Call, vn: string[], extra: Json = {}): Promise<Res> {
  return call('POST', '/instance-ips', { 'instance-ip': { fq_name: [unique('iip')], virtual_network_refs: [{ to: vn }], ...extra } });
}

const subnet = (prefix: string, len: number, extra: Json = {}): Json => ({ subnet: { ip_prefix: prefix, ip_prefix_len: len }, ...extra });

test('§7.1 create VN: 200 with exactly the create shape; GET shows subnet_uuid, gateway .254, dns .253', async () => {
  const { call } = await ctx();
  const fq = ['default-domain', 'demo', unique('vn')];
  const res = await call('POST', '/virtual-networks', { 'virtual-network': { fq_name: fq, parent_type: 'project', network_ipam_refs: [{ to: IPAM, attr: { ipam_subnets: [subnet('10.1.0.5', 24)] } }] } });
  assert.equal(res.status, 200);
  const body = get(res.json, 'virtual-network') as Json;
  assert.deepEqual(Object.keys(body).sort(), ['fq_name', 'href', 'name', 'parent_href', 'parent_type', 'parent_uuid', 'uuid']);
  assert.deepEqual(body['fq_name'], fq);
  assert.equal(body['parent_type'], 'project');
  assert.match(String(body['href']), new RegExp(`/virtual-network/${String(body['uuid'])}$`));
  const got = await call('GET', `/virtual-network/${String(body['uuid'])}`);
  const s = get(got.json, 'virtual-network', 'network_ipam_refs', 0, 'attr', 'ipam_subnets', 0) as Json;
  assert.match(String(s['subnet_uuid']), /^[0-9a-f-]{36}$/);
  assert.equal(s['default_gateway'], '10.1.0.254');
  assert.equal(s['dns_server_address'], '10.1.0.253');
  assert.deepEqual(s['subnet'], { ip_prefix: '10.1.0.0', ip_prefix_len: 24 }, 'SubnetType normalised to the network address');
  const vn = get(got.json, 'virtual-network') as Json;
  assert.equal(vn['display_name'], fq[2]);
  assert.equal(get(vn, 'id_perms', 'enable'), true);
  assert.doesNotMatch(String(get(vn, 'id_perms', 'created')), /Z$/);
  assert.equal(typeof get(vn, 'perms2', 'owner'), 'string');
  assert.ok(got.headers.get('etag'));
});

test('§2.1 addr_from_start: gateway .1, dns .2, first address .3', async () => {
  const { call } = await ctx();
  const vn = await createVn(call, [subnet('10.2.0.0', 24, { addr_from_start: true })]);
  const got = await call('GET', `/virtual-network/${vn.uuid}`);
  const s = get(got.json, 'virtual-network', 'network_ipam_refs', 0, 'attr', 'ipam_subnets', 0) as Json;
  assert.equal(s['default_gateway'], '10.2.0.1');
  assert.equal(s['dns_server_address'], '10.2.0.2');
  const iip = await createIip(call, vn.fq);
  const read = await call('GET', `/instance-ip/${String(get(iip.json, 'instance-ip', 'uuid'))}`);
  assert.equal(get(read.json, 'instance-ip', 'instance_ip_address'), '10.2.0.3');
});

test('§2 VN: gateway outside the CIDR → 409; setting virtual_network_network_id → 403', async () => {
  const { call } = await ctx();
  const bad = await call('POST', '/virtual-networks', { 'virtual-network': { fq_name: ['default-domain', 'demo', unique('vn')], parent_type: 'project', network_ipam_refs: [{ to: IPAM, attr: { ipam_subnets: [subnet('10.3.0.0', 24, { default_gateway: '10.9.9.1' })] } }] } });
  assert.equal(bad.status, 409);
  const id = await call('POST', '/virtual-networks', { 'virtual-network': { fq_name: ['default-domain', 'demo', unique('vn')], parent_type: 'project', virtual_network_network_id: 77 } });
  assert.equal(id.status, 403);
  assert.equal(id.text, 'Cannot set the virtual network ID');
});

test('§7.2 duplicate fq_name → 409 text; ":" in name → 400; missing parent → 404', async () => {
  const { call } = await ctx();
  const vn = await createVn(call, []);
  const dup = await call('POST', '/virtual-networks', { 'virtual-network': { fq_name: vn.fq, parent_type: 'project' } });
  assert.equal(dup.status, 409);
  assert.equal(dup.text, `['default-domain', 'demo', '${vn.fq[2] as string}'] already exists with uuid: ${vn.uuid}`);
  const colon = await call('POST', '/virtual-networks', { 'virtual-network': { fq_name: ['default-domain', 'demo', 'a:b'], parent_type: 'project' } });
  assert.equal(colon.status, 400);
  assert.equal(colon.text, "Bad Request, name has one of invalid chars {':'}");
  const orphan = await call('POST', '/virtual-networks', { 'virtual-network': { fq_name: ['default-domain', 'nope', 'x'], parent_type: 'project' } });
  assert.equal(orphan.status, 404);
  assert.equal(orphan.text, "Name['default-domain', 'nope'] not found");
});

test('§1.2 create errors: no fq_name, bad parent type, bad uuid, duplicate uuid, unknown ref, ref without attr, bad property', async () => {
  const { call } = await ctx();
  const noFq = await call('POST', '/virtual-networks', { 'virtual-network': { parent_type: 'project' } });
  assert.deepEqual([noFq.status, noFq.text], [400, 'Bad Request, no fq_name in POST body']);
  const emptyFq = await call('POST', '/virtual-networks', { 'virtual-network': { fq_name: [] } });
  assert.equal(emptyFq.status, 400);
  const pt = await call('POST', '/virtual-networks', { 'virtual-network': { fq_name: ['default-domain', 'demo', unique('x')], parent_type: 'domain' } });
  assert.equal(pt.status, 400);
  assert.match(pt.text, /^Invalid parent type: domain\. Allowed types: \['project'\]/);
  const missingPt = await call('POST', '/virtual-machine-interfaces', { 'virtual-machine-interface': { fq_name: ['default-domain', 'demo', unique('x')] } });
  assert.equal(missingPt.status, 400, 'VMI has several allowed parents');
  const badUuid = await call('POST', '/virtual-networks', { 'virtual-network': { fq_name: ['default-domain', 'demo', unique('x')], parent_type: 'project', uuid: 'ABC' } });
  assert.deepEqual([badUuid.status, badUuid.text], [400, 'Invalid UUID format: ABC']);
  const dupUuid = await call('POST', '/virtual-networks', { 'virtual-network': { fq_name: ['default-domain', 'demo', unique('x')], parent_type: 'project', uuid: VIP_NET } });
  assert.equal(dupUuid.status, 409);
  assert.equal(dupUuid.text, `${VIP_NET} already exists with fq_name: ['default-domain', 'demo', 'vip-net']`);
  const unknownRef = await call('POST', '/virtual-machine-interfaces', { 'virtual-machine-interface': { fq_name: ['default-domain', 'demo', unique('x')], parent_type: 'project', virtual_network_refs: [{ to: ['default-domain', 'demo', 'ghost'] }] } });
  assert.equal(unknownRef.status, 400);
  assert.match(unknownRef.text, /^Unknown reference in resource create /);
  const noAttr = await call('POST', '/virtual-networks', { 'virtual-network': { fq_name: ['default-domain', 'demo', unique('x')], parent_type: 'project', network_ipam_refs: [{ to: IPAM }] } });
  assert.equal(noAttr.status, 400);
  assert.match(noAttr.text, /^Bad reference in create: /);
  const badProp = await call('POST', '/virtual-networks', { 'virtual-network': { fq_name: ['default-domain', 'demo', unique('x')], parent_type: 'project', ecmp_hashing_include_fields: { no_such: true } } });
  assert.equal(badProp.status, 400);
  assert.match(badProp.text, /^Bad property in create: Error validating property ecmp_hashing_include_fields value .*class EcmpHashingIncludeFields does not have field no_such/);
  const badBool = await call('POST', '/virtual-networks', { 'virtual-network': { fq_name: ['default-domain', 'demo', unique('x')], parent_type: 'project', router_external: 'yes' } });
  assert.equal(badBool.status, 400);
  const unknownType = await call('POST', '/no-such-things', { 'no-such-thing': { fq_name: ['x'] } });
  assert.equal(unknownType.status, 404);
  assert.equal(unknownType.text, "Resource type 'no-such-thing' not found");
});

test('§7.3 VMI: MAC derived from the uuid; AAP without address_mode → 400; AAP with port security off → 400', async () => {
  const { call } = await ctx();
  const vnFq = ['default-domain', 'demo', 'vip-net'];
  const vmi = await createVmi(call, vnFq);
  const got = await call('GET', `/virtual-machine-interface/${vmi.uuid}`);
  const h = vmi.uuid.replace(/-/g, '');
  assert.deepEqual(get(got.json, 'virtual-machine-interface', 'virtual_machine_interface_mac_addresses'), {
    mac_address: [`02:${h.slice(0, 2)}:${h.slice(2, 4)}:${h.slice(4, 6)}:${h.slice(6, 8)}:${h.slice(8, 10)}`],
  });
  const aap = (mode?: string): Json => ({ allowed_address_pair: [{ ip: { ip_prefix: '19.1.1.50', ip_prefix_len: 32 }, ...(mode === undefined ? {} : { address_mode: mode }) }] });
  const noMode = await call('POST', '/virtual-machine-interfaces', { 'virtual-machine-interface': { fq_name: ['default-domain', 'demo', unique('vmi')], parent_type: 'project', virtual_network_refs: [{ to: vnFq }], virtual_machine_interface_allowed_address_pairs: aap() } });
  assert.equal(noMode.status, 400);
  const nullMode = await call('POST', '/virtual-machine-interfaces', { 'virtual-machine-interface': { fq_name: ['default-domain', 'demo', unique('vmi')], parent_type: 'project', virtual_network_refs: [{ to: vnFq }], virtual_machine_interface_allowed_address_pairs: { allowed_address_pair: [{ ip: { ip_prefix: '19.1.1.51', ip_prefix_len: 32 }, address_mode: null }] } } });
  assert.equal(nullMode.status, 200, 'address_mode: null is fine');
  const noPs = await call('POST', '/virtual-machine-interfaces', { 'virtual-machine-interface': { fq_name: ['default-domain', 'demo', unique('vmi')], parent_type: 'project', virtual_network_refs: [{ to: vnFq }], port_security_enabled: false, virtual_machine_interface_allowed_address_pairs: aap('active-active') } });
  assert.deepEqual([noPs.status, noPs.text], [400, 'Allowed address pairs are not allowed when port security is disabled']);
  const wide = await call('POST', '/virtual-machine-interfaces', { 'virtual-machine-interface': { fq_name: ['default-domain', 'demo', unique('vmi')], parent_type: 'project', virtual_network_refs: [{ to: vnFq }], virtual_machine_interface_allowed_address_pairs: { allowed_address_pair: [{ ip: { ip_prefix: '19.1.0.0', ip_prefix_len: 16 }, address_mode: 'active-standby' }] } } });
  assert.equal(wide.status, 400, 'active-standby with an IPv4 prefix shorter than /24');
  const badMode = await call('POST', '/virtual-machine-interfaces', { 'virtual-machine-interface': { fq_name: ['default-domain', 'demo', unique('vmi')], parent_type: 'project', virtual_network_refs: [{ to: vnFq }], virtual_machine_interface_allowed_address_pairs: aap('active-backup') } });
  assert.equal(badMode.status, 400);
  const noVn = await call('POST', '/virtual-machine-interfaces', { 'virtual-machine-interface': { fq_name: ['default-domain', 'demo', unique('vmi')], parent_type: 'project' } });
  assert.equal(noVn.status, 500, 'pre_dbe_create indexes virtual_network_refs[0]');
});

test('§7.4 IIP: .252 then .251; subnet_uuid honoured; in-use → 409; exhaustion → 400; active-backup → 400', async () => {
  const { call } = await ctx();
  const vn = await createVn(call, [subnet('10.4.0.0', 24), subnet('10.5.0.0', 29)]);
  const read = async (r: Res): Promise<Json> => get((await call('GET', `/instance-ip/${String(get(r.json, 'instance-ip', 'uuid'))}`)).json, 'instance-ip') as Json;
  const a = await read(await createIip(call, vn.fq));
  const b = await read(await createIip(call, vn.fq));
  assert.equal(a['instance_ip_address'], '10.4.0.252');
  assert.equal(b['instance_ip_address'], '10.4.0.251');
  assert.deepEqual(a['instance_ip_subnet'], { ip_prefix: '10.4.0.0', ip_prefix_len: 24 });
  const vnGot = await call('GET', `/virtual-network/${vn.uuid}`);
  const small = String(get(vnGot.json, 'virtual-network', 'network_ipam_refs', 0, 'attr', 'ipam_subnets', 1, 'subnet_uuid'));
  const inSmall = await read(await createIip(call, vn.fq, { subnet_uuid: small }));
  assert.equal(inSmall['instance_ip_address'], '10.5.0.4', '/29: gw .6, dns .5, first .4');
  assert.equal(inSmall['subnet_uuid'], small);
  const used = await createIip(call, vn.fq, { instance_ip_address: '10.4.0.252' });
  assert.deepEqual([used.status, used.text], [409, 'IP address already in use']);
  for (const ip of ['10.5.0.3', '10.5.0.2', '10.5.0.1']) assert.equal((await read(await createIip(call, vn.fq, { subnet_uuid: small })))['instance_ip_address'], ip);
  const out = await createIip(call, vn.fq, { subnet_uuid: small });
  assert.equal(out.status, 400);
  assert.equal(out.text, `Virtual-Network(['default-domain', 'demo', '${vn.fq[2] as string}']) has exhausted subnet(['10.5.0.0/29'])`);
  const nowhere = await createIip(call, vn.fq, { instance_ip_address: '192.168.1.1' });
  assert.deepEqual([nowhere.status, nowhere.text], [400, `Virtual-Network(['default-domain', 'demo', '${vn.fq[2] as string}']) has exhausted subnet([])`]);
  const badSubnet = await createIip(call, vn.fq, { subnet_uuid: '11111111-2222-4333-8444-555555555555' });
  assert.equal(badSubnet.status, 400);
  assert.match(badSubnet.text, /has invalid subnet\(11111111-2222-4333-8444-555555555555\)$/);
  const mode = await createIip(call, vn.fq, { instance_ip_mode: 'active-backup' });
  assert.equal(mode.status, 400);
  assert.match(mode.text, /value must be one of \['active-active', 'active-standby'\]/);
  const noSubnets = await createVn(call, []);
  assert.equal((await createIip(call, noSubnets.fq)).status, 400, 'a VN without subnets');
});

test('§2.1 IIP: deleting frees its address; the address cannot be changed; gateway not for VM ports', async () => {
  const { call } = await ctx();
  const vn = await createVn(call, [subnet('10.6.0.0', 24)]);
  const first = await createIip(call, vn.fq);
  const uuid = String(get(first.json, 'instance-ip', 'uuid'));
  const change = await call('PUT', `/instance-ip/${uuid}`, { 'instance-ip': { instance_ip_address: '10.6.0.9' } });
  assert.deepEqual([change.status, change.text], [400, 'Instance IP Address can not be changed']);
  assert.equal((await call('DELETE', `/instance-ip/${uuid}`)).status, 200);
  const again = await createIip(call, vn.fq);
  assert.equal(get((await call('GET', `/instance-ip/${String(get(again.json, 'instance-ip', 'uuid'))}`)).json, 'instance-ip', 'instance_ip_address'), '10.6.0.252');
  const vm = await call('POST', '/virtual-machines', { 'virtual-machine': { fq_name: [unique('vm')] } });
  const vmi = await createVmi(call, vn.fq, { virtual_machine_refs: [{ to: get(vm.json, 'virtual-machine', 'fq_name') }] });
  const gw = await createIip(call, vn.fq, { instance_ip_address: '10.6.0.254', virtual_machine_interface_refs: [{ to: vmi.fq }] });
  assert.deepEqual([gw.status, gw.text], [400, 'Gateway IP cannot be used by VM port']);
  assert.equal((await createIip(call, vn.fq, { instance_ip_address: '10.6.0.254' })).status, 200, 'the gateway address itself may be requested');
});

test('§7.5 IIP with two VMI refs via ref-update ADD; back-refs on the VMI; back_ref_id list', async () => {
  const { call } = await ctx();
  const vnFq = ['default-domain', 'demo', 'vip-net'];
  const v1 = await createVmi(call, vnFq);
  const v2 = await createVmi(call, vnFq);
  const iip = await createIip(call, vnFq, { instance_ip_mode: 'active-active', instance_ip_secondary: true, virtual_machine_interface_refs: [{ to: v1.fq, uuid: v1.uuid }] });
  const iipUuid = String(get(iip.json, 'instance-ip', 'uuid'));
  const add = await call('POST', '/ref-update', { type: 'instance-ip', uuid: iipUuid, 'ref-type': 'virtual-machine-interface', 'ref-uuid': v2.uuid, 'ref-fq-name': null, operation: 'ADD', attr: null });
  assert.deepEqual([add.status, add.json], [200, { uuid: iipUuid }]);
  const again = await call('POST', '/ref-update', { type: 'instance-ip', uuid: iipUuid, 'ref-type': 'virtual-machine-interface', 'ref-uuid': v2.uuid, operation: 'add', attr: null });
  assert.equal(again.status, 200, 'ADD of an existing ref is idempotent, operation is upper-cased');
  const refs = get((await call('GET', `/instance-ip/${iipUuid}`)).json, 'instance-ip', 'virtual_machine_interface_refs') as Json[];
  assert.deepEqual(refs.map((r) => r['uuid']), [v1.uuid, v2.uuid]);
  assert.equal(refs[0]?.['attr'], null);
  const vmi = await call('GET', `/virtual-machine-interface/${v2.uuid}`);
  const back = get(vmi.json, 'virtual-machine-interface', 'instance_ip_back_refs') as Json[];
  assert.deepEqual(back.map((b) => b['uuid']), [iipUuid]);
  assert.deepEqual(Object.keys(back[0] as Json).sort(), ['attr', 'href', 'to', 'uuid']);
  const list = await call('GET', `/instance-ips?back_ref_id=${v2.uuid}`);
  assert.deepEqual((get(list.json, 'instance-ips') as Json[]).map((x) => x['uuid']), [iipUuid]);
});

test('§7.6 deleting a referred VMI → 409; after ref-relax-for-delete it succeeds and the ref is dropped', async () => {
  const { call, base } = await ctx();
  const vnFq = ['default-domain', 'demo', 'vip-net'];
  const v1 = await createVmi(call, vnFq);
  const v2 = await createVmi(call, vnFq);
  const iip = await createIip(call, vnFq, { virtual_machine_interface_refs: [{ to: v1.fq }, { to: v2.fq }] });
  const iipUuid = String(get(iip.json, 'instance-ip', 'uuid'));
  const blocked = await call('DELETE', `/virtual-machine-interface/${v1.uuid}`);
  assert.equal(blocked.status, 409);
  assert.equal(blocked.text, `Delete when resource still referred: ['${base}/instance-ip/${iipUuid}']`);
  const relax = await call('POST', '/ref-relax-for-delete', { uuid: iipUuid, 'ref-uuid': v1.uuid });
  assert.deepEqual([relax.status, relax.json], [200, { uuid: iipUuid }]);
  const del = await call('DELETE', `/virtual-machine-interface/${v1.uuid}`);
  assert.deepEqual([del.status, del.text], [200, '']);
  const refs = get((await call('GET', `/instance-ip/${iipUuid}`)).json, 'instance-ip', 'virtual_machine_interface_refs') as Json[];
  assert.deepEqual(refs.map((r) => r['uuid']), [v2.uuid]);
  assert.equal((await call('POST', '/ref-relax-for-delete', { uuid: iipUuid })).status, 400);
  assert.equal((await call('POST', '/ref-relax-for-delete', { uuid: iipUuid, 'ref-uuid': '11111111-2222-4333-8444-555555555555' })).status, 404);
});

test('§1.5 delete: children present → 409; referred VN → 409; unknown → 404; sub-interface rule', async () => {
  const { call, base } = await ctx();
  const proj = await call('POST', '/projects', { project: { fq_name: ['default-domain', unique('p')], parent_type: 'domain' } });
  const pUuid = String(get(proj.json, 'project', 'uuid'));
  const pFq = get(proj.json, 'project', 'fq_name') as string[];
  const shc = await call('POST', '/service-health-checks', { 'service-health-check': { fq_name: [...pFq, 'hc'], parent_type: 'project', service_health_check_properties: { health_check_type: 'link-local', monitor_type: 'PING' } } });
  const kids = await call('DELETE', `/project/${pUuid}`);
  assert.equal(kids.status, 409);
  assert.equal(kids.text, `Delete when children still present: ['${base}/service-health-check/${String(get(shc.json, 'service-health-check', 'uuid'))}']`);
  const vmi = await createVmi(call, ['default-domain', 'demo', 'vip-net']);
  const vipRef = await call('DELETE', `/virtual-network/${VIP_NET}`);
  assert.equal(vipRef.status, 409);
  assert.match(vipRef.text, /^Delete when resource still referred: \[/);
  const missing = await call('DELETE', '/virtual-network/11111111-2222-4333-8444-555555555555');
  assert.deepEqual([missing.status, missing.text], [404, 'ID 11111111-2222-4333-8444-555555555555 does not exist']);
  const parentVmi = await createVmi(call, ['default-domain', 'demo', 'vip-net'], { virtual_machine_interface_refs: [{ to: vmi.fq }] });
  const sub = await call('DELETE', `/virtual-machine-interface/${parentVmi.uuid}`);
  assert.deepEqual([sub.status, sub.text], [409, 'Cannot delete vmi with existing ref to sub interface']);
});

test('§7.7 PUT replaces a ref list, [] clears it; ref-update DELETE of an absent ref is a no-op', async () => {
  const { call } = await ctx();
  const vnFq = ['default-domain', 'demo', 'vip-net'];
  const [a, b, c] = [await createVmi(call, vnFq), await createVmi(call, vnFq), await createVmi(call, vnFq)];
  const lb = await call('POST', '/loadbalancers', { loadbalancer: { fq_name: ['default-domain', 'demo', unique('lb')], parent_type: 'project', loadbalancer_provider: 'native', loadbalancer_properties: { vip_subnet_id: VIP_SUBNET, provisioning_status: 'ACTIVE' }, virtual_machine_interface_refs: [{ to: a.fq }, { to: b.fq }] } });
  const lbUuid = String(get(lb.json, 'loadbalancer', 'uuid'));
  const put = await call('PUT', `/loadbalancer/${lbUuid}`, { loadbalancer: { virtual_machine_interface_refs: [{ uuid: c.uuid }] } });
  assert.deepEqual(put.json, { loadbalancer: { uuid: lbUuid, href: get(lb.json, 'loadbalancer', 'href') } });
  const read = async (): Promise<Json> => get((await call('GET', `/loadbalancer/${lbUuid}`)).json, 'loadbalancer') as Json;
  assert.deepEqual((((await read())['virtual_machine_interface_refs']) as Json[]).map((r) => r['uuid']), [c.uuid]);
  assert.equal((await read())['loadbalancer_provider'], 'native', 'properties not in the body are untouched');
  await call('PUT', `/loadbalancer/${lbUuid}`, { loadbalancer: { virtual_machine_interface_refs: [] } });
  assert.equal((await read())['virtual_machine_interface_refs'], undefined);
  const noop = await call('POST', '/ref-update', { type: 'loadbalancer', uuid: lbUuid, 'ref-type': 'virtual-machine-interface', 'ref-uuid': a.uuid, operation: 'DELETE', attr: null });
  assert.equal(noop.status, 200);
  const nulls = await call('POST', '/ref-update', { type: 'loadbalancer', uuid: lbUuid, 'ref-type': null, operation: 'ADD' });
  assert.equal(nulls.status, 400);
  assert.match(nulls.text, /^Bad Request: type\/uuid\/ref-type\/operation is null/);
  const op = await call('POST', '/ref-update', { type: 'loadbalancer', uuid: lbUuid, 'ref-type': 'virtual-machine-interface', 'ref-uuid': a.uuid, operation: 'MOVE' });
  assert.equal(op.status, 400);
  const neither = await call('POST', '/ref-update', { type: 'loadbalancer', uuid: lbUuid, 'ref-type': 'virtual-machine-interface', operation: 'ADD' });
  assert.equal(neither.status, 400);
  const ghostFq = await call('POST', '/ref-update', { type: 'loadbalancer', uuid: lbUuid, 'ref-type': 'virtual-machine-interface', 'ref-fq-name': ['default-domain', 'demo', 'ghost'], operation: 'ADD' });
  assert.deepEqual([ghostFq.status, ghostFq.text], [404, "Name ['default-domain', 'demo', 'ghost'] not found"]);
  const ghostUuid = await call('POST', '/ref-update', { type: 'loadbalancer', uuid: lbUuid, 'ref-type': 'virtual-machine-interface', 'ref-uuid': '11111111-2222-4333-8444-555555555555', operation: 'ADD' });
  assert.equal(ghostUuid.status, 404);
  const empty = await http('PUT', `${(await sim()).urls.contrail}/loadbalancer/${lbUuid}`, { token: (await ctx()).token, raw: '' });
  assert.deepEqual([empty.status, empty.text], [200, '']);
});

test('§7.8 fqname-to-id / id-to-fqname round trip and their 404s; unknown type → 404', async () => {
  const { call } = await ctx();
  const id = await call('POST', '/fqname-to-id', { type: 'virtual-network', fq_name: ['default-domain', 'demo', 'vip-net'] });
  assert.deepEqual([id.status, id.json], [200, { uuid: VIP_NET }]);
  const fq = await call('POST', '/id-to-fqname', { uuid: VIP_NET });
  assert.deepEqual(fq.json, { fq_name: ['default-domain', 'demo', 'vip-net'], type: 'virtual-network' });
  const nf = await call('POST', '/fqname-to-id', { type: 'virtual-network', fq_name: ['a', 'b'] });
  assert.deepEqual([nf.status, nf.text], [404, "Name ['a', 'b'] not found"]);
  const nu = await call('POST', '/id-to-fqname', { uuid: '11111111-2222-4333-8444-555555555555' });
  assert.deepEqual([nu.status, nu.text], [404, 'UUID 11111111-2222-4333-8444-555555555555 not found']);
  const nt = await call('POST', '/fqname-to-id', { type: 'virtual-thing', fq_name: ['a'] });
  assert.deepEqual([nt.status, nt.text], [404, "Resource type 'virtual-thing' not found"]);
  const wrongType = await call('GET', `/virtual-machine-interface/${VIP_NET}`);
  assert.equal(wrongType.status, 404);
  const unknown = await call('GET', '/virtual-network/11111111-2222-4333-8444-555555555555');
  assert.equal(unknown.status, 404);
});

test('§7.9 list shapes: plain, detail, count, fields, parent_id, obj_uuids, filters, parent_fq_name_str', async () => {
  const { call } = await ctx();
  const demo = '5c1d7e2a-8b3f-4c6d-9e0f-1a2b3c4d5e6f';
  const plain = await call('GET', `/virtual-networks?parent_id=${demo}`);
  const items = get(plain.json, 'virtual-networks') as Json[];
  assert.ok(items.some((i) => i['uuid'] === VIP_NET));
  assert.deepEqual(Object.keys(items[0] as Json).sort(), ['fq_name', 'href', 'uuid']);
  const detail = await call('GET', `/virtual-networks?detail=True&obj_uuids=${VIP_NET}`);
  const d = get(detail.json, 'virtual-networks', 0, 'virtual-network') as Json;
  assert.equal((get(detail.json, 'virtual-networks') as unknown[]).length, 1);
  assert.equal(d['name'], 'vip-net');
  assert.ok(d['network_ipam_refs'] !== undefined && d['href'] !== undefined);
  assert.equal(d['virtual_machine_interface_back_refs'], undefined, 'back-refs only when asked for in fields');
  const withBack = await call('GET', `/virtual-networks?detail=true&obj_uuids=${VIP_NET}&fields=virtual_machine_interface_back_refs`);
  assert.ok(Array.isArray(get(withBack.json, 'virtual-networks', 0, 'virtual-network', 'virtual_machine_interface_back_refs')));
  const count = await call('GET', `/virtual-networks?count=true&obj_uuids=${VIP_NET}`);
  assert.deepEqual(count.json, { 'virtual-networks': { count: 1 } });
  const fields = await call('GET', `/virtual-networks?obj_uuids=${VIP_NET}&fields=is_shared,display_name`);
  assert.deepEqual(get(fields.json, 'virtual-networks', 0), { uuid: VIP_NET, fq_name: ['default-domain', 'demo', 'vip-net'], href: get(items.find((i) => i['uuid'] === VIP_NET), 'href'), is_shared: false, display_name: 'vip-net' });
  const filtered = await call('GET', '/virtual-networks?filters=router_external==true');
  assert.deepEqual((get(filtered.json, 'virtual-networks') as Json[]).map((x) => get(x, 'fq_name', 2)), ['public']);
  const byFq = await call('GET', '/virtual-networks?parent_fq_name_str=default-domain:demo&parent_type=project');
  assert.ok((get(byFq.json, 'virtual-networks') as Json[]).some((x) => x['uuid'] === VIP_NET));
  const none = await call('GET', '/virtual-networks?parent_id=11111111-2222-4333-8444-555555555555');
  assert.deepEqual(none.json, { 'virtual-networks': [] });
  const bulk = await call('POST', '/list-bulk-collection', { type: 'virtual-network', obj_uuids: [VIP_NET], detail: true });
  assert.equal(get(bulk.json, 'virtual-networks', 0, 'virtual-network', 'uuid'), VIP_NET);
});

test('§7.10 missing or bad token → 401 JSON; member token in cloud-admin → 403; DELETE → 200 empty; errors are text', async () => {
  const s = await sim();
  const { call } = await ctx();
  for (const token of [undefined, 'not-a-token']) {
    const res = await http('GET', `${s.urls.contrail}/virtual-networks`, token === undefined ? {} : { token });
    assert.equal(res.status, 401);
    assert.deepEqual(res.json, { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } });
    assert.equal(res.headers.get('www-authenticate'), `Keystone uri="${s.urls.keystone}"`);
  }
  const home = await http('GET', `${s.urls.contrail}/`);
  assert.equal(home.status, 200, 'the homepage needs no token');
  const links = get(home.json, 'links') as Json[];
  assert.ok(links.some((l) => get(l, 'link', 'rel') === 'action' && get(l, 'link', 'name') === 'ref-update'));
  assert.ok(links.some((l) => get(l, 'link', 'rel') === 'collection' && get(l, 'link', 'name') === 'virtual-network'));
  const member = await login(s.urls.keystone, 'demo', 'demo-secret', 'demo');
  const forbidden = await http('GET', `${s.urls.contrail}/virtual-networks`, { token: member.token });
  assert.deepEqual([forbidden.status, forbidden.text], [403, '403 Permission Denied']);
  const shc = await call('POST', '/service-health-checks', { 'service-health-check': { fq_name: ['default-domain', 'demo', unique('hc')], parent_type: 'project', service_health_check_properties: { monitor_type: 'HTTP', health_check_type: 'end-to-end' } } });
  const del = await call('DELETE', `/service-health-check/${String(get(shc.json, 'service-health-check', 'uuid'))}`);
  assert.deepEqual([del.status, del.text], [200, '']);
  const err = await call('GET', `/service-health-check/${String(get(shc.json, 'service-health-check', 'uuid'))}`);
  assert.equal(err.status, 404);
  assert.match(err.contentType, /^text\/html/);
  assert.equal(err.json, undefined, 'VNC errors are not JSON');
  const mode = await call('GET', '/aaa-mode');
  assert.deepEqual(mode.json, { 'aaa-mode': 'cloud-admin' });
});

test('§1.3 read options: fields, exclude_back_refs, exclude_children, exclude_hrefs, ETag 304', async () => {
  const { call, token } = await ctx();
  const s = await sim();
  const pub = await call('GET', '/fqname-to-id');
  assert.equal(pub.status, 405);
  const net = await call('POST', '/fqname-to-id', { type: 'virtual-network', fq_name: ['default-domain', 'admin', 'public'] });
  const id = String(get(net.json, 'uuid'));
  const full = await call('GET', `/virtual-network/${id}`);
  assert.ok(Array.isArray(get(full.json, 'virtual-network', 'floating_ip_pools')), 'children listed');
  const noKids = await call('GET', `/virtual-network/${id}?exclude_children`);
  assert.equal(get(noKids.json, 'virtual-network', 'floating_ip_pools'), undefined);
  const onlyShared = await call('GET', `/virtual-network/${id}?fields=is_shared`);
  const keys = Object.keys(get(onlyShared.json, 'virtual-network') as Json);
  assert.ok(keys.includes('is_shared') && keys.includes('id_perms') && !keys.includes('router_external'));
  const noHref = await call('GET', `/virtual-network/${id}?exclude_hrefs`);
  assert.equal(get(noHref.json, 'virtual-network', 'href'), undefined);
  const etag = full.headers.get('etag') as string;
  const cached = await http('GET', `${s.urls.contrail}/virtual-network/${id}`, { token, headers: { 'If-None-Match': etag } });
  assert.equal(cached.status, 304);
});

test('§2 floating-ip: pool allocation top down, project_refs default, FIP parented by an instance-ip', async () => {
  const { call } = await ctx();
  const poolFq = ['default-domain', 'admin', 'public', 'public-pool'];
  const fip = await call('POST', '/floating-ips', { 'floating-ip': { fq_name: [...poolFq, unique('fip')], parent_type: 'floating-ip-pool' } });
  assert.equal(fip.status, 200, fip.text);
  const got = get((await call('GET', `/floating-ip/${String(get(fip.json, 'floating-ip', 'uuid'))}`)).json, 'floating-ip') as Json;
  assert.match(String(got['floating_ip_address']), /^203\.0\.113\.25[0-2]$/);
  assert.deepEqual(get(got, 'project_refs', 0, 'to'), ['default-domain', 'admin']);
  const dup = await call('POST', '/floating-ips', { 'floating-ip': { fq_name: [...poolFq, unique('fip')], parent_type: 'floating-ip-pool', floating_ip_address: got['floating_ip_address'] } });
  assert.equal(dup.status, 409);
  const iip = await createIip(call, ['default-domain', 'demo', 'vip-net']);
  const iipGot = get((await call('GET', `/instance-ip/${String(get(iip.json, 'instance-ip', 'uuid'))}`)).json, 'instance-ip') as Json;
  const kfip = await call('POST', '/floating-ips', { 'floating-ip': { fq_name: [...(iipGot['fq_name'] as string[]), unique('kfip')], parent_type: 'instance-ip', floating_ip_traffic_direction: 'ingress' } });
  assert.equal(kfip.status, 200, kfip.text);
  assert.equal(get((await call('GET', `/floating-ip/${String(get(kfip.json, 'floating-ip', 'uuid'))}`)).json, 'floating-ip', 'floating_ip_address'), iipGot['instance_ip_address']);
});

test('§2 service-health-check: a non-service VMI may only refer to link-local checks', async () => {
  const { call } = await ctx();
  const e2e = await call('POST', '/service-health-checks', { 'service-health-check': { fq_name: ['default-domain', 'demo', unique('hc')], parent_type: 'project', service_health_check_properties: { health_check_type: 'end-to-end', monitor_type: 'PING' } } });
  const bad = await call('POST', '/virtual-machine-interfaces', { 'virtual-machine-interface': { fq_name: ['default-domain', 'demo', unique('vmi')], parent_type: 'project', virtual_network_refs: [{ to: ['default-domain', 'demo', 'vip-net'] }], service_health_check_refs: [{ to: get(e2e.json, 'service-health-check', 'fq_name') }] } });
  assert.equal(bad.status, 400);
  const enumBad = await call('POST', '/service-health-checks', { 'service-health-check': { fq_name: ['default-domain', 'demo', unique('hc')], parent_type: 'project', service_health_check_properties: { monitor_type: 'TCP' } } });
  assert.equal(enumBad.status, 400);
});

test('§1.4 PUT: properties replaced wholesale, untouched ones kept, Bad property in http_put, 404 for an unknown uuid', async () => {
  const { call } = await ctx();
  const kv = (pairs: Array<[string, string]>): Json => ({ key_value_pair: pairs.map(([key, value]) => ({ key, value })) });
  const lb = await call('POST', '/loadbalancers', { loadbalancer: { fq_name: ['default-domain', 'demo', unique('lb')], parent_type: 'project', loadbalancer_provider: 'opencontrail', annotations: kv([['a', '1'], ['b', '2']]) } });
  const id = String(get(lb.json, 'loadbalancer', 'uuid'));
  const before = get((await call('GET', `/loadbalancer/${id}`)).json, 'loadbalancer', 'id_perms', 'last_modified');
  await new Promise((r) => setTimeout(r, 5));
  assert.equal((await call('PUT', `/loadbalancer/${id}`, { loadbalancer: { annotations: kv([['c', '3']]) } })).status, 200);
  const got = get((await call('GET', `/loadbalancer/${id}`)).json, 'loadbalancer') as Json;
  assert.deepEqual(got['annotations'], kv([['c', '3']]), 'a map property is replaced, not merged');
  assert.equal(got['loadbalancer_provider'], 'opencontrail');
  assert.notEqual(get(got, 'id_perms', 'last_modified'), before, 'last_modified is bumped');
  const bad = await call('PUT', `/loadbalancer/${id}`, { loadbalancer: { loadbalancer_properties: { admin_state: 'yes' } } });
  assert.equal(bad.status, 400);
  assert.match(bad.text, /^Bad property in http_put: Error validating property loadbalancer_properties/);
  assert.equal((await call('PUT', '/loadbalancer/11111111-2222-4333-8444-555555555555', { loadbalancer: {} })).status, 404);
});

test('§1.2 a supplied perms2.owner with a missing parent → 400 instead of 404', async () => {
  const { call } = await ctx();
  const res = await call('POST', '/virtual-networks', { 'virtual-network': { fq_name: ['default-domain', 'ghost', 'x'], parent_type: 'project', perms2: { owner: 'someone' } } });
  assert.deepEqual([res.status, res.text], [400, "Parent ['default-domain', 'ghost'] type project does not exist"]);
});

test('§1.6 paging: page_limit + page_marker walk a list in uuid order; marker null at the end (GET and bulk)', async () => {
  const { call } = await ctx();
  const parent = await call('POST', '/projects', { project: { fq_name: ['default-domain', unique('paged')], parent_type: 'domain' } });
  const pUuid = String(get(parent.json, 'project', 'uuid'));
  const pFq = get(parent.json, 'project', 'fq_name') as string[];
  for (let i = 0; i < 5; i++) await call('POST', '/service-health-checks', { 'service-health-check': { fq_name: [...pFq, `hc-${i}`], parent_type: 'project' } });
  const seen: string[] = [];
  let marker: unknown;
  for (let page = 0; page < 5; page++) {
    const q = `/service-health-checks?parent_id=${pUuid}&page_limit=2${typeof marker === 'string' ? `&page_marker=${marker}` : ''}`;
    const res = await call('GET', q);
    seen.push(...(get(res.json, 'service-health-checks') as Json[]).map((x) => String(x['uuid'])));
    marker = get(res.json, 'marker');
    if (marker === null) break;
  }
  assert.equal(seen.length, 5);
  assert.deepEqual(seen, [...seen].sort(), 'uuid order');
  assert.equal(marker, null);
  const bulk = await call('POST', '/list-bulk-collection', { type: 'service-health-check', parent_id: [pUuid], page_limit: 3 });
  assert.equal((get(bulk.json, 'service-health-checks') as unknown[]).length, 3);
  assert.equal(get(bulk.json, 'marker'), seen[2]);
  assert.equal((await call('GET', '/service-health-checks?page_limit=0')).status, 400);
});

test('§1.7 fqname-to-id syncs a Keystone-only project into VNC with uuid = the Keystone id, dashed', async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const { startSimulator } = await import('../../src/sim/index.js');
  const dir = mkdtempSync(join(tmpdir(), 'lbop-topo-'));
  const file = join(dir, 't.yaml');
  writeFileSync(file, 'projects:\n  - {name: admin}\n  - {name: late, id: 0123456789abcdef0123456789abcdef, synced: false}\nusers:\n  - {name: admin, password: pw, roles: {admin: [admin]}}\n');
  const s = await startSimulator({ seed: 1, topology: file });
  try {
    const { token } = await login(s.urls.keystone, 'admin', 'pw', 'admin');
    const res = await http('POST', `${s.urls.contrail}/fqname-to-id`, { token, body: { type: 'project', fq_name: ['default-domain', 'late'] } });
    assert.deepEqual([res.status, res.json], [200, { uuid: '01234567-89ab-cdef-0123-456789abcdef' }]);
    const none = await http('POST', `${s.urls.contrail}/fqname-to-id`, { token, body: { type: 'project', fq_name: ['default-domain', 'nobody'] } });
    assert.equal(none.status, 404);
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('§1.1 virtual-network ip-alloc / ip-free / subnet-ip-count', async () => {
  const { call } = await ctx();
  const vn = await createVn(call, [subnet('10.8.0.0', 24)]);
  const a = await call('POST', `/virtual-network/${vn.uuid}/ip-alloc`, { count: 2 });
  assert.deepEqual(a.json, { ip_addr: ['10.8.0.252', '10.8.0.251'] });
  assert.deepEqual((await call('POST', `/virtual-network/${vn.uuid}/subnet-ip-count`, { subnet_list: ['10.8.0.0/24'] })).json, { ip_count_list: [2] });
  assert.equal((await call('POST', `/virtual-network/${vn.uuid}/ip-free`, { ip_addr: ['10.8.0.252'] })).status, 200);
  const iip = await createIip(call, vn.fq);
  assert.equal(get((await call('GET', `/instance-ip/${String(get(iip.json, 'instance-ip', 'uuid'))}`)).json, 'instance-ip', 'instance_ip_address'), '10.8.0.252', 'freed address reused');
  assert.equal((await call('POST', `/virtual-network/${vn.uuid}/ip-alloc`, { subnet: '10.9.0.0/24' })).status, 400);
});
