import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { AgentRegistry } from './agents.js';
import { registerVSAnalytics } from './analytics.js';
import type { Heartbeat, VipReport } from './protocol.js';

const vip = (id: string, requests: number): VipReport => ({
  id, listeners: [{ port: 80, up: true }], members: [], currentConnections: 2, totalConnections: requests + 1, bytesIn: 100, bytesOut: 2000,
  requests, errors: { http4xx: 1, http5xx: 0, connection: 3 }, responseTimeMs: 250,
});
const hb = (sequence: number, vips: VipReport[]): Heartbeat => ({
  bootID: 'b1', sequence, sentAt: '2026-01-01T00:00:00Z', agentVersion: '0.1.0', applied: { version: 1, hash: 'h' }, vips, se: { cpuPercent: 1, memoryBytes: 1 },
});

test('lbop_vs_* series come from the last heartbeat of each agent, per VIP and SE; the leader only; a forgotten SE takes its series', async () => {
  const agents = new AgentRegistry();
  const registry = new Registry();
  let leading = true;
  registerVSAnalytics(registry, agents, () => leading);
  agents.accept('demo/se-1', 'srv-1', hb(1, [vip('demo/vs2/0', 10)]));
  agents.accept('demo/se-2', 'srv-2', hb(1, [vip('demo/vs2/0', 7)]));
  agents.accept('demo/se-1', 'srv-1', hb(2, [vip('demo/vs2/0', 42)]));
  const text = await registry.metrics();
  assert.match(text, /^lbop_vs_requests_total\{namespace="demo",virtualservice="vs2",vip="0",se="se-1"\} 42$/m);
  assert.match(text, /^lbop_vs_requests_total\{namespace="demo",virtualservice="vs2",vip="0",se="se-2"\} 7$/m);
  assert.match(text, /^lbop_vs_connections_current\{[^}]*se="se-1"\} 2$/m);
  assert.match(text, /^lbop_vs_bytes_out_total\{[^}]*se="se-1"\} 2000$/m);
  assert.match(text, /^lbop_vs_errors_total\{[^}]*se="se-1",class="connection"\} 3$/m);
  assert.match(text, /^lbop_vs_response_time_seconds\{[^}]*se="se-1"\} 0\.25$/m);
  agents.forget('demo/se-2');
  assert.doesNotMatch(await registry.metrics(), /se="se-2"/);
  leading = false;
  assert.doesNotMatch(await registry.metrics(), /^lbop_vs_requests_total\{/m, 'a follower exports none');
});
