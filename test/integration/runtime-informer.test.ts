// The reflector/informer against a real kube-apiserver: sync, events, indexes, and recovery
// from a dropped watch plus an etcd compaction (410 Gone) without losing any update.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { useCluster, type TestCluster } from '../support/cluster.js';
import { Informer } from '../../src/runtime/informer.js';
import { KubeClient } from '../../src/runtime/kube.js';
import { collectionPath, type KubeObject, type ResourceType } from '../../src/runtime/objects.js';
import { startProxy } from './fixtures/runtime-proxy.js';
import { compactEtcd, configMaps, createNamespace, pool, until } from './fixtures/runtime-support.js';

let cluster: TestCluster;
let client: KubeClient;

before(async () => {
  cluster = await useCluster();
  client = await KubeClient.create(cluster.kubeconfig);
});
after(() => client?.close());

const cm = (ns: string, name: string, data: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns },
  data,
});
const dataOf = (o: KubeObject | undefined): Record<string, string> => (o?.data ?? {}) as Record<string, string>;

test('informer lists, then sees adds, updates and deletes; indexes follow', async () => {
  const ns = await createNamespace(client, 'rt-inf');
  for (let i = 0; i < 5; i++) await client.create(`/api/v1/namespaces/${ns}/configmaps`, cm(ns, `pre-${i}`, { ref: 'a' }));
  const inf = new Informer(client, configMaps, {
    namespace: ns,
    indexers: { ref: (o) => (dataOf(o).ref ? [dataOf(o).ref as string] : []) },
  });
  const seen: string[] = [];
  inf.addHandlers({
    onAdd: (o) => seen.push(`add:${o.metadata.name}`),
    onUpdate: (_old, o) => seen.push(`update:${o.metadata.name}`),
    onDelete: (o) => seen.push(`delete:${o.metadata.name}`),
  });
  const stop = new AbortController();
  const running = inf.start(stop.signal);
  try {
    await inf.waitForSync(AbortSignal.timeout(10_000));
    assert.equal(inf.hasSynced(), true);
    assert.equal(inf.store.size, 5);
    assert.equal(inf.store.byIndex('ref', 'a').length, 5);
    assert.equal(inf.store.indexKeys('namespace', ns).length, 5);
    assert.equal(inf.store.get(`${ns}/pre-0`)?.metadata.managedFields, undefined, 'managedFields dropped');

    await client.create(`/api/v1/namespaces/${ns}/configmaps`, cm(ns, 'new', { ref: 'b' }));
    await client.patch(`/api/v1/namespaces/${ns}/configmaps/pre-0`, { data: { ref: 'b' } });
    await client.delete(`/api/v1/namespaces/${ns}/configmaps/pre-1`);
    await until('three events', () => seen.length >= 5 + 3);
    assert.deepEqual(seen.slice(5), ['add:new', 'update:pre-0', 'delete:pre-1']);
    assert.deepEqual(inf.store.indexKeys('ref', 'b').sort(), [`${ns}/new`, `${ns}/pre-0`]);
    assert.equal(inf.store.byIndex('ref', 'a').length, 3);
  } finally {
    stop.abort();
    await running;
  }
});

// A kind of object whose value the test changes: ConfigMaps are served from the apiserver's
// watch cache (a resumed watch replays history); core Events are not cached (the apiserver's
// default watch-cache size for events is 0), so after an etcd compaction their watch gets 410.
interface Kind {
  rt: ResourceType;
  make(ns: string, name: string, v: string): KubeObject;
  set(v: string): unknown;
  value(o: KubeObject): string | undefined;
}
const configMapKind: Kind = {
  rt: configMaps,
  make: (ns, name, v) => cm(ns, name, { v }),
  set: (v) => ({ data: { v } }),
  value: (o) => dataOf(o).v,
};
const eventKind: Kind = {
  rt: { group: '', version: 'v1', plural: 'events', namespaced: true },
  make: (ns, name, v) => ({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: ns },
    involvedObject: { kind: 'ConfigMap', namespace: ns, name: 'x', apiVersion: 'v1' },
    reason: 'Test',
    message: v,
    type: 'Normal',
    source: { component: 'runtime-test' },
  }),
  set: (v) => ({ message: v }),
  value: (o) => o.message as string | undefined,
};

async function droppedWatchLosesNothing(kind: Kind, compact: boolean): Promise<Informer> {
  const proxy = await startProxy(new URL(cluster.server));
  const viaProxy = await KubeClient.create(proxy.kubeConfig(cluster.kubeconfig));
  const ns = await createNamespace(client, 'rt-gone');
  const coll = collectionPath(kind.rt, ns);
  const names = Array.from({ length: 20 }, (_, i) => `obj-${i}`);
  await pool(names, 10, (n) => client.create(coll, kind.make(ns, n, '0')).then(() => undefined));
  // Latest value per key as delivered through events: what a controller would act on.
  const latest = new Map<string, string | undefined>();
  const inf = new Informer(viaProxy, kind.rt, { namespace: ns, backoff: { initialMs: 200, maxMs: 1000 } });
  inf.addHandlers({
    onAdd: (o) => latest.set(o.metadata.name, kind.value(o)),
    onUpdate: (_old, o) => latest.set(o.metadata.name, kind.value(o)),
    onDelete: (o) => latest.set(o.metadata.name, 'deleted'),
  });
  const stop = new AbortController();
  const running = inf.start(stop.signal);
  try {
    await inf.waitForSync(AbortSignal.timeout(10_000));
    await until('initial values', () => names.every((n) => latest.get(n) === '0'));
    const rvBefore = Number(inf.reflector.lastSyncResourceVersion());

    proxy.cut();
    // While disconnected: updates, a delete and a create that the dropped watch never delivered.
    await pool(names.slice(0, 15), 10, async (n) => {
      for (let v = 1; v <= 3; v++) await client.patch(`${coll}/${n}`, kind.set(String(v)));
    });
    await client.delete(`${coll}/obj-19`);
    await client.create(coll, kind.make(ns, 'obj-late', 'late'));
    if (compact) assert.ok((await compactEtcd(cluster.etcdURL)) > rvBefore);
    proxy.restore();

    const expected = (n: string): string => (n === 'obj-19' ? 'deleted' : Number(n.slice(4)) < 15 ? '3' : '0');
    await until('every change seen after reconnect', () => names.every((n) => latest.get(n) === expected(n)) && latest.get('obj-late') === 'late', 60_000);
    assert.equal(inf.store.get(`${ns}/obj-19`), undefined);

    // And the informer keeps watching afterwards.
    await client.patch(`${coll}/obj-0`, kind.set('after'));
    await until('event after recovery', () => latest.get('obj-0') === 'after');
    return inf;
  } finally {
    stop.abort();
    await running;
    viaProxy.close();
    await proxy.close();
  }
}

test('a dropped watch resumes from the last resourceVersion and loses no update', async () => {
  const inf = await droppedWatchLosesNothing(configMapKind, false);
  assert.equal(inf.reflector.stats.lists, 1, 'resumed without relisting');
  assert.ok(inf.reflector.stats.watches >= 2);
});

test('a dropped watch plus an etcd compaction (410 Gone) relists and loses no update', async () => {
  const inf = await droppedWatchLosesNothing(eventKind, true);
  assert.ok(inf.reflector.stats.gone >= 1, `expected a 410 relist, stats ${JSON.stringify(inf.reflector.stats)}`);
  assert.ok(inf.reflector.stats.lists >= 2);
});

test('the watchdog aborts a silent watch and the informer resumes', async () => {
  const ns = await createNamespace(client, 'rt-dog');
  const inf = new Informer(client, configMaps, { namespace: ns, watchdogMs: 300, backoff: { initialMs: 50, maxMs: 100 } });
  const names: string[] = [];
  inf.addHandlers({ onAdd: (o) => names.push(o.metadata.name) });
  const stop = new AbortController();
  const running = inf.start(stop.signal);
  try {
    await inf.waitForSync(AbortSignal.timeout(10_000));
    await until('watchdog fired', () => inf.reflector.stats.watchdogAborts >= 2, 10_000);
    await client.create(`/api/v1/namespaces/${ns}/configmaps`, cm(ns, 'x', {}));
    await until('event after watchdog restarts', () => names.includes('x'));
  } finally {
    stop.abort();
    await running;
  }
});
