// cloud-api.md §6 (Nova v2.1): the cases only the simulator can stage (locks, paging, network
// trouble). The cases shared with real Nova live once, in test/e2e-openstack/nova-conformance.test.ts,
// which `make test-conformance` runs against the simulator and `make test-openstack` against real Nova.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { endpoint, eventually, get, http, login, sim, type Json, type Res } from './support.js';

const SERVER_NET = '6f0c3b8e-2d4a-4b9c-8e1f-0a2b3c4d5e03';
const MGMT_NET = '6f0c3b8e-2d4a-4b9c-8e1f-0a2b3c4d5e01';
let nova = '';
let neutron = '';
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
