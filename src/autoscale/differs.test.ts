import { test } from 'node:test';
import assert from 'node:assert/strict';
import { autoscaleStatusDiffers } from './differs.js';
import type { VirtualServiceStatusAutoscale } from '../api/index.js';

const base: VirtualServiceStatusAutoscale = {
  currentMetric: 40, desiredSEs: 2, lastScaleTime: '2026-12-03T10:00:00Z', reason: 'WithinTolerance',
  message: 'ConnectionsPerSE 40.2 connections on 2 SE(s), target 40: within tolerance',
  recommendations: [{ desiredSEs: 3, time: '2026-12-03T10:00:00Z' }, { desiredSEs: 2, time: '2026-12-03T10:01:00Z' }],
};
const at = (sec: number) => new Date(Date.parse('2026-12-03T10:01:00Z') + sec * 1000).toISOString().replace('.000Z', 'Z');

test('nothing stored: write', () => assert.equal(autoscaleStatusDiffers(undefined, base, 300), true));

test('the same status with only the newest recommendation re-dated and a new message: no write', () => {
  const next = { ...base, message: 'ConnectionsPerSE 39.8 connections on 2 SE(s), target 40: within tolerance', recommendations: [base.recommendations![0]!, { desiredSEs: 2, time: at(25) }] };
  assert.equal(autoscaleStatusDiffers(base, next, 300), false);
});

test('a re-dated recommendation is written once it drifts past a tenth of the window', () => {
  const next = (s: number) => ({ ...base, recommendations: [base.recommendations![0]!, { desiredSEs: 2, time: at(s) }] });
  assert.equal(autoscaleStatusDiffers(base, next(30), 300), false);
  assert.equal(autoscaleStatusDiffers(base, next(35), 300), true);
  assert.equal(autoscaleStatusDiffers(base, next(5), 30), true, 'a 30 s window allows 3 s of drift');
});

const changes: [string, (s: VirtualServiceStatusAutoscale) => void][] = [
  ['desiredSEs', (s) => { s.desiredSEs = 3; }],
  ['reason', (s) => { s.reason = 'ScaleDownStabilized'; }],
  ['currentMetric', (s) => { s.currentMetric = 41; }],
  ['currentMetric gone', (s) => { delete s.currentMetric; }],
  ['lastScaleTime', (s) => { s.lastScaleTime = '2026-12-03T10:05:00Z'; }],
  ['a recommendation pruned', (s) => { s.recommendations!.shift(); }],
  ['a recommendation value', (s) => { s.recommendations![0]!.desiredSEs = 4; }],
];
for (const [what, change] of changes) {
  test(`${what} changed: write`, () => {
    const next = structuredClone(base);
    change(next);
    assert.equal(autoscaleStatusDiffers(base, next, 300), true);
  });
}

test('an unparsable stored time is rewritten', () => {
  const stored = { ...base, recommendations: [{ desiredSEs: 3, time: 'yesterday' }, base.recommendations![1]!] };
  assert.equal(autoscaleStatusDiffers(stored, base, 300), true);
});
