// R5 (issue 19), SE API: fuzzed requests against a running SE API (src/seapi, mutual TLS on
// loopback) — bodies of wrong types and shapes, broken JSON, huge bodies, unknown paths and
// methods, slow clients that never finish — each answered 4xx with an {error, reason} body (or,
// for a client that stalls, the connection closed by the server), and the server still serves a
// valid heartbeat afterwards.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { randomUUID } from 'node:crypto';
import {
  caFromPEM, createCA, createKeyAndCSR, defaultSEApiConfig, DesiredConfigs, issueClientCertificate, startSEApi, verifyCSR,
  SE_API_MAX_BODY_BYTES, type SEApi,
} from '../../src/seapi/index.js';
import { figures, seeded, size } from './support.js';

const REQUESTS = size('R5_SEAPI', 400, 200);
const SLOW = size('R5_SEAPI_SLOW', 6, 3);
const NS = 'chaos-r5';

let api: SEApi;
let agent: https.Agent;
let caPem: string;
const who = { namespace: NS, name: 'se-fuzz', serverID: randomUUID() };

before(async () => {
  const root = await createCA('chaos CA');
  const ca = await caFromPEM(root.certPem, root.keyPem);
  caPem = ca.bundlePem;
  api = await startSEApi({
    config: defaultSEApiConfig(NS, { addr: { host: '127.0.0.1', port: 0 }, headersTimeoutMs: 1000, requestTimeoutMs: 2000, longPollMs: 500 }),
    configs: new DesiredConfigs(), ca,
  });
  const { keyPem, csrPem } = await createKeyAndCSR();
  const issued = await issueClientCertificate(ca, await verifyCSR(csrPem), who, 3600_000);
  agent = new https.Agent({ keepAlive: true, maxSockets: 4, cert: issued.certificatePem, key: keyPem, ca: caPem });
});
after(async () => {
  agent?.destroy();
  await api?.close();
});

interface Answer { status: number; body: string }

function request(method: string, path: string, body: string | Buffer | undefined, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(path, api.url), { method, agent, headers: { ...(body !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) } : {}), ...headers }, timeout: 10_000 }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

function heartbeat(sequence: number): Record<string, unknown> {
  return {
    bootID: 'b1', sequence, sentAt: new Date().toISOString(), agentVersion: 'chaos', applied: { version: 1, hash: 'h' },
    vips: [], se: { cpuPercent: 1, memoryBytes: 1 },
  };
}

/** Type-wrong values for any field. */
const WRONG = [null, true, -1, 1e308, 'x', '', [], {}, [1, 'a'], { a: { b: {} } }, 'x'.repeat(5000), '\u0000\ud800'];

function fuzzedBody(rand: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  switch (Math.floor(rand() * 6)) {
    case 0: { // a heartbeat with one field of the wrong type
      const hb = heartbeat(1);
      const k = pick(Object.keys(hb));
      hb[k] = pick(WRONG);
      return JSON.stringify(hb);
    }
    case 1: { // a heartbeat with a required field missing (unknown fields are accepted: forward compatibility)
      const hb = heartbeat(2);
      delete hb[pick(Object.keys(hb))];
      return JSON.stringify(hb);
    }
    case 2: return JSON.stringify(pick(WRONG)); // not an object at all
    case 3: { // broken JSON: a valid body cut short, or trailing garbage after it
      const s = JSON.stringify(heartbeat(3));
      return rand() < 0.5 ? s.slice(0, 1 + Math.floor(rand() * (s.length - 2))) : `${s}${pick(['}', ',', ']', 'x', '{"a":1}'])}`;
    }
    case 4: return JSON.stringify({ csr: pick(WRONG), serverID: pick(WRONG) });
    default: return pick(['', ' ', 'null', '[]', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}', '\u00ff\u00fe']);
  }
}

test(`R5 SE API: ${REQUESTS} fuzzed requests, a huge body and ${SLOW} slow clients → 4xx each, server alive`, async () => {
  const rand = seeded(5);
  const paths = ['/v1/heartbeat', '/v1/heartbeat', '/v1/heartbeat', '/v1/enroll', '/v1/enroll', '/v1/renew', '/v1/config', '/v1/nope', '/v1/heartbeat/../config'];
  const methods = ['POST', 'POST', 'POST', 'POST', 'POST', 'GET', 'PUT', 'DELETE'];
  const statuses = new Map<number, number>();
  const unclear: string[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const path = paths[Math.floor(rand() * paths.length)] as string;
    const method = methods[Math.floor(rand() * methods.length)] as string;
    const body = method === 'GET' ? undefined : fuzzedBody(rand);
    const headers: Record<string, string> = rand() < 0.1 ? { 'Content-Type': 'text/plain' } : {};
    const r = await request(method, path, body, headers);
    statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    // GET /v1/config with a valid client certificate is the one legal request here.
    if (method === 'GET' && path === '/v1/config' && r.status === 200) continue;
    let message = '';
    try {
      message = String((JSON.parse(r.body) as { error?: unknown }).error ?? '');
    } catch {
      // not JSON: unclear
    }
    if (r.status < 400 || r.status >= 500 || message === '') unclear.push(`${method} ${path} ${(body ?? '').slice(0, 200)} → ${r.status} ${r.body.slice(0, 80)}`);
  }

  // A body over the limit: refused with 413 without the server buffering it all.
  const huge = await request('POST', '/v1/heartbeat', Buffer.alloc(SE_API_MAX_BODY_BYTES + 1024, 0x20));
  // Slow clients: headers and a promised body that never completes; the server closes them.
  const slowStarted = Date.now();
  const slow = await Promise.all(Array.from({ length: SLOW }, () => new Promise<number>((resolve) => {
    const u = new URL(api.url);
    const s = tlsConnect({ host: u.hostname, port: Number(u.port), ca: caPem, servername: 'localhost', rejectUnauthorized: false }, () => {
      s.write('POST /v1/heartbeat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"boot');
    });
    const t0 = Date.now();
    const bound = setTimeout(() => s.destroy(), 15_000);
    s.on('data', () => undefined);
    s.on('close', () => {
      clearTimeout(bound);
      resolve(Date.now() - t0);
    });
    s.on('error', () => undefined);
  })));
  const slowMs = Date.now() - slowStarted;
  const alive = await request('POST', '/v1/heartbeat', JSON.stringify(heartbeat(10)));

  figures('R5-seapi', {
    requests: REQUESTS, statuses: [...statuses.entries()].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}:${n}`).join(','),
    unclear: unclear.length, hugeBody: huge.status, slowClients: SLOW, slowClosedWithinMs: Math.max(...slow), slowPhaseMs: slowMs, aliveAfter: alive.status,
  });
  assert.deepEqual(unclear.slice(0, 10), [], 'every fuzzed request: 4xx with an {error} message');
  assert.equal(huge.status, 413, huge.body);
  assert.ok(slow.every((ms) => ms < 15_000), `the server closed every stalled request: ${slow.join(',')} ms`);
  assert.equal(alive.status, 200, `the server still serves a valid heartbeat: ${alive.body}`);
});
