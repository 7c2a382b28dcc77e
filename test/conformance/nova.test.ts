// cloud-api.md §6 and §7 OpenStack.3 (Nova v2.1) against the simulator.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { endpoint, eventually, get, http, login, sim, type Json, type Res } from './support.js';

const SERVER_NET = '6f0c3b8e-2d4a-4b9c-8e1f-0a2b3c4d5e03';
const MGMT_NET = '6f0c3b8e-2d4a-4b9c-8e1f-0a2b3c4d5e01';
let nova = '';
let neutron = '';
let control = '';
let token = '';
let image = '';

const call = (m: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<Res> =>
  http(m, url, { token, ...(body === undefined ? {} : { body }), ...(headers === undefined ? {} : { headers }) });

before(async () => {
  const s = await sim();
  const l = await login(s.urls.keystone, 'demo', 'demo-secret', 'demo');
  token = l.token;
  nova = endpoint(l.catalog, 'compute');
  neutron = s.urls.neutron;
  control = s.urls.control;
  const images = await call('GET', `${nova}/images`);
  image = String((get(images.json, 'images') as Json[]).find((i) => i['name'] === 'avi-se')?.['id']);
});

async function boot(extra: Json = {}, headers?: Record<string, string>): Promise<Res> {
  return call('POST', `${nova}/servers`, { server: { name: 'se-1', imageRef: image, flavorRef: '2', networks: [{ uuid: MGMT_NET }], ...extra } }, headers);
}

const status = async (id: string): Promise<Json> => get((await call('GET', `${nova}/servers/${id}`)).json, 'server') as Json;
const until = (id: string, want: string): Promise<Json> =>
  eventually(async () => {
    const s = await status(id);
    return s['status'] === want ? s : undefined;
  }, 5000, `server ${want}`);

test('§7.3 create → 202 with Location and the create shape; BUILD, then ACTIVE; metadata/config_drive/user_data kept', async () => {
  const res = await boot({ metadata: { 'lbop.owner-kind': 'ServiceEngine' }, config_drive: true, user_data: Buffer.from('#cloud-config').toString('base64') }, { 'OpenStack-API-Version': 'compute 2.52' });
  assert.equal(res.status, 202, res.text);
  const s = get(res.json, 'server') as Json;
  assert.deepEqual(Object.keys(s).sort(), ['OS-DCF:diskConfig', 'adminPass', 'id', 'links', 'security_groups']);
  assert.deepEqual((s['links'] as Json[]).map((l) => l['rel']), ['self', 'bookmark']);
  assert.match(res.headers.get('location') ?? '', new RegExp(`/servers/${String(s['id'])}$`));
  assert.equal(res.headers.get('openstack-api-version'), 'compute 2.52');
  assert.match(res.headers.get('vary') ?? '', /OpenStack-API-Version/);
  const first = await status(String(s['id']));
  assert.equal(first['status'], 'BUILD');
  assert.equal(first['OS-EXT-STS:vm_state'], 'building');
  const active = await until(String(s['id']), 'ACTIVE');
  assert.equal(active['OS-EXT-STS:vm_state'], 'active');
  assert.deepEqual(active['metadata'], { 'lbop.owner-kind': 'ServiceEngine' });
  assert.equal(active['config_drive'], 'True');
  assert.equal(active['fault'], undefined, 'no fault unless ERROR');
  const addrs = get(active, 'addresses', 'avi-mgmt') as Json[];
  assert.equal(addrs.length, 1);
  assert.equal(addrs[0]?.['OS-EXT-IPS:type'], 'fixed');
  assert.match(String(addrs[0]?.['addr']), /^10\.10\.10\.\d+$/);
});

test('§7.3 ERROR with fault {code, created, message, details}', async () => {
  const inject = await http('POST', `${control}/sim/boot-failures`, { body: { count: 1, message: 'No valid host was found.' } });
  assert.equal(inject.status, 201);
  const res = await boot({ name: 'doomed' });
  const err = await until(String(get(res.json, 'server', 'id')), 'ERROR');
  assert.equal(err['OS-EXT-STS:vm_state'], 'error');
  // A 500 fault's details are shown to admins only (as real Nova; demo is a member).
  assert.deepEqual(Object.keys(err['fault'] as Json).sort(), ['code', 'created', 'message']);
  assert.equal(get(err, 'fault', 'message'), 'No valid host was found.');
  assert.equal(get(err, 'fault', 'code'), 500);
});

test('§7.3 os-interface: attach → 200, list, detach → 202; errors 404/409', async () => {
  const portRes = await call('POST', `${neutron}/v2.0/ports`, { port: { network_id: SERVER_NET, name: 'data' } });
  const portId = String(get(portRes.json, 'port', 'id'));
  const created = await boot({ name: 'se-attach' });
  const id = String(get(created.json, 'server', 'id'));
  const early = await call('POST', `${nova}/servers/${id}/os-interface`, { interfaceAttachment: { port_id: portId } });
  assert.equal(early.status, 409, 'not ACTIVE yet');
  assert.equal(get(early.json, 'conflictingRequest', 'code'), 409);
  await until(id, 'ACTIVE');
  const att = await call('POST', `${nova}/servers/${id}/os-interface`, { interfaceAttachment: { port_id: portId } });
  assert.equal(att.status, 200, att.text);
  const a = get(att.json, 'interfaceAttachment') as Json;
  assert.deepEqual(Object.keys(a).sort(), ['fixed_ips', 'mac_addr', 'net_id', 'port_id', 'port_state']);
  assert.equal(a['net_id'], SERVER_NET);
  assert.equal(get(a, 'fixed_ips', 0, 'ip_address'), '20.0.0.252');
  const port = get((await call('GET', `${neutron}/v2.0/ports/${portId}`)).json, 'port') as Json;
  assert.deepEqual([port['device_id'], port['device_owner'], port['status']], [id, 'compute:nova', 'ACTIVE']);
  const list = await call('GET', `${nova}/servers/${id}/os-interface`);
  const attached = (get(list.json, 'interfaceAttachments') as Json[]).map((x) => x['port_id']);
  assert.equal(attached.length, 2, 'the boot-time management port and the attached one');
  assert.ok(attached.includes(portId));
  const again = await call('POST', `${nova}/servers/${id}/os-interface`, { interfaceAttachment: { port_id: portId } });
  assert.equal(again.status, 409, 'port in use');
  const ghost = await call('POST', `${nova}/servers/${id}/os-interface`, { interfaceAttachment: { port_id: '11111111-2222-4333-8444-555555555555' } });
  assert.equal(ghost.status, 404);
  assert.equal(get(ghost.json, 'itemNotFound', 'code'), 404);
  const det = await call('DELETE', `${nova}/servers/${id}/os-interface/${portId}`);
  assert.deepEqual([det.status, det.text], [202, '']);
  assert.equal(get((await call('GET', `${neutron}/v2.0/ports/${portId}`)).json, 'port', 'device_id'), '', 'a pre-created port is unbound, not deleted');
  const twice = await call('DELETE', `${nova}/servers/${id}/os-interface/${portId}`);
  assert.equal(twice.status, 202, 'as real Nova: a detach of a port not attached is accepted (and fails later in nova-compute)');
  const byNet = await call('POST', `${nova}/servers/${id}/os-interface`, { interfaceAttachment: { net_id: SERVER_NET } });
  assert.equal(byNet.status, 200);
});

test('§7.3 delete → 204, then GET 404; Nova-created ports deleted, pre-created ports unbound', async () => {
  const pre = await call('POST', `${neutron}/v2.0/ports`, { port: { network_id: MGMT_NET } });
  const preId = String(get(pre.json, 'port', 'id'));
  const res = await boot({ name: 'se-del', networks: [{ port: preId }, { uuid: SERVER_NET }] });
  const id = String(get(res.json, 'server', 'id'));
  const ports = await call('GET', `${neutron}/v2.0/ports?device_id=${id}`);
  assert.equal((get(ports.json, 'ports') as Json[]).length, 2);
  const del = await call('DELETE', `${nova}/servers/${id}`);
  assert.deepEqual([del.status, del.text], [204, '']);
  const gone = await call('GET', `${nova}/servers/${id}`);
  assert.equal(gone.status, 404);
  assert.equal(get(gone.json, 'itemNotFound', 'code'), 404);
  assert.equal(get((await call('GET', `${neutron}/v2.0/ports/${preId}`)).json, 'port', 'device_id'), '');
  assert.deepEqual(get((await call('GET', `${neutron}/v2.0/ports?device_id=${id}`)).json, 'ports'), []);
});

test('§6 a locked server cannot be deleted (409) until unlocked', async () => {
  const res = await boot({ name: 'locked' });
  const id = String(get(res.json, 'server', 'id'));
  assert.equal((await call('POST', `${nova}/servers/${id}/action`, { lock: null })).status, 202);
  assert.equal((await status(id))['locked'], true);
  const del = await call('DELETE', `${nova}/servers/${id}`);
  assert.deepEqual(del.json, { conflictingRequest: { code: 409, message: `Instance ${id} is locked` } });
  await call('POST', `${nova}/servers/${id}/action`, { unlock: null });
  assert.equal((await call('DELETE', `${nova}/servers/${id}`)).status, 204);
});

test('§6 list: name is a regex, status filter, /servers/detail, no metadata filter', async () => {
  await boot({ name: 'bobb' });
  await boot({ name: 'alice' });
  const bob = await call('GET', `${nova}/servers?name=bob`);
  const names = (get(bob.json, 'servers') as Json[]).map((s) => s['name']);
  assert.ok(names.includes('bobb') && !names.includes('alice'));
  assert.deepEqual(Object.keys((get(bob.json, 'servers') as Json[])[0] as Json).sort(), ['id', 'links', 'name']);
  const detail = await call('GET', `${nova}/servers/detail?status=ERROR`);
  assert.ok((get(detail.json, 'servers') as Json[]).every((s) => s['status'] === 'ERROR'));
  const ignored = await call('GET', `${nova}/servers?metadata=x`);
  assert.equal(ignored.status, 200);
});

test('§6 error envelopes: 400 badRequest, 404 itemNotFound, 401 from keystonemiddleware', async () => {
  const noName = await call('POST', `${nova}/servers`, { server: { imageRef: image, flavorRef: '2', networks: 'none' } });
  assert.equal(noName.status, 400);
  assert.equal(get(noName.json, 'badRequest', 'code'), 400);
  const flavor = await boot({ flavorRef: '999' });
  assert.equal(flavor.status, 400);
  const needNets = await call('POST', `${nova}/servers`, { server: { name: 'x', imageRef: image, flavorRef: '2' } }, { 'OpenStack-API-Version': 'compute 2.37' });
  assert.equal(needNets.status, 400, 'networks is required from 2.37');
  const ud = await boot({ user_data: 'not base64!!' });
  assert.equal(ud.status, 400);
  const extra = await boot({ colour: 'red' });
  assert.equal(extra.status, 400);
  const badPort = await boot({ networks: [{ port: '11111111-2222-4333-8444-555555555555' }] });
  assert.equal(badPort.status, 400);
  const missing = await call('GET', `${nova}/servers/11111111-2222-4333-8444-555555555555`);
  assert.deepEqual(missing.json, { itemNotFound: { code: 404, message: 'Instance 11111111-2222-4333-8444-555555555555 could not be found.' } });
  const anon = await http('GET', `${nova}/servers`);
  assert.equal(anon.status, 401);
  assert.equal(get(anon.json, 'error', 'code'), 401);
  const version = await call('GET', `${nova}/servers`, undefined, { 'OpenStack-API-Version': 'compute 2.x' });
  assert.equal(version.status, 400);
  assert.equal(get(version.json, 'badRequest', 'message'), 'API Version String 2.x is of invalid format. Must be of format MajorNum.MinorNum.');
  const tooNew = await call('GET', `${nova}/servers`, undefined, { 'OpenStack-API-Version': 'compute 2.200' });
  assert.equal(tooNew.status, 406);
  const versioned404 = await call('GET', `${nova}/servers/11111111-2222-4333-8444-555555555555`, undefined, { 'OpenStack-API-Version': 'compute 2.52' });
  assert.equal(versioned404.headers.get('openstack-api-version'), 'compute 2.52', 'errors carry the microversion too');
  const badImage = await boot({ imageRef: 'x' });
  assert.match(String(get(badImage.json, 'badRequest', 'message')), /^Invalid input for field\/attribute imageRef\. Value: x\./);
  const badLimit = await call('GET', `${nova}/servers?limit=abc`);
  assert.equal(badLimit.status, 400);
  const legacy = await call('GET', `${nova}/servers`, undefined, { 'X-OpenStack-Nova-API-Version': '2.10' });
  assert.equal(legacy.headers.get('x-openstack-nova-api-version'), '2.10');
});

test('§6 paging: limit + marker with servers_links "next" (newest first)', async () => {
  for (let i = 0; i < 3; i++) await boot({ name: `paged-${i}` });
  const all = (get((await call('GET', `${nova}/servers/detail`)).json, 'servers') as Json[]).map((s) => String(s['id']));
  const seen: string[] = [];
  let url: string | undefined = `${nova}/servers/detail?limit=2`;
  for (let i = 0; url !== undefined && i < 50; i++) {
    const res: Res = await call('GET', url);
    const items = get(res.json, 'servers') as Json[];
    seen.push(...items.map((s) => String(s['id'])));
    const next = ((get(res.json, 'servers_links') ?? []) as Json[]).find((l) => l['rel'] === 'next')?.['href'];
    url = typeof next === 'string' && items.length > 0 ? next : undefined;
  }
  assert.deepEqual(seen, all);
  assert.equal((await call('GET', `${nova}/servers?marker=11111111-2222-4333-8444-555555555555`)).status, 400);
});

test('§6 network trouble: a fixed IP in use → 400; an exhausted network → 202, then ERROR with the allocation fault', async () => {
  const taken = await call('POST', `${neutron}/v2.0/ports`, { port: { network_id: SERVER_NET } });
  const ip = String(get(taken.json, 'port', 'fixed_ips', 0, 'ip_address'));
  const inUse = await boot({ networks: [{ uuid: SERVER_NET, fixed_ip: ip }] });
  assert.equal(inUse.status, 400);
  assert.match(String(get(inUse.json, 'badRequest', 'message')), new RegExp(`Fixed IP address ${ip.replace(/\./g, '\\.')} is already in use`));
  const net = await call('POST', `${neutron}/v2.0/networks`, { network: { name: 'tiny' } });
  const netId = String(get(net.json, 'network', 'id'));
  await call('POST', `${neutron}/v2.0/subnets`, { subnet: { network_id: netId, cidr: '10.66.0.0/29' } });
  for (let i = 0; i < 4; i++) assert.equal((await call('POST', `${neutron}/v2.0/ports`, { port: { network_id: netId } })).status, 201);
  const res = await boot({ name: 'no-ip', networks: [{ uuid: netId }] });
  assert.equal(res.status, 202);
  const err = await until(String(get(res.json, 'server', 'id')), 'ERROR');
  assert.match(String(get(err, 'fault', 'message')), /Failed to allocate the network\(s\)/);
});

test('§6 flavors and images are listed by name', async () => {
  const flavors = await call('GET', `${nova}/flavors/detail`);
  assert.deepEqual((get(flavors.json, 'flavors') as Json[]).map((f) => f['name']).sort(), ['m1.large', 'm1.small']);
  const one = await call('GET', `${nova}/flavors/4`);
  assert.equal(get(one.json, 'flavor', 'vcpus'), 4);
});
