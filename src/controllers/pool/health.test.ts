import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PoolStatusServer } from '../../api/index.js';
import type { MemberState } from '../../seapi/index.js';
import { aggregateMember, MAX_SE_VIEWS, memberCounts, type PoolMemberStatus, type SEReport } from '../model/index.js';
import { planPoolHealth, withHealth, type HealthInput } from './health.js';

const A = { ip: '198.18.30.3', port: 80 };
const B = { ip: '198.18.30.4', port: 80 };
const C = { ip: '198.18.30.5', port: 8080, enabled: false };

const report = (se: string, states: Record<string, MemberState['status'] | [MemberState['status'], string]>): SEReport => ({
  se,
  members: new Map(Object.entries(states).map(([id, v]) => [id, Array.isArray(v) ? { status: v[0], reason: v[1] } : { status: v }])),
});
const silent = (se: string): SEReport => ({ se, members: undefined });

function input(over: Partial<HealthInput>): HealthInput {
  return { servers: [A, B], inUse: true, unresolved: 0, reports: [], previous: new Map(), generation: 3, ...over };
}

describe('aggregateMember: any SE seeing it up makes it UP', () => {
  test('UP on one SE and DOWN on another is UP; each SE listed with what it sees', () => {
    const m = aggregateMember(A, [report('se-b', { '198.18.30.3:80': ['DOWN', 'Layer4 timeout'] }), report('se-a', { '198.18.30.3:80': 'UP' })]);
    assert.equal(m.operStatus, 'UP');
    assert.equal(m.operReason, undefined);
    assert.deepEqual(m.serviceEngines, [{ name: 'se-a', operStatus: 'UP' }, { name: 'se-b', operStatus: 'DOWN' }]);
  });

  test('DOWN only when every reporting SE says DOWN, with the checks\' reasons', () => {
    const m = aggregateMember(A, [report('se-a', { '198.18.30.3:80': ['DOWN', 'Layer4 connection problem'] }), silent('se-b')]);
    assert.equal(m.operStatus, 'DOWN');
    assert.match(m.operReason ?? '', /se-a: Layer4 connection problem/);
    assert.deepEqual(m.serviceEngines, [{ name: 'se-a', operStatus: 'DOWN' }]);
  });

  test('a member seen by more SEs than the CRD lists: judged over all, 64 listed', () => {
    const reports = Array.from({ length: 70 }, (_, n) => report(`se-${String(n).padStart(2, '0')}`, { '198.18.30.3:80': n === 69 ? 'UP' : 'DOWN' }));
    const m = aggregateMember(A, reports);
    assert.equal(m.operStatus, 'UP', 'the 70th SE sees it up');
    assert.equal(m.serviceEngines.length, MAX_SE_VIEWS);
  });

  test('no health monitor: NO_MONITOR; spec-disabled: DISABLED whatever the SEs say; nobody: UNKNOWN', () => {
    assert.equal(aggregateMember(A, [report('se-a', { '198.18.30.3:80': 'NO_MONITOR' })]).operStatus, 'NO_MONITOR');
    assert.equal(aggregateMember(C, [report('se-a', { '198.18.30.5:8080': 'UP' })]).operStatus, 'DISABLED');
    assert.equal(aggregateMember(A, [silent('se-a')]).operStatus, 'UNKNOWN');
    assert.equal(aggregateMember(A, []).operStatus, 'UNKNOWN');
    // The SEs still run the old config (member disabled), the spec enables it: not known yet.
    const m = aggregateMember(A, [report('se-a', { '198.18.30.3:80': 'DISABLED' })]);
    assert.equal(m.operStatus, 'UNKNOWN');
    assert.match(m.operReason ?? '', /not applied/);
  });
});

describe('planPoolHealth', () => {
  test('some up: Ready True MembersUp, upCount, the DOWN one named', () => {
    const p = planPoolHealth(input({ reports: [report('se-a', { '198.18.30.3:80': 'UP', '198.18.30.4:80': ['DOWN', 'Layer7 wrong status'] })] }));
    assert.equal(p.upCount, 1);
    assert.deepEqual(p.members.map((m) => m.operStatus), ['UP', 'DOWN']);
    assert.equal(p.ready.status, 'True');
    assert.equal(p.ready.reason, 'MembersUp');
    assert.match(p.ready.message, /1 of 2 enabled servers up; DOWN: 198\.18\.30\.4:80/);
    assert.equal(p.ready.observedGeneration, 3);
  });

  test('none up: Ready False NoMemberUp', () => {
    const p = planPoolHealth(input({ reports: [report('se-a', { '198.18.30.3:80': 'DOWN', '198.18.30.4:80': 'DOWN' })] }));
    assert.equal(p.upCount, 0);
    assert.deepEqual([p.ready.status, p.ready.reason], ['False', 'NoMemberUp']);
  });

  test('in use but no SE reported yet: Ready Unknown NotChecked', () => {
    const p = planPoolHealth(input({ reports: [silent('se-a')] }));
    assert.deepEqual([p.ready.status, p.ready.reason], ['Unknown', 'NotChecked']);
    assert.deepEqual(p.members.map((m) => m.operStatus), ['UNKNOWN', 'UNKNOWN']);
  });

  test('no VirtualService uses it: Ready True NotInUse (members UNKNOWN, saying why); unresolved servers make it False', () => {
    const p = planPoolHealth(input({ inUse: false }));
    assert.deepEqual([p.ready.status, p.ready.reason], ['True', 'NotInUse']);
    assert.match(p.members[0]?.operReason ?? '', /no VirtualService uses the pool/);
    const u = planPoolHealth(input({ inUse: false, unresolved: 1 }));
    assert.deepEqual([u.ready.status, u.ready.reason], ['False', 'Unresolved']);
  });

  test('no servers: NoServers; every server disabled: AllDisabled (even unused)', () => {
    assert.equal(planPoolHealth(input({ servers: [] })).ready.reason, 'NoServers');
    assert.equal(planPoolHealth(input({ servers: [] })).ready.status, 'False');
    const all = planPoolHealth(input({ servers: [C], inUse: false }));
    assert.deepEqual([all.ready.status, all.ready.reason], ['False', 'AllDisabled']);
  });

  test('events once per transition: DOWN from anything else, UP only from DOWN', () => {
    const reports = [report('se-a', { '198.18.30.3:80': ['DOWN', 'Layer4 connection problem'], '198.18.30.4:80': 'UP' })];
    const first = planPoolHealth(input({ reports, previous: new Map<string, PoolMemberStatus>([['198.18.30.3:80', 'UP'], ['198.18.30.4:80', 'UNKNOWN']]) }));
    assert.deepEqual(first.events.map((e) => [e.type, e.reason]), [['Warning', 'PoolMemberDown']]);
    assert.match(first.events[0]?.note ?? '', /198\.18\.30\.3:80 is DOWN.*Layer4 connection problem/);
    // The same reports again (another reconcile): nothing new to say.
    const again = planPoolHealth(input({ reports, previous: new Map(first.members.map((m) => [m.id, m.operStatus])) }));
    assert.deepEqual(again.events, []);
    const back = planPoolHealth(input({ reports: [report('se-a', { '198.18.30.3:80': 'UP', '198.18.30.4:80': 'UP' })], previous: new Map(first.members.map((m) => [m.id, m.operStatus])) }));
    assert.deepEqual(back.events.map((e) => [e.type, e.reason]), [['Normal', 'PoolMemberUp']]);
    assert.match(back.events[0]?.note ?? '', /198\.18\.30\.3:80 is UP again \(seen up by se-a\)/);
  });

  test('withHealth merges into the resolution entries; lastChangeTime moves only on a change', () => {
    const entries: PoolStatusServer[] = [{ ip: A.ip, port: A.port, resolved: true }, { ip: B.ip, port: B.port, resolved: true }];
    const p = planPoolHealth(input({ reports: [report('se-a', { '198.18.30.3:80': 'UP', '198.18.30.4:80': 'DOWN' })] }));
    const t0 = '2026-12-01T10:00:00Z';
    const t1 = '2026-12-01T10:05:00Z';
    const first = withHealth(entries, p, undefined, t0);
    assert.deepEqual(first[0], { ip: A.ip, port: A.port, resolved: true, operStatus: 'UP', lastChangeTime: t0, serviceEngines: [{ name: 'se-a', operStatus: 'UP' }] });
    const p2 = planPoolHealth(input({ reports: [report('se-a', { '198.18.30.3:80': 'UP', '198.18.30.4:80': 'UP' })] }));
    const second = withHealth(entries, p2, first, t1);
    assert.equal(second[0]?.lastChangeTime, t0, 'A stayed UP');
    assert.equal(second[1]?.lastChangeTime, t1, 'B went DOWN → UP');
  });
});

describe('memberCounts (what a VirtualService sees over its SEs)', () => {
  test('counts by status; NO_MONITOR counts as up', () => {
    const c = memberCounts([A, B, C], [report('se-a', { '198.18.30.3:80': 'NO_MONITOR', '198.18.30.4:80': 'DOWN' })]);
    assert.deepEqual(c, { total: 3, up: 1, down: 1, disabled: 1, unknown: 0, reported: 2, downIDs: ['198.18.30.4:80'] });
  });
});
