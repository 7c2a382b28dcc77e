// cloud-api.md §5 and §7 OpenStack.2 (Neutron ports). Runs against the simulator, or a real
// Neutron when LBOP_CONFORMANCE_KEYSTONE_URL (and optionally _NEUTRON_URL) is set. Each run makes
// its own network and a /29 subnet, so it assumes no particular addresses.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { endpoint, eventually, get, http, keystoneTarget, login, type Json, type Res } from './support.js';

let neutron = '';
let token = '';
let real = false;
let netId = '';
let subnetId = '';
let cidrBase = '';
let catalog: unknown[] = [];

const call = (m: string, p: string, body?: unknown): Promise<Res> => http(m, `${neutron}${p}`, { token, ...(body === undefined ? {} : { body }) });

before(async () => {
  const k = await keystoneTarget();
  real = k.real;
  const l = await login(k.url, k.user, k.password, k.project, k.domain);
  token = l.token;
  catalog = l.catalog;
  neutron = (process.env['LBOP_CONFORMANCE_NEUTRON_URL'] ?? endpoint(l.catalog, 'network')).replace(/\/$/, '');
  const net = await call('POST', '/v2.0/networks', { network: { name: `lbop-conformance-${Date.now()}` } });
  assert.equal(net.status, 201, net.text);
  netId = String(get(net.json, 'network', 'id'));
  cidrBase = `10.${97 + (Date.now() % 3)}.${Date.now() % 200}`;
  const sub = await call('POST', '/v2.0/subnets', { subnet: { network_id: netId, cidr: `${cidrBase}.0/29`, ip_version: 4, name: 'conformance' } });
  assert.equal(sub.status, 201, sub.text);
  subnetId = String(get(sub.json, 'subnet', 'id'));
});

function neutronError(res: Res): { type: string; message: string } {
  const e = get(res.json, 'NeutronError') as Json | undefined;
  assert.ok(e !== undefined, `NeutronError envelope expected, got ${res.text}`);
  assert.equal(typeof e['message'], 'string');
  assert.match(res.contentType, /application\/json/);
  return { type: String(e['type']), message: String(e['message']) };
}

async function port(body: Json = {}): Promise<Json> {
  const res = await call('POST', '/v2.0/ports', { port: { network_id: netId, ...body } });
  assert.equal(res.status, 201, res.text);
  return get(res.json, 'port') as Json;
}

test('§5 network and subnet create → 201 with their fields', async () => {
  const net = get((await call('GET', `/v2.0/networks/${netId}`)).json, 'network') as Json;
  assert.deepEqual(net['subnets'], [subnetId]);
  assert.equal(net['status'], 'ACTIVE');
  const sub = get((await call('GET', `/v2.0/subnets/${subnetId}`)).json, 'subnet') as Json;
  assert.equal(sub['cidr'], `${cidrBase}.0/29`);
  assert.equal(sub['network_id'], netId);
  assert.ok(String(sub['gateway_ip']).startsWith(`${cidrBase}.`));
});

test('§5 port create → 201 with the documented fields, status DOWN, one fixed IP in the subnet', async () => {
  const p = await port({ name: 'conf-port', device_owner: 'lbop:test' });
  for (const k of ['id', 'network_id', 'mac_address', 'fixed_ips', 'allowed_address_pairs', 'device_owner', 'device_id', 'status', 'port_security_enabled', 'security_groups', 'project_id', 'tenant_id', 'admin_state_up', 'name', 'revision_number', 'created_at', 'updated_at']) {
    assert.ok(k in p, `port has ${k}`);
  }
  assert.equal(p['status'], 'DOWN');
  assert.equal(p['name'], 'conf-port');
  assert.equal(p['network_id'], netId);
  const ips = p['fixed_ips'] as Json[];
  assert.equal(ips.length, 1);
  assert.equal(ips[0]?.['subnet_id'], subnetId);
  assert.match(String(ips[0]?.['ip_address']), new RegExp(`^${cidrBase.replace(/\./g, '\\.')}\\.\\d$`));
  assert.match(String(p['mac_address']), /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
  assert.equal((await call('DELETE', `/v2.0/ports/${String(p['id'])}`)).status, 204);
});

test('§7.2 duplicate fixed IP → 409 IpAddressInUse (Contrail plugin)', async () => {
  const p = await port();
  const ip = String(get(p, 'fixed_ips', 0, 'ip_address'));
  const dup = await call('POST', '/v2.0/ports', { port: { network_id: netId, fixed_ips: [{ subnet_id: subnetId, ip_address: ip }] } });
  assert.equal(dup.status, 409);
  const e = neutronError(dup);
  // Contrail-plugin difference (cloud-api.md §8): the Contrail plugin raises IpAddressInUse; stock
  // ML2 IPAM raises IpAddressAlreadyAllocated for a subnet-scoped request. Both are 409 Conflicts.
  assert.ok(['IpAddressInUse', 'IpAddressAlreadyAllocated'].includes(e.type), e.type);
  if (!real) assert.equal(e.type, 'IpAddressInUse');
  assert.ok(e.message.includes(ip));
  await call('DELETE', `/v2.0/ports/${String(p['id'])}`);
});

test('§7.2 subnet exhaustion → 409 IpAddressGenerationFailure', async () => {
  const made: string[] = [];
  let last: Res | undefined;
  for (let i = 0; i < 10; i++) {
    last = await call('POST', '/v2.0/ports', { port: { network_id: netId } });
    if (last.status !== 201) break;
    made.push(String(get(last.json, 'port', 'id')));
  }
  assert.ok(last !== undefined && made.length >= 3 && made.length <= 6, `a /29 holds 3..6 ports, got ${made.length}`);
  assert.equal(last.status, 409);
  assert.equal(neutronError(last).type, 'IpAddressGenerationFailure');
  for (const id of made) assert.equal((await call('DELETE', `/v2.0/ports/${id}`)).status, 204);
});

test('§7.2 unknown port → 404 PortNotFound in the NeutronError envelope', async () => {
  const id = '11111111-2222-4333-8444-555555555555';
  for (const [m, body] of [['GET', undefined], ['PUT', { port: { name: 'x' } }], ['DELETE', undefined]] as const) {
    const res = await call(m, `/v2.0/ports/${id}`, body);
    assert.equal(res.status, 404, `${m} ${res.text}`);
    const e = neutronError(res);
    assert.equal(e.type, 'PortNotFound');
    assert.ok(e.message.includes(id));
  }
});

test('§7.2 allowed_address_pairs: PUT replaces the list; a pair without mac uses the port MAC', async () => {
  const p = await port({ allowed_address_pairs: [{ ip_address: `${cidrBase}.200` }] });
  const id = String(p['id']);
  assert.deepEqual(p['allowed_address_pairs'], [{ ip_address: `${cidrBase}.200`, mac_address: p['mac_address'] }]);
  const put = await call('PUT', `/v2.0/ports/${id}`, { port: { allowed_address_pairs: [{ ip_address: '19.9.9.9', mac_address: 'fa:16:3e:00:00:01' }, { ip_address: '19.9.9.10' }] } });
  assert.equal(put.status, 200, put.text);
  assert.deepEqual(get(put.json, 'port', 'allowed_address_pairs'), [
    { ip_address: '19.9.9.9', mac_address: 'fa:16:3e:00:00:01' }, { ip_address: '19.9.9.10', mac_address: p['mac_address'] },
  ]);
  const cleared = await call('PUT', `/v2.0/ports/${id}`, { port: { allowed_address_pairs: [] } });
  assert.deepEqual(get(cleared.json, 'port', 'allowed_address_pairs'), []);
  await call('DELETE', `/v2.0/ports/${id}`);
});

test('§5 AAP on a port with port security disabled → 409 AddressPairAndPortSecurityRequired', async () => {
  const res = await call('POST', '/v2.0/ports', { port: { network_id: netId, port_security_enabled: false, allowed_address_pairs: [{ ip_address: '19.9.9.9' }] } });
  assert.equal(res.status, 409);
  assert.equal(neutronError(res).type, 'AddressPairAndPortSecurityRequired');
});

test('§5 list filters: device_id, device_owner, network_id, fixed_ips=ip_address=', async () => {
  const device = '0a1b2c3d-1111-4222-8333-444455556666';
  const p = await port({ device_id: device, device_owner: 'lbop:filter' });
  await port();
  const byDevice = await call('GET', `/v2.0/ports?device_id=${device}`);
  assert.deepEqual((get(byDevice.json, 'ports') as Json[]).map((x) => x['id']), [p['id']]);
  assert.equal(get(byDevice.json, 'ports', 0, 'device_id'), device);
  const byOwner = await call('GET', `/v2.0/ports?device_owner=lbop:filter&network_id=${netId}`);
  assert.deepEqual((get(byOwner.json, 'ports') as Json[]).map((x) => x['id']), [p['id']]);
  const ip = String(get(p, 'fixed_ips', 0, 'ip_address'));
  const byIp = await call('GET', `/v2.0/ports?network_id=${netId}&fixed_ips=${encodeURIComponent(`ip_address=${ip}`)}`);
  assert.deepEqual((get(byIp.json, 'ports') as Json[]).map((x) => x['id']), [p['id']]);
  const all = await call('GET', `/v2.0/ports?network_id=${netId}`);
  for (const x of get(all.json, 'ports') as Json[]) await call('DELETE', `/v2.0/ports/${String(x['id'])}`);
});

test('§5 paging: limit + marker with ports_links "next" walks the whole list once', async () => {
  const made = [await port(), await port(), await port()].map((p) => String(p['id']));
  const seen: string[] = [];
  let url: string | undefined = `${neutron}/v2.0/ports?network_id=${netId}&limit=2`;
  for (let i = 0; url !== undefined && i < 5; i++) {
    const res: Res = await http('GET', url, { token });
    assert.equal(res.status, 200, res.text);
    const items = get(res.json, 'ports') as Json[];
    assert.ok(items.length <= 2);
    seen.push(...items.map((x) => String(x['id'])));
    const links = (get(res.json, 'ports_links') ?? []) as Json[];
    const next = links.find((l) => l['rel'] === 'next')?.['href'];
    url = typeof next === 'string' && items.length > 0 ? next : undefined;
  }
  assert.deepEqual([...seen].sort(), [...made].sort());
  for (const id of made) await call('DELETE', `/v2.0/ports/${id}`);
});

test('§5 revision_number grows with updates; If-Match with a stale revision → 412', async () => {
  const p = await port();
  const id = String(p['id']);
  const r0 = Number(p['revision_number']);
  const upd = await call('PUT', `/v2.0/ports/${id}`, { port: { name: 'renamed' } });
  const r1 = Number(get(upd.json, 'port', 'revision_number'));
  assert.ok(r1 > r0, `${r1} > ${r0}`);
  const stale = await http('PUT', `${neutron}/v2.0/ports/${id}`, { token, body: { port: { name: 'x' } }, headers: { 'If-Match': `revision_number=${r0}` } });
  assert.equal(stale.status, 412);
  assert.equal(neutronError(stale).type, 'RevisionNumberConstraintFailed');
  const fresh = await http('PUT', `${neutron}/v2.0/ports/${id}`, { token, body: { port: { name: 'y' } }, headers: { 'If-Match': `revision_number=${r1}` } });
  assert.equal(fresh.status, 200);
  await call('DELETE', `/v2.0/ports/${id}`);
});

test('§5 DELETE → 204, then GET → 404', async () => {
  const p = await port();
  const del = await call('DELETE', `/v2.0/ports/${String(p['id'])}`);
  assert.deepEqual([del.status, del.text], [204, '']);
  assert.equal((await call('GET', `/v2.0/ports/${String(p['id'])}`)).status, 404);
});

test('§5 bad requests → 400: no body, unknown attribute, invalid IP, missing network_id; unknown network → 404', async () => {
  const noBody = await call('POST', '/v2.0/ports', { nope: {} });
  assert.equal(noBody.status, 400);
  neutronError(noBody);
  const attr = await call('POST', '/v2.0/ports', { port: { network_id: netId, colour: 'red' } });
  assert.equal(attr.status, 400);
  const ip = await call('POST', '/v2.0/ports', { port: { network_id: netId, fixed_ips: [{ ip_address: '300.1.1.1' }] } });
  assert.equal(ip.status, 400);
  const noNet = await call('POST', '/v2.0/ports', { port: { name: 'x' } });
  assert.equal(noNet.status, 400);
  const ghost = await call('POST', '/v2.0/ports', { port: { network_id: '11111111-2222-4333-8444-555555555555' } });
  assert.equal(ghost.status, 404);
  assert.equal(neutronError(ghost).type, 'NetworkNotFound');
});

test('§5 changing a fixed IP on update → 400 under Contrail (ML2 allows it)', async () => {
  const p = await port();
  const res = await call('PUT', `/v2.0/ports/${String(p['id'])}`, { port: { fixed_ips: [{ subnet_id: subnetId, ip_address: `${cidrBase}.1` === String(get(p, 'fixed_ips', 0, 'ip_address')) ? `${cidrBase}.2` : `${cidrBase}.1` }] } });
  // Contrail-plugin difference (cloud-api.md §5): "Fixed ip cannot be updated on a port" → 400.
  // Stock ML2 re-allocates and answers 200 (or 409 if the address is taken).
  if (real) assert.ok([200, 400, 409].includes(res.status), res.text);
  else {
    assert.equal(res.status, 400);
    assert.equal(neutronError(res).message, 'Fixed ip cannot be updated on a port');
  }
  await call('DELETE', `/v2.0/ports/${String(p['id'])}`);
});

// A port's `status` follows what runs behind it: real Neutron sets ACTIVE when the L2 agent (OVS,
// OVN's controller, …) has wired the instance's device, DOWN when it reports the device gone —
// an instance stopped or destroyed. The operator reads DOWN on every data port of a silent SE as
// its data path failing (docs/se-repair.md). Simulator only: the real test stack binds ports
// with Neutron's `test` mechanism driver and Nova's fake virt driver, with no L2 agent, so no one
// there would turn a stopped server's port DOWN.
test('§5 a bound port is ACTIVE while its server is ACTIVE, DOWN once it is stopped or gone', async (t) => {
  if (real) {
    t.skip('needs an L2 agent; the real test stack has none');
    return;
  }
  const nova = endpoint(catalog, 'compute').replace(/\/$/, '');
  const image = String((get((await http('GET', `${nova}/images`, { token })).json, 'images') as Json[]).find((i) => i['name'] === 'avi-se')?.['id']);
  const p = await port({ name: 'conformance-bound' });
  const id = String(p['id']);
  const statusOf = async (): Promise<string> => String(get((await call('GET', `/v2.0/ports/${id}`)).json, 'port', 'status'));
  const boot = await http('POST', `${nova}/servers`, { token, body: { server: { name: 'conformance-port-status', imageRef: image, flavorRef: '2', networks: [{ port: id }] } } });
  assert.equal(boot.status, 202, boot.text);
  const server = String(get(boot.json, 'server', 'id'));
  const serverStatus = async (): Promise<string> => String(get((await http('GET', `${nova}/servers/${server}`, { token })).json, 'server', 'status'));
  try {
    await eventually(async () => ((await serverStatus()) === 'ACTIVE' ? true : undefined), 10_000, 'server ACTIVE');
    assert.equal(await statusOf(), 'ACTIVE', 'bound to an ACTIVE server');
    assert.equal((await http('POST', `${nova}/servers/${server}/action`, { token, body: { 'os-stop': null } })).status, 202);
    await eventually(async () => ((await serverStatus()) === 'SHUTOFF' ? true : undefined), 10_000, 'server SHUTOFF');
    assert.equal(await statusOf(), 'DOWN', 'its server stopped');
    assert.equal((await http('POST', `${nova}/servers/${server}/action`, { token, body: { 'os-start': null } })).status, 202);
    await eventually(async () => ((await serverStatus()) === 'ACTIVE' ? true : undefined), 10_000, 'server ACTIVE again');
    assert.equal(await statusOf(), 'ACTIVE', 'started again');
  } finally {
    assert.equal((await http('DELETE', `${nova}/servers/${server}`, { token })).status, 204);
  }
  await eventually(async () => ((await http('GET', `${nova}/servers/${server}`, { token })).status === 404 ? true : undefined), 10_000, 'server gone');
  const after = get((await call('GET', `/v2.0/ports/${id}`)).json, 'port') as Json;
  assert.equal(after['status'], 'DOWN', 'unbound: its server deleted');
  assert.equal(after['device_id'], '', 'Nova unbinds a port it did not create');
  assert.equal((await call('DELETE', `/v2.0/ports/${id}`)).status, 204);
});
