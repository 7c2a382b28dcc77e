// The Keystone client against a real Keystone (scripts/openstack-up.sh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { openCloud, Unauthorized, type Cloud } from '../../src/cloud/index.js';
import { captureLogs, assertNoSecrets } from '../cloud/capture.js';
import { openStackEnv } from './env.js';

const env = openStackEnv();

function open(username: string, password: string, logger = captureLogs().logger, registry = new Registry()): Cloud {
  return openCloud({ name: 'real', keystone: { authURL: env.keystoneURL, region: env.region }, credentials: { kind: 'password', username, password }, logger, registry });
}

async function requests(registry: Registry, op: string): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === 'lbop_cloud_api_requests_total');
  return (m?.values ?? []).filter((v) => v.labels['op'] === op).reduce((a, v) => a + v.value, 0);
}

test('password auth: project-scoped token, roles, catalog; one auth per project while valid', async () => {
  const registry = new Registry();
  const cloud = open('admin', env.admin.password, undefined, registry);
  try {
    const demo = await cloud.keystone.token({ name: 'demo' });
    const admin = await cloud.keystone.token({ name: 'admin' });
    assert.equal(demo.projectName, 'demo');
    assert.equal(admin.projectName, 'admin');
    assert.notEqual(demo.value, admin.value);
    assert.ok(demo.roles.includes('admin'));
    assert.ok(demo.expiresAt > Date.now() + 10 * 60_000);
    const again = await Promise.all([cloud.keystone.token({ name: 'demo' }), cloud.keystone.token({ name: 'demo' })]);
    assert.equal(again[0].value, demo.value);
    assert.equal(await requests(registry, 'authenticate'), 2);
    assert.equal(await cloud.keystone.endpoint({ name: 'demo' }, 'network'), env.neutronURL);
    assert.equal(await cloud.keystone.endpoint({ name: 'demo' }, 'identity', { interface: 'internal' }), `${env.keystoneURL}/v3`);
    // (compute is in the catalog since openstack-up starts Nova; Octavia never is)
    await assert.rejects(cloud.keystone.endpoint({ name: 'demo' }, 'load-balancer'), /no service of type load-balancer/);
  } finally { cloud.close(); }
});

test('a wrong password is a clear Unauthorized naming the user, never the password', async () => {
  const cap = captureLogs();
  const registry = new Registry();
  const wrong = 'not-the-Password-123';
  const cloud = open('demo', wrong, cap.logger, registry);
  try {
    const err = await cloud.keystone.token({ name: 'demo' }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof Unauthorized, String(err));
    assert.match(err.message, /rejected the credentials of user demo/);
    assert.match(err.message, /requires authentication/);
    await assertNoSecrets([wrong], { logs: cap.lines, errors: [err], registry });
  } finally { cloud.close(); }
});

test('a token revoked mid-run is replaced by one re-authentication', async () => {
  const cap = captureLogs();
  const registry = new Registry();
  const cloud = open('demo', env.demo.password, cap.logger, registry);
  const admin = open('admin', env.admin.password);
  try {
    const session = cloud.keystone.session({ name: 'demo' });
    const first = await session.token();
    const list = (): Promise<unknown> => session.request({ api: 'keystone', op: 'listMyProjects', method: 'GET', url: `${env.keystoneURL}/v3/auth/projects` });
    await list();
    // Revoke it behind the client's back (as Keystone would on a password change).
    const adminTok = await admin.keystone.token({ name: 'admin' });
    await admin.http.request({ api: 'keystone', op: 'revoke', method: 'DELETE', url: `${env.keystoneURL}/v3/auth/tokens`, headers: { 'x-auth-token': adminTok.value, 'x-subject-token': first.value } });
    await list();
    const second = await session.token();
    assert.notEqual(second.value, first.value);
    assert.equal(await requests(registry, 'authenticate'), 2);
    await assertNoSecrets([env.demo.password, first.value, second.value], { logs: cap.lines, registry });
  } finally { cloud.close(); admin.close(); }
});

test('application credentials authenticate without a project scope', async () => {
  const cloud = open('demo', env.demo.password);
  try {
    const tok = await cloud.keystone.token({ name: 'demo' });
    const me = await cloud.http.request<{ token: { user: { id: string } } }>({
      api: 'keystone', op: 'whoami', method: 'GET', url: `${env.keystoneURL}/v3/auth/tokens`, headers: { 'x-auth-token': tok.value, 'x-subject-token': tok.value },
    });
    const userId = me.body.token.user.id;
    const name = `lbop-test-${process.pid}-${Date.now()}`;
    const created = await cloud.http.request<{ application_credential: { id: string; secret: string } }>({
      api: 'keystone', op: 'createAppCred', method: 'POST', url: `${env.keystoneURL}/v3/users/${userId}/application_credentials`,
      headers: { 'x-auth-token': tok.value }, json: { application_credential: { name } },
    });
    const ac = created.body.application_credential;
    const viaAC = openCloud({ name: 'ac', keystone: { authURL: env.keystoneURL, region: env.region }, credentials: { kind: 'applicationCredential', id: ac.id, secret: ac.secret }, registry: new Registry() });
    try {
      const t = await viaAC.keystone.token({ name: 'ignored' });
      assert.equal(t.projectName, 'demo');
      const nets = await viaAC.neutron({ name: 'demo' }).listNetworks({ name: 'demo-net' });
      assert.deepEqual(nets.map((n) => n.id), [env.ids['demo-net']]);
    } finally { viaAC.close(); }
    await cloud.http.request({ api: 'keystone', op: 'deleteAppCred', method: 'DELETE', url: `${env.keystoneURL}/v3/users/${userId}/application_credentials/${ac.id}`, headers: { 'x-auth-token': tok.value } });
  } finally { cloud.close(); }
});
