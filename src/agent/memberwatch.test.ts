import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { VipReport } from '../seapi/protocol.js';
import { memberDigest, watchMembers } from './memberwatch.js';

const vip = (id: string, members: [string, 'UP' | 'DOWN'][]): VipReport => ({
  id, listeners: [], members: members.map(([m, status]) => ({ id: m, status, currentConnections: 7, totalConnections: 9 })),
  currentConnections: 0, totalConnections: 0, bytesIn: 0, bytesOut: 0, requests: 0, errors: { http4xx: 0, http5xx: 0, connection: 0 }, responseTimeMs: 0,
});

describe('memberDigest', () => {
  test('changes with a status, not with counters or order', () => {
    const a = memberDigest([vip('v/0', [['s1', 'UP'], ['s2', 'UP']])]);
    assert.equal(memberDigest([vip('v/0', [['s2', 'UP'], ['s1', 'UP']])]), a);
    const busier = vip('v/0', [['s1', 'UP'], ['s2', 'UP']]);
    for (const m of busier.members) m.totalConnections = 1000;
    assert.equal(memberDigest([busier]), a);
    assert.notEqual(memberDigest([vip('v/0', [['s1', 'UP'], ['s2', 'DOWN']])]), a);
  });
});

describe('watchMembers', () => {
  test('calls onChange once per change (not for the first sample, not for failed ones)', async () => {
    const samples: (string | undefined | Error)[] = ['a', 'a', undefined, new Error('socket'), 'b', 'b', 'a'];
    let i = 0;
    let changes = 0;
    await watchMembers({
      sample: async () => {
        const s = samples[i++];
        if (s instanceof Error) throw s;
        return s;
      },
      onChange: () => changes++,
      intervalMs: 1,
      stopped: () => i > samples.length,
    });
    assert.equal(changes, 2, 'a → b and b → a');
  });
});
