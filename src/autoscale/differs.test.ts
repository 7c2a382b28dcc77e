import { test } from 'node:test';
import assert from 'node:assert/strict';
import { autoscaleStatusDiffers } from './differs.js';
import { planAutoscale } from './plan.js';
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

test('a new reading alone is written once the stored one is 30 s old (the age of the newest recommendation)', () => {
  const next = (metric: number, s: number) => ({ ...base, currentMetric: metric, recommendations: [base.recommendations![0]!, { desiredSEs: 2, time: at(s) }] });
  assert.equal(autoscaleStatusDiffers(base, next(41, 0), 300), false, 'same period');
  assert.equal(autoscaleStatusDiffers(base, next(973, 25), 300), false, 'a swing within 30 s');
  assert.equal(autoscaleStatusDiffers(base, next(41, 30), 300), true);
  assert.equal(autoscaleStatusDiffers(base, next(40, 30), 300), false, 'the same reading, 30 s on (the re-date rule waits for > 30 s)');
  assert.equal(autoscaleStatusDiffers({ ...base, recommendations: [] }, next(41, 0), 300), true, 'no stored time: the reading is written');
});

test('an unparsable stored time is rewritten', () => {
  const stored = { ...base, recommendations: [{ desiredSEs: 3, time: 'yesterday' }, base.recommendations![1]!] };
  assert.equal(autoscaleStatusDiffers(stored, base, 300), true);
});

// The controller's loop, pure: plan every 5 s, write only when autoscaleStatusDiffers, read the
// written status back. A load that swings widely (as wrk on a shared machine does: 46–973
// requests/s per SE in one measured minute) must cost one write per 30 s, not one per period.
function writesOver(o: { seconds: number; window?: number; load: (i: number) => number; ses: number; maxSEs: number }): number[] {
  const t0 = Date.parse('2026-12-03T10:00:00Z');
  const policy = { metric: 'RequestsPerSecondPerSE' as const, target: 20, ...(o.window !== undefined ? { scaleDownStabilizationSeconds: o.window } : {}) };
  let stored: VirtualServiceStatusAutoscale | undefined;
  let current = o.ses;
  const writes: number[] = [];
  for (let i = 0; i * 5 < o.seconds; i++) {
    const now = new Date(t0 + i * 5000 + (i % 3) * 37); // a reconcile is never exactly on time
    const plan = planAutoscale({
      policy, bounds: { minSEs: 1, maxSEs: o.maxSEs, minScaleoutPerVS: 1, maxScaleoutPerVS: 4 }, current,
      samples: Array.from({ length: o.ses }, (_, k) => ({ se: `se-${k}`, value: o.load(i * o.ses + k), at: now })),
      maxSampleAgeSeconds: 6, previous: stored, now,
    });
    current = plan.desiredSEs;
    if (autoscaleStatusDiffers(stored, plan.status, o.window ?? 300)) {
      stored = JSON.parse(JSON.stringify(plan.status)) as VirtualServiceStatusAutoscale;
      writes.push(i * 5);
    }
  }
  return writes;
}

test('steady load above the maximum, swinging 46–973 requests/s per SE: one write per 30 s', () => {
  const swings = [973, 754, 51, 72, 78, 84, 78, 57, 46, 72, 218, 611];
  const writes = writesOver({ seconds: 600, load: (i) => swings[i % swings.length]!, ses: 3, maxSEs: 3 });
  const gaps = writes.slice(1).map((w, i) => w - writes[i]!);
  assert.ok(gaps.every((g) => g >= 30), `writes at ${writes.join(', ')} s`);
  assert.ok(writes.length <= 600 / 30 + 1, `${writes.length} writes in 600 s`);
  assert.ok(writes.length >= 600 / 40, 'the reading is still refreshed');
});

test('steady load within tolerance, swinging a little: one write per 30 s', () => {
  const writes = writesOver({ seconds: 600, load: (i) => 20 + ((i * 7) % 3) - 1, ses: 2, maxSEs: 4 });
  const gaps = writes.slice(1).map((w, i) => w - writes[i]!);
  assert.ok(gaps.every((g) => g >= 30), `writes at ${writes.join(', ')} s`);
});
