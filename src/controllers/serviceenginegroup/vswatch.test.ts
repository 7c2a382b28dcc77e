import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RESERVATION_ANNOTATION, type VSObj } from '../model/index.js';
import { groupKeysForVSUpdate } from './vswatch.js';

const vs = (over: { annotations?: Record<string, string>; placed?: string; vipAt?: string; ses?: string[]; group?: string; minSEs?: number; rv?: string; summary?: string } = {}): VSObj => ({
  apiVersion: 'lb.contrail-operator.io/v1alpha1', kind: 'VirtualService',
  metadata: { name: 'web', namespace: 'demo', uid: 'u1', generation: 1, resourceVersion: over.rv ?? '1', ...(over.annotations !== undefined ? { annotations: over.annotations } : {}) },
  spec: { cloudRef: 'c', poolRef: 'p', vip: [], services: [], ...(over.group !== undefined ? { seGroupRef: over.group } : {}), scaleout: { minSEs: over.minSEs ?? 1, maxSEs: 2 } },
  status: {
    seSummary: over.summary ?? '0/1',
    serviceEngines: (over.ses ?? []).map((name) => ({ name })),
    conditions: [
      { type: 'VIPAllocated', status: 'True', reason: 'Allocated', message: 'x', lastTransitionTime: over.vipAt ?? 't0', observedGeneration: 1 },
      { type: 'Placed', status: over.placed === undefined ? 'True' : 'False', reason: over.placed ?? 'Placed', message: 'm', lastTransitionTime: 't0', observedGeneration: 1 },
      { type: 'Ready', status: 'False', reason: 'NotServed', message: 'n', lastTransitionTime: 't0', observedGeneration: 1 },
    ],
  },
} as unknown as VSObj);

test('a reservation take/release, a Ready or summary change, a transition time: no group reconcile', () => {
  assert.deepEqual(groupKeysForVSUpdate(vs(), vs({ annotations: { [RESERVATION_ANNOTATION]: '{"holder":"h"}' }, rv: '2' })), []);
  assert.deepEqual(groupKeysForVSUpdate(vs(), vs({ summary: '1/1', vipAt: 't9', rv: '3' })), []);
});

test('what the demand reads changes: listed SEs, Placed reason, scale-out, the group itself', () => {
  assert.deepEqual(groupKeysForVSUpdate(vs(), vs({ ses: ['g-se-0'] })), ['demo/default']);
  assert.deepEqual(groupKeysForVSUpdate(vs(), vs({ placed: 'IPExhausted' })), ['demo/default']);
  assert.deepEqual(groupKeysForVSUpdate(vs(), vs({ minSEs: 2 })), ['demo/default']);
  assert.deepEqual(groupKeysForVSUpdate(vs(), vs({ group: 'other' })), ['demo/default', 'demo/other']);
});
