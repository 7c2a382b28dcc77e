import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff } from './backoff.js';
import { objectKey, parseKey, collectionPath, objectPath, type KubeObject } from './objects.js';
import { NAMESPACE_INDEX, Store } from './store.js';

const obj = (ns: string, name: string, pool?: string): KubeObject => ({
  metadata: { namespace: ns, name, resourceVersion: '1' },
  spec: { pool },
});

test('store indexes by namespace and by custom reference index, and keeps indexes current', () => {
  const byPool = (o: KubeObject): string[] => {
    const p = (o.spec as { pool?: string }).pool;
    return p ? [`${o.metadata.namespace}/${p}`] : [];
  };
  const s = new Store<KubeObject>({ pool: byPool });
  s.upsert(obj('a', 'vs1', 'p1'));
  s.upsert(obj('a', 'vs2', 'p1'));
  s.upsert(obj('b', 'vs3', 'p1'));
  assert.deepEqual(s.indexKeys('pool', 'a/p1').sort(), ['a/vs1', 'a/vs2']);
  assert.deepEqual(s.indexKeys(NAMESPACE_INDEX, 'b'), ['b/vs3']);
  s.upsert(obj('a', 'vs2', 'p2'));
  assert.deepEqual(s.indexKeys('pool', 'a/p1'), ['a/vs1']);
  assert.deepEqual(s.byIndex('pool', 'a/p2').map(objectKey), ['a/vs2']);
  assert.equal(s.delete('a/vs1')?.metadata.name, 'vs1');
  assert.deepEqual(s.indexKeys('pool', 'a/p1'), []);
  assert.equal(s.size, 2);
  assert.throws(() => s.indexKeys('nope', 'x'), /no index/);
});

test('an index added later covers objects already cached', () => {
  const s = new Store<KubeObject>();
  s.upsert(obj('a', 'x', 'p'));
  s.addIndex('pool', (o) => [String((o.spec as { pool?: string }).pool)]);
  assert.deepEqual(s.indexKeys('pool', 'p'), ['a/x']);
});

test('keys and paths for core and custom, namespaced and cluster-scoped resources', () => {
  assert.equal(objectKey({ namespace: 'n', name: 'x' }), 'n/x');
  assert.equal(objectKey({ name: 'x' }), 'x');
  assert.deepEqual(parseKey('n/x'), { namespace: 'n', name: 'x' });
  assert.deepEqual(parseKey('x'), { name: 'x' });
  const cm = { group: '', version: 'v1', plural: 'configmaps', namespaced: true };
  const crd = { group: 'lb.example.io', version: 'v1alpha1', plural: 'pools', namespaced: true };
  const node = { group: '', version: 'v1', plural: 'nodes', namespaced: false };
  assert.equal(collectionPath(cm), '/api/v1/configmaps');
  assert.equal(collectionPath(cm, 'ns'), '/api/v1/namespaces/ns/configmaps');
  assert.equal(objectPath(crd, { namespace: 'ns', name: 'p' }, 'status'), '/apis/lb.example.io/v1alpha1/namespaces/ns/pools/p/status');
  assert.equal(objectPath(node, { namespace: 'ignored', name: 'n1' }), '/api/v1/nodes/n1');
});

test('backoff grows 0.8 s doubling to 30 s with jitter and resets after sustained health', () => {
  const b = new Backoff({ random: () => 0 });
  const seq = Array.from({ length: 8 }, () => b.next());
  assert.deepEqual(seq, [800, 1600, 3200, 6400, 12800, 25600, 30000, 30000]);
  assert.equal(b.next(120_000), 800, 'healthy for 2 minutes: start over');
  const j = new Backoff({ random: () => 1 });
  assert.equal(j.next(), 1200, '+50 % jitter at most');
});
