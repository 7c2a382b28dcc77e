import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentRegistry, type Heartbeat, type MemberReport, type VipReport } from '../../seapi/index.js';
import { vsOfVip } from '../model/index.js';
import { reportedMembers } from './members.js';

const vip = (id: string, members: Pick<MemberReport, 'id' | 'status'>[]): VipReport => ({
  id, listeners: [], members: members.map((m) => ({ ...m, currentConnections: 0, totalConnections: 0 })),
  currentConnections: 0, totalConnections: 0, bytesIn: 0, bytesOut: 0, requests: 0, errors: { http4xx: 0, http5xx: 0, connection: 0 }, responseTimeMs: 0,
});
const hb = (sequence: number, vips: VipReport[]): Heartbeat => ({
  bootID: 'b1', sequence, sentAt: '2026-12-01T00:00:00Z', agentVersion: '0.1.0', applied: { version: 1, hash: 'h' }, vips, se: { cpuPercent: 0, memoryBytes: 0 },
});

describe('reportedMembers', () => {
  test('the VS\'s VIPs only, merged (UP on any VIP wins); silent agents report nothing', () => {
    let now = 1_000_000;
    const agents = new AgentRegistry({ timeoutMs: 10_000, now: () => now });
    agents.accept('ns/se-1', 'srv-1', hb(1, [
      vip('ns/vs2/0', [{ id: '10.0.0.3:80', status: 'DOWN' }, { id: '10.0.0.4:80', status: 'DOWN' }]),
      vip('ns/vs2/1', [{ id: '10.0.0.3:80', status: 'UP' }, { id: '10.0.0.4:80', status: 'DOWN' }]),
      vip('ns/vs20/0', [{ id: '10.0.0.9:80', status: 'UP' }]),
    ]));
    const m = reportedMembers(agents, 'ns/se-1', 'vs2');
    assert.deepEqual(Object.fromEntries([...(m ?? new Map())].map(([k, v]) => [k, v.status])), { '10.0.0.3:80': 'UP', '10.0.0.4:80': 'DOWN' });
    assert.equal(reportedMembers(agents, 'ns/se-1', 'other'), undefined);
    assert.equal(reportedMembers(agents, 'ns/se-2', 'vs2'), undefined);
    now += 11_000;
    assert.equal(reportedMembers(agents, 'ns/se-1', 'vs2'), undefined, 'a silent agent says nothing');
  });

  test('vsOfVip', () => {
    assert.equal(vsOfVip('ns/vs2/0'), 'ns/vs2');
    assert.equal(vsOfVip('bad'), undefined);
  });
});
