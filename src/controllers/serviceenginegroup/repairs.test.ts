import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Condition } from '../../api/index.js';
import { DEFAULT_REPAIR_POLICY as P, type SEObj } from '../model/index.js';
import type { GroupSE } from './plan.js';
import { gateMembers, reportRepairsHeld } from './repairs.js';

const cond = (type: string, status: string, reason: string, at = '2026-01-01T00:00:00Z'): Condition => ({ type, status, reason, message: '', lastTransitionTime: at } as Condition);
const se = (name: string, state: 'ok' | 'failed' | 'silent', at?: string): SEObj => ({
  metadata: { name }, spec: { cloudRef: 'c', seGroupRef: 'g' },
  status: {
    conditions: state === 'ok' ? [cond('AgentConnected', 'True', 'Heartbeating')]
      : state === 'silent' ? [cond('AgentConnected', 'False', 'HeartbeatLost')]
        : [cond('AgentConnected', 'False', 'HeartbeatLost'), cond('HeartbeatFailure', 'True', 'HeartbeatFailure', at), cond('Ready', 'False', 'HeartbeatFailure')],
  },
} as unknown as SEObj);
const member = (s: SEObj, phase: GroupSE['phase']): GroupSE => ({ name: s.metadata.name, createdAt: '2026-01-01T00:00:00Z', phase, hostedVS: 1 });

describe('gateMembers', () => {
  it('one failed SE of three is handed to planGroup as Failed (replaced)', () => {
    const ses = [se('a', 'failed'), se('b', 'ok'), se('c', 'ok')];
    const { gate, members } = gateMembers(P, ses, [member(ses[0] as SEObj, 'Failed'), member(ses[1] as SEObj, 'Ready'), member(ses[2] as SEObj, 'Ready')]);
    assert.deepEqual(gate.allowed, ['a']);
    assert.equal(members[0]?.phase, 'Failed');
  });
  it('two silent of three open the breaker: the failed one is held (shown as Booting, not replaced)', () => {
    const ses = [se('a', 'failed'), se('b', 'silent'), se('c', 'ok')];
    const { gate, members } = gateMembers(P, ses, [member(ses[0] as SEObj, 'Failed'), member(ses[1] as SEObj, 'Ready'), member(ses[2] as SEObj, 'Ready')]);
    assert.equal(gate.breakerOpen, true);
    assert.equal(members[0]?.phase, 'Booting');
    const conds: Condition[] = [];
    reportRepairsHeld(conds, gate, 1, new Date());
    assert.equal(conds[0]?.type, 'RepairsHeld');
    assert.equal(conds[0]?.status, 'True');
    assert.equal(conds[0]?.reason, 'BreakerOpen');
  });
  it('the in-flight cap: the older failure goes first, the other waits (MaxInFlight)', () => {
    const ses = [...Array.from({ length: 8 }, (_, i) => se(`ok${i}`, 'ok')), se('x', 'failed', '2026-01-01T00:00:09Z'), se('y', 'failed', '2026-01-01T00:00:01Z')];
    const { gate, members } = gateMembers(P, ses, ses.map((s) => member(s, s.metadata.name === 'x' || s.metadata.name === 'y' ? 'Failed' : 'Ready')));
    assert.deepEqual(gate.allowed, ['y']);
    assert.equal(members.find((m) => m.name === 'x')?.phase, 'Booting');
    const conds: Condition[] = [];
    reportRepairsHeld(conds, gate, 1, new Date());
    assert.equal(conds[0]?.reason, 'MaxInFlight');
  });
});
