import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pool, ServiceEngine, VirtualService } from '../api/index.js';
import { DesiredConfigs } from './configs.js';
import { ALGORITHMS, buildDesired, canonicalJSON, configHash, healthMonitorIntent, nextVersion, poolIntent, type DesiredInput } from './desired.js';

const se: ServiceEngine = {
  apiVersion: 'lb.contrail-operator.io/v1alpha1', kind: 'ServiceEngine',
  metadata: { name: 'se-1', namespace: 'tenant', uid: 'se-uid' },
  spec: { cloudRef: 'c', seGroupRef: 'default' },
  status: { serverUUID: 'srv', dataInterfaces: [{ networkUUID: 'net-vip', macAddress: 'fa:16:3e:00:00:01' }, { networkUUID: 'net-other', macAddress: 'fa:16:3e:00:00:02' }] },
};

const pool: Pool = {
  apiVersion: 'lb.contrail-operator.io/v1alpha1', kind: 'Pool',
  metadata: { name: 'web', namespace: 'tenant' },
  spec: { cloudRef: 'c', servers: [{ ip: '20.0.0.3', port: 80 }, { ip: '20.0.0.4', port: 80, ratio: 5, enabled: false }] },
};

function vs(name: string, over: Partial<VirtualService['spec']> = {}, placed: string[] = ['se-1'], status: Partial<NonNullable<VirtualService['status']>> = {}): VirtualService {
  return {
    apiVersion: 'lb.contrail-operator.io/v1alpha1', kind: 'VirtualService',
    metadata: { name, namespace: 'tenant', uid: `uid-${name}` },
    spec: { cloudRef: 'c', poolRef: 'web', vip: [{ vipID: '0' }], services: [{ port: 80 }], ...over },
    status: { vip: [{ vipID: '0', ipAddress: '19.1.1.10', networkRef: 'net-vip' }], serviceEngines: placed.map((n) => ({ name: n })), ...status },
  };
}

const input = (over: Partial<DesiredInput>): DesiredInput => ({ se, virtualServices: [], pools: new Map([['web', pool]]), ...over });

describe('buildDesired', () => {
  const cases: Array<{ name: string; in: Partial<DesiredInput>; vipIDs: string[]; problems?: RegExp[] }> = [
    { name: 'nothing placed: no VIPs', in: {}, vipIDs: [] },
    { name: 'a VS placed on the SE: its VIP', in: { virtualServices: [vs('a')] }, vipIDs: ['tenant/a/0'] },
    { name: 'a VS placed on another SE only: left out', in: { virtualServices: [vs('a', {}, ['se-2'])] }, vipIDs: [] },
    { name: 'a VS of another namespace naming an SE of the same name: left out', in: { virtualServices: [{ ...vs('a'), metadata: { name: 'a', namespace: 'other' } }] }, vipIDs: [] },
    { name: 'a disabled VS: left out', in: { virtualServices: [vs('a', { enabled: false })] }, vipIDs: [] },
    { name: 'a VS being deleted: left out', in: { virtualServices: [{ ...vs('a'), metadata: { name: 'a', namespace: 'tenant', deletionTimestamp: new Date('2026-01-01T00:00:00Z') } }] }, vipIDs: [] },
    { name: 'a VIP without an address yet: left out', in: { virtualServices: [vs('a', { vip: [{ vipID: '0' }, { vipID: '1' }] })] }, vipIDs: ['tenant/a/0'] },
    { name: 'the pool is missing: a problem, no VIP', in: { virtualServices: [vs('a', { poolRef: 'gone' })] }, vipIDs: [], problems: [/pool gone not found/] },
    { name: 'several VSs: sorted by id', in: { virtualServices: [vs('b'), vs('a')] }, vipIDs: ['tenant/a/0', 'tenant/b/0'] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const out = buildDesired(input(c.in));
      assert.deepEqual(out.vips.map((v) => v.id), c.vipIDs);
      assert.equal(out.problems.length, c.problems?.length ?? 0, JSON.stringify(out.problems));
      for (const [i, re] of (c.problems ?? []).entries()) assert.match(out.problems[i]?.message ?? '', re);
      assert.deepEqual(out.serviceEngine, { namespace: 'tenant', name: 'se-1', uid: 'se-uid' });
    });
  }

  test('a VIP: address, interface MAC by network, listeners, pool members (ratio → weight, enabled), not draining', () => {
    const [v] = buildDesired(input({ virtualServices: [vs('a', { services: [{ port: 80 }, { port: 5000, portRangeEnd: 5010, protocol: 'UDP' }] })] })).vips;
    assert.deepEqual(v, {
      id: 'tenant/a/0', virtualService: { namespace: 'tenant', name: 'a', uid: 'uid-a' }, address: '19.1.1.10', interfaceMAC: 'fa:16:3e:00:00:01',
      listeners: [{ port: 80, protocol: 'TCP', http: false }, { port: 5000, portRangeEnd: 5010, protocol: 'UDP', http: false }],
      pool: { name: 'tenant/web', algorithm: 'leastconn', members: [
        { id: '20.0.0.3:80', ip: '20.0.0.3', port: 80, weight: 1, enabled: true },
        { id: '20.0.0.4:80', ip: '20.0.0.4', port: 80, weight: 5, enabled: false },
      ] },
      draining: false, drainTimeoutSeconds: 30,
    });
  });

  test('TLS: the Secret of the VS reaches only the VIPs of that VS; without it the TLS port is left out', () => {
    const secrets: Record<string, { 'tls.crt': string; 'tls.key': string }> = { a: { 'tls.crt': 'CERT-A', 'tls.key': 'KEY-A' } };
    const tlsOf = (v: VirtualService) => secrets[v.metadata.name ?? ''];
    const out = buildDesired(input({ tlsOf, virtualServices: [vs('a', { services: [{ port: 443, enableSSL: true }] }), vs('b', { services: [{ port: 80 }, { port: 443, enableSSL: true }] })] }));
    const a = out.vips.find((v) => v.id === 'tenant/a/0');
    const b = out.vips.find((v) => v.id === 'tenant/b/0');
    assert.deepEqual(a?.listeners, [{ port: 443, protocol: 'TCP', http: true, tls: { certificate: 'CERT-A', privateKey: 'KEY-A' } }]);
    assert.deepEqual(b?.listeners, [{ port: 80, protocol: 'TCP', http: false }]);
    assert.ok(!JSON.stringify(b).includes('KEY-A'));
    assert.equal(out.problems.length, 1);
    assert.match(out.problems[0]?.message ?? '', /port 443 has enableSSL/);
  });

  test('a VS whose only port is TLS without its Secret: the VIP is left out whole, with the problem', () => {
    const out = buildDesired(input({ virtualServices: [vs('a', { services: [{ port: 443, enableSSL: true }] })] }));
    assert.deepEqual(out.vips, []);
    assert.equal(out.problems.length, 1);
  });

  test('draining: the VS this SE is leaving is kept, marked draining, with the drain timeout', () => {
    const [v] = buildDesired(input({ virtualServices: [vs('a')], draining: new Set(['a']), drainTimeoutSeconds: 45 })).vips;
    assert.equal(v?.draining, true);
    assert.equal(v?.drainTimeoutSeconds, 45);
  });

  test('draining a VS whose status no longer names the SE (withdrawn): still served, draining', () => {
    const [v] = buildDesired(input({ virtualServices: [vs('a', {}, ['se-other'])], draining: new Set(['a']) })).vips;
    assert.equal(v?.draining, true);
    assert.deepEqual(buildDesired(input({ virtualServices: [vs('a', {}, ['se-other'])] })).vips, [], 'not draining: gone');
  });
});

describe('pool and monitor mapping', () => {
  const algorithms: Array<[NonNullable<Pool['spec']['lbAlgorithm']> | undefined, string]> = [
    [undefined, 'leastconn'], ['LeastConnections', 'leastconn'], ['RoundRobin', 'roundrobin'], ['ConsistentHash', 'source-consistent'],
    ['FastestResponse', 'first-response'], ['LeastLoad', 'leastload'],
  ];
  for (const [alg, want] of algorithms) {
    test(`lbAlgorithm ${alg ?? '(default)'} → ${want}`, () => {
      assert.equal(poolIntent({ ...pool, spec: { ...pool.spec, ...(alg !== undefined ? { lbAlgorithm: alg } : {}) } }).algorithm, want);
    });
  }
  test('every CRD algorithm is mapped', () => assert.equal(Object.keys(ALGORITHMS).length, 5));

  test('monitors get their defaults; HTTP gets path and codes', () => {
    assert.equal(healthMonitorIntent(undefined), undefined);
    assert.deepEqual(healthMonitorIntent({ type: 'TCP' }), { type: 'TCP', intervalSeconds: 10, timeoutSeconds: 4, maxRetries: 3 });
    assert.deepEqual(healthMonitorIntent({ type: 'HTTP', intervalSeconds: 2, httpPath: '/healthz' }), { type: 'HTTP', intervalSeconds: 2, timeoutSeconds: 4, maxRetries: 3, httpPath: '/healthz', expectedCodes: '200-399' });
    assert.deepEqual(healthMonitorIntent({ type: 'HTTP' }), { type: 'HTTP', intervalSeconds: 10, timeoutSeconds: 4, maxRetries: 3, httpPath: '/', expectedCodes: '200-399' });
    assert.deepEqual(poolIntent(pool).healthMonitor, undefined);
  });
});

describe('hash and version', () => {
  test('canonical JSON ignores key order and undefined fields', () => {
    assert.equal(canonicalJSON({ b: 1, a: [{ y: 2, x: undefined, w: 'z' }] }), '{"a":[{"w":"z","y":2}],"b":1}');
    assert.equal(canonicalJSON({ a: 1, b: 2 }), canonicalJSON({ b: 2, a: 1 }));
  });

  test('the hash changes with the content only', () => {
    const one = buildDesired(input({ virtualServices: [vs('a')] })).vips;
    const again = buildDesired(input({ virtualServices: [vs('a')] })).vips;
    const other = buildDesired(input({ virtualServices: [vs('a', { services: [{ port: 81 }] })] })).vips;
    assert.equal(configHash(one), configHash(again));
    assert.notEqual(configHash(one), configHash(other));
    assert.match(configHash([]), /^[0-9a-f]{64}$/);
  });

  const cases: Array<{ name: string; prev?: { version: number; hash: string }; hash: string; floor?: { version: number; hash: string }; want: number }> = [
    { name: 'first content: 1', hash: 'h1', want: 1 },
    { name: 'same content: same version', prev: { version: 3, hash: 'h1' }, hash: 'h1', want: 3 },
    { name: 'new content: +1', prev: { version: 3, hash: 'h1' }, hash: 'h2', want: 4 },
    { name: 'after a restart, above what the SE applied from the last leader', hash: 'h2', floor: { version: 9, hash: 'h1' }, want: 10 },
    { name: 'after a restart, the SE already has this content: its version is kept', hash: 'h1', floor: { version: 9, hash: 'h1' }, want: 9 },
    { name: 'a floor above our version with new content: above the floor', prev: { version: 3, hash: 'h1' }, hash: 'h2', floor: { version: 7, hash: 'hx' }, want: 8 },
    { name: 'a floor below us changes nothing', prev: { version: 5, hash: 'h1' }, hash: 'h1', floor: { version: 2, hash: 'h0' }, want: 5 },
  ];
  for (const c of cases) {
    test(`nextVersion: ${c.name}`, () => assert.equal(nextVersion(c.prev, c.hash, c.floor).version, c.want));
  }

  test('DesiredConfigs: a version per content change, subscribers told once per change', () => {
    const seRef = { namespace: 'tenant', name: 'se-1', uid: 'se-uid' };
    const configs = new DesiredConfigs();
    const seen: number[] = [];
    const off = configs.subscribe('tenant/se-1', (c) => seen.push(c.version));
    const vips = buildDesired(input({ virtualServices: [vs('a')] })).vips;
    assert.equal(configs.put(seRef, vips).version, 1);
    assert.equal(configs.put(seRef, structuredClone(vips)).version, 1);
    assert.equal(configs.put(seRef, []).version, 2);
    off();
    assert.equal(configs.put(seRef, vips).version, 3);
    assert.deepEqual(seen, [1, 2]);
    assert.equal(configs.get('tenant/se-1')?.hash, configHash(vips));
  });
});
