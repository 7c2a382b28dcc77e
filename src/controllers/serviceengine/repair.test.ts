import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Condition } from '../../api/index.js';
import { DATA_PATH_PROBE_WINDOW_MS, DEFAULT_REPAIR_POLICY as P, type HeartbeatVerdict, type SEChannel } from '../model/index.js';
import { AgentRegistry, WitnessBoard, type Heartbeat } from '../../seapi/index.js';
import { dataPathOf, HEALTH_CHECK_PROPERTIES, healthCheckName, planHealthCheck } from './healthcheck.js';
import type { SESeen } from './observe.js';
import { neutronDataPathOfSE, repairEvents, repairRecheckMs, reportRepair, type PeerSE } from './repair.js';

const fq = (u: string): string[] => ['default-domain', 'demo', u];

describe('planHealthCheck', () => {
  const name = healthCheckName('0123abcd-ffff-4444-8888-000000000000');
  it('is named lbop-<uid8>-hc and probes the SE\'s HAProxy on the VMI\'s own address within 3 s', () => {
    assert.equal(name, 'lbop-0123abcd-hc');
    assert.equal(HEALTH_CHECK_PROPERTIES.health_check_type, 'link-local');
    assert.equal(HEALTH_CHECK_PROPERTIES.url_path, 'http://local-ip:8404/lbop-health');
    const p = HEALTH_CHECK_PROPERTIES;
    const ms = (secs: number, usecs: number): number => secs * 1000 + usecs / 1000;
    assert.equal((ms(p.delay, p.delayUsecs) + ms(p.timeout, p.timeoutUsecs)) * p.max_retries, DATA_PATH_PROBE_WINDOW_MS, 'the repair judge waits for exactly this window');
    assert.ok(DATA_PATH_PROBE_WINDOW_MS <= 3000, 'issue 13: a dead SE out of ECMP in ≤ 3 s');
  });
  it('creates the check in the VMIs\' project, then attaches it to every data VMI lacking it', () => {
    assert.deepEqual(planHealthCheck(true, name, [], [{ uuid: 'v1', fqName: fq('v1'), checks: [] }]), [{ kind: 'CreateHealthCheck', name, parent: ['default-domain', 'demo'] }]);
    assert.deepEqual(planHealthCheck(true, name, [], [{ uuid: 'v1', fqName: [], checks: [] }]), [], 'no project known yet: wait for a list');
    const checks = [{ uuid: 'hc', name, attachedTo: ['v1'] }];
    assert.deepEqual(planHealthCheck(true, name, checks, [{ uuid: 'v1', fqName: fq('v1'), checks: ['hc'] }, { uuid: 'v2', fqName: fq('v2'), checks: [] }]),
      [{ kind: 'AttachHealthCheck', vmi: 'v2', check: 'hc' }]);
    assert.deepEqual(planHealthCheck(true, name, checks, [{ uuid: 'v1', fqName: fq('v1'), checks: ['hc'] }]), [], 'steady state: nothing');
  });
  it('a duplicate is detached and deleted; teardown detaches and deletes every check', () => {
    const checks = [{ uuid: 'b', name, attachedTo: ['v1'] }, { uuid: 'a', name, attachedTo: [] }];
    assert.deepEqual(planHealthCheck(true, name, checks, [{ uuid: 'v1', fqName: fq('v1'), checks: ['a', 'b'] }]), [
      { kind: 'DetachHealthCheck', vmi: 'v1', check: 'b' }, { kind: 'DeleteHealthCheck', check: 'b' },
    ]);
    assert.deepEqual(planHealthCheck(false, name, [{ uuid: 'a', name, attachedTo: ['v9'] }], []), [
      { kind: 'DetachHealthCheck', vmi: 'v9', check: 'a' }, { kind: 'DeleteHealthCheck', check: 'a' },
    ]);
  });
});

describe('dataPathOf', () => {
  const h = (active: boolean) => ({ active, checks: [{ name: 'default-domain:demo:lbop-0123abcd-hc', uuid: 'hc', status: active ? 'Active' : 'InActive' }] });
  it('Up when any data vNIC passes, Down when every reported one fails, Unknown when none is reported', () => {
    assert.deepEqual(dataPathOf([fq('v1'), fq('v2')], new Map([['default-domain:demo:v1', h(false)], ['default-domain:demo:v2', h(true)]])), { state: 'Up' });
    assert.deepEqual(dataPathOf([fq('v1')], new Map([['default-domain:demo:v1', h(false)]])), { state: 'Down', reason: 'health check lbop-0123abcd-hc fails on 1/1 data vNIC(s)' });
    assert.equal(dataPathOf([fq('v1')], new Map()).state, 'Unknown');
  });
});

function conds(v: HeartbeatVerdict, start: Condition[] = []): Condition[] {
  const out = structuredClone(start);
  reportRepair(out, v, P, (type, status, reason, message) => {
    const c = out.find((x) => x.type === type);
    const next = { type, status: status ? 'True' : 'False', reason, message, lastTransitionTime: '2026-01-01T00:00:00Z' } as Condition;
    if (c === undefined) out.push(next);
    else Object.assign(c, next);
  });
  return out;
}
const status = (cs: Condition[], t: string): string | undefined => cs.find((c) => c.type === t)?.status;

describe('reportRepair and repairEvents', () => {
  it('Failed sets HeartbeatFailure, Partitioned sets Partitioned; messages carry no counters', () => {
    const failed = conds({ kind: 'Failed', silentMs: 61_234, reason: 'health check x fails on 1/1 data vNIC(s)' });
    assert.equal(status(failed, 'HeartbeatFailure'), 'True');
    assert.equal(status(failed, 'Partitioned'), 'False');
    assert.deepEqual(conds({ kind: 'Failed', silentMs: 99_000, reason: 'health check x fails on 1/1 data vNIC(s)' }), failed, 'a later look writes nothing new');
    const part = conds({ kind: 'Partitioned', silentMs: 12_000 });
    assert.equal(status(part, 'Partitioned'), 'True');
    assert.equal(status(part, 'HeartbeatFailure'), 'False');
  });
  it('the grace keeps earlier verdicts', () => {
    const part = conds({ kind: 'Partitioned', silentMs: 12_000 });
    assert.deepEqual(conds({ kind: 'Grace' }, part), part);
  });
  it('events on flips only', () => {
    const ok = conds({ kind: 'Connected' });
    const part = conds({ kind: 'Partitioned', silentMs: 12_000 });
    const failed = conds({ kind: 'Failed', silentMs: 61_000, reason: 'r' });
    assert.deepEqual(repairEvents('se-0', ok, part).map((e) => e.reason), ['SEPartitioned']);
    assert.deepEqual(repairEvents('se-0', part, part), []);
    assert.deepEqual(repairEvents('se-0', part, failed).map((e) => e.reason), ['SEHeartbeatFailure']);
    const lost = [...ok, { type: 'AgentConnected', status: 'False', reason: 'HeartbeatLost', message: '', lastTransitionTime: '' } as Condition];
    const back = [...ok, { type: 'AgentConnected', status: 'True', reason: 'Heartbeating', message: '', lastTransitionTime: '' } as Condition];
    assert.deepEqual(repairEvents('se-0', lost, back).map((e) => e.reason), ['SEReconnected']);
  });
  it('a silent SE is looked at again soon; a connected one is not', () => {
    assert.equal(repairRecheckMs(P, { kind: 'Silent', silentMs: 59_000 }), 1_000);
    assert.equal(repairRecheckMs(P, { kind: 'Silent', silentMs: 11_000 }), 3_000);
    assert.equal(repairRecheckMs(P, { kind: 'Connected' }), undefined);
    assert.equal(repairRecheckMs(P, { kind: 'Grace' }), 3_000, 'the start grace ends by time: looked at again');
    assert.equal(repairRecheckMs(P, { kind: 'Partitioned', silentMs: 30_000 }), 10_000, 'settled verdicts are re-asked less often');
    assert.equal(repairRecheckMs(P, { kind: 'Failed', silentMs: 70_000, reason: 'r' }), undefined);
  });
});

describe('neutronDataPathOfSE: witnesses asked through the board, answers read from their heartbeats', () => {
  const seen: SESeen = {
    mgmt: undefined, extraMgmt: [],
    servers: [{ id: 'srv-a', status: 'ACTIVE', fault: undefined, created: '', addresses: new Map() }],
    data: [{ uuid: 'p-a', name: 'se-a-data-1', role: 'data', networkUUID: 'vip-net', mac: undefined, ips: ['198.18.20.5'], attachedTo: 'srv-a', referenced: true, status: 'ACTIVE' }],
  };
  const hb = (sequence: number, probes?: Heartbeat['probes']): Heartbeat => ({
    bootID: 'boot', sequence, sentAt: '', agentVersion: '0', applied: { version: 1, hash: 'h' }, vips: [], se: { cpuPercent: 0, memoryBytes: 0 }, ...(probes !== undefined ? { probes } : {}),
  });
  const setup = (): { ch: SEChannel; agents: AgentRegistry; board: WitnessBoard } => {
    const agents = new AgentRegistry({ timeoutMs: 10_000, now: () => 0 });
    const board = new WitnessBoard();
    return { agents, board, ch: { agents, witnesses: board, repair: P } as unknown as SEChannel };
  };
  const peers = (): PeerSE[] => [{ key: 'ns/se-a', networks: ['vip-net'] }, { key: 'ns/se-b', networks: ['vip-net'] }, { key: 'ns/se-c', networks: ['other-net'] }];

  it('asks the connected SE on its network, and counts only answers from after the ask', () => {
    const { ch, agents, board } = setup();
    agents.accept('ns/se-b', 'srv-b', hb(1, [{ se: 'ns/se-a', address: '198.18.20.5', up: true }]), 1_000); // before the ask: stale
    agents.accept('ns/se-c', 'srv-c', hb(1), 1_000);
    const first = neutronDataPathOfSE(ch, 'ns/se-a', seen, peers, 2_000);
    assert.deepEqual(first, { state: 'Unknown', reason: 'waiting for ns/se-b to probe its data path' });
    assert.deepEqual(board.targetsFor('ns/se-b', 2_000), [{ se: 'ns/se-a', address: '198.18.20.5', port: 8404 }]);
    assert.deepEqual(board.targetsFor('ns/se-c', 2_000), [], 'not on its network');
    agents.accept('ns/se-b', 'srv-b', hb(2, [{ se: 'ns/se-a', address: '198.18.20.5', up: false, reason: 'timeout' }]), 4_000);
    assert.equal(neutronDataPathOfSE(ch, 'ns/se-a', seen, peers, 4_500).state, 'Down');
    agents.accept('ns/se-b', 'srv-b', hb(3, [{ se: 'ns/se-a', address: '198.18.20.5', up: true }]), 6_000);
    assert.equal(neutronDataPathOfSE(ch, 'ns/se-a', seen, peers, 6_500).state, 'Up');
  });
  it('no witness: Unknown, unless Neutron reports every data port DOWN', () => {
    const { ch } = setup();
    assert.equal(neutronDataPathOfSE(ch, 'ns/se-a', seen, peers, 2_000).state, 'Unknown', 'ns/se-b never heartbeated');
    const down = { ...seen, data: seen.data.map((p) => ({ ...p, status: 'DOWN' })) };
    assert.equal(neutronDataPathOfSE(ch, 'ns/se-a', down, peers, 2_000).state, 'Down');
  });
});
