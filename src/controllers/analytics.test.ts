import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { AgentRegistry, registerVSAnalytics, type SEConfig } from '../seapi/index.js';
import type { Heartbeat, MemberReport, VipReport } from '../seapi/protocol.js';
import { registerAnalytics } from './analytics.js';
import type { VSObj } from './model/index.js';

const member = (id: string, status: MemberReport['status'], currentConnections: number): MemberReport => ({ id, status, currentConnections, totalConnections: 0 });
const vip = (id: string, members: MemberReport[], requests = 5): VipReport => ({
  id, listeners: [{ port: 80, up: true }], members, currentConnections: 3, totalConnections: 0, bytesIn: 0, bytesOut: 0, requests,
  errors: { http4xx: 0, http5xx: 0, connection: 0 }, responseTimeMs: 100,
});
const hb = (vips: VipReport[], cpuPercent: number): Heartbeat => ({
  bootID: 'b', sequence: 1, sentAt: '', agentVersion: 't', applied: { version: 1, hash: 'h' }, vips, se: { cpuPercent, memoryBytes: 1e6 },
});
const config = (seKey: string): SEConfig => ({
  version: 1, hash: 'h', serviceEngine: { namespace: 'demo', name: seKey.split('/')[1] ?? '', uid: 'u' },
  vips: [{ id: 'demo/vs2/0', pool: { name: 'demo/vs2-pool' } }],
} as unknown as SEConfig);
const vs2 = {
  metadata: { namespace: 'demo', name: 'vs2' },
  spec: { scaleout: { ecmp: true, minSEs: 1, maxSEs: 3, autoscale: { metric: 'RequestsPerSecondPerSE', target: 20 } } },
  status: { autoscale: { desiredSEs: 3, currentMetric: 410 } },
} as unknown as VSObj;

function setup(seLabels: boolean, leading = { on: true }): Registry {
  const agents = new AgentRegistry({ now: () => 1_700_000_000_000 });
  agents.accept('demo/se-1', 's1', hb([vip('demo/vs2/0', [member('198.18.30.3:80', 'UP', 4), member('198.18.30.4:80', 'DISABLED', 0)])], 37));
  agents.accept('demo/se-2', 's2', hb([vip('demo/vs2/0', [member('198.18.30.3:80', 'DOWN', 1)])], 12));
  const registry = new Registry();
  registerVSAnalytics(registry, agents, () => leading.on, { seLabels });
  registerAnalytics(registry, { agents, configOf: config, virtualServices: () => [vs2], requested: () => 3, exporting: () => leading.on, seLabels });
  return registry;
}

test('pool member, SE and autoscale series; DISABLED members left out; the leader only', async () => {
  const leading = { on: true };
  const text = await setup(true, leading).metrics();
  assert.match(text, /^lbop_pool_member_up\{namespace="demo",virtualservice="vs2",pool="vs2-pool",server="198.18.30.3:80",se="se-1"\} 1$/m);
  assert.match(text, /^lbop_pool_member_up\{[^}]*se="se-2"\} 0$/m);
  assert.doesNotMatch(text, /198\.18\.30\.4/);
  assert.match(text, /^lbop_pool_member_connections_current\{[^}]*se="se-1"\} 4$/m);
  assert.match(text, /^lbop_se_cpu_percent\{namespace="demo",se="se-1"\} 37$/m);
  assert.match(text, /^lbop_se_memory_bytes\{namespace="demo",se="se-2"\} 1000000$/m);
  assert.match(text, /^lbop_se_last_heartbeat_timestamp_seconds\{namespace="demo",se="se-1"\} 1700000000$/m);
  assert.match(text, /^lbop_vs_ses_requested\{namespace="demo",virtualservice="vs2"\} 3$/m);
  assert.match(text, /^lbop_vs_autoscale_metric\{namespace="demo",virtualservice="vs2",metric="RequestsPerSecondPerSE"\} 410$/m);
  assert.match(text, /^lbop_vs_autoscale_target\{namespace="demo",virtualservice="vs2",metric="RequestsPerSecondPerSE"\} 20$/m);
  leading.on = false;
  assert.doesNotMatch(await setup(true, leading).metrics(), /^lbop_(pool|se|vs)_[a-z_]+\{/m, 'a follower exports none');
});

test('--metrics-se-labels=false: no se label; sums over SEs, a member up only when up on every SE', async () => {
  const text = await setup(false).metrics();
  assert.doesNotMatch(text, /^lbop_(vs|pool)_[a-z_]+\{[^}]*se="/m);
  assert.match(text, /^lbop_pool_member_up\{namespace="demo",virtualservice="vs2",pool="vs2-pool",server="198.18.30.3:80"\} 0$/m);
  assert.match(text, /^lbop_pool_member_connections_current\{[^}]*server="198.18.30.3:80"\} 5$/m);
  assert.match(text, /^lbop_vs_requests_total\{namespace="demo",virtualservice="vs2",vip="0"\} 10$/m);
  assert.match(text, /^lbop_vs_connections_current\{namespace="demo",virtualservice="vs2",vip="0"\} 6$/m);
  assert.match(text, /^lbop_vs_response_time_seconds\{namespace="demo",virtualservice="vs2",vip="0"\} 0\.1$/m);
  assert.match(text, /^lbop_se_cpu_percent\{namespace="demo",se="se-1"\} 37$/m, 'SE series keep their one label');
});
