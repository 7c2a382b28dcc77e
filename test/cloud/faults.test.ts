// Client behaviour under faults: the simulator's fault injection, a closed port, a server that
// answers HTML, and TLS with an unknown CA. Every test also scans logs/errors/metrics for secrets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { CloudHTTP, Conflict, Keystone, TLSError, Unauthorized, Unavailable, type Cloud } from '../../src/cloud/index.js';
import { attachMayHaveHappened } from '../../src/controllers/serviceengine/attachadopt.js';
import { assertNoSecrets, captureLogs } from './capture.js';
import { ADMIN_PASSWORD, control, IMAGE, requestCount, simCloud, VIP_NET } from './sim.js';

const demo = { name: 'demo' };

async function tokensOf(cloud: Cloud): Promise<string[]> {
  return [(await cloud.keystone.token(demo)).value, (await cloud.keystone.token({ name: 'admin' })).value];
}

async function failure(p: Promise<unknown>): Promise<unknown> { return p.then(() => undefined, (e: unknown) => e); }

test('a token the server expired mid-run (client clock behind) is replaced by one re-auth', async () => {
  const s = await simCloud({}, { tokenLifetimeSeconds: 2 });
  try {
    // A client whose clock lags the server's by 10 s believes its token is still valid.
    const ks = new Keystone({ authURL: s.sim.urls.keystone, credentials: { kind: 'password', username: 'admin', password: ADMIN_PASSWORD }, http: s.cloud.http, now: () => Date.now() - 10_000 });
    const session = ks.session(demo);
    const url = `${s.sim.urls.neutron}/v2.0/networks`;
    const first = await session.token();
    await session.request({ api: 'neutron', op: 'listNetworks', method: 'GET', url });
    await new Promise((r) => setTimeout(r, 2100)); // let the server-side lifetime pass
    await session.request({ api: 'neutron', op: 'listNetworks', method: 'GET', url });
    assert.notEqual((await session.token()).value, first.value);
    assert.equal(await requestCount(s.registry, { op: 'authenticate', code: '201' }), 2);
    assert.equal(await requestCount(s.registry, { op: 'listNetworks', code: '401' }), 1);
    await assertNoSecrets([ADMIN_PASSWORD, first.value], { logs: s.cap.lines, registry: s.registry });
  } finally { await s.close(); }
});

test('a 401 storm: one re-authentication, then a clear Unauthorized (no loop)', async () => {
  const s = await simCloud();
  try {
    const neutron = s.cloud.neutron(demo);
    await neutron.listNetworks();
    await control(s.sim, 'POST', '/sim/faults', { api: 'neutron', status: 401 });
    const err = await failure(neutron.listNetworks());
    assert.ok(err instanceof Unauthorized, String(err));
    assert.match(err.message, /token rejected again right after re-authentication/);
    assert.equal(await requestCount(s.registry, { op: 'authenticate' }), 2);
    assert.equal(await requestCount(s.registry, { op: 'list:networks', code: '401' }), 2);
    await control(s.sim, 'DELETE', '/sim/faults');
    await neutron.listNetworks();
    await assertNoSecrets([ADMIN_PASSWORD, ...(await tokensOf(s.cloud))], { logs: s.cap.lines, errors: [err], registry: s.registry });
  } finally { await s.close(); }
});

test('500 is not retried; 503 with Retry-After is waited for and retried on GET', async () => {
  const s = await simCloud();
  try {
    const neutron = s.cloud.neutron(demo);
    await neutron.listNetworks();
    await control(s.sim, 'POST', '/sim/faults', { api: 'neutron', method: 'GET', status: 500, message: 'db exploded', count: 1 });
    const e500 = await failure(neutron.listNetworks());
    assert.ok(e500 instanceof Unavailable && e500.status === 500, String(e500));
    assert.equal(e500.serverMessage, 'db exploded');
    await control(s.sim, 'POST', '/sim/faults', { api: 'neutron', method: 'GET', status: 503, retryAfter: 1, count: 1 });
    const t0 = Date.now();
    const nets = await neutron.listNetworks();
    assert.ok(nets.length > 0);
    assert.ok(Date.now() - t0 >= 900, 'waited for Retry-After');
    assert.equal(await requestCount(s.registry, { op: 'list:networks', code: '503' }), 1);
  } finally { await s.close(); }
});

test('429: POST is never retried; a Retry-After beyond the cap is handed to the caller', async () => {
  const s = await simCloud({ maxRetryAfterMs: 5000 });
  try {
    const neutron = s.cloud.neutron(demo);
    await neutron.listNetworks();
    await control(s.sim, 'POST', '/sim/faults', { api: 'neutron', method: 'POST', status: 429, retryAfter: 2, count: 1 });
    const post = await failure(neutron.createPort({ network_id: '02b846e6-cd68-4c84-b7ab-3709946ed28b' }));
    assert.ok(post instanceof Unavailable && post.status === 429 && post.retryAfterMs === 2000, String(post));
    assert.equal(await requestCount(s.registry, { op: 'createPort' }), 1);
    await control(s.sim, 'POST', '/sim/faults', { api: 'neutron', method: 'GET', status: 429, retryAfter: 60, count: 1 });
    const t0 = Date.now();
    const get = await failure(neutron.listNetworks());
    assert.ok(get instanceof Unavailable && get.retryAfterMs === 60_000, String(get));
    assert.ok(Date.now() - t0 < 5000, 'did not sleep 60 s');
  } finally { await s.close(); }
});

test('a hung request times out as Unavailable; a GET succeeds on its retry', async () => {
  const s = await simCloud({ timeoutMs: 300, retries: 1 });
  try {
    const neutron = s.cloud.neutron(demo);
    await neutron.listNetworks();
    await control(s.sim, 'POST', '/sim/faults', { api: 'neutron', method: 'GET', timeout: { hangMs: 5000 }, count: 1 });
    assert.ok((await neutron.listNetworks()).length > 0);
    assert.equal(await requestCount(s.registry, { op: 'list:networks', code: 'ETIMEDOUT' }), 1);
    await control(s.sim, 'POST', '/sim/faults', { api: 'neutron', method: 'GET', timeout: { hangMs: 5000 }, count: 2 });
    const err = await failure(neutron.listNetworks());
    assert.ok(err instanceof Unavailable && err.transportCode === 'ETIMEDOUT', String(err));
    assert.match(err.message, /request timed out \(http:\/\/127\.0\.0\.1:\d+\)/);
  } finally { await s.close(); }
});

test('an attach whose reply is lost (lostReply past the client timeout): ETIMEDOUT, not re-sent, yet the port is bound; the retry is 409 still in use', async () => {
  const s = await simCloud({ timeoutMs: 400, retries: 2 });
  try {
    const nova = s.cloud.nova(demo);
    const port = await s.cloud.neutron(demo).createPort({ network_id: VIP_NET, name: 'lost-attach' });
    const { id } = await nova.createServer({ name: 'lost-attach', imageRef: IMAGE, flavorRef: '2', networks: 'none' });
    for (let i = 0; i < 100 && (await nova.getServer(id)).status !== 'ACTIVE'; i++) await new Promise((r) => setTimeout(r, 50));
    await control(s.sim, 'POST', '/sim/faults', { api: 'nova', method: 'POST', route: '*', lostReply: { hangMs: 3000 }, count: 1 });
    const err = await failure(nova.attachInterface(id, { port_id: port.id }));
    assert.ok(err instanceof Unavailable && err.transportCode === 'ETIMEDOUT', String(err));
    assert.equal(attachMayHaveHappened(err), true);
    assert.equal(await requestCount(s.registry, { op: 'attachInterface' }), 1, 'a POST is never re-sent by the client');
    assert.equal((await s.cloud.neutron(demo).getPort(port.id)).device_id, id, 'the attach happened all the same');
    const again = await failure(nova.attachInterface(id, { port_id: port.id }));
    assert.ok(again instanceof Conflict && again.conflict === 'InUse', String(again));
    assert.equal(attachMayHaveHappened(again), true);
  } finally { await s.close(); }
});

test('a wrong password against the simulator: clear error, secret nowhere', async () => {
  const wrong = 'Wr0ng-Passw0rd-xyz';
  const s = await simCloud({ credentials: { kind: 'password', username: 'admin', password: wrong } });
  try {
    const err = await failure(s.cloud.neutron(demo).listNetworks());
    assert.ok(err instanceof Unauthorized, String(err));
    assert.match(err.message, /rejected the credentials of user admin/);
    await assertNoSecrets([wrong], { logs: s.cap.lines, errors: [err], registry: s.registry });
  } finally { await s.close(); }
});

test('connection refused is Unavailable naming the endpoint, retried a few times', async () => {
  const srv = http.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise((r) => srv.close(r)); // the port is now closed
  const registry = new Registry();
  const client = new CloudHTTP({ cloud: 't', registry, retries: 2, retryBaseMs: 10 });
  try {
    const err = await failure(client.request({ api: 'neutron', op: 'listPorts', method: 'GET', url: `http://127.0.0.1:${port}/v2.0/ports` }));
    assert.ok(err instanceof Unavailable && err.transportCode === 'ECONNREFUSED', String(err));
    assert.equal(err.message, `neutron listPorts: connection refused (http://127.0.0.1:${port})`);
    assert.equal(await requestCount(registry, { op: 'listPorts', code: 'ECONNREFUSED' }), 3);
  } finally { client.close(); }
});

test('a body that is not JSON: 2xx HTML is Unavailable, 502 HTML keeps readable text', async () => {
  const srv = http.createServer((req, res) => {
    if (req.url === '/ok') { res.writeHead(200, { 'content-type': 'text/html' }); res.end('<html><body>Welcome to nginx</body></html>'); return; }
    res.writeHead(502, { 'content-type': 'text/html' }); res.end('<html><h1>502 Bad Gateway</h1></html>');
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  const client = new CloudHTTP({ cloud: 't', registry: new Registry(), retries: 0 });
  try {
    const ok = await failure(client.request({ api: 'nova', op: 'getServer', method: 'GET', url: `${base}/ok` }));
    assert.ok(ok instanceof Unavailable, String(ok));
    assert.match(ok.message, /response is not JSON: <html><body>Welcome to nginx/);
    const bad = await failure(client.request({ api: 'nova', op: 'getServer', method: 'GET', url: `${base}/bad` }));
    assert.ok(bad instanceof Unavailable && bad.status === 502, String(bad));
    assert.equal(bad.serverMessage, '502 Bad Gateway');
  } finally { client.close(); srv.close(); }
});

test('TLS: an unknown CA is refused with a clear error; the CA bundle or insecureSkipVerify let it through', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lbop-tls-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
    const cert = readFileSync(path.join(dir, 'cert.pem'), 'utf8');
    const srv = https.createServer({ key: readFileSync(path.join(dir, 'key.pem')), cert }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"version":{"id":"v3"}}');
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const url = `https://127.0.0.1:${(srv.address() as AddressInfo).port}/v3`;
    const cap = captureLogs();
    const strict = new CloudHTTP({ cloud: 't', registry: new Registry(), logger: cap.logger });
    const trusting = new CloudHTTP({ cloud: 't', registry: new Registry(), caBundle: cert });
    const insecure = new CloudHTTP({ cloud: 't', registry: new Registry(), insecureSkipVerify: true });
    try {
      const err = await failure(strict.request({ api: 'keystone', op: 'version', method: 'GET', url }));
      assert.ok(err instanceof TLSError, String(err));
      assert.equal(err.transient, false);
      assert.match(err.message, /keystone version: TLS certificate of https:\/\/127\.0\.0\.1:\d+ not accepted \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)/);
      assert.match(err.message, /caBundle/);
      assert.ok(cap.lines.some((l) => l.includes('not accepted')), 'the refusal is logged');
      assert.deepEqual((await trusting.request({ api: 'keystone', op: 'version', method: 'GET', url })).body, { version: { id: 'v3' } });
      assert.equal(insecure.insecure, true);
      assert.equal((await insecure.request({ api: 'keystone', op: 'version', method: 'GET', url })).status, 200);
    } finally { strict.close(); trusting.close(); insecure.close(); srv.close(); }
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
