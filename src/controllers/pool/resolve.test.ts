import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveServer, resolvedCondition, serverNetworks, statusServers } from './resolve.js';
import { fromVirtualNetwork, mayUseNetwork, type NetworkInfo } from '../model/index.js';

const net = (name: string, project: string, cidrs: string[], over: Partial<NetworkInfo> = {}): NetworkInfo => ({
  uuid: `uuid-${name}`, name, projectName: project, shared: false, external: false,
  subnets: cidrs.map((cidr, i) => ({ uuid: `sub-${name}-${i}`, cidr })), floatingIpPools: [], ...over,
});

const networks = [
  net('server-net', 'demo', ['20.0.0.0/24']),
  net('other-net', 'team-b', ['30.0.0.0/24']),
  net('shared-net', 'admin', ['40.0.0.0/24'], { shared: true }),
  net('dup-a', 'demo', ['50.0.0.0/24']),
  net('dup-b', 'demo', ['50.0.0.0/24']),
  net('overlap-other', 'team-b', ['20.0.0.0/24']),
];
const demo = { name: 'demo' };

describe('resolveServer', () => {
  const cases: { name: string; server: { ip: string; port: number; networkRef?: string }; want: Record<string, unknown> }[] = [
    { name: 'own network by subnet', server: { ip: '20.0.0.3', port: 80 },
      want: { resolved: true, networkUUID: 'uuid-server-net', subnetUUID: 'sub-server-net-0', subnetCIDR: '20.0.0.0/24' } },
    { name: 'shared network', server: { ip: '40.0.0.9', port: 80 }, want: { resolved: true, networkUUID: 'uuid-shared-net' } },
    { name: 'another project only', server: { ip: '30.0.0.5', port: 80 }, want: { resolved: false, failure: 'Forbidden' } },
    { name: 'nowhere', server: { ip: '99.0.0.1', port: 80 }, want: { resolved: false, failure: 'NoSubnet' } },
    { name: 'two own networks: ambiguous', server: { ip: '50.0.0.1', port: 80 }, want: { resolved: false, failure: 'Ambiguous' } },
    { name: 'networkRef disambiguates', server: { ip: '50.0.0.1', port: 80, networkRef: 'dup-b' }, want: { resolved: true, networkUUID: 'uuid-dup-b' } },
    { name: 'networkRef by uuid', server: { ip: '50.0.0.1', port: 80, networkRef: 'uuid-dup-a' }, want: { resolved: true, networkUUID: 'uuid-dup-a' } },
    { name: 'networkRef of another project', server: { ip: '30.0.0.5', port: 80, networkRef: 'other-net' }, want: { resolved: false, failure: 'Forbidden' } },
    { name: 'networkRef unknown', server: { ip: '20.0.0.3', port: 80, networkRef: 'nope' }, want: { resolved: false, failure: 'NotFound' } },
    { name: 'networkRef without a containing subnet', server: { ip: '21.0.0.3', port: 80, networkRef: 'server-net' }, want: { resolved: false, failure: 'NoSubnet' } },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const r = resolveServer(c.server, networks, demo);
      for (const [k, v] of Object.entries(c.want)) assert.equal((r as unknown as Record<string, unknown>)[k], v, k);
      if (!r.resolved) assert.ok((r.reason ?? '').length > 0, 'an unresolved server carries a reason');
    });
  }

  test('an own network wins over another project\'s overlapping one', () => {
    assert.equal(resolveServer({ ip: '20.0.0.3', port: 80 }, networks, demo).networkUUID, 'uuid-server-net');
  });

  test('project given by id matches Contrail parent_uuid with dashes', () => {
    const n = net('x', 'demo', ['1.0.0.0/24'], { projectId: '5c1d7e2a-8b3f-4c6d-9e0f-1a2b3c4d5e6f' });
    assert.equal(mayUseNetwork({ id: '5c1d7e2a8b3f4c6d9e0f1a2b3c4d5e6f' }, n), true);
    assert.equal(mayUseNetwork({ name: '5c1d7e2a8b3f4c6d9e0f1a2b3c4d5e6f' }, n), true, 'tenants[].project may hold an id');
    assert.equal(mayUseNetwork({ id: 'ffff' }, { ...n, projectName: 'zz' }), false);
  });
});

describe('pool status', () => {
  test('Resolved condition and server networks', () => {
    const ok = [resolveServer({ ip: '20.0.0.3', port: 80 }, networks, demo), resolveServer({ ip: '40.0.0.1', port: 81 }, networks, demo)];
    assert.deepEqual(resolvedCondition(ok, 3), { type: 'Resolved', status: 'True', reason: 'Resolved', message: '2 of 2 servers resolved', observedGeneration: 3 });
    assert.deepEqual(serverNetworks(ok), ['uuid-server-net', 'uuid-shared-net']);
    const bad = [...ok, resolveServer({ ip: '30.0.0.5', port: 80 }, networks, demo)];
    const c = resolvedCondition(bad, 4);
    assert.equal(c.status, 'False');
    assert.equal(c.reason, 'Forbidden');
    assert.match(c.message, /2 of 3 servers resolved; 30\.0\.0\.5: /);
    assert.equal('failure' in (statusServers(bad)[2] as object), false);
  });
});

test('fromVirtualNetwork reads subnets, project and floating-ip pools', () => {
  const n = fromVirtualNetwork({
    uuid: 'vn1', fq_name: ['default-domain', 'admin', 'public'], parent_uuid: 'p-uuid', is_shared: true, router_external: true,
    network_ipam_refs: [{ to: ['default-domain', 'default-project', 'default-network-ipam'], attr: { ipam_subnets: [{ subnet: { ip_prefix: '203.0.113.0', ip_prefix_len: 24 }, subnet_uuid: 's1' }] } }],
    floating_ip_pools: [{ to: ['default-domain', 'admin', 'public', 'public-pool'], uuid: 'fp' }],
  });
  assert.deepEqual(n, { uuid: 'vn1', name: 'public', projectName: 'admin', projectId: 'p-uuid', shared: true, external: true,
    subnets: [{ uuid: 's1', cidr: '203.0.113.0/24' }], floatingIpPools: [['default-domain', 'admin', 'public', 'public-pool']] });
});
