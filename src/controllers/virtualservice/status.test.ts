import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { findCondition } from '../../api/index.js';
import { summarize, transitionEvents, type SummaryInput } from './status.js';

const now = new Date('2026-11-24T10:00:00Z');
const later = new Date('2026-11-24T10:05:00Z');
const vip = { vipID: '0', ipAddress: '19.1.1.252', subnet: '19.1.1.0/24', subnetUUID: 's', networkRef: 'n', portUUID: 'p', programmed: 1 };
const se = (name: string, healthy = true) => ({ name, healthy, attached: healthy });

function input(over: Partial<SummaryInput>): SummaryInput {
  return { generation: 2, enabled: true, ecmp: true, requested: 1, assigned: [], programmed: new Set(), vips: [vip], shortfall: 0, problems: [], previous: undefined, now, ...over };
}
const cond = (s: ReturnType<typeof summarize>, t: string) => findCondition(s.conditions, t);

describe('summarize', () => {
  test('placing: OPER_INITIALIZING, not Ready', () => {
    const s = summarize(input({ assigned: [se('a')], vips: [{ ...vip, programmed: 0 }] }));
    assert.equal(s.operStatus?.state, 'OPER_INITIALIZING');
    assert.equal(cond(s, 'Ready')?.status, 'False');
    assert.equal(cond(s, 'Placed')?.reason, 'WaitingForSEs');
    assert.equal(cond(s, 'VIPAllocated')?.status, 'True');
    assert.equal(s.seSummary, '0/1');
  });

  test('up on all requested SEs: Ready, not Degraded, primary first, observedGeneration everywhere', () => {
    const s = summarize(input({ requested: 2, assigned: [se('a'), se('b')], programmed: new Set(['a', 'b']) }));
    assert.equal(s.operStatus?.state, 'OPER_UP');
    assert.deepEqual(s.operStatus?.reason, []);
    assert.equal(s.percentSEsUp, 100);
    assert.equal(s.seSummary, '2/2');
    assert.deepEqual(s.serviceEngines, [
      { name: 'a', primary: true, standby: false, connected: true, cloudProgrammingDone: true },
      { name: 'b', primary: false, standby: false, connected: true, cloudProgrammingDone: true },
    ]);
    for (const t of ['Ready', 'VIPAllocated', 'Placed']) assert.equal(cond(s, t)?.status, 'True', t);
    assert.equal(cond(s, 'Degraded')?.status, 'False');
    assert.ok(s.conditions?.every((c) => c.observedGeneration === 2));
    assert.deepEqual(s.vip?.[0], { vipID: '0', ipAddress: '19.1.1.252', subnet: '19.1.1.0/24', subnetUUID: 's', networkRef: 'n', portUUID: 'p', numSEsAssigned: 2, numSEsRequested: 2 });
  });

  test('with the SE API on, Ready means served: an agent applied the current config; connected follows the agent', () => {
    const placed = summarize(input({ agents: true, requested: 2, assigned: [se('a'), se('b')], programmed: new Set(['a', 'b']) }));
    assert.equal(placed.operStatus?.state, 'OPER_UP');
    assert.equal(cond(placed, 'Ready')?.status, 'False');
    assert.equal(cond(placed, 'Ready')?.reason, 'NotServed');
    assert.deepEqual(placed.serviceEngines?.map((s) => s.connected), [false, false]);
    const served = summarize(input({ agents: true, requested: 2, assigned: [{ ...se('a'), serving: true }, se('b')], programmed: new Set(['a', 'b']), previous: placed }));
    assert.equal(cond(served, 'Ready')?.status, 'True');
    assert.match(cond(served, 'Ready')?.message ?? '', /served by 1 Service Engine/);
    assert.deepEqual(served.serviceEngines?.map((s) => s.connected), [true, false]);
    const off = summarize(input({ requested: 2, assigned: [se('a'), se('b')], programmed: new Set(['a', 'b']) }));
    assert.equal(cond(off, 'Ready')?.status, 'True', 'without the SE API Ready keeps meaning placed');
  });

  test('one SE lost of three: still OPER_UP, Degraded, 67%', () => {
    const s = summarize(input({ requested: 3, assigned: [se('a'), se('b'), se('c')], programmed: new Set(['a', 'b']) }));
    assert.equal(s.operStatus?.state, 'OPER_UP');
    assert.equal(s.percentSEsUp, 67);
    assert.equal(cond(s, 'Degraded')?.status, 'True');
    assert.equal(cond(s, 'Ready')?.status, 'True');
  });

  test('up on two of three because the third cannot boot: Degraded says the cloud\'s reason', () => {
    const why = 'Service Engine c cannot boot: No valid host was found. There are not enough hosts available.';
    const s = summarize(input({ requested: 3, assigned: [se('a'), se('b')], programmed: new Set(['a', 'b']), shortBecause: why }));
    assert.equal(s.operStatus?.state, 'OPER_UP');
    assert.equal(cond(s, 'Degraded')?.reason, 'SEBootFailed');
    assert.equal(cond(s, 'Degraded')?.message, `2 of 3 requested Service Engines are up; ${why}`);
    assert.equal(cond(summarize(input({ requested: 3, assigned: [se('a'), se('b')], programmed: new Set(['a', 'b']) })), 'Degraded')?.reason, 'BelowRequested');
  });

  test('active-standby: the others are standby', () => {
    const s = summarize(input({ ecmp: false, requested: 2, assigned: [se('a'), se('b')], programmed: new Set(['a', 'b']) }));
    assert.deepEqual(s.serviceEngines?.map((x) => x.standby), [false, true]);
  });

  test('a programming error: OPER_DOWN with the cloud\'s message', () => {
    const s = summarize(input({ assigned: [se('a')], problems: [{ state: 'OPER_DOWN', condition: 'Placed', reason: 'ProgrammingFailed', message: 'contrail ref-update: 500 boom' }] }));
    assert.equal(s.operStatus?.state, 'OPER_DOWN');
    assert.deepEqual(s.operStatus?.reason, ['contrail ref-update: 500 boom']);
    assert.equal(cond(s, 'Placed')?.reason, 'ProgrammingFailed');
    assert.equal(cond(s, 'Ready')?.reason, 'OperDown');
  });

  test('no free IP: OPER_RESOURCES, VIPAllocated False with the reason', () => {
    const msg = "Virtual-Network(['default-domain', 'demo', 'vip-net']) has exhausted subnet(['19.1.1.0/24'])";
    const s = summarize(input({ vips: [{ vipID: '0', programmed: 0 }], problems: [{ state: 'OPER_RESOURCES', condition: 'VIPAllocated', reason: 'IPExhausted', message: msg }] }));
    assert.equal(s.operStatus?.state, 'OPER_RESOURCES');
    assert.equal(cond(s, 'VIPAllocated')?.reason, 'IPExhausted');
    assert.equal(cond(s, 'VIPAllocated')?.message, msg);
    assert.equal(cond(s, 'Ready')?.reason, 'OperResources');
  });

  test('group at maxSEs with no placement: OPER_RESOURCES, InsufficientSEs', () => {
    const s = summarize(input({ shortfall: 1 }));
    assert.equal(s.operStatus?.state, 'OPER_RESOURCES');
    assert.equal(cond(s, 'Placed')?.reason, 'InsufficientSEs');
  });

  test('disabled: OPER_DISABLED, 0%', () => {
    const s = summarize(input({ enabled: false }));
    assert.equal(s.operStatus?.state, 'OPER_DISABLED');
    assert.equal(s.percentSEsUp, 0);
    assert.equal(cond(s, 'Ready')?.reason, 'Disabled');
  });

  test('an unchanged summary is identical (times kept): a no-op reconcile writes nothing', () => {
    const a = summarize(input({ assigned: [se('a')], programmed: new Set(['a']) }));
    const b = summarize(input({ assigned: [se('a')], programmed: new Set(['a']), previous: a, now: later }));
    assert.deepEqual(b, a);
    const c = summarize(input({ assigned: [se('a')], programmed: new Set(), previous: a, now: later }));
    assert.equal(c.operStatus?.lastChangedTime, '2026-11-24T10:05:00Z');
  });
});

describe('transitionEvents', () => {
  const at = (programmed: string[], requested: number, previous?: ReturnType<typeof summarize>) =>
    summarize(input({ requested, assigned: ['a', 'b', 'c'].slice(0, Math.max(requested, programmed.length)).map((n) => se(n)), programmed: new Set(programmed), previous }));
  test('VSUp, ScaleOutComplete, ScaleInComplete, VSDown', () => {
    const init = at([], 1);
    const up = at(['a'], 1, init);
    assert.deepEqual(transitionEvents(init, up).map((e) => e.reason), ['VSUp']);
    assert.deepEqual(transitionEvents(up, up), [], 'nothing changed, no event');
    const partial = at(['a', 'b'], 3, up);
    assert.deepEqual(transitionEvents(up, partial), [], 'not yet at the requested count');
    const out = at(['a', 'b', 'c'], 3, partial);
    assert.deepEqual(transitionEvents(partial, out).map((e) => e.reason), ['ScaleOutComplete']);
    const back = at(['a', 'b'], 2, out);
    assert.deepEqual(transitionEvents(out, back).map((e) => e.reason), ['ScaleInComplete']);
    const down = summarize(input({ assigned: [se('a')], problems: [{ state: 'OPER_DOWN', condition: 'Placed', reason: 'ProgrammingFailed', message: 'x' }], previous: back }));
    assert.deepEqual(transitionEvents(back, down).map((e) => e.reason), ['VSDown']);
  });
  test('InitialPlacementFailed once', () => {
    const a = summarize(input({ shortfall: 1 }));
    assert.deepEqual(transitionEvents(undefined, a).map((e) => e.reason), ['InitialPlacementFailed']);
    assert.deepEqual(transitionEvents(a, summarize(input({ shortfall: 1, previous: a }))), []);
  });
});

describe('summarize: pool members (SE API on)', () => {
  const served = (a: string) => ({ name: a, healthy: true, attached: true, serving: true });
  const base = { agents: true, assigned: [served('a')], programmed: new Set(['a']) };
  const counts = (over: Partial<NonNullable<SummaryInput['members']>>): NonNullable<SummaryInput['members']> =>
    ({ total: 2, up: 2, down: 0, disabled: 0, unknown: 0, reported: 2, downIDs: [], ...over });

  test('all members up: OPER_UP, Ready, not Degraded', () => {
    const s = summarize(input({ ...base, members: counts({}) }));
    assert.equal(s.operStatus?.state, 'OPER_UP');
    assert.equal(cond(s, 'Ready')?.status, 'True');
    assert.equal(cond(s, 'Degraded')?.status, 'False');
  });

  test('the TLS Secret unusable: Degraded True with its reason, the other ports still Ready; one event per new problem', () => {
    const tlsProblem = { reason: 'TLSSecretNotFound', message: 'Secret ns/x not found; the enableSSL ports are not served' };
    const ok = summarize(input({ ...base, members: counts({}) }));
    const s = summarize(input({ ...base, members: counts({}), tlsProblem, previous: ok }));
    assert.equal(cond(s, 'Degraded')?.status, 'True');
    assert.equal(cond(s, 'Degraded')?.reason, 'TLSSecretNotFound');
    assert.equal(cond(s, 'Ready')?.status, 'True');
    assert.deepEqual(transitionEvents(ok, s).filter((e) => e.reason.startsWith('TLS')), [{ type: 'Warning', reason: 'TLSSecretNotFound', note: tlsProblem.message }]);
    assert.deepEqual(transitionEvents(s, summarize(input({ ...base, members: counts({}), tlsProblem, previous: s }))), [], 'the same problem again: no event');
    // Every port needs the Secret: nothing served, Ready False with the Secret's reason.
    const only = summarize(input({ ...base, assigned: [{ ...served('a'), serving: false }], tlsProblem }));
    assert.equal(cond(only, 'Ready')?.status, 'False');
    assert.equal(cond(only, 'Ready')?.reason, 'TLSSecretNotFound');
  });

  test('some down: Degraded True MembersDown naming them, still Ready', () => {
    const s = summarize(input({ ...base, members: counts({ up: 1, down: 1, downIDs: ['10.0.0.4:80'] }) }));
    assert.equal(s.operStatus?.state, 'OPER_UP');
    assert.equal(cond(s, 'Degraded')?.reason, 'MembersDown');
    assert.equal(cond(s, 'Degraded')?.status, 'True');
    assert.match(cond(s, 'Degraded')?.message ?? '', /1 of 2 enabled pool servers are DOWN: 10\.0\.0\.4:80/);
    assert.equal(cond(s, 'Ready')?.status, 'True');
  });

  test('none up: OPER_DOWN NoMemberUp, Ready False, Placed stays True, VSDown once', () => {
    const up = summarize(input({ ...base, members: counts({}) }));
    const s = summarize(input({ ...base, members: counts({ up: 0, down: 2, downIDs: ['10.0.0.3:80', '10.0.0.4:80'] }), previous: up, now: later }));
    assert.equal(s.operStatus?.state, 'OPER_DOWN');
    assert.match(s.operStatus?.reason?.[0] ?? '', /no pool server is up \(DOWN: 10\.0\.0\.3:80, 10\.0\.0\.4:80\)/);
    assert.deepEqual([cond(s, 'Ready')?.status, cond(s, 'Ready')?.reason], ['False', 'NoMemberUp']);
    assert.equal(cond(s, 'Placed')?.status, 'True');
    assert.deepEqual(transitionEvents(up, s).map((e) => e.reason), ['VSDown']);
    assert.deepEqual(transitionEvents(s, summarize(input({ ...base, members: counts({ up: 0, down: 2 }), previous: s, now: later }))), []);
  });

  test('no SE reported the members yet: Degraded Unknown MembersUnknown, not down', () => {
    const s = summarize(input({ ...base, members: counts({ up: 0, unknown: 2, reported: 0 }) }));
    assert.equal(s.operStatus?.state, 'OPER_UP');
    assert.deepEqual([cond(s, 'Degraded')?.status, cond(s, 'Degraded')?.reason], ['Unknown', 'MembersUnknown']);
  });

  test('an SE-level problem still wins over member health', () => {
    const s = summarize(input({ ...base, members: counts({ up: 0, down: 2 }), problems: [{ state: 'OPER_DOWN', condition: 'Placed', reason: 'Forbidden', message: 'nope' }] }));
    assert.equal(cond(s, 'Ready')?.reason, 'OperDown');
  });
});
