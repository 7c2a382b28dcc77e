import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { findCondition, setStatusCondition, type Condition } from '../../api/index.js';
import { applyKstatus, kstatusVerdict, withKstatus } from './kstatus.js';

const now = new Date('2026-12-01T10:00:00Z');
const later = new Date('2026-12-01T10:05:00Z');

function conds(...cs: [type: string, status: 'True' | 'False' | 'Unknown', reason: string][]): Condition[] {
  const out: Condition[] = [];
  for (const [type, status, reason] of cs) setStatusCondition(out, { type, status, reason, message: `${type} ${reason}` }, now);
  return out;
}
const abnormal = (st: { conditions?: Condition[] }): string =>
  ['Reconciling', 'Stalled'].map((t) => `${t}=${findCondition(st.conditions, t)?.status}/${findCondition(st.conditions, t)?.reason}`).join(' ');

describe('kstatusVerdict', () => {
  test('Ready=True is Current on every kind; Unknown and missing are InProgress', () => {
    for (const kind of ['Cloud', 'ServiceEngineGroup', 'ServiceEngine', 'VirtualService'] as const) {
      assert.equal(kstatusVerdict(kind, conds(['Ready', 'True', 'Ready'])).state, 'Current', kind);
      assert.equal(kstatusVerdict(kind, conds(['Ready', 'Unknown', 'Checking'])).state, 'InProgress', kind);
      assert.equal(kstatusVerdict(kind, undefined).state, 'InProgress', kind);
    }
  });

  test('a converging reason is InProgress, any other False is Failed with that reason', () => {
    assert.deepEqual(kstatusVerdict('ServiceEngineGroup', conds(['Ready', 'False', 'ScalingOut'])), { state: 'InProgress', reason: 'ScalingOut', message: 'Ready ScalingOut' });
    assert.deepEqual(kstatusVerdict('ServiceEngineGroup', conds(['Ready', 'False', 'MaxSEsReached'])), { state: 'Failed', reason: 'MaxSEsReached', message: 'Ready MaxSEsReached' });
    assert.equal(kstatusVerdict('Cloud', conds(['Ready', 'False', 'KeystoneUnreachable'])).state, 'Failed');
    assert.equal(kstatusVerdict('ServiceEngine', conds(['Ready', 'False', 'Attaching'])).state, 'InProgress');
    assert.equal(kstatusVerdict('ServiceEngine', conds(['Ready', 'False', 'ServerFailed'])).state, 'Failed');
  });

  test('an SE booting again after a failed boot is Failed, named by Booted', () => {
    const v = kstatusVerdict('ServiceEngine', conds(['Booted', 'False', 'BootFailed'], ['Ready', 'False', 'Booting']));
    assert.deepEqual(v, { state: 'Failed', reason: 'BootFailed', message: 'Booted BootFailed' });
    assert.equal(kstatusVerdict('ServiceEngine', conds(['Booted', 'False', 'Booting'], ['Ready', 'False', 'Booting'])).state, 'InProgress');
  });

  test('a VirtualService down is read from VIPAllocated/Placed: pending is progress, a problem fails with its reason', () => {
    const down = (vip: string, placed: string): ReturnType<typeof kstatusVerdict> =>
      kstatusVerdict('VirtualService', conds(['VIPAllocated', vip === 'Allocated' ? 'True' : 'False', vip], ['Placed', 'False', placed], ['Ready', 'False', 'OperDown']));
    assert.equal(down('Allocated', 'WaitingForSEs').state, 'InProgress');
    assert.equal(down('Pending', 'WaitingForSEs').reason, 'Pending');
    assert.deepEqual(down('Allocated', 'GroupNotFound'), { state: 'Failed', reason: 'GroupNotFound', message: 'Placed GroupNotFound' });
    assert.equal(down('IPExhausted', 'WaitingForSEs').reason, 'IPExhausted', 'the problem wins over the pending one');
    assert.equal(kstatusVerdict('VirtualService', conds(['Ready', 'False', 'OperInitializing'])).state, 'InProgress');
    assert.deepEqual(kstatusVerdict('VirtualService', conds(['VIPAllocated', 'True', 'Allocated'], ['Placed', 'False', 'WaitingForSEs'], ['Ready', 'False', 'OperInitializing'])),
      { state: 'InProgress', reason: 'WaitingForSEs', message: 'Ready OperInitializing (Placed: Placed WaitingForSEs)' }, 'the step names the reason, Ready the why');
    assert.equal(kstatusVerdict('VirtualService', conds(['Ready', 'False', 'Disabled'])).state, 'Current', 'off as asked');
    assert.equal(kstatusVerdict('VirtualService', conds(['Ready', 'True', 'OperUp'], ['Degraded', 'True', 'BelowRequested'])).state, 'Current');
  });

  test('a Pool is read from Ready (member health) when it has one, else from Resolved', () => {
    assert.equal(kstatusVerdict('Pool', conds(['Resolved', 'True', 'Resolved'])).state, 'Current');
    assert.equal(kstatusVerdict('Pool', conds(['Resolved', 'False', 'WaitingForCloud'])).state, 'InProgress');
    assert.equal(kstatusVerdict('Pool', conds(['Resolved', 'False', 'Unresolved'])).state, 'Failed');
    assert.equal(kstatusVerdict('Pool', conds(['Resolved', 'True', 'Resolved'], ['Ready', 'False', 'NoMemberUp'])).state, 'Failed', 'Ready wins');
    assert.equal(kstatusVerdict('Pool', conds(['Resolved', 'True', 'Resolved'], ['Ready', 'Unknown', 'NotChecked'])).state, 'InProgress');
    assert.equal(kstatusVerdict('Pool', conds(['Resolved', 'True', 'Resolved'], ['Ready', 'True', 'NotInUse'])).state, 'Current');
    assert.equal(kstatusVerdict('Pool', conds(['Resolved', 'True', 'Resolved'], ['Ready', 'False', 'AllDisabled'])).state, 'Current', 'switched off as asked');
    assert.equal(kstatusVerdict('Pool', conds(['Resolved', 'False', 'WaitingForCloud'], ['Ready', 'False', 'Unresolved'])).state, 'InProgress', 'waiting for its Cloud');
  });
});

describe('applyKstatus', () => {
  test('sets both conditions, never both True, with the generation; flips stamp the time', () => {
    const st = { conditions: conds(['Ready', 'False', 'ScalingOut']) };
    applyKstatus('ServiceEngineGroup', st, 4, now);
    assert.equal(abnormal(st), 'Reconciling=True/ScalingOut Stalled=False/Progressing');
    assert.ok(st.conditions.every((c) => c.type === 'Ready' || c.observedGeneration === 4));
    setStatusCondition(st.conditions, { type: 'Ready', status: 'False', reason: 'MaxSEsReached', message: '2 more SE(s) needed' }, later);
    applyKstatus('ServiceEngineGroup', st, 4, later);
    assert.equal(abnormal(st), 'Reconciling=False/Stalled Stalled=True/MaxSEsReached');
    assert.equal(findCondition(st.conditions, 'Stalled')?.message, '2 more SE(s) needed');
    assert.equal(findCondition(st.conditions, 'Stalled')?.lastTransitionTime, '2026-12-01T10:05:00Z');
    setStatusCondition(st.conditions, { type: 'Ready', status: 'True', reason: 'Ready', message: '2/2' }, later);
    applyKstatus('ServiceEngineGroup', st, 5, later);
    assert.equal(abnormal(st), 'Reconciling=False/Current Stalled=False/Current');
    assert.equal(findCondition(st.conditions, 'Stalled')?.observedGeneration, 5);
  });

  test('is idempotent (a steady state writes nothing) and ignores its own previous output', () => {
    const st = { conditions: conds(['Ready', 'False', 'Booting']) };
    applyKstatus('ServiceEngine', st, 1, now);
    const once = structuredClone(st);
    applyKstatus('ServiceEngine', st, 1, later);
    assert.deepEqual(st, once);
  });

  test('withKstatus runs the controller mutation first, then derives', () => {
    const obj: { metadata: { generation?: number }; status?: { conditions?: Condition[] } } = { metadata: { generation: 2 } };
    withKstatus('Cloud', (o: typeof obj) => { o.status = { conditions: conds(['Ready', 'False', 'InvalidCredentials']) }; }, () => now)(obj);
    assert.equal(abnormal(obj.status ?? {}), 'Reconciling=False/Stalled Stalled=True/InvalidCredentials');
  });
});
