import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentRegistry, type AgentChange, type Heartbeat } from '../../seapi/index.js';
import { memberEvent } from './memberevents.js';

const change = (status: 'UP' | 'DOWN' | 'NO_MONITOR' | 'DISABLED', previous?: 'UP' | 'DOWN' | 'NO_MONITOR', reason?: string) => ({
  type: 'member' as const, seKey: 'demo/default-se-0', vipID: 'demo/vs2/0', memberID: '20.0.0.3:80',
  state: { status, ...(reason !== undefined ? { reason } : {}) }, ...(previous !== undefined ? { previous: { status: previous } } : {}),
});

test('DOWN is a MemberDown Warning with HAProxy\'s check text; UP after DOWN is MemberUp', () => {
  assert.deepEqual(memberEvent(change('DOWN', 'UP', 'Layer4 connection problem')), {
    virtualService: { namespace: 'demo', name: 'vs2' }, type: 'Warning', reason: 'MemberDown',
    note: 'server 20.0.0.3:80 is DOWN as seen from Service Engine demo/default-se-0 (VirtualService vs2, VIP 0): Layer4 connection problem',
  });
  assert.equal(memberEvent(change('DOWN'))?.reason, 'MemberDown', 'down from the first report');
  assert.deepEqual(memberEvent(change('UP', 'DOWN'))?.note, 'server 20.0.0.3:80 is UP again as seen from Service Engine demo/default-se-0 (VirtualService vs2, VIP 0)');
});

test('first UP, unmonitored and disabled members, and a malformed VIP id are silent', () => {
  assert.equal(memberEvent(change('UP')), undefined);
  assert.equal(memberEvent(change('NO_MONITOR', 'DOWN')), undefined);
  assert.equal(memberEvent(change('DISABLED', 'UP')), undefined);
  assert.equal(memberEvent({ ...change('DOWN'), vipID: 'vs2' }), undefined);
});

test('fed by the agent registry: a heartbeat that reports a member DOWN then UP gives the two events', () => {
  const reg = new AgentRegistry({ now: () => 1_000 });
  const seen: AgentChange[] = [];
  reg.onChange((c) => seen.push(c));
  const hb = (status: 'UP' | 'DOWN', sequence: number): Heartbeat => ({
    bootID: 'b1', sequence, sentAt: '2026-12-01T10:00:00Z', agentVersion: '0.1.0', applied: { version: 1, hash: 'h' }, se: { cpuPercent: 1, memoryBytes: 1 },
    vips: [{ id: 'demo/vs2/0', listeners: [{ port: 80, up: true }], members: [{ id: '20.0.0.3:80', status, currentConnections: 0, totalConnections: 0, ...(status === 'DOWN' ? { reason: 'Layer4 timeout' } : {}) }],
      currentConnections: 0, totalConnections: 0, bytesIn: 0, bytesOut: 0, requests: 0, errors: { http4xx: 0, http5xx: 0, connection: 0 }, responseTimeMs: 0 }],
  });
  assert.deepEqual(reg.accept('demo/default-se-0', 'srv-1', hb('UP', 1)), { accepted: true });
  reg.accept('demo/default-se-0', 'srv-1', hb('DOWN', 2));
  reg.accept('demo/default-se-0', 'srv-1', hb('UP', 3));
  const events = seen.flatMap((c) => (c.type === 'member' ? [memberEvent(c)?.reason ?? 'none'] : []));
  assert.deepEqual(events, ['none', 'MemberDown', 'MemberUp']);
});
