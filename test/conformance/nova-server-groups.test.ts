// Nova os-server-groups as the API reference has it (create/show/list/delete, 2.64 `policy` +
// `rules` vs the older `policies`), the `group` scheduler hint, and the anti-affinity filter
// over the simulator's compute hosts (two in the default topology): two members land on
// different hosts, a third is accepted and goes ERROR with "No valid host was found".
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { endpoint, eventually, get, http, login, sim, type Json, type Res } from './support.js';

const MGMT_NET = '6f0c3b8e-2d4a-4b9c-8e1f-0a2b3c4d5e01';
let nova = '';
let token = '';
let image = '';
const V264 = { 'OpenStack-API-Version': 'compute 2.64' };

const call = (m: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<Res> =>
  http(m, url, { token, ...(body === undefined ? {} : { body }), ...(headers === undefined ? {} : { headers }) });

before(async () => {
  const s = await sim();
  const l = await login(s.urls.keystone, 'demo', 'demo-secret', 'demo');
  token = l.token;
  nova = endpoint(l.catalog, 'compute');
  image = String((get((await call('GET', `${nova}/images`)).json, 'images') as Json[]).find((i) => i['name'] === 'avi-se')?.['id']);
});

const bootIn = async (group: string, name: string): Promise<string> => {
  const r = await call('POST', `${nova}/servers`, { server: { name, imageRef: image, flavorRef: '2', networks: [{ uuid: MGMT_NET }] }, 'os:scheduler_hints': { group } });
  assert.equal(r.status, 202, JSON.stringify(r.json));
  return String(get(r.json, 'server', 'id'));
};
const settled = (id: string): Promise<Json> => eventually(async () => {
  const s = get((await call('GET', `${nova}/servers/${id}`)).json, 'server') as Json;
  return s['status'] === 'BUILD' ? undefined : s;
}, 5000, `server ${id} out of BUILD`);

test('server group: 2.64 create shows policy + rules + members; older microversions policies + metadata; delete 204 then 404', async () => {
  const r = await call('POST', `${nova}/os-server-groups`, { server_group: { name: 'sg-a', policy: 'anti-affinity', rules: { max_server_per_host: 1 } } }, V264);
  assert.equal(r.status, 200);
  const g = get(r.json, 'server_group') as Json;
  assert.equal(g['name'], 'sg-a');
  assert.equal(g['policy'], 'anti-affinity');
  assert.deepEqual(g['rules'], { max_server_per_host: 1 });
  assert.deepEqual(g['members'], []);
  assert.equal(typeof g['project_id'], 'string');
  const old = get((await call('GET', `${nova}/os-server-groups/${String(g['id'])}`, undefined, { 'OpenStack-API-Version': 'compute 2.1' })).json, 'server_group') as Json;
  assert.deepEqual(old['policies'], ['anti-affinity']);
  assert.deepEqual(old['metadata'], {});
  assert.equal(old['policy'], undefined);
  const listed = get((await call('GET', `${nova}/os-server-groups`, undefined, V264)).json, 'server_groups') as Json[];
  assert.ok(listed.some((x) => x['id'] === g['id']));
  assert.equal((await call('DELETE', `${nova}/os-server-groups/${String(g['id'])}`)).status, 204);
  const gone = await call('GET', `${nova}/os-server-groups/${String(g['id'])}`);
  assert.equal(gone.status, 404);
  assert.deepEqual(gone.json, { itemNotFound: { code: 404, message: `Instance group ${String(g['id'])} could not be found.` } });
});

test('server group: bad policy, policies at 2.64, rules on affinity → 400', async () => {
  const bad = await call('POST', `${nova}/os-server-groups`, { server_group: { name: 'x', policy: 'spread' } }, V264);
  assert.equal(bad.status, 400);
  assert.match(String(get(bad.json, 'badRequest', 'message')), /policy/);
  assert.equal((await call('POST', `${nova}/os-server-groups`, { server_group: { name: 'x', policies: ['affinity'] } }, V264)).status, 400);
  assert.equal((await call('POST', `${nova}/os-server-groups`, { server_group: { name: 'x', policy: 'affinity', rules: { max_server_per_host: 2 } } }, V264)).status, 400);
});

test('scheduler hint group: an unknown group → 400; anti-affinity puts two members on different hosts, a third gets NoValidHost', async () => {
  const unknown = '0b0e3f2a-1111-4222-8333-944455556666';
  const r = await call('POST', `${nova}/servers`, { server: { name: 'x', imageRef: image, flavorRef: '2', networks: [{ uuid: MGMT_NET }] }, 'os:scheduler_hints': { group: unknown } });
  assert.equal(r.status, 400);
  assert.equal(get(r.json, 'badRequest', 'message'), `Instance group ${unknown} could not be found.`);

  const g = get((await call('POST', `${nova}/os-server-groups`, { server_group: { name: 'sg-b', policy: 'anti-affinity' } }, V264)).json, 'server_group') as Json;
  const gid = String(g['id']);
  const a = await settled(await bootIn(gid, 'aa-1'));
  const b = await settled(await bootIn(gid, 'aa-2'));
  assert.equal(a['status'], 'ACTIVE');
  assert.equal(b['status'], 'ACTIVE');
  assert.equal(typeof a['hostId'], 'string');
  assert.notEqual(a['hostId'], b['hostId'], 'different hosts');
  const third = await settled(await bootIn(gid, 'aa-3'));
  assert.equal(third['status'], 'ERROR');
  assert.match(String(get(third, 'fault', 'message')), /^No valid host was found/);
  const members = get((await call('GET', `${nova}/os-server-groups/${gid}`, undefined, V264)).json, 'server_group', 'members') as string[];
  assert.deepEqual([...members].sort(), [a['id'], b['id'], third['id']].map(String).sort());

  // A member deleted frees its host: the next boot fits again.
  assert.equal((await call('DELETE', `${nova}/servers/${String(third['id'])}`)).status, 204);
  assert.equal((await call('DELETE', `${nova}/servers/${String(a['id'])}`)).status, 204);
  const c = await settled(await bootIn(gid, 'aa-4'));
  assert.equal(c['status'], 'ACTIVE');
  assert.equal(c['hostId'], a['hostId'], 'the freed host');
  for (const id of [b['id'], c['id']]) await call('DELETE', `${nova}/servers/${String(id)}`);
  await call('DELETE', `${nova}/os-server-groups/${gid}`);
});
