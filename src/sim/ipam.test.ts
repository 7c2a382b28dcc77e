import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ipam } from './ipam.js';
import { Random } from './rand.js';
import { VncError, type VncObject } from './store.js';

const vn = (uuid: string): VncObject => ({ type: 'virtual-network', uuid, fq: ['default-domain', 'p', 'vn'], props: {}, refs: {}, created: 0, modified: 0, seq: 1, owner: '' });
const ref = (subnets: unknown[]) => ({ to: ['d', 'p', 'ipam'], uuid: 'ipam', attr: { ipam_subnets: subnets } });

test('plan fills subnet_uuid, gateway last−1, dns last−2, and normalises the prefix', () => {
  const ipam = new Ipam(new Random(1));
  const raw = { subnet: { ip_prefix: '10.0.0.77', ip_prefix_len: 24 } };
  const [s] = ipam.plan(vn('v'), [ref([raw])]);
  assert.deepEqual(raw, { subnet: { ip_prefix: '10.0.0.0', ip_prefix_len: 24 }, subnet_uuid: s?.uuid, default_gateway: '10.0.0.254', dns_server_address: '10.0.0.253', enable_dhcp: true, addr_from_start: false });
});

test('removing a subnet with addresses in use is refused (409)', () => {
  const ipam = new Ipam(new Random(1));
  const v = vn('v');
  ipam.commit('v', ipam.plan(v, [ref([{ subnet: { ip_prefix: '10.0.0.0', ip_prefix_len: 24 } }])]));
  ipam.allocate(v, {});
  assert.throws(() => ipam.plan(v, [ref([])]), (e: unknown) => e instanceof VncError && e.status === 409);
});
