// Whether a new status.autoscale says something the stored one does not (issue 15's write
// budget: an observation every 5 s must not become a status write every 5 s per VS).
//
// The planner re-dates the newest scale-down recommendation on every observation, and its
// message carries the unrounded average, so a plain deep-equal differs every period. What a
// reader (and the planner's next run, which reads this status back) needs is: the count, why,
// when it last changed, the rounded metric and the window's recommended values. A recommendation
// time is re-written only once it has drifted by REDATE_FRACTION of the window: the stored time
// can then lag by at most that much, so a leader change (or this replica, which reads status back)
// may end the scale-down window that much early — 30 s of the default 300 s — never late.
// currentMetric is a reading for people (and lbop_vs_autoscale_metric, which exports it): under
// real load it moves every period (measured: every write of a 60 s steady stretch changed it), so on
// its own it is rewritten only once the stored reading is METRIC_REFRESH_SECONDS old — the age
// of the newest recommendation, which every write with a fresh metric dates to its own time.
import { isDeepStrictEqual } from 'node:util';
import type { VirtualServiceStatusAutoscale } from '../api/index.js';

export const REDATE_FRACTION = 0.1;
export const METRIC_REFRESH_SECONDS = 30;

export function autoscaleStatusDiffers(
  stored: VirtualServiceStatusAutoscale | undefined,
  next: VirtualServiceStatusAutoscale,
  windowSeconds: number,
): boolean {
  if (stored === undefined) return true;
  if (stored.desiredSEs !== next.desiredSEs || stored.reason !== next.reason) return true;
  if (stored.lastScaleTime !== next.lastScaleTime) return true;
  const a = stored.recommendations ?? [];
  const b = next.recommendations ?? [];
  if ((stored.currentMetric === undefined) !== (next.currentMetric === undefined)) return true;
  if (stored.currentMetric !== next.currentMetric && !(readingAgeMs(a, b) < METRIC_REFRESH_SECONDS * 1000)) return true;
  if (!isDeepStrictEqual(a.map((r) => r.desiredSEs), b.map((r) => r.desiredSEs))) return true;
  const slackMs = windowSeconds * 1000 * REDATE_FRACTION;
  return a.some((r, i) => {
    const was = Date.parse(r.time);
    const now = Date.parse(b[i]!.time);
    return Number.isNaN(was) || Number.isNaN(now) || Math.abs(now - was) > slackMs;
  });
}

/** How old the stored reading is: from the stored newest recommendation to the next one (NaN: unknown). */
function readingAgeMs(stored: readonly { time: string }[], next: readonly { time: string }[]): number {
  const was = stored.length > 0 ? Date.parse(stored[stored.length - 1]!.time) : NaN;
  const now = next.length > 0 ? Date.parse(next[next.length - 1]!.time) : NaN;
  return now - was;
}
