import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_REPAIR_POLICY as P, gateRepairs, judgeHeartbeat, neutronDataPath, nextJudgementInMs, pickWitnesses, type DataPath, type RepairCandidate } from './repair.js';

const now = 1_000_000;
const up: DataPath = { state: 'Up' };
const down: DataPath = { state: 'Down', reason: 'GET http://198.18.20.5:8404/: timeout' };
const unknown: DataPath = { state: 'Unknown', reason: 'no health-check report' };
const judge = (connectivity: 'Connected' | 'Disconnected' | 'Unknown', silentMs: number, dataPath: DataPath, o: { heardFrom?: boolean; declaredFailed?: boolean } = {}) =>
  judgeHeartbeat(P, { connectivity, silentSince: now - silentMs, dataPath, now, heardFrom: o.heardFrom ?? true, declaredFailed: o.declaredFailed ?? false });

describe('judgeHeartbeat', () => {
  it('a heartbeating agent is Connected whatever the data path says', () => {
    assert.equal(judge('Connected', 0, down).kind, 'Connected');
  });
  it('inside the grace after a start or takeover nobody is judged', () => {
    assert.equal(judge('Unknown', 120_000, down).kind, 'Grace');
  });
  it('silent with the data path up is Partitioned at any age — never replaced', () => {
    assert.deepEqual(judge('Disconnected', 11_000, up), { kind: 'Partitioned', silentMs: 11_000 });
    assert.equal(judge('Disconnected', 600_000, up).kind, 'Partitioned');
  });
  it('a passing probe is believed only once it had time to see a death since the last heartbeat', () => {
    assert.equal(judge('Disconnected', P.dataPathSettleMs - 1, up).kind, 'Silent');
    assert.equal(judge('Disconnected', P.dataPathSettleMs, up).kind, 'Partitioned');
    assert.equal(P.dataPathSettleMs, 2200 + 2000);
  });
  it('silent with the data path down waits for the failure timeout, then Failed', () => {
    assert.deepEqual(judge('Disconnected', 59_999, down), { kind: 'Silent', silentMs: 59_999 });
    assert.deepEqual(judge('Disconnected', 60_000, down), { kind: 'Failed', silentMs: 60_000, reason: down.reason });
  });
  it('silent past the failure timeout with no data-path report is Undetermined, not Failed', () => {
    assert.deepEqual(judge('Disconnected', 90_000, unknown), { kind: 'Undetermined', silentMs: 90_000, reason: unknown.reason });
  });
  it('the failure timeout is the policy\'s', () => {
    const v = judgeHeartbeat({ ...P, failureTimeoutMs: 20_000 }, { connectivity: 'Disconnected', silentSince: now - 20_000, dataPath: down, now, heardFrom: true, declaredFailed: false });
    assert.equal(v.kind, 'Failed');
  });
  it('an agent never heard from is not Partitioned by a passing probe', () => {
    assert.equal(judge('Disconnected', 30_000, up, { heardFrom: false }).kind, 'Silent');
    assert.equal(judge('Disconnected', 60_000, up, { heardFrom: false }).kind, 'Undetermined');
    assert.equal(judge('Disconnected', 60_000, down, { heardFrom: false }).kind, 'Failed');
  });
  it('Failed is sticky while silent: a data path the operator took away does not bring it back', () => {
    assert.equal(judge('Disconnected', 70_000, unknown, { declaredFailed: true }).kind, 'Failed');
    assert.equal(judge('Connected', 0, unknown, { declaredFailed: true }).kind, 'Connected');
  });
  it('a Silent SE is looked at again when its failure timeout passes', () => {
    assert.equal(nextJudgementInMs(P, { kind: 'Silent', silentMs: 15_000 }), 45_000);
    assert.equal(nextJudgementInMs(P, { kind: 'Partitioned', silentMs: 15_000 }), undefined);
  });
});

const se = (name: string, o: Partial<RepairCandidate> = {}): RepairCandidate => ({ name, heartbeatFailed: false, silent: false, ...o });

describe('gateRepairs', () => {
  it('one failure in a small group is repaired (the breaker allows at least one)', () => {
    const g = gateRepairs(P, [se('a', { heartbeatFailed: true, silent: true }), se('b'), se('c')]);
    assert.deepEqual(g, { allowed: ['a'], held: [], breakerOpen: false, silent: 1, threshold: 1 });
  });
  it('more than 20 % silent at once opens the breaker: every repair is held', () => {
    const g = gateRepairs(P, [se('a', { heartbeatFailed: true, silent: true }), se('b', { silent: true }), se('c')]);
    assert.equal(g.breakerOpen, true);
    assert.deepEqual(g.allowed, []);
    assert.deepEqual(g.held, ['a']);
  });
  it('20 % of 10 is 2: two silent keep it closed, three open it', () => {
    const ten = Array.from({ length: 10 }, (_, i) => se(`s${i}`));
    const two = ten.map((s, i) => (i < 2 ? { ...s, silent: true, heartbeatFailed: true } : s));
    assert.equal(gateRepairs(P, two).breakerOpen, false);
    const three = ten.map((s, i) => (i < 3 ? { ...s, silent: true } : s));
    assert.equal(gateRepairs(P, three).breakerOpen, true);
  });
  it('at most maxInFlight repairs at a time, oldest failure first', () => {
    const ten = Array.from({ length: 10 }, (_, i) => se(`s${i}`));
    ten[3] = se('s3', { heartbeatFailed: true, silent: true, failedAt: '2026-01-01T00:00:05Z' });
    ten[7] = se('s7', { heartbeatFailed: true, silent: true, failedAt: '2026-01-01T00:00:01Z' });
    assert.deepEqual(gateRepairs(P, ten), { allowed: ['s7'], held: ['s3'], breakerOpen: false, silent: 2, threshold: 2 });
    assert.deepEqual(gateRepairs({ ...P, maxInFlight: 2 }, ten).allowed, ['s7', 's3']);
  });
  it('a breaker of 100 % never holds', () => {
    const all = [se('a', { heartbeatFailed: true, silent: true }), se('b', { heartbeatFailed: true, silent: true })];
    assert.equal(gateRepairs({ ...P, breakerPercent: 100, maxInFlight: 5 }, all).allowed.length, 2);
  });
});

describe('pickWitnesses', () => {
  const c = (key: string, networks: string[], connected = true) => ({ key, networks, connected });
  it('connected SEs sharing a data network, never the silent one, at most three, by name', () => {
    const all = [c('ns/e', ['n1']), c('ns/a', ['n1']), c('ns/silent', ['n1']), c('ns/b', ['n2']), c('ns/c', ['n1'], false), c('ns/d', ['n9', 'n1']), c('ns/f', ['n1'])];
    assert.deepEqual(pickWitnesses('ns/silent', ['n1'], all), ['ns/a', 'ns/d', 'ns/e']);
  });
  it('none when no other SE is on its networks', () => {
    assert.deepEqual(pickWitnesses('ns/s', ['n1'], [c('ns/b', ['n2'])]), []);
  });
});

describe('neutronDataPath', () => {
  const r = (witness: string, up: boolean, reason?: string) => ({ witness, address: '198.18.20.5', up, ...(reason !== undefined ? { reason } : {}) });
  const cases: Array<[string, Parameters<typeof neutronDataPath>[0], DataPath['state']]> = [
    ['one witness reaches it', { witnesses: ['a', 'b'], reports: [r('a', false, 'timeout'), r('b', true)], portStatus: ['ACTIVE'] }, 'Up'],
    ['a witness reaching it beats a DOWN port', { witnesses: ['a'], reports: [r('a', true)], portStatus: ['DOWN'] }, 'Up'],
    ['every reporting witness fails', { witnesses: ['a', 'b'], reports: [r('a', false, 'timeout')], portStatus: ['ACTIVE'] }, 'Down'],
    ['every data port DOWN, no witness', { witnesses: [], reports: [], portStatus: ['DOWN', 'DOWN'] }, 'Down'],
    ['one port DOWN of two is not enough', { witnesses: [], reports: [], portStatus: ['DOWN', 'ACTIVE'] }, 'Unknown'],
    ['ACTIVE ports are never taken for Up', { witnesses: [], reports: [], portStatus: ['ACTIVE'] }, 'Unknown'],
    ['witnesses asked, none reported yet', { witnesses: ['a'], reports: [], portStatus: ['ACTIVE'] }, 'Unknown'],
  ];
  for (const [name, input, want] of cases) it(name, () => assert.equal(neutronDataPath(input).state, want));
  it('says who failed to reach it and why', () => {
    assert.deepEqual(neutronDataPath({ witnesses: ['a', 'b'], reports: [r('b', false, 'timeout'), r('a', false, 'connection refused')], portStatus: [] }),
      { state: 'Down', reason: 'its data path does not answer a, b (connection refused; timeout)' });
  });
  it('a silent SE a witness reaches is Partitioned; one none reaches is Failed after the timeout', () => {
    const base = { connectivity: 'Disconnected' as const, silentSince: now - 60_000, now, heardFrom: true, declaredFailed: false };
    assert.equal(judgeHeartbeat(P, { ...base, dataPath: neutronDataPath({ witnesses: ['a'], reports: [r('a', true)], portStatus: ['ACTIVE'] }) }).kind, 'Partitioned');
    assert.equal(judgeHeartbeat(P, { ...base, dataPath: neutronDataPath({ witnesses: ['a'], reports: [r('a', false, 'timeout')], portStatus: ['ACTIVE'] }) }).kind, 'Failed');
    assert.equal(judgeHeartbeat(P, { ...base, dataPath: neutronDataPath({ witnesses: [], reports: [], portStatus: ['ACTIVE'] }) }).kind, 'Undetermined');
  });
});
