import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setStatusCondition, type Condition } from '../../api/index.js';
import { cloudEvents } from './events.js';

const now = new Date('2026-12-01T10:00:00Z');
function conds(auth: boolean, ready: boolean, reason: string, message = `${reason} message`): Condition[] {
  const out: Condition[] = [];
  setStatusCondition(out, { type: 'Authenticated', status: auth ? 'True' : 'False', reason: auth ? 'Authenticated' : reason, message }, now);
  setStatusCondition(out, { type: 'Ready', status: ready ? 'True' : 'False', reason: ready ? 'Ready' : reason, message }, now);
  return out;
}

test('a refused login is AuthenticationFailed, a missing endpoint ConnectionFailed, with the reason and message', () => {
  assert.deepEqual(cloudEvents(undefined, conds(false, false, 'InvalidCredentials', 'keystone authenticate: 401')),
    [{ type: 'Warning', reason: 'AuthenticationFailed', note: 'InvalidCredentials: keystone authenticate: 401' }]);
  assert.deepEqual(cloudEvents(conds(true, true, 'Ready'), conds(true, false, 'EndpointUnreachable', 'nova list: 503')),
    [{ type: 'Warning', reason: 'ConnectionFailed', note: 'EndpointUnreachable: nova list: 503' }]);
});

test('Ready again after a failure is Reconnected; a first Ready and a steady state are silent', () => {
  assert.deepEqual(cloudEvents(conds(false, false, 'KeystoneUnreachable'), conds(true, true, 'Ready', 'connected')),
    [{ type: 'Normal', reason: 'Reconnected', note: 'connected again after KeystoneUnreachable: connected' }]);
  assert.deepEqual(cloudEvents(undefined, conds(true, true, 'Ready')), []);
  assert.deepEqual(cloudEvents(conds(true, true, 'Ready'), conds(true, true, 'Ready')), []);
});

test('the same failure again is no new event; another reason is', () => {
  assert.deepEqual(cloudEvents(conds(false, false, 'KeystoneUnreachable', 'a'), conds(false, false, 'KeystoneUnreachable', 'b')), []);
  assert.equal(cloudEvents(conds(false, false, 'KeystoneUnreachable'), conds(false, false, 'InvalidCredentials')).length, 1);
});

function withAnalytics(c: Condition[], ok: boolean | 'unknown', reason: string, message = `${reason} message`): Condition[] {
  const out = c.map((x) => ({ ...x }));
  setStatusCondition(out, { type: 'AnalyticsReachable', status: ok === 'unknown' ? 'Unknown' : ok ? 'True' : 'False', reason, message }, now);
  return out;
}

test('analytics: False is AnalyticsUnreachable once per reason, True again AnalyticsReachable; no Ready event as Ready stays True', () => {
  const ok = withAnalytics(conds(true, true, 'Ready'), true, 'Reachable', 'analytics at http://a:8081 answered');
  const bad = withAnalytics(conds(true, true, 'Ready'), false, 'AnalyticsNotFound', 'analytics at http://vnc:8082: Not Found');
  assert.deepEqual(cloudEvents(ok, bad), [{ type: 'Warning', reason: 'AnalyticsUnreachable', note: 'AnalyticsNotFound: analytics at http://vnc:8082: Not Found' }]);
  assert.deepEqual(cloudEvents(undefined, bad).map((e) => e.reason), ['AnalyticsUnreachable'], 'a Cloud created with a wrong URL says so at once');
  assert.deepEqual(cloudEvents(bad, bad), [], 'the same failure on every resync is one event');
  assert.deepEqual(cloudEvents(bad, withAnalytics(bad, false, 'AnalyticsUnreachable')).map((e) => e.reason), ['AnalyticsUnreachable'], 'another reason is another event');
  assert.deepEqual(cloudEvents(bad, ok), [{ type: 'Normal', reason: 'AnalyticsReachable', note: 'analytics at http://a:8081 answered again after AnalyticsNotFound' }]);
  assert.deepEqual(cloudEvents(undefined, ok), [], 'a first success is silent');
  assert.deepEqual(cloudEvents(bad, withAnalytics(conds(false, false, 'KeystoneUnreachable'), 'unknown', 'NotChecked')).map((e) => e.reason), ['AuthenticationFailed'], 'not checked is no analytics event');
});
