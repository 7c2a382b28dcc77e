// The autoscale planner as the controller drives it: one call per observation period, the
// returned status.autoscale fed back in, the SE count it asks for becoming the next `current`.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateObject } from '../api/validate.js';
import type { VirtualServiceScaleoutAutoscale, VirtualServiceStatusAutoscale } from '../api/types.gen.js';
import { planAutoscale, scaleRange, type AutoscaleInput, type AutoscalePlan, type ScaleBounds, type SESample } from './plan.js';

const t0 = Date.parse('2026-12-02T10:00:00Z');
const at = (s: number): Date => new Date(t0 + s * 1000);

const policy = (p: Partial<VirtualServiceScaleoutAutoscale> = {}): VirtualServiceScaleoutAutoscale => ({
  metric: 'ConnectionsPerSE', target: 1000, ...p,
});
const bounds = (b: Partial<ScaleBounds> = {}): ScaleBounds => ({ minSEs: 1, maxSEs: 8, minScaleoutPerVS: 1, maxScaleoutPerVS: 8, ...b });

/** One observation: seconds since t0 and each SE's value (undefined: no sample from that SE). */
interface Step { t: number; values: readonly (number | undefined)[]; sampledAt?: number }

interface Run { plans: AutoscalePlan[]; counts: number[] }

function drive(steps: readonly Step[], o: { policy?: VirtualServiceScaleoutAutoscale; bounds?: ScaleBounds; current: number; previous?: VirtualServiceStatusAutoscale }): Run {
  let current = o.current;
  let previous = o.previous;
  const plans: AutoscalePlan[] = [];
  for (const step of steps) {
    const samples: SESample[] = step.values.map((v, i) => ({
      se: `se-${i}`, ...(v !== undefined ? { value: v, at: at(step.sampledAt ?? step.t) } : {}),
    }));
    const input: AutoscaleInput = {
      policy: o.policy ?? policy(), bounds: o.bounds ?? bounds(), current, samples,
      maxSampleAgeSeconds: 45, previous, now: at(step.t),
    };
    const plan = planAutoscale(input);
    // What the controller does: write status, then request that many SEs. A JSON round trip,
    // because status is where the history lives between calls (and between leaders).
    previous = JSON.parse(JSON.stringify(plan.status)) as VirtualServiceStatusAutoscale;
    current = plan.desiredSEs;
    plans.push(plan);
  }
  return { plans, counts: plans.map((p) => p.desiredSEs) };
}

const every = (n: number, from: number, period: number, values: (i: number) => readonly (number | undefined)[]): Step[] =>
  Array.from({ length: n }, (_, i) => ({ t: from + i * period, values: values(i) }));

describe('autoscale planner', () => {
  it('steady load near target: no change, no event', () => {
    const r = drive(every(20, 0, 15, () => [950, 1040]), { current: 2 });
    assert.deepEqual(new Set(r.counts), new Set([2]));
    assert.ok(r.plans.every((p) => p.reason === 'WithinTolerance' && p.events.length === 0));
    assert.equal(r.plans.at(-1)?.status.currentMetric, 995);
    assert.equal(r.plans.at(-1)?.status.lastScaleTime, undefined, 'never scaled');
  });

  it('a spike scales up at once, to ceil(SEs × observed / target), with an event carrying metric and target', () => {
    const r = drive([{ t: 0, values: [2500] }], { current: 1 });
    const p = r.plans[0]!;
    assert.equal(p.desiredSEs, 3);
    assert.equal(p.reason, 'ScaledUp');
    assert.equal(p.status.lastScaleTime, '2026-12-02T10:00:00Z');
    assert.equal(p.events.length, 1);
    assert.equal(p.events[0]?.reason, 'AutoscaledUp');
    assert.match(p.events[0]!.note, /1 → 3 SEs: ConnectionsPerSE 2500 connections per SE on 1 SE\(s\), target 1000/);
  });

  it('scales down only after the stabilization window, to the highest recommendation in it', () => {
    const steps: Step[] = [
      { t: 0, values: [3000] }, // → 3
      ...every(20, 15, 15, () => [300, 300, 300]), // 900 in all: 1 would do, until t=300 the 3 holds
      ...every(4, 315, 15, () => [300, 300, 300]),
    ];
    const r = drive(steps, { current: 1, policy: policy({ scaleDownStabilizationSeconds: 300 }) });
    assert.equal(r.counts[0], 3);
    assert.ok(r.plans.slice(1, 20).every((p) => p.desiredSEs === 3 && p.reason === 'ScaleDownStabilized'), r.counts.join(','));
    const down = r.plans.findIndex((p) => p.desiredSEs === 1);
    assert.equal(steps[down]?.t, 315, 'first period after the 3 left the window');
    assert.equal(r.plans[down]?.reason, 'ScaledDown');
    assert.equal(r.plans[down]?.events[0]?.reason, 'AutoscaledDown');
  });

  it('steps down through the window: a later, lower peak holds after an earlier, higher one expires', () => {
    const r = drive([
      { t: 0, values: [4000] }, // → 4
      { t: 100, values: [500, 500, 500, 500] }, // recommends 2; 4 still in the window
      { t: 200, values: [250, 250, 250, 250] }, // recommends 1
      { t: 301, values: [250, 250, 250, 250] }, // 4 expired; 2 (t=100) still in: → 2
      { t: 402, values: [500, 500] }, // 2 expired, 1 recommended since: → 1
    ], { current: 1, policy: policy({ scaleDownStabilizationSeconds: 300 }) });
    assert.deepEqual(r.counts, [4, 4, 4, 2, 1]);
  });

  it('oscillating load: up with each peak, never down inside the window', () => {
    // 2400 ↔ 600 connections in all, flipping every 30 s for 5 minutes, then low for good.
    const steps = every(40, 0, 15, (i) => {
      const n = i === 0 ? 1 : 3;
      const total = Math.floor(i / 2) % 2 === 0 && i < 20 ? 2400 : 600;
      return Array.from({ length: n }, () => total / n);
    });
    const r = drive(steps, { current: 1, policy: policy({ scaleDownStabilizationSeconds: 120 }) });
    const changes = r.plans.filter((p) => p.events.some((e) => e.reason.startsWith('Autoscaled')));
    assert.deepEqual(changes.map((p) => p.desiredSEs), [3, 1], `one step up, one down: ${r.counts.join(',')}`);
    const lastPeak = Math.max(...steps.filter((s) => s.values.reduce((a, b) => (a ?? 0) + (b ?? 0), 0) === 2400).map((s) => s.t));
    assert.equal(lastPeak, 255);
    const downAt = steps[r.plans.indexOf(changes[1]!)]!.t;
    assert.ok(downAt > lastPeak + 120, `down at ${downAt}s only after the window following the last peak`);
  });

  it('no sample at all: holds the count, never down (even after the window), never up; one Warning', () => {
    const steps: Step[] = [{ t: 0, values: [3000] }, ...every(40, 15, 15, () => [undefined, undefined, undefined])];
    const r = drive(steps, { current: 1, policy: policy({ scaleDownStabilizationSeconds: 60 }) });
    assert.ok(r.counts.every((c) => c === 3), r.counts.join(','));
    assert.ok(r.plans.slice(1).every((p) => p.reason === 'MetricMissing' && p.status.currentMetric === undefined));
    const warnings = r.plans.flatMap((p) => p.events).filter((e) => e.type === 'Warning');
    assert.equal(warnings.length, 1, 'warned once, on the transition');
    assert.equal(warnings[0]?.reason, 'AutoscaleMetricMissing');
    assert.equal(r.plans.at(-1)?.status.lastScaleTime, '2026-12-02T10:00:00Z', 'lastScaleTime kept');
  });

  it('a stale sample counts as none (MetricStale), and when samples return the window starts afresh', () => {
    const r = drive([
      { t: 0, values: [3000] },
      { t: 100, values: [100, 100, 100], sampledAt: 40 }, // 60 s old > 45 s
      { t: 400, values: [100, 100, 100] }, // fresh and low, the 3 from t=0 long expired
    ], { current: 1, policy: policy({ scaleDownStabilizationSeconds: 300 }) });
    assert.equal(r.plans[1]?.reason, 'MetricStale');
    assert.match(r.plans[1]!.status.message!, /no sample newer than 45 s/);
    assert.deepEqual(r.counts, [3, 3, 1]);
  });

  it('missing metric: the bounds still hold (a raised minSEs, a lowered maxSEs)', () => {
    const floor = drive([{ t: 0, values: [undefined] }], { current: 1, bounds: bounds({ minSEs: 3 }) });
    assert.equal(floor.counts[0], 3);
    const ceiling = drive([{ t: 0, values: [undefined, undefined, undefined, undefined] }], { current: 4, bounds: bounds({ maxSEs: 2 }) });
    assert.equal(ceiling.counts[0], 2);
    const none = drive([{ t: 0, values: [] }], { current: 2 });
    assert.equal(none.counts[0], 2);
    assert.equal(none.plans[0]?.events.length, 0, 'no SE placed yet is not a missing metric worth a warning');
  });

  it('SEs without a sample count against the change: at target when scaling down, at 0 when scaling up', () => {
    const w0 = policy({ scaleDownStabilizationSeconds: 0 });
    // all three reporting 100: 300 in all → 1
    assert.equal(drive([{ t: 0, values: [100, 100, 100] }], { current: 3, policy: w0 }).counts[0], 1);
    // one silent, taken as at target: (100 + 100 + 1000) / 1000 → 2
    const down = drive([{ t: 0, values: [100, 100, undefined] }], { current: 3, policy: w0 });
    assert.equal(down.counts[0], 2);
    // up: 1500 + 1500 + silent (0) = 3000 over 3 = target exactly → hold
    const up = drive([{ t: 0, values: [1500, 1500, undefined] }], { current: 3, policy: w0 });
    assert.equal(up.counts[0], 3);
    assert.equal(up.plans[0]?.reason, 'IncompleteMetrics');
    // up with room to spare: 3000 + 3000 + 0 → 6
    assert.equal(drive([{ t: 0, values: [3000, 3000, undefined] }], { current: 3, policy: w0 }).counts[0], 6);
  });

  it('fewer SEs report than are requested (a scale-up still booting): no shrink while above target', () => {
    const r = drive([{ t: 0, values: [1500] }], { current: 3, policy: policy({ scaleDownStabilizationSeconds: 0 }) });
    assert.equal(r.counts[0], 3);
    assert.equal(r.plans[0]?.reason, 'WaitingForSEs');
  });

  it('clamps to maxSEs, the group maxScaleoutPerVS, minSEs and the group minScaleoutPerVS', () => {
    const hot = [{ t: 0, values: [10_000] }, { t: 15, values: [9000, 9000, 9000, 9000] }];
    const r = drive(hot, { current: 1, bounds: bounds({ maxSEs: 4 }) });
    assert.deepEqual(r.counts, [4, 4]);
    assert.equal(r.plans[1]?.reason, 'AtMaximum');
    assert.equal(drive(hot, { current: 1, bounds: bounds({ maxSEs: 8, maxScaleoutPerVS: 3 }) }).counts[0], 3);
    const cold = drive([{ t: 0, values: [1, 1, 1] }], { current: 3, bounds: bounds({ minSEs: 2 }), policy: policy({ scaleDownStabilizationSeconds: 0 }) });
    assert.deepEqual(cold.counts, [2]);
    const coldGroup = drive([{ t: 0, values: [1, 1] }, { t: 15, values: [1, 1] }], { current: 2, bounds: bounds({ minScaleoutPerVS: 2 }), policy: policy({ scaleDownStabilizationSeconds: 0 }) });
    assert.equal(coldGroup.plans[1]?.reason, 'AtMinimum');
    assert.deepEqual(scaleRange(bounds({ minSEs: 6, maxSEs: 8, maxScaleoutPerVS: 4 })), { lower: 4, upper: 4 }, 'the per-VS group cap wins, as in placement');
  });

  it('tolerance edges: exactly ±10 % is no change, just beyond is', () => {
    const w0 = policy({ scaleDownStabilizationSeconds: 0 });
    const ten = (v: number): number[] => Array.from({ length: 10 }, () => v);
    const b = bounds({ maxSEs: 16, maxScaleoutPerVS: 16 });
    assert.equal(drive([{ t: 0, values: ten(1100) }], { current: 10, policy: w0, bounds: b }).plans[0]?.reason, 'WithinTolerance');
    assert.equal(drive([{ t: 0, values: ten(1101) }], { current: 10, policy: w0, bounds: b }).counts[0], 12); // ceil(11010/1000)
    assert.equal(drive([{ t: 0, values: ten(900) }], { current: 10, policy: w0, bounds: b }).plans[0]?.reason, 'WithinTolerance');
    assert.equal(drive([{ t: 0, values: ten(899) }], { current: 10, policy: w0, bounds: b }).counts[0], 9);
    assert.equal(drive([{ t: 0, values: [1001] }], { current: 1, policy: policy({ tolerance: 0 }) }).counts[0], 2);
    assert.equal(drive([{ t: 0, values: [1000] }], { current: 1, policy: policy({ tolerance: 0 }) }).counts[0], 1);
  });

  it('RequestsPerSecondPerSE with fractional rates: no floating-point extra SE', () => {
    // 0.1 + 0.2 style sums: 3 × 333.3333… = 1000.0000000000001 → 1 SE of 1000 rps, not 2
    const r = drive([{ t: 0, values: [1000 / 3, 1000 / 3, 1000 / 3] }], {
      current: 3, policy: policy({ metric: 'RequestsPerSecondPerSE', scaleDownStabilizationSeconds: 0 }),
    });
    assert.equal(r.counts[0], 1);
    assert.match(r.plans[0]!.status.message!, /333\.3 requests\/s per SE/);
  });

  it('the window kept in status is bounded and gives what a full history would (seeded random load)', () => {
    let seed = 15;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const window = 120;
    const full: { t: number; raw: number }[] = [];
    let current = 1;
    let previous: VirtualServiceStatusAutoscale | undefined;
    for (let i = 0; i < 400; i++) {
      const t = i * 7;
      const n = Math.max(1, current);
      const perSE = random() * 4000;
      const plan = planAutoscale({
        policy: policy({ scaleDownStabilizationSeconds: window, tolerance: 0 }), bounds: bounds({ maxSEs: 64, maxScaleoutPerVS: 64 }),
        current, samples: Array.from({ length: n }, (_, k) => ({ se: `se-${k}`, value: perSE, at: at(t) })),
        maxSampleAgeSeconds: 45, previous, now: at(t),
      });
      const raw = Math.max(1, Math.ceil((perSE * n) / 1000 - 1e-9));
      full.push({ t, raw });
      const windowMax = Math.max(...full.filter((r) => r.t >= t - window).map((r) => r.raw));
      const expected = Math.min(64, raw > current ? raw : Math.min(current, windowMax));
      assert.equal(plan.desiredSEs, expected, `step ${i}`);
      const recs = plan.status.recommendations ?? [];
      assert.ok(recs.length <= 64);
      for (let k = 1; k < recs.length; k++) assert.ok(recs[k]!.desiredSEs < recs[k - 1]!.desiredSEs, 'strictly decreasing');
      previous = plan.status;
      current = plan.desiredSEs;
    }
  });

  it('writes a status.autoscale the CRD accepts', () => {
    const r = drive([{ t: 0, values: [2500] }, { t: 15, values: [900, 900, 900] }], { current: 1 });
    const vs = {
      apiVersion: 'lb.contrail-operator.io/v1alpha1', kind: 'VirtualService', metadata: { name: 'vs2', namespace: 'demo' },
      spec: {
        cloudRef: 'jvnc2', poolRef: 'vs2-pool', vip: [{ vipID: '0', networkRef: 'vip-net' }], services: [{ port: 80 }],
        scaleout: { ecmp: true, minSEs: 1, maxSEs: 4, autoscale: policy() },
      },
      status: { autoscale: r.plans.at(-1)!.status },
    };
    assert.deepEqual(validateObject(vs).errors, []);
  });
});
