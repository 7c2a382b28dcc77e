import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authBody, findEndpoint, Keystone, scopeKey, v3URL, type CatalogEntry, type Token } from './keystone.js';
import { ConfigError } from './errors.js';
import { CloudHTTP } from './http.js';
import { Registry } from 'prom-client';

const catalog: CatalogEntry[] = [
  { type: 'network', endpoints: [
    { interface: 'public', region_id: 'RegionOne', url: 'http://n1:9696/' },
    { interface: 'internal', region_id: 'RegionOne', url: 'http://n1-int:9696' },
    { interface: 'public', region_id: 'RegionTwo', url: 'http://n2:9696' },
  ] },
  { type: 'compute', endpoints: [{ interface: 'public', region: 'RegionOne', url: 'http://c:8774/v2.1/p1' }] },
];

test('endpoint discovery by type, region and interface', () => {
  assert.equal(findEndpoint(catalog, 'network', 'RegionOne', 'public'), 'http://n1:9696');
  assert.equal(findEndpoint(catalog, 'network', 'RegionTwo', 'public'), 'http://n2:9696');
  assert.equal(findEndpoint(catalog, 'network', 'RegionOne', 'internal'), 'http://n1-int:9696');
  assert.equal(findEndpoint(catalog, 'compute', 'RegionOne', 'public'), 'http://c:8774/v2.1/p1');
  assert.throws(() => findEndpoint(catalog, 'image', 'RegionOne', 'public'), (e: unknown) => e instanceof ConfigError && /no service of type image.*network, compute/.test(e.message));
  assert.throws(() => findEndpoint(catalog, 'compute', 'RegionOne', 'admin'), /no admin endpoint for compute in region RegionOne/);
});

test('auth bodies: password scoped to a project, application credentials unscoped', () => {
  assert.deepEqual(authBody({ kind: 'password', username: 'demo', password: 'pw' }, { name: 'demo' }), {
    auth: { identity: { methods: ['password'], password: { user: { name: 'demo', domain: { id: 'default' }, password: 'pw' } } },
      scope: { project: { name: 'demo', domain: { id: 'default' } } } },
  });
  const byId = authBody({ kind: 'password', username: 'u', password: 'p', userDomain: 'Corp' }, { id: 'p1' }) as { auth: { scope: unknown; identity: { password: { user: { domain: unknown } } } } };
  assert.deepEqual(byId.auth.scope, { project: { id: 'p1' } });
  assert.deepEqual(byId.auth.identity.password.user.domain, { name: 'Corp' });
  assert.deepEqual(authBody({ kind: 'applicationCredential', id: 'ac1', secret: 's' }, { name: 'x' }), {
    auth: { identity: { methods: ['application_credential'], application_credential: { id: 'ac1', secret: 's' } } },
  });
  assert.equal(scopeKey({ name: 'demo' }), 'name:Default/demo');
  assert.equal(scopeKey({ id: 'p1', name: 'ignored' }), 'id:p1');
  assert.equal(v3URL('http://k:5000'), 'http://k:5000/v3');
  assert.equal(v3URL('http://k:5000/v3/'), 'http://k:5000/v3');
});

test('tokens are renewed before expires_at, never before half their lifetime', () => {
  let now = 1_000_000;
  const http = new CloudHTTP({ cloud: 't', registry: new Registry() });
  const ks = new Keystone({ authURL: 'http://127.0.0.1:1', credentials: { kind: 'password', username: 'u', password: 'secret-pw' }, http, renewBeforeMs: 60_000, now: () => now });
  const tok = (issuedAt: number, lifetime: number): Token => ({ value: 'v', issuedAt, expiresAt: issuedAt + lifetime, projectId: 'p', projectName: 'p', roles: [], catalog: [] });
  const hour = tok(now, 3_600_000);
  assert.equal(ks.needsRenewal(hour), false);
  now += 3_600_000 - 60_001;
  assert.equal(ks.needsRenewal(hour), false);
  now += 2;
  assert.equal(ks.needsRenewal(hour), true);
  const short = tok(now, 10_000); // 10 s lifetime: renew at 5 s, not immediately
  assert.equal(ks.needsRenewal(short), false);
  now += 5_000;
  assert.equal(ks.needsRenewal(short), true);
  assert.equal(http.scrub('password secret-pw here'), 'password *** here');
  http.close();
});
