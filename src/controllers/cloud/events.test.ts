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
