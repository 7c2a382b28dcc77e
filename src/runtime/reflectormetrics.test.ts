import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { reflectorMetrics, type ReflectorStats } from './reflectormetrics.js';

test('reflector metrics: read at scrape time, summed per resource', async () => {
  const registry = new Registry();
  const a: ReflectorStats = { lists: 1, watches: 3, errors: 2, gone: 0 };
  const b: ReflectorStats = { lists: 2, watches: 1, errors: 0, gone: 1 };
  const c: ReflectorStats = { lists: 1, watches: 1, errors: 5, gone: 0 };
  reflectorMetrics(registry, () => [{ resource: 'pools', stats: a }, { resource: 'pools', stats: b }, { resource: 'secrets', stats: c }]);
  reflectorMetrics(registry, () => []); // idempotent per registry: the first sources stay
  let text = await registry.metrics();
  assert.match(text, /^reflector_lists_total\{resource="pools"\} 3$/m);
  assert.match(text, /^reflector_watches_total\{resource="pools"\} 4$/m);
  assert.match(text, /^reflector_errors_total\{resource="secrets"\} 5$/m);
  assert.match(text, /^reflector_relists_gone_total\{resource="pools"\} 1$/m);
  a.errors += 7;
  text = await registry.metrics();
  assert.match(text, /^reflector_errors_total\{resource="pools"\} 9$/m, 'a later scrape sees the counters move');
});
