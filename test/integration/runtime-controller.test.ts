// Controllers, status, finalizers and events against a real kube-apiserver.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { useCluster, type TestCluster } from '../support/cluster.js';
import { EventRecorder } from '../../src/runtime/events.js';
import { addFinalizer, removeFinalizer } from '../../src/runtime/finalizers.js';
import { KubeClient } from '../../src/runtime/kube.js';
import { Manager } from '../../src/runtime/manager.js';
import { collectionPath, objectPath, type KubeObject } from '../../src/runtime/objects.js';
import { updateStatus } from '../../src/runtime/status.js';
import { ensureWidgetCRD, widget, widgets } from './fixtures/runtime-crd.js';
import { configMaps, createNamespace, pool, until } from './fixtures/runtime-support.js';

let cluster: TestCluster;
let client: KubeClient;

before(async () => {
  cluster = await useCluster();
  client = await KubeClient.create(cluster.kubeconfig);
  await ensureWidgetCRD(client);
});
after(() => client?.close());

type Widget = KubeObject & { spec: { size?: number }; status?: Record<string, unknown> };

test('a burst of 1000 updates to 100 objects: every final state reconciled, one in flight per key, few reconciles', async () => {
  const ns = await createNamespace(client, 'rt-burst');
  const coll = collectionPath(configMaps, ns);
  const names = Array.from({ length: 100 }, (_, i) => `cm-${i}`);
  await pool(names, 20, (n) => client.create(coll, { metadata: { name: n }, data: { v: '0' } }).then(() => undefined));

  const registry = new Registry();
  const mgr = new Manager({ client, registry, health: {} });
  const inf = mgr.informer(configMaps, { namespace: ns });
  const inFlight = new Map<string, number>();
  const reconciled = new Map<string, string | undefined>();
  let reconciles = 0;
  let overlap = 0;
  // During the burst every reconcile waits here until all 1000 updates are in the cache, so the
  // queue's coalescing is what the count measures — not how fast a loaded machine's apiserver
  // takes patches compared with the reconciles (CI once saw 504 with the race left open).
  let hold: Promise<void> = Promise.resolve();
  let release = (): void => undefined;
  mgr.controller({
    name: 'burst',
    informer: inf,
    workers: 2,
    reconcile: async (ref, ctx) => {
      const n = (inFlight.get(ctx.key) ?? 0) + 1;
      inFlight.set(ctx.key, n);
      if (n > 1) overlap++;
      reconciles++;
      await hold;
      // Level-triggered: read the latest state from the cache, whatever woke us.
      const obj = inf.store.get(ctx.key);
      await new Promise((r) => setTimeout(r, 25)); // slow enough that events outpace reconciles
      reconciled.set(ref.name, (obj?.data as Record<string, string> | undefined)?.v);
      inFlight.set(ctx.key, n - 1);
    },
  });
  const stop = new AbortController();
  const running = mgr.run(stop.signal);
  try {
    await until('initial reconciles', () => names.every((n) => reconciled.get(n) === '0'));
    const url = mgr.healthURL() as string;
    assert.equal((await fetch(`${url}/readyz`)).status, 200);
    const before = reconciles;
    const t0 = Date.now();
    hold = new Promise((r) => { release = r; });
    // 10 rounds × 100 objects = 1000 updates, 25 at a time.
    for (let round = 1; round <= 10; round++) {
      await pool(names, 25, (n) => client.patch(`${coll}/${n}`, { data: { v: String(round) } }).then(() => undefined));
    }
    await until('every update in the cache', () => inf.store.list().filter((o) => (o.data as Record<string, string> | undefined)?.v === '10').length === names.length, 60_000);
    const heldReconciles = reconciles - before;
    release();
    await until('every final state reconciled', () => names.every((n) => reconciled.get(n) === '10'), 60_000);
    const burstReconciles = reconciles - before;
    console.log(
      `burst: 1000 updates → ${burstReconciles} reconciles (ratio ${(burstReconciles / 1000).toFixed(3)}) in ${Date.now() - t0} ms`,
    );
    assert.equal(overlap, 0, 'never two reconciles of one key at once');
    // Held: at most one reconcile per worker began. Then each key is queued once however many of
    // its 10 updates arrived (a key in flight runs once more): ≤ 100 + 2 × workers, not 1000.
    assert.ok(heldReconciles <= 2, `at most one reconcile per worker began while held (${heldReconciles})`);
    assert.ok(burstReconciles <= names.length + 4, `reconciles (${burstReconciles}) should be one per key (+ those in flight), not one per event (1000)`);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(metrics, /controller_runtime_reconcile_total\{controller="burst",result="success"\} \d+/);
    assert.match(metrics, /workqueue_adds_total\{name="burst"\} \d+/);
  } finally {
    stop.abort();
    assert.equal(await running, 'stopped');
  }
});

test('status writes only status, only when changed, and retries a conflict from a fresh read', async () => {
  const ns = await createNamespace(client, 'rt-status');
  const coll = collectionPath(widgets, ns);
  const created = await client.create<Widget>(coll, widget(ns, 'w', { size: 1 }));
  const ref = { namespace: ns, name: 'w' };

  const first = await updateStatus<Widget>(client, widgets, ref, {
    mutate: (w) => {
      w.status = { observedGeneration: w.metadata.generation, phase: 'Ready' };
      w.spec.size = 999; // must never reach the server
    },
  });
  assert.equal(first.changed, true);
  assert.deepEqual(first.obj?.status, { observedGeneration: 1, phase: 'Ready' });
  assert.equal(first.obj?.spec.size, 1);

  const again = await updateStatus<Widget>(client, widgets, ref, {
    mutate: (w) => void (w.status = { observedGeneration: 1, phase: 'Ready' }),
  });
  assert.equal(again.changed, false);
  assert.equal(again.obj?.metadata.resourceVersion, first.obj?.metadata.resourceVersion, 'no write for no change');

  // A stale copy (before the first status write) conflicts; the writer re-reads and re-applies.
  await client.patch(`${coll}/w`, { spec: { size: 2 } });
  const stale = await updateStatus<Widget>(client, widgets, ref, {
    current: created,
    mutate: (w) => void (w.status = { ...w.status, observedGeneration: w.metadata.generation, phase: 'Scaling' }),
  });
  assert.equal(stale.changed, true);
  assert.deepEqual(stale.obj?.status, { observedGeneration: 2, phase: 'Scaling' });

  // Concurrent spec updates are never reverted by status writes.
  let lastSize = 2;
  const specWriter = (async () => {
    for (let s = 3; s <= 30; s++) {
      await client.patch(`${coll}/w`, { spec: { size: s } });
      lastSize = s;
    }
  })();
  for (let i = 0; i < 30; i++) {
    await updateStatus<Widget>(client, widgets, ref, { mutate: (w) => void (w.status = { ...w.status, tick: i }) });
  }
  await specWriter;
  const final = await client.get<Widget>(objectPath(widgets, ref));
  assert.equal(final.spec.size, lastSize);
  assert.equal(final.status?.tick, 29);
});

test('finalizers: concurrent adds and removes with spec updates neither drop nor duplicate', async () => {
  const ns = await createNamespace(client, 'rt-fin');
  const coll = collectionPath(widgets, ns);
  const ref = { namespace: ns, name: 'w' };
  await client.create(coll, widget(ns, 'w', { size: 0 }));
  const specWriter = async (from: number): Promise<void> => {
    for (let s = from; s < from + 20; s++) await client.patch(`${coll}/w`, { spec: { size: s } });
  };
  const fins = ['a.test/one', 'b.test/two', 'c.test/three'];
  await Promise.all([
    specWriter(1),
    ...fins.map((f) => addFinalizer(client, widgets, ref, f)),
    ...fins.map((f) => addFinalizer(client, widgets, ref, f)),
  ]);
  let w = await client.get<Widget>(objectPath(widgets, ref));
  assert.deepEqual([...(w.metadata.finalizers ?? [])].sort(), [...fins].sort());
  assert.equal(w.spec.size, 20);

  await Promise.all([specWriter(100), removeFinalizer(client, widgets, ref, fins[0] as string), removeFinalizer(client, widgets, ref, fins[2] as string)]);
  w = await client.get<Widget>(objectPath(widgets, ref));
  assert.deepEqual(w.metadata.finalizers, [fins[1]]);
  assert.equal(w.spec.size, 119);

  await client.delete(`${coll}/w`);
  w = await client.get<Widget>(objectPath(widgets, ref));
  assert.ok(w.metadata.deletionTimestamp, 'held by the finalizer');
  const last = await removeFinalizer(client, widgets, w, fins[1] as string);
  assert.equal(last?.metadata.finalizers, undefined);
  await until('object deleted', async () => {
    try {
      await client.get(objectPath(widgets, ref));
      return false;
    } catch {
      return true;
    }
  });
});

test('events: identical events become one series, a flood is rate limited, similar notes aggregate', async () => {
  const ns = await createNamespace(client, 'rt-ev');
  const target = await client.create<KubeObject>(collectionPath(configMaps, ns), { metadata: { name: 'target' } });
  const regarding = { ...target, apiVersion: 'v1', kind: 'ConfigMap' };
  const rec = new EventRecorder({ client, reportingController: 'rt-test.lbop.io/controller', reportingInstance: 'rt-test-1', burst: 5, aggregateAfter: 3 });
  for (let i = 0; i < 30; i++) rec.record(regarding, 'Warning', 'SyncFailed', 'cloud said 503; token=abc123');
  await rec.flush();
  const rec2 = new EventRecorder({ client, reportingController: 'rt-test.lbop.io/controller', reportingInstance: 'rt-test-1', burst: 20, aggregateAfter: 3 });
  for (let i = 0; i < 10; i++) rec2.record(regarding, 'Normal', 'Other', `note ${i}`);
  await rec2.flush();
  const list = await client.get<{ items: Array<KubeObject & { reason: string; note: string; series?: { count: number }; reportingController: string }> }>(
    `/apis/events.k8s.io/v1/namespaces/${ns}/events`,
  );
  const failed = list.items.filter((e) => e.reason === 'SyncFailed');
  assert.equal(failed.length, 1, 'one Event object for identical events');
  assert.equal(failed[0]?.series?.count, 30, 'the series counts every occurrence, dropped writes included');
  assert.ok(rec.stats.created + rec.stats.patched <= 5 + 5, `writes limited by the burst: ${JSON.stringify(rec.stats)}`);
  assert.ok(!JSON.stringify(list.items).includes('abc123'), 'notes are redacted');
  assert.equal(failed[0]?.reportingController, 'rt-test.lbop.io/controller');
  assert.ok(rec.stats.dropped >= 25, `flood dropped: ${JSON.stringify(rec.stats)}`);
  const other = list.items.filter((e) => e.reason === 'Other');
  assert.equal(other.length, 4, '3 distinct notes, then one combined Event');
  const combined = other.find((e) => e.note.startsWith('(combined from similar events)'));
  assert.equal(combined?.series?.count, 7);
  assert.equal(rec2.stats.failed, 0);
});

test('watches: a change to a referenced object reconciles the objects that refer to it (via an index)', async () => {
  const ns = await createNamespace(client, 'rt-ref');
  const wcoll = collectionPath(widgets, ns);
  const ccoll = collectionPath(configMaps, ns);
  await client.create(ccoll, { metadata: { name: 'shared' }, data: { v: '1' } });
  await client.create(ccoll, { metadata: { name: 'other' }, data: { v: '1' } });
  for (const [name, ref] of [['w1', 'shared'], ['w2', 'shared'], ['w3', 'other']]) await client.create(wcoll, widget(ns, name as string, { configRef: ref }));

  const mgr = new Manager({ client, registry: new Registry() });
  const configRef = (o: KubeObject): string[] => {
    const ref = (o.spec as { configRef?: string } | undefined)?.configRef;
    return ref ? [`${o.metadata.namespace}/${ref}`] : [];
  };
  const widgetInf = mgr.informer<Widget>(widgets, { namespace: ns, indexers: { configRef } });
  const configInf = mgr.informer(configMaps, { namespace: ns });
  const seen: string[] = [];
  const ctl = mgr.controller<Widget>({
    name: 'widget',
    informer: widgetInf,
    watches: [{ informer: configInf, map: (cm) => widgetInf.store.indexKeys('configRef', `${cm.metadata.namespace}/${cm.metadata.name}`) }],
    reconcile: async (ref) => void seen.push(ref.name),
  });
  const stop = new AbortController();
  const running = mgr.run(stop.signal);
  try {
    await until('initial reconciles', () => ['w1', 'w2', 'w3'].every((n) => seen.includes(n)));
    await until('quiet', () => widgetInf.hasSynced() && configInf.hasSynced());
    seen.length = 0;
    await client.patch(`${ccoll}/shared`, { data: { v: '2' } });
    await until('referrers reconciled', () => seen.includes('w1') && seen.includes('w2'));
    // Both referrers were enqueued by the same event; w3 would have been too.
    await until('queue idle', () => ctl.queue.len() === 0 && ctl.inFlight() === 0);
    assert.ok(!seen.includes('w3'), `w3 does not refer to the changed ConfigMap: ${seen.join(',')}`);
  } finally {
    stop.abort();
    await running;
  }
});
