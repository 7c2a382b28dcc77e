import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PoolObj, VSObj } from '../model/index.js';
import { seDemand } from './demand.js';

const vs = (name: string, vipNet: string, pool: string): VSObj => ({
  metadata: { name, namespace: 'ns' },
  spec: { poolRef: pool, services: [{ port: 80 }] },
  status: { vip: [{ vipID: '0', ipAddress: `19.1.1.${name.length}`, networkRef: vipNet }] },
} as unknown as VSObj);
const pool = (name: string, ...nets: string[]): PoolObj => ({
  metadata: { name, namespace: 'ns' }, spec: { servers: [] }, status: { servers: nets.map((n, i) => ({ ip: `10.0.${i}.1`, networkUUID: n })) },
} as unknown as PoolObj);
const pools = new Map([['p1', pool('p1', 'pool-net-1')], ['p2', pool('p2', 'pool-net-2', '')]]);
const poolOf = (v: VSObj): PoolObj | undefined => pools.get(v.spec.poolRef);

test('the networks of every hosted VS: its VIP network and its pool servers\' networks; its VIPs hosted', () => {
  const d = seDemand([vs('b', 'vip-net', 'p2'), vs('a', 'vip-net', 'p1')], [], poolOf);
  assert.deepEqual(d.networks, ['pool-net-1', 'pool-net-2', 'vip-net']);
  assert.deepEqual(d.virtualServices, ['a', 'b']);
  assert.deepEqual(d.vips.map((v) => v.virtualService), ['a', 'b']);
});

test('a VS the SE still drains keeps its networks needed (its pool-side vNIC stays under the drained connections), but hosts no VIP there', () => {
  const draining = vs('leaving', 'vip-net-2', 'p2');
  const d = seDemand([vs('a', 'vip-net', 'p1')], [draining], poolOf);
  assert.deepEqual(d.networks, ['pool-net-1', 'pool-net-2', 'vip-net', 'vip-net-2']);
  assert.deepEqual(d.virtualServices, ['a']);
  assert.deepEqual(d.vips.map((v) => v.virtualService), ['a']);
  // Once the drain is done the networks go.
  assert.deepEqual(seDemand([vs('a', 'vip-net', 'p1')], [], poolOf).networks, ['pool-net-1', 'vip-net']);
});

test('an SE with nothing placed or draining needs no data network', () => {
  assert.deepEqual(seDemand([], [], poolOf), { networks: [], vips: [], virtualServices: [] });
});
