import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { Controller, TerminalError, specOrMetadataChanged, type Reconcile } from './controller.js';
import { Informer } from './informer.js';
import { KubeClient } from './kube.js';
import { ExponentialBackoffLimiter } from './ratelimit.js';

// The informer is never started: these tests drive the controller through enqueue().
async function idleInformer(): Promise<Informer> {
  const kc = {
    clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:1' } }],
    users: [{ name: 'u', user: { token: 'x' } }],
    contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'ctx',
  };
  const client = await KubeClient.create(kc);
  return new Informer(client, { group: '', version: 'v1', plural: 'configmaps', namespaced: true });
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function make(reconcile: Reconcile, extra: { timeoutMs?: number; workers?: number } = {}) {
  const registry = new Registry();
  const c = new Controller({
    name: 'test',
    informer: await idleInformer(),
    reconcile,
    registry,
    rateLimiter: new ExponentialBackoffLimiter(5, 50),
    ...extra,
  });
  c.start();
  return { c, registry };
}

test('success is reconciled once and counted', async () => {
  const seen: string[] = [];
  const { c, registry } = await make(async (ref) => {
    seen.push(`${ref.namespace}/${ref.name}`);
  });
  c.enqueue('ns/a');
  await until(() => seen.length === 1 && c.inFlight() === 0);
  assert.deepEqual(seen, ['ns/a']);
  assert.match(await registry.metrics(), /controller_runtime_reconcile_total\{controller="test",result="success"\} 1/);
  await c.stop();
});

test('an error is retried with backoff until it succeeds; the backoff is then forgotten', async () => {
  let calls = 0;
  const { c, registry } = await make(async () => {
    calls++;
    if (calls < 4) throw new Error('cloud unavailable, X-Auth-Token: secret123');
  });
  c.enqueue('ns/a');
  await until(() => calls === 4 && c.inFlight() === 0);
  assert.equal(c.queue.numRequeues('ns/a'), 0);
  const text = await registry.metrics();
  assert.match(text, /controller_runtime_reconcile_errors_total\{controller="test"\} 3/);
  assert.match(text, /workqueue_retries_total\{name="test"\} 3/);
  await c.stop();
});

test('a terminal error is not retried', async () => {
  let calls = 0;
  const { c } = await make(async () => {
    calls++;
    throw new TerminalError('spec.port must be set');
  });
  c.enqueue('ns/a');
  await until(() => calls === 1 && c.inFlight() === 0);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(calls, 1);
  assert.equal(c.queue.len(), 0);
  await c.stop();
});

test('requeueAfterMs runs the key again later', async () => {
  const times: number[] = [];
  const { c } = await make(async () => {
    times.push(Date.now());
    return times.length < 2 ? { requeueAfterMs: 80 } : {};
  });
  c.enqueue('a');
  await until(() => times.length === 2);
  assert.ok((times[1] as number) - (times[0] as number) >= 75);
  await c.stop();
});

test('the same key never runs in two workers at once, and changes during a run are not lost', async () => {
  let running = 0;
  let maxRunning = 0;
  let runs = 0;
  const { c } = await make(
    async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((r) => setTimeout(r, 20));
      running--;
      runs++;
    },
    { workers: 4 },
  );
  c.enqueue('k');
  await until(() => running === 1);
  c.enqueue('k');
  c.enqueue('k');
  await until(() => runs === 2 && c.inFlight() === 0);
  assert.equal(maxRunning, 1);
  assert.equal(runs, 2, 'one more run for the changes made while running');
  await c.stop();
});

test('the per-reconcile timeout aborts the signal, counts an error and retries', async () => {
  let aborted = false;
  let calls = 0;
  const { c, registry } = await make(
    (_ref, ctx) => {
      calls++;
      if (calls > 1) return Promise.resolve();
      return new Promise((resolve) =>
        ctx.signal.addEventListener('abort', () => {
          aborted = true;
          resolve();
        }),
      );
    },
    { timeoutMs: 50 },
  );
  c.enqueue('a');
  await until(() => aborted);
  await until(() => c.inFlight() === 0);
  await until(() => calls === 2 && c.inFlight() === 0);
  const text = await registry.metrics();
  assert.match(text, /controller_runtime_reconcile_total\{controller="test",result="error"\} 1/);
  assert.match(text, /controller_runtime_reconcile_total\{controller="test",result="success"\} 1/, 'retried');
  await c.stop();
});

test('stop lets an in-flight reconcile finish within the grace period, then abandons it', async () => {
  let abortedByStop = false;
  const { c } = await make(
    (_ref, ctx) =>
      new Promise((resolve) =>
        ctx.signal.addEventListener('abort', () => {
          abortedByStop = true;
          resolve();
        }),
      ),
  );
  c.enqueue('a');
  c.enqueue('b');
  c.enqueue('c');
  await until(() => c.inFlight() === 2);
  const t0 = Date.now();
  await c.stop(100);
  assert.ok(Date.now() - t0 < 2000);
  await until(() => abortedByStop);
  c.enqueue('d');
  assert.equal(c.queue.len(), 0, 'no intake after stop');
});

test('specOrMetadataChanged ignores status-only updates', () => {
  const base = { metadata: { name: 'a', generation: 1, labels: { x: '1' } }, status: { phase: 'A' } };
  assert.equal(specOrMetadataChanged(base, { ...base, status: { phase: 'B' } }), false);
  assert.equal(specOrMetadataChanged(base, { ...base, metadata: { ...base.metadata, generation: 2 } }), true);
  assert.equal(specOrMetadataChanged(base, { ...base, metadata: { ...base.metadata, labels: { x: '2' } } }), true);
  assert.equal(specOrMetadataChanged(base, { ...base, metadata: { ...base.metadata, finalizers: ['f'] } }), true);
  assert.equal(specOrMetadataChanged(base, { ...base, metadata: { ...base.metadata, deletionTimestamp: 'now' } }), true);
});

test("a watch's mapUpdate replaces map(old) ∪ map(obj) for updates; adds and deletes still use map", async () => {
  const related = await idleInformer();
  const seen: string[] = [];
  const registry = new Registry();
  const c = new Controller({
    name: 'mapped', informer: await idleInformer(), registry, rateLimiter: new ExponentialBackoffLimiter(5, 50),
    reconcile: async (ref) => { seen.push(ref.name); },
    watches: [{ informer: related, map: (o) => [`ns/by-map-${o.metadata.name}`], mapUpdate: (old, o) => (old.metadata.resourceVersion === o.metadata.resourceVersion ? [] : [`ns/by-update-${o.metadata.name}`]) }],
  });
  c.start();
  const dispatch = (d: unknown): void => (related as unknown as { dispatch(d: unknown): void }).dispatch(d);
  const obj = (rv: string) => ({ metadata: { name: 'x', namespace: 'ns', resourceVersion: rv } });
  dispatch({ type: 'add', obj: obj('1') });
  dispatch({ type: 'update', old: obj('1'), obj: obj('1') });
  dispatch({ type: 'update', old: obj('1'), obj: obj('2') });
  dispatch({ type: 'delete', obj: obj('2') });
  await until(() => seen.includes('by-update-x') && seen.includes('by-map-x') && c.inFlight() === 0);
  await new Promise((r) => setTimeout(r, 50));
  // The unchanged update mapped to nothing, and map() was not called for either update.
  assert.deepEqual([...new Set(seen)].sort(), ['by-map-x', 'by-update-x']);
  assert.equal(seen.filter((k) => k === 'by-update-x').length, 1);
  await c.stop();
});
