import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Faults, parseFault, RateLimits } from './faults.js';
import { Random } from './rand.js';
import { ApiError } from './http.js';

test('parseFault validates its fields with clear messages', () => {
  assert.throws(() => parseFault({ api: 'x', status: 500 }, 0), (e: unknown) => e instanceof ApiError && /api must be one of/.test(e.message));
  assert.throws(() => parseFault({ status: 99 }, 0), /status must be a number in \[100, 599\]/);
  assert.throws(() => parseFault({ probability: 2, status: 500 }, 0), /probability/);
  assert.throws(() => parseFault({}, 0), /needs status, latency, timeout, malformed or lostReply/);
  assert.equal(parseFault({ status: 503 }, 0).retryAfter, 1, '503 gets Retry-After by default');
  assert.equal(parseFault({ status: 500, durationMs: 10 }, 1000).until, 1010);
});

test('lostReply: true or {hangMs}; no status, timeout or malformed with it; an answering fault wins', () => {
  assert.deepEqual(parseFault({ lostReply: true }, 0).lostReply, { hangMs: 0 });
  assert.deepEqual(parseFault({ lostReply: { hangMs: 250 } }, 0).lostReply, { hangMs: 250 });
  assert.throws(() => parseFault({ lostReply: 'yes' }, 0), /lostReply must be true or \{hangMs\}/);
  assert.throws(() => parseFault({ lostReply: true, status: 500 }, 0), /takes no status/);
  const f = new Faults(new Random(3));
  f.add(parseFault({ api: 'nova', method: 'POST', route: '/servers/{id}/os-interface', lostReply: { hangMs: 5 }, count: 1 }, 0));
  assert.deepEqual(f.decide('nova', 'POST', '/servers/{id}/os-interface', 0), { delayMs: 0, lostReply: { hangMs: 5 } });
  assert.equal(f.decide('nova', 'POST', '/servers/{id}/os-interface', 0), undefined, 'count exhausted');
  f.add(parseFault({ lostReply: true }, 0));
  f.add(parseFault({ status: 503 }, 0));
  const both = f.decide('nova', 'GET', '/x', 0);
  assert.equal(both?.error?.status, 503, 'the error is answered; the sim does not run the handler then');
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
