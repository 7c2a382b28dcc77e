import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findCondition, isFalse, isTrue, isTrueFor, removeStatusCondition, setStatusCondition, type Condition } from './conditions.js';

const t0 = new Date('2026-11-24T10:00:00.123Z');
const t1 = new Date('2026-11-24T10:05:00Z');

describe('setStatusCondition', () => {
  it('adds a new condition with the transition time now', () => {
    const cs: Condition[] = [];
    assert.equal(setStatusCondition(cs, { type: 'Ready', status: 'False', reason: 'Placing', message: 'm', observedGeneration: 1 }, t0), true);
    assert.deepEqual(cs, [{ type: 'Ready', status: 'False', reason: 'Placing', message: 'm', observedGeneration: 1, lastTransitionTime: '2026-11-24T10:00:00Z' }]);
  });
  it('reports no change and keeps everything when nothing changed', () => {
    const cs: Condition[] = [];
    setStatusCondition(cs, { type: 'Ready', status: 'True', reason: 'Up', message: 'ok', observedGeneration: 2 }, t0);
    const before = structuredClone(cs);
    assert.equal(setStatusCondition(cs, { type: 'Ready', status: 'True', reason: 'Up', message: 'ok', observedGeneration: 2 }, t1), false);
    assert.deepEqual(cs, before);
  });
  it('keeps lastTransitionTime when only reason, message or generation change', () => {
    const cs: Condition[] = [];
    setStatusCondition(cs, { type: 'Ready', status: 'False', reason: 'A', message: 'a', observedGeneration: 1 }, t0);
    assert.equal(setStatusCondition(cs, { type: 'Ready', status: 'False', reason: 'B', message: 'b', observedGeneration: 2 }, t1), true);
    assert.equal(cs[0]?.lastTransitionTime, '2026-11-24T10:00:00Z');
    assert.equal(cs[0]?.reason, 'B');
    assert.equal(cs[0]?.observedGeneration, 2);
  });
  it('moves lastTransitionTime when status flips', () => {
    const cs: Condition[] = [];
    setStatusCondition(cs, { type: 'Ready', status: 'False', reason: 'A', message: '' }, t0);
    assert.equal(setStatusCondition(cs, { type: 'Ready', status: 'True', reason: 'A', message: '' }, t1), true);
    assert.equal(cs[0]?.lastTransitionTime, '2026-11-24T10:05:00Z');
  });
  it('uses an explicit lastTransitionTime when given', () => {
    const cs: Condition[] = [];
    setStatusCondition(cs, { type: 'Ready', status: 'True', reason: 'A', message: '', lastTransitionTime: '2020-01-01T00:00:00Z' }, t1);
    assert.equal(cs[0]?.lastTransitionTime, '2020-01-01T00:00:00Z');
  });
  it('leaves other conditions alone', () => {
    const cs: Condition[] = [];
    setStatusCondition(cs, { type: 'Ready', status: 'True', reason: 'A', message: '' }, t0);
    setStatusCondition(cs, { type: 'Degraded', status: 'False', reason: 'B', message: '' }, t0);
    setStatusCondition(cs, { type: 'Degraded', status: 'True', reason: 'C', message: '' }, t1);
    assert.equal(cs.length, 2);
    assert.equal(findCondition(cs, 'Ready')?.lastTransitionTime, '2026-11-24T10:00:00Z');
  });
});

describe('queries', () => {
  const cs: Condition[] = [
    { type: 'Ready', status: 'True', reason: 'Up', message: '', lastTransitionTime: '2026-11-24T10:00:00Z', observedGeneration: 3 },
    { type: 'Degraded', status: 'False', reason: 'AllUp', message: '', lastTransitionTime: '2026-11-24T10:00:00Z' },
  ];
  it('finds and tests conditions', () => {
    assert.equal(isTrue(cs, 'Ready'), true);
    assert.equal(isTrue(cs, 'Degraded'), false);
    assert.equal(isFalse(cs, 'Degraded'), true);
    assert.equal(isTrue(cs, 'Placed'), false);
    assert.equal(isFalse(cs, 'Placed'), false);
    assert.equal(isTrue(undefined, 'Ready'), false);
    assert.equal(isTrueFor(cs, 'Ready', 3), true);
    assert.equal(isTrueFor(cs, 'Ready', 4), false);
  });
  it('removes a condition', () => {
    const copy = structuredClone(cs);
    assert.equal(removeStatusCondition(copy, 'Degraded'), true);
    assert.equal(removeStatusCondition(copy, 'Degraded'), false);
    assert.deepEqual(copy.map((c) => c.type), ['Ready']);
  });
});
