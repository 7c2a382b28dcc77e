import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentRecord } from '../../seapi/index.js';
import type { VipReport } from '../../seapi/protocol.js';
import { collectSamples, RateMemory } from './samples.js';

const vip = (id: string, requests: number, currentConnections: number): VipReport => ({
  id, listeners: [{ port: 80, up: true }], members: [], currentConnections, totalConnections: requests, bytesIn: 0, bytesOut: 0, requests,
  errors: { http4xx: 0, http5xx: 0, connection: 0 }, responseTimeMs: 0,
});

function record(seKey: string, o: { bootID?: string; sequence: number; at: number; sentAt?: number; vips: VipReport[]; cpu?: number }): AgentRecord {
  return {
    seKey, serverID: 'srv', bootID: o.bootID ?? 'b1', sequence: o.sequence, lastHeartbeatAt: o.at, agentVersion: 'test',
    applied: { version: 1, hash: 'h' }, members: new Map(), connected: true, earlierBoots: [],
    last: { bootID: o.bootID ?? 'b1', sequence: o.sequence, sentAt: o.sentAt !== undefined ? new Date(o.sentAt).toISOString() : '', agentVersion: 'test', applied: { version: 1, hash: 'h' }, vips: o.vips, se: { cpuPercent: o.cpu ?? 0, memoryBytes: 0 } },
  };
}

const base = { namespace: 'demo', virtualService: 'vs2' };

test('connections: the VS\'s VIPs summed per SE, other VSs ignored; an SE without a report is missing', () => {
  const recs = new Map([['demo/se-a', record('demo/se-a', { sequence: 1, at: 1000, vips: [vip('demo/vs2/0', 5, 30), vip('demo/vs2/1', 1, 12), vip('demo/vs9/0', 9, 99)] })]]);
  const s = collectSamples({ ...base, metric: 'ConnectionsPerSE', ses: ['se-a', 'se-b'], agent: (k) => recs.get(k), rates: new RateMemory() });
  assert.deepEqual(s, [{ se: 'se-a', value: 42, at: new Date(1000) }, { se: 'se-b' }]);
});

test('requests/s: the counter\'s increase between two heartbeats; none from one; reset by a new boot', () => {
  const rates = new RateMemory();
  let rec = record('demo/se-a', { sequence: 1, at: 10_000, vips: [vip('demo/vs2/0', 100, 0)] });
  const sample = (): ReturnType<typeof collectSamples>[number] =>
    collectSamples({ ...base, metric: 'RequestsPerSecondPerSE', ses: ['se-a'], agent: () => rec, rates })[0]!;
  assert.deepEqual(sample(), { se: 'se-a' }, 'a single reading gives no rate');
  rec = record('demo/se-a', { sequence: 3, at: 14_000, vips: [vip('demo/vs2/0', 900, 0)] });
  assert.deepEqual(sample(), { se: 'se-a', value: 200, at: new Date(14_000) });
  // The same heartbeat read again: the same rate, with its (ageing) time.
  assert.deepEqual(sample(), { se: 'se-a', value: 200, at: new Date(14_000) });
  rec = record('demo/se-a', { bootID: 'b2', sequence: 1, at: 16_000, vips: [vip('demo/vs2/0', 10, 0)] });
  assert.deepEqual(sample(), { se: 'se-a' }, 'a restarted agent\'s counters start again: no rate yet');
});

test('requests/s over the agent\'s own clock (sentAt), not when the heartbeats happened to arrive', () => {
  const rates = new RateMemory();
  let rec = record('demo/se-a', { sequence: 1, at: 10_000, sentAt: 9_000, vips: [vip('demo/vs2/0', 0, 0)] });
  const sample = (): ReturnType<typeof collectSamples>[number] =>
    collectSamples({ ...base, metric: 'RequestsPerSecondPerSE', ses: ['se-a'], agent: () => rec, rates })[0]!;
  sample();
  // Sent 2 s apart, received 0.5 s apart (the first one was held up): 1000 requests in 2 s.
  rec = record('demo/se-a', { sequence: 2, at: 10_500, sentAt: 11_000, vips: [vip('demo/vs2/0', 1000, 0)] });
  assert.deepEqual(sample(), { se: 'se-a', value: 500, at: new Date(10_500) });
});

test('CPU: the SE\'s own figure', () => {
  const rec = record('demo/se-a', { sequence: 1, at: 5, vips: [], cpu: 73 });
  assert.deepEqual(collectSamples({ ...base, metric: 'CPUPercent', ses: ['se-a'], agent: () => rec, rates: new RateMemory() }), [{ se: 'se-a', value: 73, at: new Date(5) }]);
});
