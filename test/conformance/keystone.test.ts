// cloud-api.md §4 and §7 OpenStack.1 (Keystone v3). Runs against the simulator, or against a
// real Keystone when LBOP_CONFORMANCE_KEYSTONE_URL (+ _USER/_PASSWORD/_PROJECT) is set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSimulator } from '../../src/sim/index.js';
import { endpoint, eventually, get, http, keystoneTarget, login, type Json } from './support.js';

const authBody = (user: string, password: string, project: string, domain: string): Json => ({
  auth: { identity: { methods: ['password'], password: { user: { name: user, domain: { name: domain }, password } } }, scope: { project: { name: project, domain: { name: domain } } } },
});

test('§7.1 password auth with project scope → 201, X-Subject-Token, token body with roles, project and catalog', async () => {
  const k = await keystoneTarget();
  const res = await http('POST', `${k.url}/v3/auth/tokens`, { body: authBody(k.user, k.password, k.project, k.domain) });
  assert.equal(res.status, 201, res.text);
  assert.ok((res.headers.get('x-subject-token') ?? '').length > 20);
  const t = get(res.json, 'token') as Json;
  assert.deepEqual(t['methods'], ['password']);
  assert.equal(get(t, 'project', 'name'), k.project);
  assert.equal(get(t, 'user', 'name'), k.user);
  assert.ok(Array.isArray(t['roles']) && (t['roles'] as Json[]).every((r) => typeof r['id'] === 'string' && typeof r['name'] === 'string'));
  assert.ok(Date.parse(String(t['expires_at'])) > Date.now(), 'expires_at in the future');
  assert.ok(Array.isArray(t['audit_ids']));
  const catalog = t['catalog'] as Json[];
  assert.ok(catalog.length > 0);
  for (const svc of catalog) {
    for (const ep of svc['endpoints'] as Json[]) {
      assert.ok(['public', 'internal', 'admin'].includes(String(ep['interface'])));
      assert.equal(typeof ep['url'], 'string');
    }
  }
  endpoint(catalog, 'identity');
  endpoint(catalog, 'network');
  if (!k.real) {
    // The simulator's catalog points at itself, compute with the project id appended.
    assert.match(endpoint(catalog, 'compute'), new RegExp(`/v2\\.1/${String(get(t, 'project', 'id'))}$`));
    assert.equal(get(t, 'project', 'domain', 'id'), 'default');
  }
});

test('§4 bad password → 401 with the Keystone JSON body and WWW-Authenticate', async () => {
  const k = await keystoneTarget();
  const res = await http('POST', `${k.url}/v3/auth/tokens`, { body: authBody(k.user, `${k.password}-wrong`, k.project, k.domain) });
  assert.equal(res.status, 401);
  assert.equal(get(res.json, 'error', 'code'), 401);
  assert.equal(get(res.json, 'error', 'title'), 'Unauthorized');
  assert.equal(typeof get(res.json, 'error', 'message'), 'string');
  assert.match(res.headers.get('www-authenticate') ?? '', /^Keystone uri="/);
  assert.equal(res.headers.get('x-subject-token'), null);
});

test('§4 unknown user and unknown project → 401', async () => {
  const k = await keystoneTarget();
  const user = await http('POST', `${k.url}/v3/auth/tokens`, { body: authBody('no-such-user-x', 'pw', k.project, k.domain) });
  assert.equal(user.status, 401);
  const project = await http('POST', `${k.url}/v3/auth/tokens`, { body: authBody(k.user, k.password, 'no-such-project-x', k.domain) });
  assert.equal(project.status, 401);
});

test('§4 malformed auth bodies → 400', async () => {
  const k = await keystoneTarget();
  const none = await http('POST', `${k.url}/v3/auth/tokens`, { body: { auth: {} } });
  assert.equal(none.status, 400);
  assert.equal(get(none.json, 'error', 'code'), 400);
  const notJson = await http('POST', `${k.url}/v3/auth/tokens`, { raw: '{"auth": ', headers: { 'Content-Type': 'application/json' } });
  assert.equal(notJson.status, 400);
  assert.match(String(get(notJson.json, 'error', 'message')), /^Expecting to find valid JSON in request body/);
  const noPayload = await http('POST', `${k.url}/v3/auth/tokens`, { body: { auth: { identity: { methods: ['password'] } } } });
  assert.equal(noPayload.status, 400);
  assert.match(String(get(noPayload.json, 'error', 'message')), /^Expecting to find password in identity/);
});

test('§4 a token validates itself (GET /v3/auth/tokens) and a garbage subject token is 404', async () => {
  const k = await keystoneTarget();
  const l = await login(k.url, k.user, k.password, k.project, k.domain);
  const ok = await http('GET', `${k.url}/v3/auth/tokens`, { token: l.token, headers: { 'X-Subject-Token': l.token } });
  assert.equal(ok.status, 200);
  assert.equal(get(ok.json, 'token', 'project', 'id'), l.projectId);
  const bad = await http('GET', `${k.url}/v3/auth/tokens`, { token: l.token, headers: { 'X-Subject-Token': 'gAAAAABnot-a-token' } });
  assert.equal(bad.status, 404);
});

test('§4 services reject a missing token with the keystonemiddleware 401, and accept a fresh one', async () => {
  const k = await keystoneTarget();
  const l = await login(k.url, k.user, k.password, k.project, k.domain);
  const neutron = process.env['LBOP_CONFORMANCE_NEUTRON_URL'] ?? endpoint(l.catalog, 'network');
  const anon = await http('GET', `${neutron.replace(/\/$/, '')}/v2.0/networks`);
  assert.equal(anon.status, 401);
  assert.match(anon.headers.get('www-authenticate') ?? '', /^Keystone uri=/);
  const ok = await http('GET', `${neutron.replace(/\/$/, '')}/v2.0/networks`, { token: l.token });
  assert.equal(ok.status, 200);
});

test('§4 token lifetime is honoured: an expired token gets 401 (simulator, 1 s lifetime)', async () => {
  const s = await startSimulator({ seed: 3, tokenLifetimeSeconds: 1 });
  try {
    const l = await login(s.urls.keystone, 'admin', 'admin-secret', 'admin');
    const exp = Date.parse(String(get(l.body, 'token', 'expires_at')));
    assert.ok(exp - Date.now() <= 1000);
    assert.equal((await http('GET', `${s.urls.neutron}/v2.0/networks`, { token: l.token })).status, 200);
    await eventually(async () => ((await http('GET', `${s.urls.neutron}/v2.0/networks`, { token: l.token })).status === 401 ? true : undefined), 4000, 'token expiry');
  } finally {
    await s.close();
  }
});

test('§4 application credentials: created by their user, then {id, secret} or {name, user, secret} give a project token; wrong secret → 401', async () => {
  const k = await keystoneTarget();
  const l = await login(k.url, k.user, k.password, k.project, k.domain);
  const userId = String(get(l.body, 'token', 'user', 'id'));
  const made = await http('POST', `${k.url}/v3/users/${userId}/application_credentials`, { token: l.token, body: { application_credential: { name: `lbop-conf-${Date.now()}` } } });
  assert.equal(made.status, 201, made.text);
  const ac = get(made.json, 'application_credential') as Json;
  assert.equal(ac['project_id'], l.projectId);
  assert.equal(typeof ac['secret'], 'string');
  const byId = await http('POST', `${k.url}/v3/auth/tokens`, { body: { auth: { identity: { methods: ['application_credential'], application_credential: { id: ac['id'], secret: ac['secret'] } } } } });
  assert.equal(byId.status, 201, byId.text);
  assert.equal(get(byId.json, 'token', 'project', 'id'), l.projectId);
  assert.deepEqual(get(byId.json, 'token', 'methods'), ['application_credential']);
  const byName = await http('POST', `${k.url}/v3/auth/tokens`, { body: { auth: { identity: { methods: ['application_credential'], application_credential: { name: ac['name'], secret: ac['secret'], user: { name: k.user, domain: { name: k.domain } } } } } } });
  assert.equal(byName.status, 201, byName.text);
  const wrong = await http('POST', `${k.url}/v3/auth/tokens`, { body: { auth: { identity: { methods: ['application_credential'], application_credential: { id: ac['id'], secret: 'nope' } } } } });
  assert.equal(wrong.status, 401);
  if (!k.real) {
    // The built-in topology ships one for the clients' application-credential path.
    const seeded = await http('POST', `${k.url}/v3/auth/tokens`, { body: { auth: { identity: { methods: ['application_credential'], application_credential: { id: '7c0ffee0aa5511ee8c900242ac120002', secret: 'lbop-appcred-secret' } } } } });
    assert.equal(seeded.status, 201);
    assert.equal(get(seeded.json, 'token', 'project', 'name'), 'demo');
  }
});
