// The SE API as agents meet it, on a real kube-apiserver: the CA Secret is made once and shared,
// a bootstrap token buys one client certificate (once, even with two replicas racing), and every
// refusal is a clear 4xx with an SEApiError body and a metric — over real HTTPS with real client
// certificates made from real CSRs — while the server keeps serving.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import tls from 'node:tls';
import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { useCluster } from '../support/cluster.js';
import { KubeClient } from '../../src/runtime/kube.js';
import { createNamespace, until } from './fixtures/runtime-support.js';
import { group, version } from '../../src/api/kinds.js';
import {
  BootstrapTokens, caFromPEM, createCA, createKeyAndCSR, defaultSEApiConfig, DesiredConfigs, issueClientCertificate,
  issueServerCertificate, loadCA, startSEApi, TOKEN_ANNOTATION, TOKEN_USED_ANNOTATION, verifyCSR,
  type AgentChange, type Heartbeat, type SEApi, type SEApiError, type SEConfig, type VipIntent,
} from '../../src/seapi/index.js';
import { silentLogger } from '../../src/runtime/log.js';

let client: KubeClient;
let ns: string;
let registry: Registry;
let configs: DesiredConfigs;
let api: SEApi;
let api2: SEApi;

interface SE { namespace: string; name: string; uid: string; serverID: string }
let seA: SE;
let seB: SE;

const sePath = (name: string, sub = ''): string => `/apis/${group}/${version}/namespaces/${ns}/serviceengines/${name}${sub}`;

async function createSE(name: string): Promise<SE> {
  const obj = await client.create<{ metadata: { uid: string } }>(`/apis/${group}/${version}/namespaces/${ns}/serviceengines`, {
    apiVersion: `${group}/${version}`, kind: 'ServiceEngine', metadata: { name }, spec: { cloudRef: 'c1', seGroupRef: 'default' },
  });
  const serverID = randomUUID();
  await client.patch(sePath(name, '/status'), { status: { serverUUID: serverID, state: 'ACTIVE' } });
  return { namespace: ns, name, uid: obj.metadata.uid, serverID };
}

function vip(se: SE, secretKey: string): VipIntent {
  return {
    id: `${se.namespace}/vs-${se.name}/0`, virtualService: { namespace: se.namespace, name: `vs-${se.name}`, uid: randomUUID() }, address: '20.0.0.10',
    listeners: [{ port: 443, protocol: 'TCP', http: true, tls: { certificate: 'CERT', privateKey: secretKey } }],
    pool: { name: `${se.namespace}/p`, algorithm: 'leastconn', members: [{ id: '20.0.0.3:80', ip: '20.0.0.3', port: 80, weight: 1, enabled: true }] },
    draining: false, drainTimeoutSeconds: 30,
  };
}

interface Reply { status: number; body: unknown; text: string }
interface Call {
  method?: string;
  path: string;
  body?: unknown;
  raw?: string | Buffer;
  token?: string;
  cert?: { certPem: string; keyPem: string };
  to?: SEApi;
}

function call(c: Call): Promise<Reply> {
  const target = new URL(c.path, (c.to ?? api).url);
  const payload = c.raw ?? (c.body === undefined ? undefined : JSON.stringify(c.body));
  return new Promise((resolve, reject) => {
    const req = https.request(target, {
      method: c.method ?? (payload === undefined ? 'GET' : 'POST'),
      ca: api.ca.bundlePem,
      agent: false, // a connection per call: each call presents its own certificate
      ...(c.cert !== undefined ? { cert: c.cert.certPem, key: c.cert.keyPem } : {}),
      headers: { 'Content-Type': 'application/json', ...(c.token !== undefined ? { Authorization: `Bearer ${c.token}` } : {}) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (b: Buffer) => chunks.push(b));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try { body = JSON.parse(text); } catch { body = undefined; }
        resolve({ status: res.statusCode ?? 0, body, text });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

function refusal(r: Reply, status: number, reason: SEApiError['reason'], message?: RegExp): void {
  assert.equal(r.status, status, `status (body ${r.text})`);
  const b = r.body as SEApiError;
  assert.equal(b.reason, reason, `reason (body ${r.text})`);
  assert.equal(typeof b.error, 'string');
  if (message !== undefined) assert.match(b.error, message);
}

async function enroll(se: SE, to?: SEApi): Promise<{ certPem: string; keyPem: string }> {
  const tokens = new BootstrapTokens(client);
  const token = await tokens.mintBootstrapToken(se, se.serverID);
  const { keyPem, csrPem } = await createKeyAndCSR();
  const r = await call({ path: '/v1/enroll', token, body: { csr: csrPem, serverID: se.serverID }, ...(to !== undefined ? { to } : {}) });
  assert.equal(r.status, 200, r.text);
  return { certPem: (r.body as { certificate: string }).certificate, keyPem };
}

function heartbeat(bootID: string, sequence: number, over: Partial<Heartbeat> = {}): Heartbeat {
  return {
    bootID, sequence, sentAt: new Date().toISOString(), agentVersion: 'test', applied: { version: 1, hash: 'h' },
    vips: [{ id: 'v', listeners: [{ port: 80, up: true }], members: [{ id: '20.0.0.3:80', status: 'UP', currentConnections: 0, totalConnections: 1 }], currentConnections: 0, totalConnections: 1, bytesIn: 1, bytesOut: 1, requests: 1, errors: { http4xx: 0, http5xx: 0, connection: 0 }, responseTimeMs: 1 }],
    se: { cpuPercent: 1, memoryBytes: 1 },
    ...over,
  };
}

async function counter(reason: string, path: string): Promise<number> {
  const m = await registry.getSingleMetric('lbop_se_api_requests_total')?.get();
  return (m?.values ?? []).filter((v) => v.labels.reason === reason && v.labels.path === path).reduce((s, v) => s + v.value, 0);
}

let certA: { certPem: string; keyPem: string };
let certB: { certPem: string; keyPem: string };

before(async () => {
  const cluster = await useCluster();
  client = await KubeClient.create(cluster.kubeconfig);
  ns = await createNamespace(client, 'it-seapi');
  registry = new Registry();
  configs = new DesiredConfigs();
  const config = defaultSEApiConfig(ns, { addr: { host: '127.0.0.1', port: 0 }, longPollMs: 1500, headersTimeoutMs: 1000, requestTimeoutMs: 2000 });
  api = await startSEApi({ config, configs, client, registry, logger: silentLogger() });
  seA = await createSE('se-a');
  seB = await createSE('se-b');
  configs.put(seA, [vip(seA, 'KEY-OF-A')]);
  configs.put(seB, [vip(seB, 'KEY-OF-B')]);
  certA = await enroll(seA);
  certB = await enroll(seB);
});

after(async () => {
  await api?.close();
  await api2?.close();
  if (ns !== undefined) await client.delete(`/api/v1/namespaces/${ns}`).catch(() => undefined);
  client?.close();
});

describe('CA', () => {
  test('the CA Secret is created once and a second server instance reuses it', async () => {
    const secret = await client.get<{ type: string; data: Record<string, string>; metadata: { resourceVersion: string } }>(`/api/v1/namespaces/${ns}/secrets/lbop-se-api-ca`);
    assert.equal(secret.type, 'kubernetes.io/tls');
    assert.deepEqual(Object.keys(secret.data).sort(), ['ca.crt', 'tls.crt', 'tls.key']);
    api2 = await startSEApi({ config: defaultSEApiConfig(ns, { addr: { host: '127.0.0.1', port: 0 } }), configs, client, registry: new Registry() });
    assert.equal(api2.ca.certPem, api.ca.certPem);
    const again = await client.get<{ metadata: { resourceVersion: string } }>(`/api/v1/namespaces/${ns}/secrets/lbop-se-api-ca`);
    assert.equal(again.metadata.resourceVersion, secret.metadata.resourceVersion, 'the second start rewrote the Secret');
    // A certificate enrolled at one replica is accepted by the other (one CA).
    const r = await call({ path: '/v1/config', cert: certA, to: api2 });
    assert.equal(r.status, 200, r.text);
  });

  test('two replicas creating the CA at once end up with the same one (409 → re-read)', async () => {
    const src = { namespace: ns, secretName: 'lbop-se-api-ca-race', userProvided: false };
    const [x, y] = await Promise.all([loadCA(client, src, silentLogger()), loadCA(client, src, silentLogger())]);
    assert.equal(x.certPem, y.certPem);
  });

  test('a user-given CA Secret (cert-manager layout) is used and never created', async () => {
    await assert.rejects(loadCA(client, { namespace: ns, secretName: 'absent-ca', userProvided: true }, silentLogger()), /does not exist/);
    const made = await createCA('user CA');
    const b64 = (s: string): string => Buffer.from(s).toString('base64');
    await client.create(`/api/v1/namespaces/${ns}/secrets`, { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 'user-ca' }, data: { 'tls.crt': b64(made.certPem), 'tls.key': b64(made.keyPem), 'ca.crt': b64(made.certPem) } });
    const ca = await loadCA(client, { namespace: ns, secretName: 'user-ca', userProvided: true }, silentLogger());
    assert.equal(ca.certPem.trim(), made.certPem.trim());
  });
});

describe('enroll', () => {
  test('a token buys a certificate naming the SE and its server; the token record is replaced by a used record', async () => {
    const se = await createSE('se-enroll');
    const cert = await enroll(se);
    const x = new (await import('node:crypto')).X509Certificate(cert.certPem);
    assert.equal(x.subject, `CN=${ns}/se-enroll`);
    assert.equal(x.subjectAltName, `URI:urn:lbop:se:${se.serverID}`);
    assert.ok(x.checkIssued(new (await import('node:crypto')).X509Certificate(api.ca.certPem)));
    const hours = (Date.parse(x.validTo) - Date.now()) / 3600_000;
    assert.ok(hours > 0.9 && hours <= 1.01, `certificate lives ${hours} h`);
    const obj = await client.get<{ metadata: { annotations?: Record<string, string> } }>(sePath('se-enroll'));
    assert.equal(obj.metadata.annotations?.[TOKEN_ANNOTATION], undefined);
    assert.ok(obj.metadata.annotations?.[TOKEN_USED_ANNOTATION]);
    assert.ok(!JSON.stringify(obj).includes('BEGIN'), 'no key material on the object');
  });

  test('a token used twice: the second use is refused', async () => {
    const token = await new BootstrapTokens(client).mintBootstrapToken(seA, seA.serverID);
    const { csrPem } = await createKeyAndCSR();
    assert.equal((await call({ path: '/v1/enroll', token, body: { csr: csrPem, serverID: seA.serverID } })).status, 200);
    refusal(await call({ path: '/v1/enroll', token, body: { csr: csrPem, serverID: seA.serverID } }), 401, 'TokenUsed');
  });

  test('two servers racing one token: exactly one wins, every time', async () => {
    for (let round = 0; round < 5; round++) {
      const token = await new BootstrapTokens(client).mintBootstrapToken(seB, seB.serverID);
      const { csrPem } = await createKeyAndCSR();
      const body = { csr: csrPem, serverID: seB.serverID };
      const replies = await Promise.all([call({ path: '/v1/enroll', token, body }), call({ path: '/v1/enroll', token, body, to: api2 })]);
      const statuses = replies.map((r) => r.status).sort();
      assert.deepEqual(statuses, [200, 401], `round ${round}: ${replies.map((r) => r.text).join(' | ')}`);
      refusal(replies.find((r) => r.status === 401) as Reply, 401, 'TokenUsed');
    }
  });

  test('unknown, expired, wrong-server and missing tokens are refused', async () => {
    const { csrPem } = await createKeyAndCSR();
    const before = await counter('TokenExpired', '/v1/enroll');
    refusal(await call({ path: '/v1/enroll', body: { csr: csrPem, serverID: seA.serverID } }), 401, 'Unauthenticated', /Bearer/);
    refusal(await call({ path: '/v1/enroll', token: 'A'.repeat(43), body: { csr: csrPem, serverID: seA.serverID } }), 401, 'Unauthenticated', /unknown/);
    const past = new BootstrapTokens(client, { now: () => new Date(Date.now() - 31 * 60_000) });
    const expired = await past.mintBootstrapToken(seA, seA.serverID);
    refusal(await call({ path: '/v1/enroll', token: expired, body: { csr: csrPem, serverID: seA.serverID } }), 401, 'TokenExpired');
    assert.equal(await counter('TokenExpired', '/v1/enroll'), before + 1);
    const other = await new BootstrapTokens(client).mintBootstrapToken(seA, seA.serverID);
    refusal(await call({ path: '/v1/enroll', token: other, body: { csr: csrPem, serverID: randomUUID() } }), 403, 'Forbidden', /another server/);
    // A token minted before the server existed is bound once the create returned it.
    const tokens = new BootstrapTokens(client);
    const unbound = await tokens.mintBootstrapToken(seA);
    refusal(await call({ path: '/v1/enroll', token: unbound, body: { csr: csrPem, serverID: seA.serverID } }), 503, 'Unavailable', /not bound/);
    await tokens.bindBootstrapToken(seA, seA.serverID);
    assert.equal((await call({ path: '/v1/enroll', token: unbound, body: { csr: csrPem, serverID: seA.serverID } })).status, 200);
  });

  test('a bad CSR is refused without spending the token', async () => {
    const token = await new BootstrapTokens(client).mintBootstrapToken(seA, seA.serverID);
    refusal(await call({ path: '/v1/enroll', token, body: { csr: 'not a csr', serverID: seA.serverID } }), 400, 'Malformed', /PKCS#10/);
    refusal(await call({ path: '/v1/enroll', token, body: { csr: 5, serverID: seA.serverID } }), 400, 'Malformed', /csr/);
    const { csrPem } = await createKeyAndCSR();
    assert.equal((await call({ path: '/v1/enroll', token, body: { csr: csrPem, serverID: seA.serverID } })).status, 200);
  });
});

describe('mutual TLS', () => {
  test('an SE reads its own config, never another SE\'s (a VS TLS key reaches only its SEs)', async () => {
    const a = await call({ path: '/v1/config', cert: certA });
    const b = await call({ path: '/v1/config', cert: certB });
    assert.equal(a.status, 200);
    assert.equal((a.body as SEConfig).serviceEngine.name, 'se-a');
    assert.equal((b.body as SEConfig).serviceEngine.name, 'se-b');
    assert.ok(a.text.includes('KEY-OF-A') && !a.text.includes('KEY-OF-B'));
    assert.ok(b.text.includes('KEY-OF-B') && !b.text.includes('KEY-OF-A'));
    // There is no path or parameter to ask for another SE: identity is the certificate.
    const c = await call({ path: `/v1/config?se=${ns}/se-b`, cert: certA });
    assert.equal((c.body as SEConfig).serviceEngine.name, 'se-a');
  });

  test('no certificate, a foreign CA\'s, an expired one and a non-SE one are refused', async () => {
    refusal(await call({ path: '/v1/config' }), 401, 'Unauthenticated', /no client certificate/);
    refusal(await call({ path: '/v1/heartbeat', body: heartbeat('x', 1) }), 401, 'Unauthenticated');
    const foreignPem = await createCA('foreign CA');
    const foreign = await caFromPEM(foreignPem.certPem, foreignPem.keyPem);
    const { keyPem, csrPem } = await createKeyAndCSR();
    const forged = await issueClientCertificate(foreign, await verifyCSR(csrPem), seA, 3600_000);
    refusal(await call({ path: '/v1/config', cert: { certPem: forged.certificatePem, keyPem } }), 401, 'Unauthenticated', /not issued by the SE API CA/);
    const old = await issueClientCertificate(api.ca, await verifyCSR(csrPem), seA, 60_000, new Date(Date.now() - 2 * 3600_000));
    refusal(await call({ path: '/v1/config', cert: { certPem: old.certificatePem, keyPem } }), 401, 'Unauthenticated', /expired/);
    const server = await issueServerCertificate(api.ca, { dnsNames: ['x'], ipAddresses: [] }, 3600_000);
    refusal(await call({ path: '/v1/config', cert: server }), 401, 'Unauthenticated', /INVALID_PURPOSE/); // a server certificate is no client's
    assert.ok((await counter('Unauthenticated', '/v1/config')) >= 3);
  });

  test('renew: the same identity, a fresh certificate; refused once the SE runs on another server', async () => {
    const se = await createSE('se-renew');
    const cert = await enroll(se);
    const { csrPem } = await createKeyAndCSR();
    const r = await call({ path: '/v1/renew', cert, body: { csr: csrPem } });
    assert.equal(r.status, 200, r.text);
    const x = new (await import('node:crypto')).X509Certificate((r.body as { certificate: string }).certificate);
    assert.equal(x.subject, `CN=${ns}/se-renew`);
    await client.patch(sePath('se-renew', '/status'), { status: { serverUUID: randomUUID() } });
    refusal(await call({ path: '/v1/renew', cert, body: { csr: csrPem } }), 403, 'Forbidden', /another server/);
  });

  test('renew with a certificate that expired during an operator outage: accepted within the grace, refused after it', async () => {
    const { keyPem, csrPem } = await createKeyAndCSR();
    const verified = await verifyCSR(csrPem);
    const lapsed = await issueClientCertificate(api.ca, verified, seA, 3600_000, new Date(Date.now() - 3 * 3600_000));
    const r = await call({ path: '/v1/renew', cert: { certPem: lapsed.certificatePem, keyPem }, body: { csr: csrPem } });
    assert.equal(r.status, 200, r.text);
    refusal(await call({ path: '/v1/config', cert: { certPem: lapsed.certificatePem, keyPem } }), 401, 'Unauthenticated', /expired/);
    const ancient = await issueClientCertificate(api.ca, verified, seA, 3600_000, new Date(Date.now() - 8 * 86_400_000));
    refusal(await call({ path: '/v1/renew', cert: { certPem: ancient.certificatePem, keyPem }, body: { csr: csrPem } }), 401, 'Unauthenticated', /expired/);
    const foreignPem = await createCA('foreign CA');
    const forged = await issueClientCertificate(await caFromPEM(foreignPem.certPem, foreignPem.keyPem), verified, seA, 3600_000, new Date(Date.now() - 3 * 3600_000));
    refusal(await call({ path: '/v1/renew', cert: { certPem: forged.certificatePem, keyPem }, body: { csr: csrPem } }), 401, 'Unauthenticated');
  });
});

describe('replicas', () => {
  test('a replica that does not serve the channel answers config and heartbeats with 503, and still enrolls and renews', async () => {
    const follower = await startSEApi({ config: defaultSEApiConfig(ns, { addr: { host: '127.0.0.1', port: 0 } }), configs, client, serving: () => false });
    try {
      refusal(await call({ path: '/v1/config', cert: certA, to: follower }), 503, 'Unavailable', /next URL/);
      refusal(await call({ path: '/v1/heartbeat', cert: certA, body: heartbeat(randomUUID(), 1), to: follower }), 503, 'Unavailable');
      const se = await createSE('se-follower');
      const cert = await enroll(se, follower);
      const { csrPem } = await createKeyAndCSR();
      assert.equal((await call({ path: '/v1/renew', cert, body: { csr: csrPem }, to: follower })).status, 200);
    } finally {
      await follower.close();
    }
  });
});

describe('config long-poll', () => {
  test('?wait=<current> returns when the version moves, and after the hold time otherwise', async () => {
    const v = configs.get(`${ns}/se-a`)?.version as number;
    const held = Date.now();
    const same = await call({ path: `/v1/config?wait=${v}`, cert: certA });
    assert.equal((same.body as SEConfig).version, v);
    assert.ok(Date.now() - held >= 1000, 'the long-poll did not hold');
    const pending = call({ path: `/v1/config?wait=${v}`, cert: certA });
    await new Promise((r) => setTimeout(r, 100)); // let the request reach the server (the hold is 1.5 s)
    configs.put(seA, [vip(seA, 'KEY-OF-A'), { ...vip(seA, 'KEY-OF-A'), id: `${ns}/vs-se-a/1` }]);
    const moved = await pending;
    assert.equal((moved.body as SEConfig).version, v + 1);
    refusal(await call({ path: '/v1/config?wait=abc', cert: certA }), 400, 'Malformed');
    const noConfig = await enroll(await createSE('se-empty'));
    refusal(await call({ path: '/v1/config', cert: noConfig }), 404, 'NotFound');
  });
});

describe('heartbeat', () => {
  test('accepted in order; replays and reorders refused; a new boot starts over; a stale boot is refused', async () => {
    const changes: AgentChange[] = [];
    const off = api.agents.onChange((c) => changes.push(c));
    const boot = randomUUID();
    const ok = await call({ path: '/v1/heartbeat', cert: certA, body: heartbeat(boot, 5) });
    assert.equal(ok.status, 200, ok.text);
    assert.equal((ok.body as { configVersion: number }).configVersion, configs.get(`${ns}/se-a`)?.version);
    assert.ok(api.agents.connected(`${ns}/se-a`));
    assert.ok(changes.some((c) => c.type === 'connected' && c.seKey === `${ns}/se-a` && c.connected));
    refusal(await call({ path: '/v1/heartbeat', cert: certA, body: heartbeat(boot, 5) }), 409, 'Replayed');
    refusal(await call({ path: '/v1/heartbeat', cert: certA, body: heartbeat(boot, 4) }), 409, 'Replayed');
    assert.equal((await call({ path: '/v1/heartbeat', cert: certA, body: heartbeat(boot, 6) })).status, 200);
    const reboot = randomUUID();
    assert.equal((await call({ path: '/v1/heartbeat', cert: certA, body: heartbeat(reboot, 0) })).status, 200);
    refusal(await call({ path: '/v1/heartbeat', cert: certA, body: heartbeat(boot, 7) }), 409, 'Replayed', /superseded/);
    // The body never names the SE: B's certificate reports for B whatever the body says.
    assert.equal((await call({ path: '/v1/heartbeat', cert: certB, body: heartbeat(boot, 100) })).status, 200);
    assert.equal(api.agents.get(`${ns}/se-b`)?.sequence, 100);
    assert.equal(api.agents.get(`${ns}/se-a`)?.bootID, reboot);
    off();
  });

  test('oversized, malformed and mistyped bodies are refused', async () => {
    refusal(await call({ path: '/v1/heartbeat', cert: certA, raw: Buffer.alloc(1024 * 1024 + 1, 0x20) }), 413, 'TooLarge');
    refusal(await call({ path: '/v1/heartbeat', cert: certA, raw: '{"bootID": ' }), 400, 'Malformed', /not JSON/);
    refusal(await call({ path: '/v1/heartbeat', cert: certA, body: { ...heartbeat('b', 1), sequence: 'one' } }), 400, 'Malformed', /sequence must be integer/);
    refusal(await call({ path: '/v1/heartbeat', cert: certA, body: { ...heartbeat('b', 1), vips: [{ id: 'v' }] } }), 400, 'Malformed', /vips\/0/);
    refusal(await call({ path: '/v1/heartbeat', cert: certA, body: [] }), 400, 'Malformed');
    refusal(await call({ path: '/v1/heartbeat', cert: certA, method: 'GET' }), 405, 'NotFound');
    refusal(await call({ path: '/v2/anything', cert: certA }), 404, 'NotFound');
    assert.ok((await counter('TooLarge', '/v1/heartbeat')) >= 1);
    assert.ok((await counter('Malformed', '/v1/heartbeat')) >= 4);
  });
});

describe('slow clients', () => {
  function rawTLS(cert: { certPem: string; keyPem: string }): Promise<tls.TLSSocket> {
    const u = new URL(api.url);
    return new Promise((resolve, reject) => {
      const s = tls.connect({ host: u.hostname, port: Number(u.port), ca: api.ca.bundlePem, cert: cert.certPem, key: cert.keyPem }, () => resolve(s));
      s.on('error', reject);
    });
  }
  function replyOf(s: tls.TLSSocket): Promise<string> {
    return new Promise((resolve) => {
      let text = '';
      s.on('data', (b: Buffer) => (text += b.toString()));
      s.on('close', () => resolve(text));
    });
  }

  test('headers that never finish: 408 and the connection closed within the header timeout', async () => {
    const s = await rawTLS(certA);
    const reply = replyOf(s);
    s.write('POST /v1/heartbeat HTTP/1.1\r\nHost: se-api\r\n');
    const text = await Promise.race([reply, new Promise<string>((_, rej) => setTimeout(() => rej(new Error('not closed in 10 s')), 10_000))]);
    assert.match(text, /^HTTP\/1\.1 408/);
  });

  test('a body that never finishes: 408 within the request timeout', async () => {
    const s = await rawTLS(certA);
    const reply = replyOf(s);
    s.write('POST /v1/heartbeat HTTP/1.1\r\nHost: se-api\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"bootID"');
    const text = await Promise.race([reply, new Promise<string>((_, rej) => setTimeout(() => rej(new Error('not closed in 10 s')), 10_000))]);
    assert.match(text, /^HTTP\/1\.1 408/);
  });

  test('after every refusal above the server still serves', async () => {
    assert.equal((await call({ path: '/v1/config', cert: certB })).status, 200);
    const text = await registry.metrics();
    for (const reason of ['Unauthenticated', 'Forbidden', 'Replayed', 'TooLarge', 'Malformed', 'NotFound', 'TokenExpired', 'TokenUsed', 'Unavailable', 'OK']) {
      assert.match(text, new RegExp(`lbop_se_api_requests_total\\{[^}]*reason="${reason}"`), reason);
    }
    await until('the heartbeat ticker keeps running', () => api.agents.connected(`${ns}/se-b`), 2000);
  });
});
