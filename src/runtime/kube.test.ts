import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeClient, retryAfterMs } from './kube.js';

// A loopback HTTP server that answers the way a kube-apiserver does while a new CRD's watch cache
// fills: 429 "storage is (re)initializing" with Retry-After, then the list.
test('a 429 with Retry-After is retried, and the request then succeeds', async () => {
  let calls = 0;
  const server = http.createServer((_req, res) => {
    calls++;
    if (calls === 1) {
      res.writeHead(429, { 'Content-Type': 'application/json', 'Retry-After': '1' });
      res.end(JSON.stringify({ kind: 'Status', code: 429, reason: 'TooManyRequests', message: 'storage is (re)initializing' }));
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ kind: 'WidgetList', items: [] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const kc = {
    clusters: [{ name: 'c', cluster: { server: `http://127.0.0.1:${port}` /* plain http on loopback */ } }],
    users: [{ name: 'u', user: {} }],
    contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'x',
  };
  const client = await KubeClient.create(kc).catch((e: unknown) => {
    server.close();
    throw e;
  });
  try {
    const list = await client.get<{ kind: string }>('/apis/example.com/v1/widgets');
    assert.equal(list.kind, 'WidgetList');
    assert.equal(calls, 2);
  } finally {
    client.close();
    server.close();
  }
});

test('Retry-After is read in seconds, defaulted to 1 s and capped at 10 s', () => {
  assert.equal(retryAfterMs('1'), 1000);
  assert.equal(retryAfterMs('3'), 3000);
  assert.equal(retryAfterMs(undefined), 1000);
  assert.equal(retryAfterMs('soon'), 1000);
  assert.equal(retryAfterMs('3600'), 10_000);
});
