import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Faults, parseFault, RateLimits } from './faults.js';
import { Random } from './rand.js';
import { ApiError } from './http.js';

test('parseFault validates its fields with clear messages', () => {
  assert.throws(() => parseFault({ api: 'x', status: 500 }, 0), (e: unknown) => e instanceof ApiError && /api must be one of/.test(e.message));
  assert.throws(() => parseFault({ status: 99 }, 0), /status must be a number in \[100, 599\]/);
  assert.throws(() => parseFault({ probability: 2, status: 500 }, 0), /probability/);
  assert.throws(() => parseFault({}, 0), /needs status, latency, timeout or malformed/);
  assert.equal(parseFault({ status: 503 }, 0).retryAfter, 1, '503 gets Retry-After by default');
  assert.equal(parseFault({ status: 500, durationMs: 10 }, 1000).until, 1010);
});

test('faults match by api, method and route (exact or prefix*) and stop after count', () => {
  const f = new Faults(new Random(1));
  f.add(parseFault({ api: 'neutron', method: 'post', route: '/v2.0/ports*', status: 409, count: 1 }, 0));
  assert.equal(f.decide('nova', 'POST', '/v2.0/ports', 0), undefined);
  assert.equal(f.decide('neutron', 'GET', '/v2.0/ports', 0), undefined);
  assert.equal(f.decide('neutron', 'POST', '/v2.0/ports/{id}', 0)?.error?.status, 409);
  assert.equal(f.decide('neutron', 'POST', '/v2.0/ports', 0), undefined, 'count exhausted');
  assert.equal(f.all().length, 0);
});

test('latency distributions: fixed, uniform and normal, never negative', () => {
  const f = new Faults(new Random(2));
  f.add(parseFault({ latency: { minMs: 10, maxMs: 20 } }, 0));
  for (let i = 0; i < 50; i++) {
    const d = f.decide('nova', 'GET', '/x', 0)?.delayMs ?? -1;
    assert.ok(d >= 10 && d <= 20);
  }
  f.clear();
  f.add(parseFault({ latency: { meanMs: 5, stddevMs: 50 } }, 0));
  for (let i = 0; i < 50; i++) assert.ok((f.decide('nova', 'GET', '/x', 0)?.delayMs ?? -1) >= 0);
});

test('the rate limiter lets a second\'s worth through, then refuses', () => {
  const r = new RateLimits();
  r.set('contrail', 3);
  assert.deepEqual([r.take('contrail'), r.take('contrail'), r.take('contrail'), r.take('contrail')], [true, true, true, false]);
  assert.equal(r.take('nova'), true, 'no limit for other APIs');
});
