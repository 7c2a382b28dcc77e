// Load-aware SE scale-out for one virtual service: the HorizontalPodAutoscaler's algorithm
// (kube-controller-manager's podautoscaler: replica calculator + behavior stabilization), as a
// pure function. Everything it remembers (the scale-down window's recommendations) comes in
// with the input and goes out with the result, so the caller keeps it in status.autoscale and a
// new leader carries on with the same window. docs/autoscale.md explains each choice.
import { formatTime } from '../api/conditions.js';
import type {
  VirtualServiceScaleoutAutoscale,
  VirtualServiceStatusAutoscale,
  VirtualServiceStatusAutoscaleRecommendation,
} from '../api/types.gen.js';

export type AutoscaleMetric = VirtualServiceScaleoutAutoscale['metric'];

export type AutoscaleReason =
  | 'ScaledUp'
  | 'ScaledDown'
  | 'WithinTolerance'
  | 'DesiredWithinRange'
  | 'ScaleDownStabilized'
  | 'AtMaximum'
  | 'AtMinimum'
  | 'WaitingForSEs'
  | 'IncompleteMetrics'
  | 'MetricMissing'
  | 'MetricStale';

/** One SE carrying the VS, with its latest sample of the metric (absent: the agent sent none). */
export interface SESample {
  se: string;
  /** per-SE value: this VS's open connections or requests/s on the SE, or the SE's CPU percent */
  value?: number;
  /** when the agent measured it */
  at?: Date;
}

export interface ScaleBounds {
  minSEs: number;
  maxSEs: number;
  minScaleoutPerVS: number;
  maxScaleoutPerVS: number;
}

export interface AutoscaleInput {
  policy: VirtualServiceScaleoutAutoscale;
  bounds: ScaleBounds;
  /** SEs the VS is requested on now (the last desiredSEs; the plain scale-out count the first time) */
  current: number;
  /** one per SE the VS is placed and up on */
  samples: readonly SESample[];
  /** a sample older than this is stale (the caller: a few agent heartbeat periods) */
  maxSampleAgeSeconds: number;
  /** status.autoscale as last written: its recommendations and lastScaleTime */
  previous: VirtualServiceStatusAutoscale | undefined;
  now: Date;
}

export interface AutoscaleEvent {
  type: 'Normal' | 'Warning';
  reason: 'AutoscaledUp' | 'AutoscaledDown' | 'AutoscaleMetricMissing';
  note: string;
}

export interface AutoscalePlan {
  desiredSEs: number;
  reason: AutoscaleReason;
  /** the new status.autoscale */
  status: VirtualServiceStatusAutoscale;
  /** what deserves an Event (a change of count, or the metric going missing) */
  events: AutoscaleEvent[];
}

export const DEFAULT_TOLERANCE = 0.1;
export const DEFAULT_STABILIZATION_SECONDS = 300;
/** maxSEs' schema bound: recommendations are kept within [1, 64], so the window holds ≤ 64. */
const MAX_RECOMMENDATION = 64;
/** 1100/1000 is 1.1000000000000001 in floating point: count a ratio that close as on the edge. */
const EPSILON = 1e-9;

const UNIT: Record<AutoscaleMetric, string> = {
  ConnectionsPerSE: 'connections per SE',
  RequestsPerSecondPerSE: 'requests/s per SE',
  CPUPercent: '% CPU',
};

/** [lower, upper] for the SE count, the way placement clamps the plain scale-out count. */
export function scaleRange(b: ScaleBounds): { lower: number; upper: number } {
  const upper = Math.max(1, Math.min(b.maxSEs, b.maxScaleoutPerVS));
  const lower = Math.max(1, Math.min(Math.max(b.minSEs, b.minScaleoutPerVS), upper));
  return { lower, upper };
}

function isFresh(s: SESample, now: Date, maxAgeSeconds: number): s is SESample & { value: number; at: Date } {
  if (s.value === undefined || !Number.isFinite(s.value) || s.value < 0 || s.at === undefined) return false;
  return now.getTime() - s.at.getTime() <= maxAgeSeconds * 1000;
}

interface Recommendation { raw: number; why: 'tolerance' | 'metric' | 'guard' }

/**
 * The replica calculator: SEs needed to bring the per-SE average to target. SEs without a fresh
 * sample are filled in against the direction of the change (at target when scaling down, at 0
 * when scaling up), and a change the fill-in reverses or cancels is no change.
 */
function recommend(current: number, fresh: readonly number[], missing: number, target: number, tolerance: number): Recommendation {
  const total = fresh.reduce((a, b) => a + b, 0);
  const ratio = total / fresh.length / target;
  const within = (r: number): boolean => Math.abs(1 - r) <= tolerance + EPSILON;
  const needed = (sum: number): number => Math.ceil(sum / target - EPSILON);
  if (missing === 0) {
    if (within(ratio)) return { raw: current, why: 'tolerance' };
    const raw = needed(total);
    // Fewer SEs report than are requested (some still booting): never shrink while above target.
    if ((ratio > 1 && raw < current) || (ratio < 1 && raw > current)) return { raw: current, why: 'guard' };
    return { raw, why: 'metric' };
  }
  const filled = total + (ratio < 1 ? missing * target : 0);
  const all = fresh.length + missing;
  const ratio2 = filled / all / target;
  if (within(ratio2) || (ratio < 1) !== (ratio2 < 1)) return { raw: current, why: 'guard' };
  const raw = needed(filled);
  if ((ratio2 > 1 && raw < current) || (ratio2 < 1 && raw > current)) return { raw: current, why: 'guard' };
  return { raw, why: 'metric' };
}

/** The window's recommendations still in it, with raw appended; an older one not above a newer one
 * can never be the window's maximum again, so it goes (a monotonic queue: strictly decreasing).
 * raw is stored capped at the upper bound: the window only ever holds the count at min(current,
 * its maximum), clamped to the bounds, and current was clamped to the bound it had, so 8 and 64
 * above a bound of 3 decide the same (even after the bound moves) — and a load that swings above
 * the maximum does not change the window, nor rewrite status, every period. */
function remember(
  history: readonly VirtualServiceStatusAutoscaleRecommendation[],
  raw: number,
  now: Date,
  windowSeconds: number,
  upper: number,
): VirtualServiceStatusAutoscaleRecommendation[] {
  const kept = prune(history, now, windowSeconds);
  const value = Math.max(1, Math.min(MAX_RECOMMENDATION, upper, raw));
  while (kept.length > 0 && kept[kept.length - 1]!.desiredSEs <= value) kept.pop();
  kept.push({ desiredSEs: value, time: formatTime(now) });
  return kept;
}

/** The recommendations still inside the window (an unparsable time is dropped). */
function prune(history: readonly VirtualServiceStatusAutoscaleRecommendation[], now: Date, windowSeconds: number): VirtualServiceStatusAutoscaleRecommendation[] {
  const cutoff = now.getTime() - windowSeconds * 1000;
  return history.filter((r) => Date.parse(r.time) >= cutoff).map((r) => ({ desiredSEs: r.desiredSEs, time: r.time }));
}

function clamp(n: number, lower: number, upper: number): number {
  return Math.max(lower, Math.min(upper, n));
}

export function planAutoscale(input: AutoscaleInput): AutoscalePlan {
  const { policy, now } = input;
  const tolerance = policy.tolerance ?? DEFAULT_TOLERANCE;
  const windowSeconds = policy.scaleDownStabilizationSeconds ?? DEFAULT_STABILIZATION_SECONDS;
  const { lower, upper } = scaleRange(input.bounds);
  const current = Math.max(0, input.current);
  const unit = UNIT[policy.metric];
  const freshSamples = input.samples.filter((s) => isFresh(s, now, input.maxSampleAgeSeconds));
  const fresh = freshSamples.map((s) => s.value);
  const missing = input.samples.length - fresh.length;
  const previousHistory = input.previous?.recommendations ?? [];

  let desired: number;
  let reason: AutoscaleReason;
  let message: string;
  let history: VirtualServiceStatusAutoscaleRecommendation[];
  let average: number | undefined;

  if (fresh.length === 0) {
    // No basis for a decision: hold the count (only the bounds move it), record nothing.
    const stale = input.samples.some((s) => s.value !== undefined && s.at !== undefined);
    reason = stale ? 'MetricStale' : 'MetricMissing';
    desired = clamp(current, lower, upper);
    history = prune(previousHistory, now, windowSeconds);
    message = input.samples.length === 0
      ? `no SE carries the VS yet: holding ${desired} SEs`
      : `${stale ? 'no sample newer than ' + String(input.maxSampleAgeSeconds) + ' s' : 'no sample'} of ${policy.metric} from ${input.samples.length} SE(s): holding ${desired} SEs`;
  } else {
    average = fresh.reduce((a, b) => a + b, 0) / fresh.length;
    const rec = recommend(current, fresh, missing, policy.target, tolerance);
    history = remember(previousHistory, rec.raw, now, windowSeconds, upper);
    // Up at once; down only to the highest recommendation in the window (never above current).
    const windowMax = Math.max(rec.raw, ...history.map((r) => r.desiredSEs));
    const stabilized = rec.raw > current ? rec.raw : Math.min(current, windowMax);
    desired = clamp(stabilized, lower, upper);
    const observed = `${policy.metric} ${round(average)} ${unit} on ${fresh.length} SE(s)${missing > 0 ? ` (${missing} without a fresh sample)` : ''}, target ${policy.target}`;
    if (desired > current) reason = 'ScaledUp';
    else if (desired < current) reason = 'ScaledDown';
    else if (rec.raw > upper && desired === upper) reason = 'AtMaximum';
    else if (rec.raw < lower && desired === lower) reason = 'AtMinimum';
    else if (rec.why === 'tolerance') reason = 'WithinTolerance';
    else if (rec.why === 'guard') reason = missing > 0 ? 'IncompleteMetrics' : 'WaitingForSEs';
    else if (rec.raw === desired) reason = 'DesiredWithinRange';
    else reason = 'ScaleDownStabilized';
    message = `${observed}: ${describe(reason, desired, current, rec.raw, windowSeconds)}`;
  }

  const changed = desired !== current;
  const lastScaleTime = changed ? formatTime(now) : input.previous?.lastScaleTime;
  const status: VirtualServiceStatusAutoscale = {
    ...(average !== undefined ? { currentMetric: Math.round(average) } : {}),
    desiredSEs: desired,
    ...(lastScaleTime !== undefined ? { lastScaleTime } : {}),
    reason,
    message: message.slice(0, 1024),
    recommendations: history,
  };
  const events: AutoscaleEvent[] = [];
  if (changed) {
    events.push({ type: 'Normal', reason: desired > current ? 'AutoscaledUp' : 'AutoscaledDown', note: `${current} → ${desired} SEs: ${message}` });
  }
  const wasMissing = input.previous?.reason === 'MetricMissing' || input.previous?.reason === 'MetricStale';
  if ((reason === 'MetricMissing' || reason === 'MetricStale') && !wasMissing && input.samples.length > 0) {
    events.push({ type: 'Warning', reason: 'AutoscaleMetricMissing', note: message });
  }
  return { desiredSEs: desired, reason, status, events };
}

function describe(reason: AutoscaleReason, desired: number, current: number, raw: number, windowSeconds: number): string {
  switch (reason) {
    case 'ScaledUp': return `scaling up from ${current} to ${desired} SEs`;
    case 'ScaledDown': return `scaling down from ${current} to ${desired} SEs (highest recommendation in the last ${windowSeconds} s)`;
    case 'AtMaximum': return `${raw} SEs needed, holding the maximum ${desired}`;
    case 'AtMinimum': return `${raw} SE(s) needed, holding the minimum ${desired}`;
    case 'WithinTolerance': return `within tolerance, holding ${desired} SEs`;
    case 'DesiredWithinRange': return `${desired} SEs is what it takes`;
    case 'ScaleDownStabilized': return `${raw} SE(s) would do, holding ${desired} for the ${windowSeconds} s scale-down window`;
    case 'WaitingForSEs': return `fewer SEs report than are requested, holding ${desired} SEs`;
    case 'IncompleteMetrics': return `with the missing SEs counted against the change there is none, holding ${desired} SEs`;
    default: return `holding ${desired} SEs`;
  }
}

function round(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}
