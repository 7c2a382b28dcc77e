import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CLAIMS_ANNOTATION, type SEObj, type VSObj } from '../model/index.js';
import { placedOn, placementSettled } from './decision.js';

const vs = (listed: string[]): VSObj => ({
  apiVersion: 'lb.contrail-operator.io/v1alpha1', kind: 'VirtualService',
  metadata: { name: 'web', namespace: 'demo', uid: 'u1' },
  spec: { cloudRef: 'c', poolRef: 'p', vip: [], services: [] },
  status: { serviceEngines: listed.map((name, i) => ({ name, primary: i === 0 })) },
} as unknown as VSObj);
const se = (name: string, claims: Record<string, string> = {}): SEObj => ({
  apiVersion: 'lb.contrail-operator.io/v1alpha1', kind: 'ServiceEngine',
  metadata: { name, namespace: 'demo', ...(Object.keys(claims).length > 0 ? { annotations: { [CLAIMS_ANNOTATION]: JSON.stringify(claims) } } : {}) },
  spec: { cloudRef: 'c', seGroupRef: 'g' },
} as unknown as SEObj);

describe('placementSettled', () => {
  test('the same SEs listed and claimed, none else: no decision', () => {
    assert.equal(placementSettled(vs(['a', 'b']), ['b', 'a'], [se('a', { web: 'u1' }), se('b', { web: 'u1' }), se('c', { other: 'u2' })]), true);
  });

  test('a first placement, a change of SEs, or a scale-in is a decision', () => {
    assert.equal(placementSettled(vs([]), ['a'], [se('a')]), false);
    assert.equal(placementSettled(vs(['a']), ['b'], [se('a', { web: 'u1' }), se('b')]), false);
    assert.equal(placementSettled(vs(['a', 'b']), ['a'], [se('a', { web: 'u1' }), se('b', { web: 'u1' })]), false);
  });

  test('a claim missing on an assigned SE, or left on another, is a decision', () => {
    assert.equal(placementSettled(vs(['a']), ['a'], [se('a')]), false);
    assert.equal(placementSettled(vs(['a']), ['a'], [se('a', { web: 'u1' }), se('b', { web: 'u1' })]), false);
  });

  test("a claim of a VS with the same name but another uid (recreated) is not this VS's", () => {
    assert.equal(placementSettled(vs(['a']), ['a'], [se('a', { web: 'u1' }), se('b', { web: 'old-uid' })]), true);
    assert.equal(placementSettled(vs(['a']), ['a'], [se('a', { web: 'old-uid' })]), false);
  });

  test('a disabled VS with nothing listed nor claimed is settled', () => {
    assert.equal(placementSettled(vs([]), [], [se('a', { other: 'u2' })]), true);
    assert.deepEqual(placedOn(vs(['x', 'y'])), ['x', 'y']);
  });
});
