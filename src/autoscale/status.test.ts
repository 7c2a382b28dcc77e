import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { VirtualServiceStatus } from '../api/index.js';
import { neutronHold, withAutoscale } from './status.js';

test('the VS controller\'s status rewrite keeps the autoscaler\'s part, and adds none when there is none', () => {
  const next: VirtualServiceStatus = { seSummary: '1/1' };
  assert.deepEqual(withAutoscale(next, { seSummary: '0/1', autoscale: { desiredSEs: 3, reason: 'ScaledUp' } }), { seSummary: '1/1', autoscale: { desiredSEs: 3, reason: 'ScaledUp' } });
  assert.deepEqual(withAutoscale(next, { seSummary: '0/1' }), { seSummary: '1/1' });
});

test('plain Neutron: the plain count, and why', () => {
  const s = neutronHold('neutron1', 2);
  assert.equal(s.desiredSEs, 2);
  assert.equal(s.reason, 'NotSupportedByCloud');
  assert.match(s.message ?? '', /^Cloud neutron1 is plain Neutron: .*holding 2 SE\(s\)$/);
});
