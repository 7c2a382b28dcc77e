import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SEObj } from '../model/index.js';
import { deadDataVmis, planWithdrawals } from './withdraw.js';

type Cond = { type: string; status: string; reason: string };
const se = (name: string, conds: Cond[], opts: { server?: string; deleting?: boolean } = {}): SEObj => ({
  metadata: { name, namespace: 'ns', ...(opts.deleting === true ? { deletionTimestamp: '2026-12-07T00:00:00Z' } : {}) },
  spec: { seGroupRef: 'g', cloudRef: 'c' },
  status: {
    conditions: conds.map((c) => ({ ...c, message: '', lastTransitionTime: '2026-12-07T00:00:00Z' })),
    ...(opts.server !== undefined ? { serverUUID: opts.server } : {}),
    dataInterfaces: [{ networkUUID: 'net', portUUID: `vmi-${name}`, attached: true }],
  },
} as unknown as SEObj);
const booted = { type: 'Booted', status: 'True', reason: 'Active' };
const ready = { type: 'Ready', status: 'True', reason: 'Ready' };

test('dead SEs: reported failed (also while being deleted), or their server dead in the view before the SE says so', () => {
  const servers: Record<string, string> = { s1: 'ACTIVE', s2: 'ERROR', s3: 'ACTIVE', s4: 'ACTIVE', s5: 'ERROR' };
  const ses = [
    se('alive', [booted, ready], { server: 's1' }),
    se('error-in-view', [booted, ready], { server: 's2' }),                              // the SE controller has not written yet
    se('failed', [{ type: 'Booted', status: 'False', reason: 'ServerFailed' }, { type: 'Ready', status: 'False', reason: 'ServerFailed' }], { server: 's3' }),
    se('failed-deleting', [{ type: 'Ready', status: 'False', reason: 'ServerFailed' }], { server: 's4', deleting: true }),
    se('scale-in', [booted, { type: 'Ready', status: 'False', reason: 'Deleting' }], { server: 's1', deleting: true }), // drained on the normal path
    se('heartbeat', [booted, { type: 'Ready', status: 'False', reason: 'HeartbeatFailure' }], { server: 's1' }),
    // Failed, then its deletion began: Booted=False (ServerFailed), Ready=False (Deleting); the view says ERROR.
    se('failed-then-deleting', [{ type: 'Booted', status: 'False', reason: 'ServerFailed' }, { type: 'Ready', status: 'False', reason: 'Deleting' }], { server: 's5', deleting: true }),
  ];
  const dead = deadDataVmis(ses, (id) => servers[id]);
  assert.deepEqual([...dead.values()].sort(), ['error-in-view', 'failed', 'failed-deleting', 'failed-then-deleting', 'heartbeat']);
});

test('withdrawals: every ref of the addresses and floating IPs to a dead VMI, nothing else (not the VIP port, not live SEs)', () => {
  const dead = new Map([['vmi-a', 'a']]);
  const ip = { uuid: 'ip1', name: 'ip1', address: '19.1.0.5', vmiRefs: ['vip-port', 'vmi-a', 'vmi-b'] };
  const fip = { uuid: 'f1', name: 'f1', address: '203.0.113.5', fixedAddress: '19.1.0.5', vmiRefs: ['vmi-a'] };
  const ws = planWithdrawals({ ips: [ip], fips: [fip] }, dead);
  assert.deepEqual(ws.map((w) => `${w.on}:${w.obj.uuid}:${w.vmiUUID}:${w.se}`), ['ip:ip1:vmi-a:a', 'fip:f1:vmi-a:a']);
  assert.deepEqual(planWithdrawals({ ips: [ip], fips: [fip] }, new Map()), []);
  assert.deepEqual(planWithdrawals({ ips: [{ ...ip, vmiRefs: ['vip-port', 'vmi-b'] }], fips: [] }, dead), []);
});
