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

/** Feeds one SE's heartbeats (sentAt ms, cumulative requests) through a RateMemory; the rate after each. */
function rates(window: number, beats: ReadonlyArray<readonly [number, number, string?]>): (number | undefined)[] {
  const mem = new RateMemory(window);
  return beats.map(([at, requests, boot], i) => mem.rate('demo/se-a|vs2', record('demo/se-a', { bootID: boot ?? 'b1', sequence: i + 1, at: at + 10, sentAt: at, vips: [vip('demo/vs2/0', requests, 0)] }), requests));
}
const round = (xs: (number | undefined)[]): (number | undefined)[] => xs.map((x) => (x === undefined ? undefined : Math.round(x)));

test('requests/s over the sliding window: table', async (t) => {
  const cases: { name: string; window: number; beats: [number, number, string?][]; want: (number | undefined)[] }[] = [
    {
      // Readings 4–6 s apart (measured: 3.7–7.6 s), 460/s: every rate is 460 whatever the spacing.
      name: 'steady load, jittered readings: the load\'s own rate',
      window: 30, beats: [[0, 0], [4_000, 1_840], [10_000, 4_600], [14_000, 6_440], [20_000, 9_200], [25_000, 11_500], [31_000, 14_260], [36_000, 16_560]],
      want: [undefined, 460, 460, 460, 460, 460, 460, 460],
    },
    {
      // The same 460/s arriving in bursts (a stalled client, then a catch-up): two readings swing
      // 0 ↔ 1,380, the window does not once it is full.
      name: 'bursty load: averaged over the window',
      window: 30, beats: [[0, 0], [5_000, 0], [10_000, 6_900], [15_000, 6_900], [20_000, 13_800], [25_000, 13_800], [30_000, 13_800], [35_000, 20_700], [40_000, 20_700]],
      want: [undefined, 0, 690, 460, 690, 552, 460, 690, 460],
    },
    {
      name: 'a load step: the rate rises at the first reading after it, reaches it after one window',
      window: 30, beats: [[0, 0], [5_000, 0], [10_000, 0], [15_000, 0], [20_000, 0], [25_000, 0], [30_000, 0], [35_000, 5_000], [40_000, 10_000], [65_000, 35_000]],
      want: [undefined, 0, 0, 0, 0, 0, 0, 167, 333, 1_000],
    },
    {
      name: 'a new boot starts again (its counters and clock are new); so does a counter that went back',
      window: 30, beats: [[0, 0], [5_000, 5_000], [10_000, 10, 'b2'], [15_000, 5_010, 'b2'], [20_000, 100, 'b2'], [25_000, 2_600, 'b2']],
      want: [undefined, 1_000, undefined, 1_000, undefined, 500],
    },
    {
      name: 'after a silence of more than two windows the rate starts again rather than average it',
      window: 30, beats: [[0, 0], [5_000, 5_000], [80_000, 6_000], [85_000, 6_500]],
      want: [undefined, 1_000, undefined, 100],
    },
    {
      name: 'window 0: the rate between two consecutive readings (what the controller read before the window)',
      window: 0, beats: [[0, 0], [5_000, 0], [10_000, 6_900], [15_000, 6_900]],
      want: [undefined, 0, 1_380, 0],
    },
  ];
  for (const c of cases) await t.test(c.name, () => assert.deepEqual(round(rates(c.window, c.beats)), c.want));
});

test('the reading for the debug line: windowed rate, two-reading rate and the span', () => {
  const mem = new RateMemory(30);
  const feed = (seq: number, at: number, n: number): void => { mem.rate('k', record('demo/se-a', { sequence: seq, at, sentAt: at, vips: [vip('demo/vs2/0', n, 0)] }), n); };
  assert.deepEqual(mem.reading('k'), {});
  feed(1, 0, 0);
  assert.deepEqual(mem.reading('k'), { spanSeconds: 0 });
  feed(2, 5_000, 0);
  feed(3, 10_000, 6_900);
  assert.deepEqual(mem.reading('k'), { rate: 690, instant: 1_380, spanSeconds: 10 });
});
