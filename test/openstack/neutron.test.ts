// The Neutron client and a plain-Neutron CloudView against a real neutron-server (ML2).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import {
  BadRequest, CloudView, Conflict, IPExhausted, NotFound, neutronSources, openCloud, ownerDescription, ownerFromDescription,
  KIND, NeutronClient, type Owner, type ViewChange,
} from '../../src/cloud/index.js';
import { captureLogs, assertNoSecrets } from '../cloud/capture.js';
import { openStackEnv } from './env.js';

const env = openStackEnv();
const cap = captureLogs();
const registry = new Registry();
const cloud = openCloud({ name: 'real', keystone: { authURL: env.keystoneURL, region: env.region }, credentials: { kind: 'password', username: 'demo', password: env.demo.password }, logger: cap.logger, registry });
const neutron = cloud.neutron({ name: 'demo' });
const run = randomUUID().slice(0, 8);
const errors: unknown[] = [];
const cleanup: (() => Promise<unknown>)[] = [];

after(async () => {
  for (const f of cleanup.reverse()) await f().catch(() => undefined);
  const tokens = [...new Set([(await cloud.keystone.token({ name: 'demo' })).value])];
  await assertNoSecrets([env.demo.password, ...tokens], { logs: cap.lines, errors, registry });
  cloud.close();
});

async function failure(p: Promise<unknown>): Promise<unknown> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  errors.push(e);
  return e;
}

test('ports: create with a fixed IP, list by filter, replace allowed address pairs, delete', async () => {
  const port = await neutron.createPort({
    network_id: env.ids['demo-net'], name: `lbop-${run}-vip`, device_owner: 'Octavia', device_id: `lb-${run}`,
    fixed_ips: [{ subnet_id: env.ids['demo-subnet'], ip_address: '10.0.0.200' }],
  });
  cleanup.push(() => neutron.deletePort(port.id));
  assert.equal(port.status, 'DOWN');
  assert.deepEqual(port.fixed_ips, [{ subnet_id: env.ids['demo-subnet'], ip_address: '10.0.0.200' }]);
  const found = await neutron.listPorts({ device_id: `lb-${run}` });
  assert.deepEqual(found.map((p) => p.id), [port.id]);
  const byIp = await neutron.listPorts({ fixed_ips: ['ip_address=10.0.0.200'], network_id: env.ids['demo-net'] });
  assert.deepEqual(byIp.map((p) => p.id), [port.id]);
  const pairs = await neutron.updatePort(port.id, { allowed_address_pairs: [{ ip_address: '10.0.0.10' }, { ip_address: '10.0.0.11' }] });
  assert.deepEqual(pairs.allowed_address_pairs, [{ ip_address: '10.0.0.10', mac_address: port.mac_address }, { ip_address: '10.0.0.11', mac_address: port.mac_address }]);
  const replaced = await neutron.updatePort(port.id, { allowed_address_pairs: [{ ip_address: '10.0.0.11' }] });
  assert.deepEqual(replaced.allowed_address_pairs.map((p) => p.ip_address), ['10.0.0.11']);
  await neutron.deletePort(port.id);
  const gone = await failure(neutron.getPort(port.id));
  assert.ok(gone instanceof NotFound);
});

test('error mapping: IpAddressAlreadyAllocated, InvalidIpForSubnet, PortNotFound on GET/PUT/DELETE', async () => {
  const a = await neutron.createPort({ network_id: env.ids['demo-net'], fixed_ips: [{ subnet_id: env.ids['demo-subnet'], ip_address: '10.0.0.201' }] });
  cleanup.push(() => neutron.deletePort(a.id));
  const dup = await failure(neutron.createPort({ network_id: env.ids['demo-net'], fixed_ips: [{ subnet_id: env.ids['demo-subnet'], ip_address: '10.0.0.201' }] }));
  assert.ok(dup instanceof Conflict, String(dup));
  assert.equal(dup.conflict, 'InUse');
  assert.equal(dup.serverType, 'IpAddressAlreadyAllocated');
  assert.equal(dup.serverMessage, `IP address 10.0.0.201 already allocated in subnet ${env.ids['demo-subnet']}`);
  const outside = await failure(neutron.createPort({ network_id: env.ids['demo-net'], fixed_ips: [{ subnet_id: env.ids['demo-subnet'], ip_address: '10.9.0.10' }] }));
  assert.ok(outside instanceof BadRequest, String(outside));
  assert.match(outside.serverMessage, /10\.9\.0\.10 is not a valid IP for the specified subnet/);
  const none = '00000000-0000-0000-0000-000000000000';
  for (const p of [neutron.getPort(none), neutron.updatePort(none, { name: 'x' }), neutron.deletePort(none)]) {
    const e = await failure(p);
    assert.ok(e instanceof NotFound, String(e));
    assert.equal(e.serverMessage, `Port ${none} could not be found.`);
    assert.equal(e.serverType, 'PortNotFound');
  }
});

test('a full subnet is IPExhausted (IpAddressGenerationFailure)', async () => {
  const net = await cloud.http.request<{ network: { id: string } }>({
    api: 'neutron', op: 'createNetwork', method: 'POST', url: `${env.neutronURL}/v2.0/networks`,
    headers: { 'x-auth-token': (await cloud.keystone.token({ name: 'demo' })).value }, json: { network: { name: `lbop-${run}-tiny` } },
  });
  const netId = net.body.network.id;
  const tok = (await cloud.keystone.token({ name: 'demo' })).value;
  cleanup.push(() => cloud.http.request({ api: 'neutron', op: 'deleteNetwork', method: 'DELETE', url: `${env.neutronURL}/v2.0/networks/${netId}`, headers: { 'x-auth-token': tok } }));
  await cloud.http.request({
    api: 'neutron', op: 'createSubnet', method: 'POST', url: `${env.neutronURL}/v2.0/subnets`, headers: { 'x-auth-token': tok },
    json: { subnet: { network_id: netId, ip_version: 4, cidr: '192.168.77.0/29', enable_dhcp: false, allocation_pools: [{ start: '192.168.77.2', end: '192.168.77.3' }] } },
  });
  const ports = [];
  for (let i = 0; i < 2; i++) ports.push(await neutron.createPort({ network_id: netId }));
  for (const p of ports) cleanup.push(() => neutron.deletePort(p.id));
  const full = await failure(neutron.createPort({ network_id: netId }));
  assert.ok(full instanceof IPExhausted, String(full));
  assert.equal(full.serverMessage, `No more IP addresses available on network ${netId}.`);
});

test('floating IP: create associated to a port, disassociate, delete', async () => {
  const port = await neutron.createPort({ network_id: env.ids['demo-net'], fixed_ips: [{ subnet_id: env.ids['demo-subnet'] }] });
  cleanup.push(() => neutron.deletePort(port.id));
  const fip = await neutron.createFloatingIP({ floating_network_id: env.ids['public'], port_id: port.id, description: `lbop-${run}` });
  cleanup.push(() => neutron.deleteFloatingIP(fip.id));
  assert.equal(fip.port_id, port.id);
  assert.equal(fip.fixed_ip_address, port.fixed_ips[0]?.ip_address);
  assert.match(fip.floating_ip_address, /^172\.24\.4\./);
  assert.equal(fip.router_id, env.ids['demo-router']);
  const off = await neutron.updateFloatingIP(fip.id, { port_id: null });
  assert.equal(off.port_id, null);
  await neutron.deleteFloatingIP(fip.id);
  assert.ok(await failure(neutron.getFloatingIP(fip.id)) instanceof NotFound);
});

test('lists follow next links page by page', async () => {
  const ids = [];
  for (let i = 0; i < 5; i++) ids.push((await neutron.createPort({ network_id: env.ids['demo-net'], device_id: `page-${run}` })).id);
  for (const id of ids) cleanup.push(() => neutron.deletePort(id));
  const pagedRegistry = new Registry();
  const paged = openCloud({ name: 'paged', keystone: { authURL: env.keystoneURL, region: env.region }, credentials: { kind: 'password', username: 'demo', password: env.demo.password }, registry: pagedRegistry });
  try {
    const small = new NeutronClient(paged.keystone.session({ name: 'demo' }), { pageSize: 2 });
    const listed = await small.listPorts({ device_id: `page-${run}` });
    assert.deepEqual(listed.map((p) => p.id).sort(), [...ids].sort());
    const m = (await pagedRegistry.getMetricsAsJSON()).find((x) => x.name === 'lbop_cloud_api_requests_total');
    const pages = (m?.values ?? []).filter((v) => v.labels['op'] === 'list:ports').reduce((a, v) => a + v.value, 0);
    assert.ok(pages >= 3, `5 ports in pages of 2 take at least 3 requests, saw ${pages}`);
  } finally { paged.close(); }
});

test('plain-Neutron CloudView: owned ports by description, one list per kind, removals notified with owner', async () => {
  const clusterID = `cluster-${run}`;
  const owner: Owner = { clusterID, kind: 'VirtualService', namespace: 'demo', name: 'vs1', uid: randomUUID() };
  const changes: ViewChange[] = [];
  const view = new CloudView({ cloud: 'real', sources: neutronSources({ neutron, novas: [], clusterID }), onChange: (c) => changes.push(...c) });
  const mine = await neutron.createPort({ network_id: env.ids['demo-net'], name: `lbop-${owner.uid.slice(0, 8)}-vip-0`, description: ownerDescription(owner) });
  cleanup.push(() => neutron.deletePort(mine.id));
  const foreign = await neutron.createPort({ network_id: env.ids['demo-net'], description: 'someone else' });
  cleanup.push(() => neutron.deletePort(foreign.id));
  await view.refresh();
  assert.equal(view.listCalls, 5);
  assert.deepEqual(view.list(KIND.port).map((o) => o.id), [mine.id]);
  assert.deepEqual(view.get(KIND.port, mine.id)?.owner, owner);
  assert.deepEqual(ownerFromDescription((await neutron.getPort(mine.id)).description), owner);
  assert.ok(view.list(KIND.network).some((n) => n.id === env.ids['demo-net']));
  assert.ok(view.list(KIND.subnet).some((n) => n.id === env.ids['demo-subnet']));
  changes.length = 0;
  await neutron.deletePort(mine.id);
  await view.refresh();
  assert.deepEqual(changes.map((c) => [c.kind, c.id, c.change, c.owner?.uid]), [[KIND.port, mine.id, 'removed', owner.uid]]);
});
