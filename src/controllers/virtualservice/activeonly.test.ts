import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { planActiveOnlyRefs } from './activeonly.js';
import { program } from './program.js';
import type { SEDataVnic } from './ecmp.js';
import type { VipPlan } from './vip.js';
import type { VipWriter } from './writers.js';

const vnic = (se: string, o: Partial<SEDataVnic> = {}): SEDataVnic => ({ se, vmiUUID: `vmi-${se}`, attached: true, healthy: true, ...o });

describe('planActiveOnlyRefs', () => {
  test('first placement: the pair on the oldest ready SE only; the others stand by', () => {
    const p = planActiveOnlyRefs(['a', 'b'], [vnic('a'), vnic('b')], []);
    assert.deepEqual(p.actions, [{ op: 'ADD', vmiUUID: 'vmi-a', se: 'a' }]);
    assert.equal(p.active, 'a');
    assert.deepEqual(p.standby, ['b']);
    assert.deepEqual(p.programmed, ['a', 'b']);
  });

  test('the active fails: its pair off first, then on the standby', () => {
    const p = planActiveOnlyRefs(['b'], [vnic('a', { healthy: false }), vnic('b')], ['vmi-a']);
    assert.deepEqual(p.actions, [{ op: 'DELETE', vmiUUID: 'vmi-a', reason: 'failed' }, { op: 'ADD', vmiUUID: 'vmi-b', se: 'b' }]);
    assert.equal(p.active, 'b');
  });

  test('a pair found on a standby (e.g. left by ECMP mode) moves to the active: added first, then drained', () => {
    const p = planActiveOnlyRefs(['a', 'b'], [vnic('a'), vnic('b')], ['vmi-a', 'vmi-b']);
    assert.deepEqual(p.actions, [{ op: 'DELETE', vmiUUID: 'vmi-b', reason: 'scale-in' }]);
    const q = planActiveOnlyRefs(['a', 'b'], [vnic('a'), vnic('b')], ['vmi-b']);
    assert.deepEqual(q.actions, [{ op: 'ADD', vmiUUID: 'vmi-a', se: 'a' }, { op: 'DELETE', vmiUUID: 'vmi-b', reason: 'scale-in' }]);
  });

  test('an SE not ready yet (agent not serving) is skipped: the next one is active; nothing ready, nothing placed', () => {
    const p = planActiveOnlyRefs(['a', 'b'], [vnic('a', { joinable: false }), vnic('b')], []);
    assert.equal(p.active, 'b');
    assert.deepEqual(p.standby, []);
    const none = planActiveOnlyRefs(['a'], [vnic('a', { attached: false })], []);
    assert.deepEqual([none.active, none.actions, none.programmed], [undefined, [], []]);
  });
});

test('program with activeOnly: one addRef, both SEs programmed (the standby needs no write)', async () => {
  const calls: string[] = [];
  const ok = (): Promise<void> => Promise.resolve();
  const w: VipWriter = {
    ensurePort: () => Promise.resolve(undefined),
    ensureIP: () => Promise.resolve({ uuid: 'vipport', name: 'lbop-x-vip-0', address: '19.1.1.9', vmiRefs: [] }),
    setMode: ok, ensureFIP: () => Promise.resolve(undefined), fixFIP: ok,
    addRef: (_on, _o, vmi) => { calls.push(`+${vmi}`); return ok(); },
    deleteRef: (_on, _o, vmi) => { calls.push(`-${vmi}`); return ok(); },
    deleteFIP: ok, deleteIP: ok, deletePort: ok,
  };
  const target = { vipID: '0', networkUUID: 'net', subnetUUID: 'sub', cidr: '19.1.1.0/24' };
  const v: VipPlan = { target, names: { port: 'p', ip: 'lbop-x-vip-0', fip: 'f' }, port: undefined, ip: undefined, setMode: undefined, release: [], fip: undefined, fipFixTo: undefined };
  const r = await program({ vips: [v], teardown: { fips: [], ips: [], ports: [] }, assigned: ['a', 'b'], vnics: () => [vnic('a'), vnic('b')], ecmp: false, activeOnly: true, writer: w });
  assert.deepEqual(calls, ['+vmi-a']);
  assert.deepEqual([...r.programmed].sort(), ['a', 'b']);
  assert.equal(r.vips[0]?.programmed, 2);
});
