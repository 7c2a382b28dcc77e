// lbop_reconcile_converged_total: a reconcile counts only when it says it found its object
// converged AND sent no apiserver write (Events aside) and no cloud write — checked where the
// requests leave the process (KubeClient, CloudHTTP), here against a loopback HTTP server that
// answers every request with 200 {} (what is counted is the request sent, not the answer).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { Controller, Informer, KubeClient, type Reconcile } from '../../src/runtime/index.js';
import { CloudHTTP } from '../../src/cloud/http.js';

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
}

const converged = (text: string): number => Number(/lbop_reconcile_converged_total\{controller="t"\} (\d+)/.exec(text)?.[1] ?? NaN);

test('a reconcile is counted converged only when it says so and wrote nothing', async (t) => {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method ?? ''} ${req.url ?? ''}`);
    req.resume();
    req.on('end', () => { res.writeHead(200, { 'Content-Type': 'application/json' }); res.end('{}'); });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = await KubeClient.create({
    clusters: [{ name: 'c', cluster: { server: base } }], users: [{ name: 'u', user: {} }],
    contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }], 'current-context': 'x',
  });
  t.after(() => client.close());
  const cloud = new CloudHTTP({ cloud: 'c', registry: new Registry(), retries: 0 });
  t.after(() => cloud.close());

  // What each key's reconcile does, then it claims convergence (except `unfinished`).
  const work: Record<string, () => Promise<unknown>> = {
    noop: async () => undefined,
    get: () => client.get('/api/v1/namespaces/ns/configmaps/a'),
    event: () => client.request('POST', '/api/v1/namespaces/ns/events', { body: { reason: 'Seen' } }),
    status: () => client.request('PATCH', '/api/v1/namespaces/ns/configmaps/a/status', { body: {}, patchType: 'merge' }),
    // A write from a timer the reconcile started still belongs to it.
    later: () => new Promise((resolve, reject) => setTimeout(() => { client.request('PUT', '/api/v1/namespaces/ns/configmaps/a', { body: {} }).then(resolve, reject); }, 5)),
    cloudRead: () => cloud.request({ api: 'contrail', op: 'fqname', method: 'POST', url: `${base}/fqname-to-id`, json: {} }),
    cloudWrite: () => cloud.request({ api: 'contrail', op: 'ref-update', method: 'POST', url: `${base}/ref-update`, json: {} }),
    unfinished: async () => undefined,
  };
  const done: string[] = [];
  const reconcile: Reconcile = async (ref) => {
    await work[ref.name]?.();
    done.push(ref.name);
    return ref.name === 'unfinished' ? {} : { converged: true };
  };
  const registry = new Registry();
  const informer = new Informer(client, { group: '', version: 'v1', plural: 'configmaps', namespaced: true }); // never started
  const c = new Controller({ name: 't', informer, reconcile, registry, workers: 1 });
  c.start();
  t.after(() => c.stop());
  assert.equal(converged(await registry.metrics()), 0, 'the series exists at 0 from the start');

  const expect: Record<string, number> = { noop: 1, get: 1, event: 1, status: 0, later: 0, cloudRead: 1, cloudWrite: 0, unfinished: 0 };
  for (const [name, delta] of Object.entries(expect)) {
    const before = converged(await registry.metrics());
    c.enqueue(`ns/${name}`);
    await until(() => done.includes(name) && c.inFlight() === 0);
    assert.equal(converged(await registry.metrics()) - before, delta, `${name}: counted ${delta}`);
  }
  // Each reconcile's requests really reached the server (the counting is not a no-op because nothing was sent).
  assert.ok(seen.includes('PATCH /api/v1/namespaces/ns/configmaps/a/status') && seen.includes('POST /ref-update') && seen.includes('PUT /api/v1/namespaces/ns/configmaps/a'), seen.join(', '));
});

