// What the CloudView keeps of a listed VNC object (slim): every field a planner reads, refs by
// uuid and attr, no hrefs/perms/fq_names of refs/owner annotations, repeated strings shared.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { slim, vncOwner } from './viewsources.js';
import { isInterned } from '../runtime/intern.js';
import type { VncObject } from './contrail.js';

const listed = (): VncObject => JSON.parse(JSON.stringify({
  uuid: '03906dd3-bfae-482b-8424-adfcfcb80d60', fq_name: ['default-domain', 'admin', 'lbop-07f40328-vip-0'], name: 'lbop-07f40328-vip-0',
  display_name: 'lbop-07f40328-vip-0', parent_uuid: '5c1d7e2a-8b3f-4c6d-9e0f-1a2b3c4d5e6f', href: 'http://vnc/instance-ip/03906dd3', perms2: { owner: 'x' },
  id_perms: { created: '2026-12-07T18:54:08.912000', last_modified: '2026-12-07T18:54:08.926000', description: 'd', enable: true },
  annotations: { key_value_pair: [{ key: 'lbop.cluster-id', value: 'c1' }, { key: 'lbop.owner-kind', value: 'VirtualService' }, { key: 'lbop.owner-uid', value: 'u1' }] },
  instance_ip_address: '19.1.253.214', instance_ip_mode: 'active-active', subnet_uuid: 'a834986a-385e-4616-9d9c-6b91cfaa51e0',
  virtual_network_refs: [{ to: ['default-domain', 'admin', 'vip-net'], href: 'http://vnc/virtual-network/02b8', uuid: '02b846e6-cd68-4c84-b7ab-3709946ed28b', attr: null }],
  network_ipam_refs: [{ to: ['default-domain', 'default-project', 'ipam'], uuid: 'ipam-1', attr: { ipam_subnets: [{ subnet_uuid: 's1' }] } }],
  floating_ip_pools: [{ to: ['default-domain', 'admin', 'vip-net', 'pool'], uuid: 'fp-1' }],
})) as VncObject;

test('slim keeps what planners read: refs by uuid and attr, fields, timestamps; drops hrefs, perms, annotations', () => {
  const o = listed();
  const owner = vncOwner(o);
  const s = slim(o) as unknown as Record<string, unknown>;
  assert.equal(owner?.uid, 'u1', 'the owner is read before slim drops the annotations');
  assert.deepEqual(s, {
    uuid: '03906dd3-bfae-482b-8424-adfcfcb80d60', fq_name: ['default-domain', 'admin', 'lbop-07f40328-vip-0'], name: 'lbop-07f40328-vip-0',
    display_name: 'lbop-07f40328-vip-0', parent_uuid: '5c1d7e2a-8b3f-4c6d-9e0f-1a2b3c4d5e6f',
    id_perms: { created: '2026-12-07T18:54:08.912000', last_modified: '2026-12-07T18:54:08.926000' },
    instance_ip_address: '19.1.253.214', instance_ip_mode: 'active-active', subnet_uuid: 'a834986a-385e-4616-9d9c-6b91cfaa51e0',
    virtual_network_refs: [{ to: [], uuid: '02b846e6-cd68-4c84-b7ab-3709946ed28b', attr: null }],
    network_ipam_refs: [{ to: [], uuid: 'ipam-1', attr: { ipam_subnets: [{ subnet_uuid: 's1' }] } }],
    // children are not refs: a floating-ip pool's fq_name is the parent of a VIP's floating-ip
    floating_ip_pools: [{ to: ['default-domain', 'admin', 'vip-net', 'pool'], uuid: 'fp-1' }],
  });
  for (const v of ['02b846e6-cd68-4c84-b7ab-3709946ed28b', 'a834986a-385e-4616-9d9c-6b91cfaa51e0', '5c1d7e2a-8b3f-4c6d-9e0f-1a2b3c4d5e6f', 'active-active', 'default-domain', 'admin']) {
    assert.equal(isInterned(v), true, `${v} is shared`);
  }
  assert.equal(isInterned('19.1.253.214'), false, 'an address is the object\'s own');
});

test('two listings of the same object slim to equal content (change detection sees no change)', () => {
  assert.deepEqual(slim(listed()), slim(listed()));
});
