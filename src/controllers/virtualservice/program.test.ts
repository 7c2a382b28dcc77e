import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { errorFromResponse } from '../../cloud/errors.js';
import { problemFrom, program, teardown } from './program.js';
import type { ObservedFIP, ObservedIP, ObservedVipPort, VipPlan } from './vip.js';
import type { RefTarget, VipWriter } from './writers.js';

/** A writer that records the calls in order (the cloud side is covered by the e2e tests). */
function recorder(fail?: (call: string) => Error | undefined): VipWriter & { calls: string[] } {
  const calls: string[] = [];
  const rec = (c: string): void => { calls.push(c); const e = fail?.(c); if (e !== undefined) throw e; };
  return {
    calls,
    ensurePort: async (v: VipPlan) => { if (v.port) return v.port; rec(`port+ ${v.names.port}`); return { uuid: 'port', name: v.names.port, networkUUID: v.target.networkUUID }; },
    ensureIP: async (v: VipPlan) => { if (v.ip) return v.ip; rec(`ip+ ${v.names.ip}`); return { uuid: 'ip', name: v.names.ip, address: '19.1.1.252', vmiRefs: ['port'] }; },
    setMode: async () => rec('mode'),
    ensureFIP: async () => undefined,
    fixFIP: async () => rec('fix'),
    addRef: async (on: RefTarget, o: ObservedIP | ObservedFIP, vmi: string) => rec(`ref+ ${on} ${o.uuid} ${vmi}`),
    deleteRef: async (on: RefTarget, o: ObservedIP | ObservedFIP, vmi: string) => rec(`ref- ${on} ${o.uuid} ${vmi}`),
    deleteFIP: async (f: ObservedFIP) => rec(`fip- ${f.uuid}`),
    deleteIP: async (i: ObservedIP) => rec(`ip- ${i.uuid}`),
    deletePort: async (p: ObservedVipPort) => rec(`port- ${p.uuid}`),
  };
}

const target = { vipID: '0', networkUUID: 'net', subnetUUID: 'sub', cidr: '19.1.1.0/24' };
const names = { port: 'lbop-x-vip-0', ip: 'lbop-x-vip-0', fip: 'lbop-x-fip-0' };
const fresh: VipPlan = { target, names, port: undefined, ip: undefined, setMode: undefined, release: [], fip: undefined, fipFixTo: undefined };
const vnic = (se: string) => ({ se, vmiUUID: `vmi-${se}`, attached: true, healthy: true });

describe('program', () => {
  test('first placement: port, address, then a ref per ready SE; IPAttached each', async () => {
    const w = recorder();
    const r = await program({ vips: [fresh], teardown: { fips: [], ips: [], ports: [] }, assigned: ['a', 'b'], vnics: () => [vnic('a'), vnic('b')], ecmp: true, writer: w });
    assert.deepEqual(w.calls, ['port+ lbop-x-vip-0', 'ip+ lbop-x-vip-0', 'ref+ ip ip vmi-a', 'ref+ ip ip vmi-b']);
    assert.deepEqual([...r.programmed].sort(), ['a', 'b']);
    assert.deepEqual(r.events.map((e) => e.reason), ['IPAttached', 'IPAttached']);
    assert.equal(r.vips[0]?.ipAddress, '19.1.1.252');
    assert.equal(r.retry, false);
  });

  test('a held (draining) SE keeps its ref and is not counted programmed; released, its ref goes', async () => {
    const placed: VipPlan = { ...fresh, port: { uuid: 'port', name: names.port, networkUUID: 'net' }, ip: { uuid: 'ip', name: names.ip, address: '19.1.1.252', vmiRefs: ['port', 'vmi-a', 'vmi-b', 'vmi-c'] } };
    const vnics = (): ReturnType<typeof vnic>[] => [vnic('a'), vnic('b'), vnic('c')];
    const held = recorder();
    const r = await program({ vips: [placed], teardown: { fips: [], ips: [], ports: [] }, assigned: ['a', 'b'], hold: ['c'], vnics, ecmp: true, writer: held });
    assert.deepEqual(held.calls, [], 'no ref removed while draining');
    assert.deepEqual([[...r.programmed].sort(), r.vips[0]?.programmed], [['a', 'b'], 2]);
    const released = recorder();
    await program({ vips: [placed], teardown: { fips: [], ips: [], ports: [] }, assigned: ['a', 'b'], vnics, ecmp: true, writer: released });
    assert.deepEqual(released.calls, ['ref- ip ip vmi-c']);
  });

  test('active-only (plain Neutron): the pair stays on the draining active, moves once it is released', async () => {
    const onC: VipPlan = { ...fresh, port: { uuid: 'port', name: names.port, networkUUID: 'net' }, ip: { uuid: 'ip', name: names.ip, address: '19.1.1.252', vmiRefs: ['port', 'vmi-c'] } };
    const vnics = (): ReturnType<typeof vnic>[] => [vnic('a'), vnic('c')];
    const held = recorder();
    await program({ vips: [onC], teardown: { fips: [], ips: [], ports: [] }, assigned: ['a'], hold: ['c'], vnics, ecmp: false, activeOnly: true, writer: held });
    assert.deepEqual(held.calls, [], 'the pair stays on c during its drain');
    const moved = recorder();
    await program({ vips: [onC], teardown: { fips: [], ips: [], ports: [] }, assigned: ['a'], vnics, ecmp: false, activeOnly: true, writer: moved });
    assert.deepEqual(moved.calls, ['ref+ ip ip vmi-a', 'ref- ip ip vmi-c'], 'after the drain: on a first, then off c');
  });

  test('a failing ref-update: OPER_DOWN problem, IPAttachFailure, retry; the SE is not programmed', async () => {
    const boom = errorFromResponse({ api: 'contrail', op: 'ref-update', status: 500, body: 'injected' });
    const w = recorder((c) => (c.startsWith('ref+') ? boom : undefined));
    const r = await program({ vips: [fresh], teardown: { fips: [], ips: [], ports: [] }, assigned: ['a'], vnics: () => [vnic('a')], ecmp: true, writer: w });
    assert.equal(r.problems[0]?.state, 'OPER_DOWN');
    assert.equal(r.problems[0]?.reason, 'ProgrammingFailed');
    assert.match(r.problems[0]?.message ?? '', /injected/);
    assert.deepEqual(r.events.map((e) => e.reason), ['IPAttachFailure']);
    assert.equal(r.programmed.size, 0);
    assert.equal(r.retry, true);
  });

  test('static address changed: old released only after the new one carries every ready SE', async () => {
    const old: ObservedIP = { uuid: 'old', name: 'lbop-x-vip-0-19-1-1-50', address: '19.1.1.50', vmiRefs: ['port', 'vmi-a'] };
    const plan: VipPlan = { ...fresh, port: { uuid: 'port', name: names.port, networkUUID: 'net' }, release: [old] };
    const w = recorder();
    await program({ vips: [plan], teardown: { fips: [], ips: [], ports: [] }, assigned: ['a'], vnics: () => [vnic('a')], ecmp: true, writer: w });
    assert.deepEqual(w.calls, ['ip+ lbop-x-vip-0', 'ref+ ip ip vmi-a', 'ref- ip old vmi-a', 'ip- old']);
    const stuck = recorder((c) => (c.startsWith('ref+') ? errorFromResponse({ api: 'contrail', op: 'ref-update', status: 503, body: 'x' }) : undefined));
    await program({ vips: [plan], teardown: { fips: [], ips: [], ports: [] }, assigned: ['a'], vnics: () => [vnic('a')], ecmp: true, writer: stuck });
    assert.equal(stuck.calls.includes('ip- old'), false, 'the old address stays while the new one is not placed');
  });
});

describe('teardown', () => {
  test('refs first (drain), then floating IPs, addresses, ports', async () => {
    const w = recorder();
    await teardown(w, {
      ips: [{ uuid: 'ip', name: 'n', address: 'a', vmiRefs: ['port', 'vmi-a', 'vmi-b'] }],
      fips: [{ uuid: 'fip', name: 'f', address: 'b', fixedAddress: 'a', vmiRefs: ['vmi-a'] }],
      ports: [{ uuid: 'port', name: 'p', networkUUID: 'net' }],
    });
    assert.deepEqual(w.calls, ['ref- ip ip vmi-a', 'ref- ip ip vmi-b', 'ref- fip fip vmi-a', 'fip- fip', 'ip- ip', 'port- port']);
  });
});

describe('problemFrom', () => {
  const cases: [string, Parameters<typeof errorFromResponse>[0], string, string][] = [
    ['exhausted subnet', { api: 'contrail', op: 'create', status: 400, body: "Virtual-Network(['d', 'p', 'vn']) has exhausted subnet(['19.1.1.0/24'])" }, 'OPER_RESOURCES', 'IPExhausted'],
    ['address in use (VNC)', { api: 'contrail', op: 'create', status: 409, body: 'IP address already in use' }, 'OPER_RESOURCES', 'IPInUse'],
    ['address in use (Neutron)', { api: 'neutron', op: 'createPort', status: 409, body: JSON.stringify({ NeutronError: { type: 'IpAddressInUse', message: 'The IP address 19.1.1.5 is in use.', detail: '' } }) }, 'OPER_RESOURCES', 'IPInUse'],
    ['no more addresses (Neutron)', { api: 'neutron', op: 'createPort', status: 409, body: JSON.stringify({ NeutronError: { type: 'IpAddressGenerationFailure', message: 'No more IP addresses available on network n.', detail: '' } }) }, 'OPER_RESOURCES', 'IPExhausted'],
    ['server error', { api: 'contrail', op: 'ref-update', status: 500, body: 'boom' }, 'OPER_DOWN', 'ProgrammingFailed'],
  ];
  for (const [name, f, state, reason] of cases) {
    test(name, () => {
      const p = problemFrom(errorFromResponse(f), '0', 'Placed');
      assert.equal(p.state, state);
      assert.equal(p.reason, reason);
      assert.match(p.message, /^VIP 0: /);
    });
  }
});
