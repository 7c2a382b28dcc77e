// The Cloud's Events: what changed in its connection, from the conditions before and after a
// status write (pure). An event per transition — a failure that keeps failing the same way is
// one event, not one per re-check — so `kubectl events --for lbcloud/NAME` reads as a history:
// AuthenticationFailed (Keystone refused the credentials or the Secret is unusable),
// ConnectionFailed (authenticated, but an endpoint or a named object is not there) and
// Reconnected (Ready again after either). Analytics has its own pair, since it never makes the
// Cloud not Ready: AnalyticsUnreachable (Warning, AnalyticsReachable turned False or its reason
// changed) and AnalyticsReachable (Normal, True again after False).
import { findCondition, type Condition } from '../../api/index.js';

export interface CloudEvent {
  type: 'Normal' | 'Warning';
  reason: 'AuthenticationFailed' | 'ConnectionFailed' | 'Reconnected' | 'AnalyticsUnreachable' | 'AnalyticsReachable';
  note: string;
}

export function cloudEvents(prev: readonly Condition[] | undefined, next: readonly Condition[] | undefined): CloudEvent[] {
  return [...readyEvents(prev, next), ...analyticsEvents(prev, next)];
}

function analyticsEvents(prev: readonly Condition[] | undefined, next: readonly Condition[] | undefined): CloudEvent[] {
  const was = findCondition(prev, 'AnalyticsReachable');
  const is = findCondition(next, 'AnalyticsReachable');
  if (is === undefined || is.status === 'Unknown') return [];
  if (is.status === 'True') {
    return was?.status === 'False' ? [{ type: 'Normal', reason: 'AnalyticsReachable', note: `${is.message} again after ${was.reason}` }] : [];
  }
  if (was?.status === 'False' && was.reason === is.reason) return [];
  return [{ type: 'Warning', reason: 'AnalyticsUnreachable', note: `${is.reason}: ${is.message}` }];
}

function readyEvents(prev: readonly Condition[] | undefined, next: readonly Condition[] | undefined): CloudEvent[] {
  const was = findCondition(prev, 'Ready');
  const is = findCondition(next, 'Ready');
  if (is === undefined) return [];
  if (is.status === 'True') {
    return was !== undefined && was.status !== 'True'
      ? [{ type: 'Normal', reason: 'Reconnected', note: `connected again after ${was.reason}: ${is.message}` }]
      : [];
  }
  if (was !== undefined && was.status === is.status && was.reason === is.reason) return [];
  const auth = findCondition(next, 'Authenticated');
  const reason = auth?.status === 'False' ? 'AuthenticationFailed' : 'ConnectionFailed';
  return [{ type: 'Warning', reason, note: `${is.reason}: ${is.message}` }];
}
