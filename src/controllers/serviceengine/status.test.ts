import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findCondition, type ServiceEngineStatus } from '../../api/index.js';
import type { SESeen } from './observe.js';
import { sePhase } from '../model/index.js';
import { summarizeSE, type SEReport } from './status.js';

const wasActive = (conditions: ServiceEngineStatus['conditions']): boolean => sePhase({ metadata: { name: 'x' }, status: { conditions } }).wasActive;

const seen: SESeen = {
  mgmt: { uuid: 'm', name: 'lbop-x-mgmt', role: 'mgmt', networkUUID: 'mgmt-net', mac: '02:01', ips: [], attachedTo: 's', referenced: false },
  servers: [{ id: 's', status: 'ACTIVE', fault: undefined, created: '', addresses: new Map([['02:01', ['10.10.10.5']], ['02:02', ['19.1.1.9']]]) }],
  data: [{ uuid: 'd', name: 'lbop-x-data-1', role: 'data', networkUUID: 'vip-net', mac: '02:02', ips: [], attachedTo: 's', referenced: false }],
  extraMgmt: [],
};
const base: SEReport = {
  generation: 3, seen, plan: { phase: 'Ready', actions: [], networksAttached: true, waiting: false }, wasActive: false, now: new Date(0),
  hostedVIPs: [{ virtualService: 'vs2', vipID: '0', ipAddress: '19.1.1.7' }], virtualServices: ['vs2'], bootFault: undefined, blocked: undefined,
};
const cond = (st: ServiceEngineStatus, t: string): string => `${findCondition(st.conditions, t)?.status}/${findCondition(st.conditions, t)?.reason}`;

test('a Ready SE reports server, state, management IP (from Nova addresses by MAC), data vNICs and hosted VIPs', () => {
  const st: ServiceEngineStatus = {};
  summarizeSE(st, base);
  assert.equal(st.serverUUID, 's');
  assert.equal(st.state, 'ACTIVE');
  assert.equal(st.managementIP, '10.10.10.5');
  assert.deepEqual(st.dataInterfaces, [{ networkUUID: 'vip-net', portUUID: 'd', attached: true, macAddress: '02:02', ipAddress: '19.1.1.9' }]);
  assert.deepEqual(st.hostedVIPs, [{ virtualService: 'vs2', vipID: '0', ipAddress: '19.1.1.7' }]);
  assert.equal(st.vsSummary, 'vs2');
  assert.deepEqual([cond(st, 'Ready'), cond(st, 'Booted'), cond(st, 'NetworksAttached')], ['True/Ready', 'True/Active', 'True/Attached']);
  assert.equal(st.observedGeneration, 3);
});

test('summarizing twice changes nothing (no status write in steady state)', () => {
  const st: ServiceEngineStatus = {};
  summarizeSE(st, base);
  const once = structuredClone(st);
  summarizeSE(st, base);
  assert.deepEqual(st, once);
});

test('failed after ACTIVE: not Ready with reason ServerFailed, and stays "was active"', () => {
  const st: ServiceEngineStatus = {};
  summarizeSE(st, base);
  summarizeSE(st, { ...base, wasActive: true, seen: { ...seen, servers: [] }, plan: { phase: 'Failed', actions: [], networksAttached: false, waiting: false } });
  assert.equal(st.state, 'MISSING');
  assert.equal(cond(st, 'Ready'), 'False/ServerFailed');
  assert.equal(wasActive(st.conditions), true);
});

test('a boot fault is shown with Nova\'s message until a boot succeeds', () => {
  const st: ServiceEngineStatus = {};
  summarizeSE(st, { ...base, seen: { ...seen, servers: [] }, bootFault: 'No valid host was found.', plan: { phase: 'Booting', actions: [], networksAttached: false, waiting: false } });
  assert.equal(st.fault, 'No valid host was found.');
  assert.equal(st.state, 'PENDING');
  assert.match(findCondition(st.conditions, 'Booted')?.message ?? '', /No valid host was found/);
  summarizeSE(st, base);
  assert.equal(st.fault, undefined);
});

test('blocked by the cloud or the tenancy: not Ready with that reason', () => {
  const st: ServiceEngineStatus = {};
  summarizeSE(st, { ...base, seen: undefined, plan: undefined, blocked: { reason: 'TenantNotAllowed', message: 'namespace x is not mapped' } });
  assert.equal(cond(st, 'Ready'), 'False/TenantNotAllowed');
});

test('the agent: AgentConnected and status.agent; the heartbeat time moves at most once a minute; silence flips it', () => {
  const st: ServiceEngineStatus = {};
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  summarizeSE(st, { ...base, agent: { connectivity: 'Unknown' } });
  assert.equal(cond(st, 'AgentConnected'), 'False/AwaitingHeartbeat');
  summarizeSE(st, { ...base, agent: { connectivity: 'Connected', version: '1.2.3', configVersion: 4, lastHeartbeatAt: t0 } });
  assert.equal(cond(st, 'AgentConnected'), 'True/Heartbeating');
  assert.deepEqual(st.agent, { version: '1.2.3', configVersion: 4, lastHeartbeatTime: '2026-01-01T00:00:00Z' });
  const once = structuredClone(st);
  summarizeSE(st, { ...base, agent: { connectivity: 'Connected', version: '1.2.3', configVersion: 4, lastHeartbeatAt: t0 + 59_000 } });
  assert.deepEqual(st, once, 'a heartbeat within the minute writes nothing');
  summarizeSE(st, { ...base, agent: { connectivity: 'Connected', version: '1.2.3', configVersion: 4, lastHeartbeatAt: t0 + 61_000 } });
  assert.equal(st.agent?.lastHeartbeatTime, '2026-01-01T00:01:01Z');
  summarizeSE(st, { ...base, agent: { connectivity: 'Unknown' } });
  assert.equal(cond(st, 'AgentConnected'), 'True/Heartbeating', 'the grace after a takeover keeps the last verdict');
  summarizeSE(st, { ...base, agent: { connectivity: 'Disconnected', version: '1.2.3', configVersion: 4, lastHeartbeatAt: t0 + 61_000 } });
  assert.equal(cond(st, 'AgentConnected'), 'False/HeartbeatLost');
  assert.equal(cond(st, 'Ready'), 'True/Ready', 'the heartbeat alone never fails the SE (issue 13: repair needs the data path too)');
});

test('without the SE API there is no AgentConnected and no status.agent', () => {
  const st: ServiceEngineStatus = {};
  summarizeSE(st, base);
  assert.equal(findCondition(st.conditions, 'AgentConnected'), undefined);
  assert.equal(st.agent, undefined);
});
