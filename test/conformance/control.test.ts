// The control API (issue 5 §4) and the vRouter model (cloud-api.md §3): stats, faults, rate
// limits, server state changes, routes with ECMP, the object inventory, persistence.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator } from '../../src/sim/index.js';
import { endpoint, eventually, get, http, login, sim, type Json, type Res } from './support.js';

const VIP_NET = '02b846e6-cd68-4c84-b7ab-3709946ed28b';
const MGMT_NET = '6f0c3b8e-2d4a-4b9c-8e1f-0a2b3c4d5e01';
let urls: Awaited<ReturnType<typeof sim>>['urls'];
let token = '';
let nova = '';
let n = 0;

const ctl = (m: string, p: string, body?: unknown): Promise<Res> => http(m, `${urls.control}${p}`, body === undefined ? {} : { body });
const vnc = (m: string, p: string, body?: unknown): Promise<Res> => http(m, `${urls.contrail}${p}`, { token, ...(body === undefined ? {} : { body }) });

before(async () => {
  urls = (await sim()).urls;
  const l = await login(urls.keystone, 'admin', 'admin-secret', 'demo');
  token = l.token;
  nova = endpoint(l.catalog, 'compute');
});

test('stats: counts by API, method, route template and status; latency histograms; reset', async () => {
  await ctl('POST', '/sim/stats/reset');
  await vnc('GET', `/virtual-network/${VIP_NET}`);
  await vnc('GET', `/virtual-network/${VIP_NET}`);
  await vnc('GET', '/virtual-network/11111111-2222-4333-8444-555555555555');
  const s = (await ctl('GET', '/sim/stats')).json as Json;
  const rows = (s['requests'] as Json[]).filter((r) => r['api'] === 'contrail' && r['route'] === '/virtual-network/{id}');
  assert.deepEqual(rows.map((r) => [r['status'], r['count']]).sort(), [[200, 2], [404, 1]]);
  const lat = (s['latency'] as Json[]).find((r) => r['api'] === 'contrail' && r['route'] === '/virtual-network/{id}') as Json;
  assert.equal(lat['count'], 3);
  assert.equal(get(lat, 'bucketsMs', '+Inf'), 3);
  await ctl('POST', '/sim/stats/reset');
  assert.deepEqual(get((await ctl('GET', '/sim/stats')).json, 'requests'), []);
});

test('faults: injected status in each API\'s own error format, with Retry-After, bounded by count', async () => {
  const add = await ctl('POST', '/sim/faults', { api: 'neutron', method: 'GET', route: '/v2.0/networks', status: 503, count: 2 });
  assert.equal(add.status, 201);
  const a = await http('GET', `${urls.neutron}/v2.0/networks`, { token });
  assert.equal(a.status, 503);
  assert.equal(a.headers.get('retry-after'), '1');
  assert.equal(get(a.json, 'NeutronError', 'type'), 'ServiceUnavailable');
  assert.equal((await http('GET', `${urls.neutron}/v2.0/networks`, { token })).status, 503);
  assert.equal((await http('GET', `${urls.neutron}/v2.0/networks`, { token })).status, 200, 'count exhausted');
  await ctl('POST', '/sim/faults', { api: 'contrail', route: '/virtual-network/{id}', status: 429, retryAfter: 7, count: 1 });
  const v = await vnc('GET', `/virtual-network/${VIP_NET}`);
  assert.deepEqual([v.status, v.headers.get('retry-after')], [429, '7']);
  assert.match(v.contentType, /^text\/html/);
  await ctl('POST', '/sim/faults', { api: 'nova', route: '/v2.1/{project_id}/servers', method: 'GET', status: 500, count: 1 });
  const nv = await http('GET', `${nova}/servers`, { token });
  assert.deepEqual(nv.json, { computeFault: { code: 500, message: 'Internal Server Error (injected)' } });
  await ctl('POST', '/sim/faults', { api: 'keystone', status: 503, count: 1 });
  const ks = await http('POST', `${urls.keystone}/v3/auth/tokens`, { body: {} });
  assert.equal(get(ks.json, 'error', 'code'), 503);
  const bad = await ctl('POST', '/sim/faults', { api: 'glance', status: 500 });
  assert.equal(bad.status, 400);
  assert.equal((await ctl('POST', '/sim/faults', { api: 'nova' })).status, 400, 'a fault needs an effect');
});

test('faults: latency delays, timeout hangs then drops, duration bounds, DELETE clears', async () => {
  await ctl('POST', '/sim/faults', { api: 'contrail', route: '/virtual-networks', latency: { fixedMs: 150 }, count: 1 });
  const t0 = Date.now();
  assert.equal((await vnc('GET', '/virtual-networks?count=true')).status, 200);
  assert.ok(Date.now() - t0 >= 140, 'delayed');
  await ctl('POST', '/sim/faults', { api: 'contrail', route: '/virtual-networks', timeout: { hangMs: 100 }, count: 1 });
  await assert.rejects(vnc('GET', '/virtual-networks?count=true'), 'connection dropped');
  assert.equal((await vnc('GET', '/virtual-networks?count=true')).status, 200);
  await ctl('POST', '/sim/faults', { api: 'contrail', route: '/aaa-mode', status: 500, durationMs: 100 });
  assert.equal((await vnc('GET', '/aaa-mode')).status, 500);
  await eventually(async () => ((await vnc('GET', '/aaa-mode')).status === 200 ? true : undefined), 3000, 'fault expiry');
  await ctl('POST', '/sim/faults', { api: '*', status: 418 });
  assert.equal((await vnc('GET', '/aaa-mode')).status, 418);
  const del = await ctl('DELETE', '/sim/faults');
  assert.deepEqual(del.json, { removed: 1 });
  assert.equal((await vnc('GET', '/aaa-mode')).status, 200);
});

test('faults: lostReply carries the request out, then resets the connection unanswered (at once, or after hangMs)', async () => {
  await ctl('POST', '/sim/faults', { api: 'neutron', method: 'POST', route: '/v2.0/ports', lostReply: true, count: 1 });
  const name = `lost-${++n}`;
  await assert.rejects(http('POST', `${urls.neutron}/v2.0/ports`, { token, body: { port: { network_id: VIP_NET, name } } }), 'no reply');
  const made = await http('GET', `${urls.neutron}/v2.0/ports?name=${name}`, { token });
  assert.equal((get(made.json, 'ports') as Json[]).length, 1, 'the port was created all the same');
  await ctl('POST', '/sim/faults', { api: 'neutron', method: 'POST', route: '/v2.0/ports', lostReply: { hangMs: 200 }, count: 1 });
  const t0 = Date.now();
  await assert.rejects(http('POST', `${urls.neutron}/v2.0/ports`, { token, body: { port: { network_id: VIP_NET, name: `${name}-b` } } }));
  assert.ok(Date.now() - t0 >= 190, 'held before the reset');
  assert.equal((get((await http('GET', `${urls.neutron}/v2.0/ports?name=${name}-b`, { token })).json, 'ports') as Json[]).length, 1);
  const rows = get((await ctl('GET', '/sim/stats')).json, 'requests') as Json[];
  assert.ok(rows.some((r) => r['api'] === 'neutron' && r['route'] === '/v2.0/ports' && r['method'] === 'POST' && r['status'] === 0), 'stats count it as unanswered');
});

test('faults: a probability draws from the seeded stream, so the same seed gives the same outcomes', async () => {
  const outcomes = async (): Promise<number[]> => {
    const s = await startSimulator({ seed: 99 });
    try {
      await http('POST', `${s.urls.control}/sim/faults`, { body: { api: 'neutron', status: 500, probability: 0.5 } });
      const out: number[] = [];
      for (let i = 0; i < 20; i++) out.push((await http('GET', `${s.urls.neutron}/v2.0/networks`)).status);
      return out;
    } finally {
      await s.close();
    }
  };
  const a = await outcomes();
  const b = await outcomes();
  assert.deepEqual(a, b);
  assert.ok(a.includes(500) && a.includes(401), 'both outcomes occur');
});

test('global rate limit per API answers 429 with Retry-After beyond it', async () => {
  await ctl('PUT', '/sim/rate-limits', { contrail: 5 });
  const statuses: number[] = [];
  for (let i = 0; i < 15; i++) statuses.push((await vnc('GET', '/aaa-mode')).status);
  await ctl('PUT', '/sim/rate-limits', { contrail: null });
  assert.ok(statuses.filter((x) => x === 429).length >= 5, statuses.join(','));
  assert.ok(statuses.slice(0, 5).every((x) => x === 200));
  assert.equal((await vnc('GET', '/aaa-mode')).status, 200);
  assert.equal((await ctl('PUT', '/sim/rate-limits', { glance: 1 })).status, 400);
});

async function activeServer(name: string): Promise<string> {
  const res = await http('POST', `${nova}/servers`, { token, body: { server: { name, imageRef: '3d2c1b0a-9f8e-4d7c-8b6a-5f4e3d2c1b0a', flavorRef: '2', networks: [{ uuid: MGMT_NET }] } } });
  const id = String(get(res.json, 'server', 'id'));
  await eventually(async () => (get((await http('GET', `${nova}/servers/${id}`, { token })).json, 'server', 'status') === 'ACTIVE' ? true : undefined), 5000, 'ACTIVE');
  return id;
}

async function dataVmi(server: string, localPref?: number): Promise<{ uuid: string; fq: string[] }> {
  const port = await http('POST', `${urls.neutron}/v2.0/ports`, { token, body: { port: { network_id: VIP_NET } } });
  const id = String(get(port.json, 'port', 'id'));
  const att = await http('POST', `${nova}/servers/${server}/os-interface`, { token, body: { interfaceAttachment: { port_id: id } } });
  assert.equal(att.status, 200, att.text);
  if (localPref !== undefined) await vnc('PUT', `/virtual-machine-interface/${id}`, { 'virtual-machine-interface': { virtual_machine_interface_properties: { local_preference: localPref } } });
  const read = await vnc('GET', `/virtual-machine-interface/${id}`);
  return { uuid: id, fq: get(read.json, 'virtual-machine-interface', 'fq_name') as string[] };
}

const routeOf = async (prefix: string): Promise<Json> => {
  const r = await ctl('GET', `/sim/routes?network=${VIP_NET}`);
  const route = (get(r.json, 'networks', 0, 'routes') as Json[]).find((x) => x['prefix'] === prefix);
  assert.ok(route !== undefined, `route ${prefix}`);
  return route;
};

test('routes: a shared active-active VIP instance-ip is ECMP over the ACTIVE SEs; ERROR/vanish removes a next hop', async () => {
  const [s1, s2] = [await activeServer('se-a'), await activeServer('se-b')];
  const [v1, v2] = [await dataVmi(s1), await dataVmi(s2)];
  const iip = await vnc('POST', '/instance-ips', { 'instance-ip': { fq_name: [`vip-${++n}`], instance_ip_mode: 'active-active', instance_ip_secondary: true, virtual_network_refs: [{ to: ['default-domain', 'demo', 'vip-net'] }], virtual_machine_interface_refs: [{ to: v1.fq }, { to: v2.fq }] } });
  const addr = String(get((await vnc('GET', `/instance-ip/${String(get(iip.json, 'instance-ip', 'uuid'))}`)).json, 'instance-ip', 'instance_ip_address'));
  const ecmp = await routeOf(`${addr}/32`);
  assert.equal(ecmp['ecmp'], true);
  assert.deepEqual((ecmp['nexthops'] as Json[]).map((h) => [h['vmi'], h['server_id'], h['server_name']]).sort(), [[v1.uuid, s1, 'se-a'], [v2.uuid, s2, 'se-b']].sort());
  const st = await ctl('POST', `/sim/servers/${s1}/state`, { state: 'ERROR', message: 'hypervisor lost' });
  assert.deepEqual(st.json, { id: s1, status: 'ERROR' });
  const one = await routeOf(`${addr}/32`);
  assert.deepEqual((one['nexthops'] as Json[]).map((h) => h['vmi']), [v2.uuid]);
  assert.equal(get((await http('GET', `${nova}/servers/${s1}`, { token })).json, 'server', 'fault', 'message'), 'hypervisor lost');
  await ctl('POST', `/sim/servers/${s2}/state`, { state: 'vanish' });
  assert.equal((await http('GET', `${nova}/servers/${s2}`, { token })).status, 404);
  assert.deepEqual((await routeOf(`${addr}/32`))['nexthops'], []);
  assert.equal((await ctl('POST', `/sim/servers/${s2}/state`, { state: 'ERROR' })).status, 404);
  assert.equal((await ctl('POST', `/sim/servers/${s1}/state`, { state: 'BROKEN' })).status, 400);
});

test('routes: the highest local_preference forwards — active-standby, AAP active-active and multi-VMI FIP alike; ECMP among equals', async () => {
  const [s1, s2] = [await activeServer('se-c'), await activeServer('se-d')];
  const [v1, v2] = [await dataVmi(s1, 100), await dataVmi(s2, 200)];
  const iip = await vnc('POST', '/instance-ips', { 'instance-ip': { fq_name: [`vip-${++n}`], instance_ip_mode: 'active-standby', virtual_network_refs: [{ to: ['default-domain', 'demo', 'vip-net'] }], virtual_machine_interface_refs: [{ to: v1.fq }, { to: v2.fq }] } });
  const addr = String(get((await vnc('GET', `/instance-ip/${String(get(iip.json, 'instance-ip', 'uuid'))}`)).json, 'instance-ip', 'instance_ip_address'));
  const standby = await routeOf(`${addr}/32`);
  assert.equal(standby['ecmp'], false);
  assert.deepEqual((standby['nexthops'] as Json[]).map((h) => h['vmi']), [v2.uuid]);
  const aap = { virtual_machine_interface_allowed_address_pairs: { allowed_address_pair: [{ ip: { ip_prefix: '19.1.1.77', ip_prefix_len: 32 }, address_mode: 'active-active' }] } };
  await vnc('PUT', `/virtual-machine-interface/${v1.uuid}`, { 'virtual-machine-interface': aap });
  await vnc('PUT', `/virtual-machine-interface/${v2.uuid}`, { 'virtual-machine-interface': aap });
  const fip = await vnc('POST', '/floating-ips', { 'floating-ip': { fq_name: ['default-domain', 'admin', 'public', 'public-pool', `fip-${++n}`], parent_type: 'floating-ip-pool', floating_ip_fixed_ip_address: addr, virtual_machine_interface_refs: [{ to: v1.fq }, { to: v2.fq }] } });
  const fipAddr = String(get((await vnc('GET', `/floating-ip/${String(get(fip.json, 'floating-ip', 'uuid'))}`)).json, 'floating-ip', 'floating_ip_address'));
  const fipRoute = async (): Promise<Json> => {
    const pub = await ctl('GET', '/sim/routes?network=6f0c3b8e-2d4a-4b9c-8e1f-0a2b3c4d5e05');
    return (get(pub.json, 'networks', 0, 'routes') as Json[]).find((r) => r['prefix'] === `${fipAddr}/32`) as Json;
  };
  // Unequal static preferences: the agent exports every path of a VMI with its preference, the
  // control node picks the highest, so the AAP and the floating IP follow v2 like the VIP does.
  for (const r of [await routeOf('19.1.1.77/32'), await fipRoute()]) {
    assert.equal(r['ecmp'], false);
    assert.deepEqual((r['nexthops'] as Json[]).map((h) => h['vmi']), [v2.uuid]);
  }
  // Equal preferences: multipath.
  await vnc('PUT', `/virtual-machine-interface/${v1.uuid}`, { 'virtual-machine-interface': { virtual_machine_interface_properties: { local_preference: 200 } } });
  for (const r of [await routeOf('19.1.1.77/32'), await fipRoute()]) {
    assert.equal(r['ecmp'], true);
    assert.equal((r['nexthops'] as Json[]).length, 2);
  }
});

test('objects: every API\'s objects with owner tags (annotations, Nova metadata, Neutron description)', async () => {
  const tags = { 'lbop.owner-kind': 'VirtualService', 'lbop.owner-uid': 'u-1' };
  await vnc('POST', '/loadbalancers', { loadbalancer: { fq_name: ['default-domain', 'demo', `lb-${++n}`], parent_type: 'project', annotations: { key_value_pair: Object.entries(tags).map(([key, value]) => ({ key, value })) } } });
  await http('POST', `${urls.neutron}/v2.0/ports`, { token, body: { port: { network_id: VIP_NET, description: `lbop:${JSON.stringify(tags)}` } } });
  await http('POST', `${nova}/servers`, { token, body: { server: { name: 'tagged', imageRef: '3d2c1b0a-9f8e-4d7c-8b6a-5f4e3d2c1b0a', flavorRef: '2', networks: 'none', metadata: tags } } });
  const all = get((await ctl('GET', '/sim/objects')).json, 'objects') as Json[];
  for (const api of ['contrail', 'neutron', 'nova']) {
    assert.ok(all.some((o) => o['api'] === api && get(o, 'owner', 'lbop.owner-uid') === 'u-1'), `${api} object with owner tags`);
  }
  assert.ok(all.some((o) => o['api'] === 'keystone' && o['name'] === 'demo'));
  const onlyLb = get((await ctl('GET', '/sim/objects?api=contrail&type=loadbalancer')).json, 'objects') as Json[];
  assert.ok(onlyLb.length >= 1 && onlyLb.every((o) => o['type'] === 'loadbalancer'));
});

test('--state: the cloud survives a restart (objects, allocations, servers, tokens)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lbop-sim-'));
  const statePath = join(dir, 'state.json');
  try {
    const a = await startSimulator({ seed: 5, statePath, bootTimeMs: 10 });
    const l = await login(a.urls.keystone, 'admin', 'admin-secret', 'demo');
    const p1 = await http('POST', `${a.urls.neutron}/v2.0/ports`, { token: l.token, body: { port: { network_id: VIP_NET } } });
    assert.equal(get(p1.json, 'port', 'fixed_ips', 0, 'ip_address'), '19.1.1.252');
    await a.close();
    const b = await startSimulator({ seed: 6, statePath, bootTimeMs: 10, ports: {} });
    try {
      const same = await http('GET', `${b.urls.neutron}/v2.0/ports/${String(get(p1.json, 'port', 'id'))}`, { token: l.token });
      assert.equal(same.status, 200, 'port and token survived');
      const p2 = await http('POST', `${b.urls.neutron}/v2.0/ports`, { token: l.token, body: { port: { network_id: VIP_NET } } });
      assert.equal(get(p2.json, 'port', 'fixed_ips', 0, 'ip_address'), '19.1.1.251', 'allocation continues');
    } finally {
      await b.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
