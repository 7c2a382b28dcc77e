import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScaleInDrain } from './drain.js';

test('an SE placement dropped stays in the set for the drain, then may go', () => {
  const d = new ScaleInDrain(3000);
  assert.deepEqual(d.keep('ns/vs2', ['a', 'b', 'c'], ['a'], 10_000), { keep: ['b', 'c'], recheckMs: 3000 });
  // The next reconcile: status no longer lists them, the drain remembers.
  assert.deepEqual(d.keep('ns/vs2', ['a'], ['a'], 11_000), { keep: ['b', 'c'], recheckMs: 2000 });
  assert.deepEqual(d.keep('ns/vs2', ['a'], ['a'], 13_000), { keep: [] });
  assert.deepEqual(d.keep('ns/vs2', ['a'], ['a'], 13_500), { keep: [] }, 'withdrawn once: not kept again');
});

test('placed again during the drain: no longer draining; other VSs are their own', () => {
  const d = new ScaleInDrain(3000);
  d.keep('ns/vs2', ['a', 'b'], ['a'], 0);
  assert.deepEqual(d.keep('ns/vs2', ['a'], ['a', 'b'], 1000), { keep: [] });
  assert.deepEqual(d.keep('ns/vs3', ['x'], [], 1000), { keep: ['x'], recheckMs: 3000 });
  d.forget('ns/vs3');
  assert.deepEqual(d.keep('ns/vs3', [], [], 1500), { keep: [] });
});
