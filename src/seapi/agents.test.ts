import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentRegistry, type AgentChange } from './agents.js';
import type { Heartbeat, MemberOperStatus } from './protocol.js';

function hb(bootID: string, sequence: number, members: Array<[string, MemberOperStatus, string?]> = [], applied = { version: 1, hash: 'h1' }): Heartbeat {
  return {
    bootID, sequence, sentAt: '2026-12-02T00:00:00Z', agentVersion: '0.1.0', applied,
    vips: [{ id: 'ns/vs/0', listeners: [{ port: 80, up: true }], members: members.map(([id, status, reason]) => ({ id, status, ...(reason !== undefined ? { reason } : {}), currentConnections: 0, totalConnections: 0 })), currentConnections: 0, totalConnections: 0, bytesIn: 0, bytesOut: 0, requests: 0, errors: { http4xx: 0, http5xx: 0, connection: 0 }, responseTimeMs: 0 }],
    se: { cpuPercent: 0, memoryBytes: 0 },
  };
}

function registry(start = 1_000_000): { reg: AgentRegistry; clock: { t: number }; changes: AgentChange[] } {
  const clock = { t: start };
  const reg = new AgentRegistry({ timeoutMs: 10_000, now: () => clock.t });
  const changes: AgentChange[] = [];
  reg.onChange((c) => changes.push(c));
  return { reg, clock, changes };
}

describe('AgentRegistry', () => {
  test('replays and reorders within a boot are refused; a new boot starts its own sequence; an earlier boot is stale', () => {
    const { reg } = registry();
    const steps: Array<[string, number, boolean]> = [
      ['b1', 1, true], ['b1', 1, false], ['b1', 0, false], ['b1', 2, true], ['b1', 10, true], ['b1', 9, false],
      ['b2', 0, true], ['b2', 1, true], ['b1', 11, false], ['b3', 5, true], ['b2', 2, false],
    ];
    for (const [boot, seq, accepted] of steps) assert.equal(reg.accept('ns/se', 'srv', hb(boot, seq)).accepted, accepted, `${boot}#${seq}`);
    assert.equal(reg.get('ns/se')?.bootID, 'b3');
    assert.equal(reg.get('ns/se')?.sequence, 5);
  });

  test('a different server under the same SE name is a new agent (its sequence is not judged by the old one)', () => {
    const { reg } = registry();
    assert.ok(reg.accept('ns/se', 'srv-1', hb('b1', 50)).accepted);
    assert.ok(reg.accept('ns/se', 'srv-2', hb('b1', 1)).accepted);
    assert.equal(reg.get('ns/se')?.serverID, 'srv-2');
  });

  test('connected within the timeout; disconnected after it; nobody disconnected during the grace after a start', () => {
    const { reg, clock, changes } = registry();
    assert.equal(reg.state('ns/never'), 'Unknown');
    reg.accept('ns/se', 'srv', hb('b', 1));
    assert.equal(reg.state('ns/se'), 'Connected');
    clock.t += 9_000;
    reg.tick();
    assert.equal(reg.state('ns/never'), 'Unknown', 'still in the grace');
    clock.t += 2_000; // 11 s since the heartbeat and since the start
    assert.equal(reg.state('ns/se'), 'Disconnected');
    assert.equal(reg.state('ns/never'), 'Disconnected');
    assert.equal(reg.connected('ns/se'), false);
    reg.tick();
    reg.tick();
    assert.deepEqual(changes.filter((c) => c.type === 'connected'), [
      { type: 'connected', seKey: 'ns/se', connected: true },
      { type: 'connected', seKey: 'ns/se', connected: false },
    ]);
    reg.accept('ns/se', 'srv', hb('b', 2));
    assert.deepEqual(changes.at(-1), { type: 'connected', seKey: 'ns/se', connected: true });
  });

  test('a leader takeover restarts the grace', () => {
    const { reg, clock } = registry();
    clock.t += 60_000;
    assert.equal(reg.state('ns/se'), 'Disconnected');
    reg.restartGrace();
    assert.equal(reg.state('ns/se'), 'Unknown');
    clock.t += 10_001;
    assert.equal(reg.state('ns/se'), 'Disconnected');
  });

  test('the feed says member up/down and applied-version changes, once each', () => {
    const { reg, changes } = registry();
    reg.accept('ns/se', 'srv', hb('b', 1, [['m1', 'UP'], ['m2', 'NO_MONITOR']]));
    reg.accept('ns/se', 'srv', hb('b', 2, [['m1', 'UP'], ['m2', 'NO_MONITOR']]));
    reg.accept('ns/se', 'srv', hb('b', 3, [['m1', 'DOWN', 'Layer4 connection problem'], ['m2', 'NO_MONITOR']], { version: 2, hash: 'h2' }));
    reg.accept('ns/se', 'srv', hb('b', 4, [['m1', 'DOWN', 'Layer4 timeout'], ['m2', 'NO_MONITOR']], { version: 2, hash: 'h2' }));
    const member = changes.filter((c) => c.type === 'member');
    assert.deepEqual(member.map((c) => c.type === 'member' && `${c.memberID}:${c.previous?.status ?? '-'}→${c.state.status}`), ['m1:-→UP', 'm2:-→NO_MONITOR', 'm1:UP→DOWN']);
    const applied = changes.filter((c) => c.type === 'applied');
    assert.deepEqual(applied.map((c) => c.type === 'applied' && c.applied.version), [1, 2]);
    assert.equal(reg.get('ns/se')?.members.get('ns/vs/0')?.get('m1')?.reason, 'Layer4 timeout');
  });

  test('a rejection is an applied change too', () => {
    const { reg, changes } = registry();
    reg.accept('ns/se', 'srv', hb('b', 1));
    reg.accept('ns/se', 'srv', hb('b', 2, [], { version: 1, hash: 'h1', rejected: { version: 2, error: '[ALERT] parsing' } } as Heartbeat['applied']));
    const last = changes.filter((c) => c.type === 'applied').at(-1);
    assert.equal(last?.type === 'applied' && last.applied.rejected?.version, 2);
  });

  test('forget drops a deleted SE', () => {
    const { reg } = registry();
    reg.accept('ns/se', 'srv', hb('b', 1));
    reg.forget('ns/se');
    assert.equal(reg.size, 0);
  });
});
