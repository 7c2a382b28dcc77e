import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeClient } from './kube.js';
import type { KubeObject } from './objects.js';
import { LAST_APPLIED, Reflector, trimForCache } from './reflector.js';
import { Store } from './store.js';

const WIDGETS = { group: 'example.com', version: 'v1', plural: 'widgets', namespaced: true };

/** A Widget as `kubectl apply` leaves it: managedFields plus the last-applied copy of itself. */
function applied(name: string, rv: string, extra: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'example.com/v1', kind: 'Widget',
    metadata: {
      name, namespace: 'ns', resourceVersion: rv, uid: `uid-${name}`,
      annotations: { [LAST_APPLIED]: JSON.stringify({ spec: { size: 1 } }), ...extra },
      managedFields: [{ manager: 'kubectl', operation: 'Apply', fieldsV1: { 'f:spec': { 'f:size': {} } } }],
    },
    spec: { size: 1 },
  } as KubeObject;
}

test('trimForCache drops managedFields and the last-applied annotation, keeps every other annotation', () => {
  const a = trimForCache(applied('a', '1', { 'lb.contrail-operator.io/keep': 'yes' }));
  assert.equal('managedFields' in a.metadata, false);
  assert.deepEqual(a.metadata.annotations, { 'lb.contrail-operator.io/keep': 'yes' });
  assert.deepEqual((a as KubeObject & { spec: unknown }).spec, { size: 1 });
  // Only the last-applied annotation: the empty map goes too (an object without annotations).
  const b = trimForCache(applied('b', '1'));
  assert.equal(b.metadata.annotations, undefined);
  const plain: KubeObject = { metadata: { name: 'c' } };
  assert.deepEqual(trimForCache(plain), { metadata: { name: 'c' } });
});

// A loopback server answering list and watch as a kube-apiserver does: the objects the reflector
// caches, from the list and from a watch event, carry neither field; the selector reaches both.
test('the reflector caches trimmed objects from list and watch, and sends its label selector on both', async () => {
  const queries: URLSearchParams[] = [];
  let watches = 0;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    queries.push(url.searchParams);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    if (url.searchParams.get('watch') === null) {
      res.end(JSON.stringify({ kind: 'WidgetList', metadata: { resourceVersion: '10' }, items: [applied('a', '5')] }));
      return;
    }
    // First watch: one ADDED event, then held open; later watches are held open with nothing.
    if (watches++ === 0) res.write(JSON.stringify({ type: 'ADDED', object: applied('b', '11', { other: 'x' }) }) + '\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const kc = {
    clusters: [{ name: 'c', cluster: { server: `http://127.0.0.1:${port}` /* plain http on loopback */ } }],
    users: [{ name: 'u', user: {} }],
    contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'x',
  };
  const client = await KubeClient.create(kc);
  const store = new Store<KubeObject>();
  const stop = new AbortController();
  const reflector = new Reflector(client, WIDGETS, store, () => {}, { labelSelector: 'sharding.fluxcd.io/key=shard1' });
  const running = reflector.run(stop.signal);
  try {
    const deadline = Date.now() + 10_000;
    while (store.get('ns/b') === undefined) {
      assert.ok(Date.now() < deadline, 'the watched object never reached the cache');
      await new Promise((r) => setTimeout(r, 20));
    }
    const a = store.get('ns/a');
    const b = store.get('ns/b');
    assert.ok(a && b);
    assert.equal('managedFields' in a.metadata, false);
    assert.equal(a.metadata.annotations, undefined);
    assert.equal('managedFields' in b.metadata, false);
    assert.deepEqual(b.metadata.annotations, { other: 'x' });
    assert.ok(queries.length >= 2);
    for (const q of queries) assert.equal(q.get('labelSelector'), 'sharding.fluxcd.io/key=shard1');
  } finally {
    stop.abort();
    await running;
    client.close();
    server.closeAllConnections();
    server.close();
  }
});
