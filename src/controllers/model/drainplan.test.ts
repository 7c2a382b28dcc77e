import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planDrain } from './drainplan.js';

const base = { drainMs: 10_000, connections: 3, reportedAt: 0, graceMs: 5_000, minDrainMs: 5_000 };

test('drain 0: withdrawn at once, then the grace, then done (the order before drainTimeoutSeconds)', () => {
  assert.equal(planDrain({ ...base, drainMs: 0, state: { startedAt: 0 }, now: 0 }).phase, 'withdraw');
  assert.deepEqual(planDrain({ ...base, drainMs: 0, state: { startedAt: 0, withdrawnAt: 0 }, now: 1_000 }), { phase: 'grace', nextInMs: 4_000 });
  assert.equal(planDrain({ ...base, drainMs: 0, state: { startedAt: 0, withdrawnAt: 0 }, now: 5_000 }).phase, 'done');
});

test('a drain holds the ref until its timeout while connections remain', () => {
  assert.deepEqual(planDrain({ ...base, state: { startedAt: 0 }, now: 2_000, reportedAt: 1_900 }), { phase: 'drain', nextInMs: 1_000 });
  assert.equal(planDrain({ ...base, state: { startedAt: 0 }, now: 9_500, reportedAt: 9_000 }).phase, 'drain');
  assert.deepEqual(planDrain({ ...base, state: { startedAt: 0 }, now: 10_000, reportedAt: 9_000 }), { phase: 'withdraw', ended: 'timeout' });
});

test('the drain ends early once a report sent after the minimum drain says 0 connections', () => {
  // 0 reported, but too early (before the switch could act): still draining.
  assert.equal(planDrain({ ...base, connections: 0, state: { startedAt: 0 }, now: 3_000, reportedAt: 2_500 }).phase, 'drain');
  // 0 in a report older than the minimum drain: still draining.
  assert.equal(planDrain({ ...base, connections: 0, state: { startedAt: 0 }, now: 6_000, reportedAt: 4_000 }).phase, 'drain');
  assert.deepEqual(planDrain({ ...base, connections: 0, state: { startedAt: 0 }, now: 6_000, reportedAt: 5_500 }), { phase: 'withdraw', ended: 'empty' });
  // Unknown (a silent agent) never ends it early.
  assert.equal(planDrain({ ...base, connections: undefined, reportedAt: undefined, state: { startedAt: 0 }, now: 6_000 }).phase, 'drain');
});
