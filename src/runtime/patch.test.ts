import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addFinalizerPatch, removeFinalizerPatch } from './finalizers.js';
import { mergePatch } from './patch.js';

test('merge patch sends only what changed, nulls for removed keys, whole arrays', () => {
  assert.equal(mergePatch({ a: 1 }, { a: 1 }), undefined);
  assert.deepEqual(mergePatch({ a: 1, b: { c: 2, d: 3 }, e: [1] }, { a: 1, b: { c: 2 }, e: [1, 2], f: 'x' }), {
    b: { d: null },
    e: [1, 2],
    f: 'x',
  });
  assert.deepEqual(mergePatch({ a: { b: 1 } }, { a: 'scalar' }), { a: 'scalar' });
});

test('finalizer patches test the list they were computed from', () => {
  assert.deepEqual(addFinalizerPatch(undefined, 'f'), [
    { op: 'test', path: '/metadata/finalizers', value: null },
    { op: 'add', path: '/metadata/finalizers', value: ['f'] },
  ]);
  assert.deepEqual(addFinalizerPatch(['x'], 'f'), [
    { op: 'test', path: '/metadata/finalizers', value: ['x'] },
    { op: 'add', path: '/metadata/finalizers/-', value: 'f' },
  ]);
  assert.equal(addFinalizerPatch(['x', 'f'], 'f'), undefined);
  assert.deepEqual(removeFinalizerPatch(['x', 'f'], 'f'), [
    { op: 'test', path: '/metadata/finalizers', value: ['x', 'f'] },
    { op: 'remove', path: '/metadata/finalizers/1' },
  ]);
  assert.equal(removeFinalizerPatch(['x'], 'f'), undefined);
  assert.equal(removeFinalizerPatch(undefined, 'f'), undefined);
});
