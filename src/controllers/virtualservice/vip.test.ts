import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addressMode, mayRelease, planVips, resolveVip, vipNames, type VipObservation, type VipTarget } from './vip.js';
import type { NetworkInfo } from '../model/index.js';

const net = (name: string, project: string, cidr: string, over: Partial<NetworkInfo> = {}): NetworkInfo => ({
  uuid: `uuid-${name}`, name, projectName: project, shared: false, external: false,
  subnets: [{ uuid: `sub-${name}`, cidr }], floatingIpPools: [], ...over,
});
const networks = [
  net('vip-net', 'demo', '19.1.1.0/24'),
  net('other', 'team-b', '30.0.0.0/24'),
  net('public', 'admin', '203.0.113.0/24', { shared: true, external: true, floatingIpPools: [['default-domain', 'admin', 'public', 'public-pool']] }),
  net('private-ext', 'team-b', '198.51.100.0/24', { external: true, floatingIpPools: [['default-domain', 'team-b', 'private-ext', 'p']] }),
];
const demo = { name: 'demo' };
const contrail = { contrail: true, cloudFloatingNetwork: 'public' };

describe('resolveVip', () => {
  test('auto-allocated VIP in an own subnet', () => {
    const r = resolveVip({ vipID: '0', autoAllocateIP: true, subnetUUID: 'sub-vip-net' }, networks, demo, contrail);
    assert.deepEqual(r.target, { vipID: '0', networkUUID: 'uuid-vip-net', subnetUUID: 'sub-vip-net', cidr: '19.1.1.0/24' });
  });
  test('static VIP by networkRef', () => {
    const r = resolveVip({ vipID: '0', autoAllocateIP: false, ipAddress: '19.1.1.50', networkRef: 'vip-net' }, networks, demo, contrail);
    assert.equal(r.target?.staticIP, '19.1.1.50');
    assert.equal(r.target?.subnetUUID, 'sub-vip-net');
  });
  const refusals: [string, Parameters<typeof resolveVip>[0], string][] = [
    ['cross-tenant subnet', { vipID: '0', subnetUUID: 'sub-other' }, 'Forbidden'],
    ['unknown subnet', { vipID: '0', subnetUUID: 'nope' }, 'NotFound'],
    ['static IP outside the subnet', { vipID: '0', autoAllocateIP: false, ipAddress: '10.0.0.1', subnetUUID: 'sub-vip-net' }, 'InvalidSpec'],
    ['subnet CIDR differs from the stated one', { vipID: '0', subnetUUID: 'sub-vip-net', subnet: '19.1.2.0/24' }, 'InvalidSpec'],
    ['no subnet nor network', { vipID: '0' }, 'InvalidSpec'],
    ['floating network of another project', { vipID: '0', subnetUUID: 'sub-vip-net', autoAllocateFloatingIP: true, floatingNetworkRef: 'private-ext' }, 'Forbidden'],
    ['floating network without a pool (Contrail)', { vipID: '0', subnetUUID: 'sub-vip-net', autoAllocateFloatingIP: true, floatingNetworkRef: 'vip-net' }, 'NotFound'],
  ];
  test('plain Neutron: a floating IP from any external network (no pool needed, no sharing needed); a non-external one refused', () => {
    const r = resolveVip({ vipID: '0', subnetUUID: 'sub-vip-net', autoAllocateFloatingIP: true, floatingNetworkRef: 'private-ext' }, networks, demo, { contrail: false });
    assert.equal(r.refusal, undefined);
    assert.deepEqual(r.target?.floating, { networkUUID: 'uuid-private-ext', poolFq: ['default-domain', 'team-b', 'private-ext', 'p'] });
    const plain = resolveVip({ vipID: '0', subnetUUID: 'sub-vip-net', floatingIP: '203.0.113.9', floatingNetworkRef: 'public' }, networks.map((n) => ({ ...n, floatingIpPools: [] })), demo, { contrail: false });
    assert.deepEqual(plain.target?.floating, { networkUUID: 'uuid-public', address: '203.0.113.9' });
    const internal = resolveVip({ vipID: '0', subnetUUID: 'sub-vip-net', autoAllocateFloatingIP: true, floatingNetworkRef: 'vip-net' }, networks, demo, { contrail: false });
    assert.equal(internal.refusal?.reason, 'NotFound');
    assert.match(internal.refusal?.message ?? '', /vip-net is not external/);
  });
  for (const [name, vip, reason] of refusals) {
    test(`refused: ${name}`, () => {
      const r = resolveVip(vip, networks, demo, contrail);
      assert.equal(r.target, undefined);
      assert.equal(r.refusal?.reason, reason);
      assert.match(r.refusal?.message ?? '', /^VIP 0: /);
    });
  }
  test('floating IP from the Cloud default network (shared)', () => {
    const r = resolveVip({ vipID: '0', subnetUUID: 'sub-vip-net', autoAllocateFloatingIP: true }, networks, demo, contrail);
    assert.deepEqual(r.target?.floating, { networkUUID: 'uuid-public', poolFq: ['default-domain', 'admin', 'public', 'public-pool'] });
  });
});

describe('vipNames', () => {
  test('deterministic, static addresses named by the address', () => {
    assert.deepEqual(vipNames('1b4e28ba-2fa1-11d2-883f-0016d3cca427', '0'), {
      port: 'lbop-1b4e28ba-vip-0', ip: 'lbop-1b4e28ba-vip-0', fip: 'lbop-1b4e28ba-fip-0' });
    assert.equal(vipNames('1b4e28ba-2fa1', '0', '19.1.1.50').ip, 'lbop-1b4e28ba-vip-0-19-1-1-50');
    assert.equal(addressMode(true), 'active-active');
    assert.equal(addressMode(false), 'active-standby');
  });
});

describe('planVips', () => {
  const uid = 'aaaaaaaa-0000';
  const target: VipTarget = { vipID: '0', networkUUID: 'uuid-vip-net', subnetUUID: 'sub-vip-net', cidr: '19.1.1.0/24' };
  const empty: VipObservation = { ports: [], ips: [], fips: [] };

  test('nothing observed: everything to create, nothing to tear down', () => {
    const p = planVips(uid, [target], empty, true);
    assert.equal(p.vips[0]?.port, undefined);
    assert.equal(p.vips[0]?.ip, undefined);
    assert.deepEqual(p.teardown, { fips: [], ips: [], ports: [] });
  });

  test('adopts objects with the deterministic names; fixes the address mode', () => {
    const seen: VipObservation = {
      ports: [{ uuid: 'p1', name: 'lbop-aaaaaaaa-vip-0', networkUUID: 'uuid-vip-net' }],
      ips: [{ uuid: 'i1', name: 'lbop-aaaaaaaa-vip-0', address: '19.1.1.252', mode: 'active-standby', vmiRefs: ['p1'] }],
      fips: [],
    };
    const p = planVips(uid, [target], seen, true);
    assert.equal(p.vips[0]?.port?.uuid, 'p1');
    assert.equal(p.vips[0]?.ip?.uuid, 'i1');
    assert.equal(p.vips[0]?.setMode, 'active-active');
    assert.equal(planVips(uid, [target], seen, false).vips[0]?.setMode, undefined);
  });

  test('static IP changed: the old address is released (later), the new one created', () => {
    const seen: VipObservation = {
      ports: [{ uuid: 'p1', name: 'lbop-aaaaaaaa-vip-0', networkUUID: 'uuid-vip-net' }],
      ips: [{ uuid: 'old', name: 'lbop-aaaaaaaa-vip-0-19-1-1-50', address: '19.1.1.50', mode: 'active-active', vmiRefs: ['p1', 'se1'] }],
      fips: [{ uuid: 'f1', name: 'lbop-aaaaaaaa-fip-0', address: '203.0.113.9', fixedAddress: '19.1.1.50', vmiRefs: ['se1'] }],
    };
    const t = { ...target, staticIP: '19.1.1.60', floating: { networkUUID: 'uuid-public' } };
    const p = planVips(uid, [t], seen, true);
    assert.equal(p.vips[0]?.ip, undefined, 'the new address does not exist yet');
    assert.deepEqual(p.vips[0]?.release.map((i) => i.uuid), ['old']);
    assert.equal(p.vips[0]?.fip?.uuid, 'f1');
    assert.deepEqual(p.teardown, { fips: [], ips: [], ports: [] }, 'nothing is torn down while the VIP is wanted');
  });

  test('floating IP follows the VIP address', () => {
    const seen: VipObservation = {
      ports: [{ uuid: 'p1', name: 'lbop-aaaaaaaa-vip-0', networkUUID: 'n' }],
      ips: [{ uuid: 'i2', name: 'lbop-aaaaaaaa-vip-0-19-1-1-60', address: '19.1.1.60', vmiRefs: ['p1'] }],
      fips: [{ uuid: 'f1', name: 'lbop-aaaaaaaa-fip-0', address: '203.0.113.9', fixedAddress: '19.1.1.50', vmiRefs: [] }],
    };
    const p = planVips(uid, [{ ...target, staticIP: '19.1.1.60', floating: { networkUUID: 'uuid-public' } }], seen, true);
    assert.equal(p.vips[0]?.fipFixTo, '19.1.1.60');
  });

  test('VIP removed from the spec: its objects are torn down; floating IP dropped when no longer asked', () => {
    const seen: VipObservation = {
      ports: [{ uuid: 'p0', name: 'lbop-aaaaaaaa-vip-0', networkUUID: 'n' }, { uuid: 'p1', name: 'lbop-aaaaaaaa-vip-1', networkUUID: 'n' }],
      ips: [{ uuid: 'i0', name: 'lbop-aaaaaaaa-vip-0', address: 'a', vmiRefs: ['p0'] }, { uuid: 'i1', name: 'lbop-aaaaaaaa-vip-1', address: 'b', vmiRefs: ['p1', 'se'] }],
      fips: [{ uuid: 'f0', name: 'lbop-aaaaaaaa-fip-0', address: 'c', fixedAddress: 'a', vmiRefs: [] }],
    };
    const p = planVips(uid, [target], seen, true);
    assert.deepEqual(p.teardown.ips.map((x) => x.uuid), ['i1']);
    assert.deepEqual(p.teardown.ports.map((x) => x.uuid), ['p1']);
    assert.deepEqual(p.teardown.fips.map((x) => x.uuid), ['f0']);
    const all = planVips(uid, [], seen, true).teardown;
    assert.equal(all.ips.length + all.ports.length + all.fips.length, 5, 'deleting the VS tears everything down');
  });

  test('mayRelease: only once the new address carries every ready SE', () => {
    assert.equal(mayRelease(0, 2), false);
    assert.equal(mayRelease(2, 2), true);
    assert.equal(mayRelease(0, 0), true);
  });
});
