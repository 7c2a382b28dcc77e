import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RESERVATION_ANNOTATION, type VSObj } from '../model/index.js';
import { fencedFinalizerPatch } from './deletion.js';

const vs = (finalizers: string[] | undefined, reservation?: string): Pick<VSObj, 'metadata'> => ({
  metadata: { name: 'web', namespace: 'demo', ...(finalizers !== undefined ? { finalizers } : {}), ...(reservation !== undefined ? { annotations: { [RESERVATION_ANNOTATION]: reservation } } : {}) },
});

test('the finalizer is removed only while the reservation is exactly the one held (a JSON Patch test first)', () => {
  const raw = JSON.stringify({ holder: 'h', nonce: 'n1', expires: '2026-12-03T00:01:00Z' });
  assert.deepEqual(fencedFinalizerPatch(vs(['other', 'f'], raw), 'f'), [
    { op: 'test', path: '/metadata/annotations/lb.contrail-operator.io~1se-reservation', value: raw },
    { op: 'test', path: '/metadata/finalizers', value: ['other', 'f'] },
    { op: 'remove', path: '/metadata/finalizers/1' },
  ]);
  assert.equal(fencedFinalizerPatch(vs(['other'], raw), 'f'), undefined, 'already removed: nothing to write');
  assert.equal(fencedFinalizerPatch(vs(['f']), 'f')?.length, 2, 'no reservation on the object: the plain removal');
});
