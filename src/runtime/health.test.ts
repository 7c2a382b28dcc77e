import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { startHealthServer } from './health.js';
import { runtimeMetrics } from './metrics.js';

test('healthz, readyz with failing checks listed, and metrics', async () => {
  const registry = new Registry();
  runtimeMetrics(registry).leaderStatus.set({ name: 'x' }, 1);
  let synced = false;
  const h = await startHealthServer({
    registry,
    checks: { caches: () => synced || 'configmaps not synced', leader: () => true },
  });
  try {
    assert.match(h.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await fetch(`${h.url}/healthz`)).status, 200);
    const notReady = await fetch(`${h.url}/readyz`);
    assert.equal(notReady.status, 503);
    assert.match(await notReady.text(), /caches: configmaps not synced/);
    synced = true;
    assert.equal((await fetch(`${h.url}/readyz`)).status, 200);
    const m = await fetch(`${h.url}/metrics`);
    assert.equal(m.status, 200);
    assert.match(await m.text(), /leader_election_master_status\{name="x"\} 1/);
    assert.equal((await fetch(`${h.url}/nope`)).status, 404);
  } finally {
    await h.close();
  }
});

test('https: a new certificate is served to new connections after setTLS', async () => {
  const { selfSignedCert } = await import('./metricsauth.js');
  const { X509Certificate } = await import('node:crypto');
  const https = await import('node:https');
  const a = await selfSignedCert(['127.0.0.1']);
  const b = await selfSignedCert(['127.0.0.1']);
  const h = await startHealthServer({ registry: new Registry(), checks: {}, tls: a });
  const servedCert = (ca: string): Promise<string> => new Promise((resolve, reject) => {
    const req = https.get(`${h.url}/healthz`, { ca, agent: false }, (res) => {
      const peer = (res.socket as import('node:tls').TLSSocket).getPeerX509Certificate();
      res.resume();
      resolve(peer?.fingerprint256 ?? '');
    });
    req.on('error', reject);
  });
  try {
    assert.match(h.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(await servedCert(a.cert), new X509Certificate(a.cert).fingerprint256);
    h.setTLS(b);
    assert.equal(await servedCert(b.cert), new X509Certificate(b.cert).fingerprint256);
    await assert.rejects(servedCert(a.cert), /self[- ]signed|unable to verify|certificate/i, 'the old CA no longer verifies');
  } finally {
    await h.close();
  }
});
