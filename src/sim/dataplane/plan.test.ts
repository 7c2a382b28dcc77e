import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planDataplane, processTransition, type DataplaneWant, type VnicWant } from './plan.js';
import { isBenchmarkAddress, Renumbering } from './renumber.js';

const vnic = (vmi: string, server: string, address: string): VnicWant => ({ vmi, server, network: 'vn', mac: '02:00:00:00:00:01', address, prefixLen: 24, gateway: '198.18.1.254' });
const empty = (): DataplaneWant => ({ servers: new Map(), vnics: new Map(), routes: new Map() });

test('renumbering: the seed blocks map into 198.18.0.0/15 and back; other /24s get dynamic blocks', () => {
  const m = new Renumbering();
  assert.equal(m.kernelOf('19.1.1.100'), '198.18.1.100');
  assert.equal(m.kernelOf('20.0.0.3'), '198.19.0.3');
  assert.equal(m.kernelOf('20.0.7.9'), '198.19.7.9');
  assert.equal(m.kernelOf('203.0.113.5'), '198.18.113.5');
  assert.equal(m.kernelOf('172.16.4.9'), '198.18.128.9');
  assert.equal(m.kernelOf('172.16.5.1'), '198.18.129.1');
  assert.equal(m.kernelOf('172.16.4.10'), '198.18.128.10');
  assert.equal(m.kernelPrefix('19.1.1.100/32'), '198.18.1.100/32');
  assert.equal(m.kernelOf('198.18.20.7'), '198.18.20.7', 'a topology numbered in 198.18.0.0/15 is its own image');
  assert.equal(m.modelOf('198.18.20.7'), '198.18.20.7');
  assert.throws(() => m.kernelOf('198.18.1.7'), /kernel block the renumbering uses/);
  assert.throws(() => m.kernelOf('198.18.250.3'), /kernel block/);
  for (const k of ['198.18.1.100', '198.19.0.3', '198.18.128.9']) assert.ok(isBenchmarkAddress(k));
  assert.equal(m.modelOf('198.18.128.9'), '172.16.4.9');
  assert.equal(m.modelOf('198.19.0.3'), '20.0.0.3');
  assert.equal(isBenchmarkAddress('19.1.1.100'), false);
  assert.throws(() => m.kernelOf('nope'));
});

test('plan: namespaces and vNICs before routes, routes before removals; members without a vNIC are left out', () => {
  const want = empty();
  want.servers.set('s1', { id: 's1', name: 'a', status: 'ACTIVE' });
  want.vnics.set('v1', vnic('v1', 's1', '198.18.1.5'));
  want.routes.set('198.18.1.100/32', { prefix: '198.18.1.100/32', network: 'vn', members: ['v1', 'v-gone'] });
  const acts = planDataplane(empty(), want);
  assert.deepEqual(acts.map((a) => a.kind), ['AddServer', 'AddVnic', 'SetRoute']);
  const set = acts[2];
  assert.ok(set?.kind === 'SetRoute');
  assert.deepEqual(set.route.members, ['v1']);
});

test('plan: a changed member list is one SetRoute (replaced in place); withdrawn members leave; nothing to do is nothing', () => {
  const applied = empty();
  applied.servers.set('s1', { id: 's1', name: 'a', status: 'ACTIVE' });
  applied.servers.set('s2', { id: 's2', name: 'b', status: 'ACTIVE' });
  applied.vnics.set('v1', vnic('v1', 's1', '198.18.1.5'));
  applied.vnics.set('v2', vnic('v2', 's2', '198.18.1.6'));
  applied.routes.set('p', { prefix: 'p', network: 'vn', members: ['v1'] });
  const want: DataplaneWant = { servers: new Map(applied.servers), vnics: new Map(applied.vnics), routes: new Map([['p', { prefix: 'p', network: 'vn', members: ['v1', 'v2'] }]]) };
  assert.deepEqual(planDataplane(applied, want).map((a) => [a.kind, a.kind === 'SetRoute' ? a.route.members : []]), [['SetRoute', ['v1', 'v2']]]);
  assert.deepEqual(planDataplane(applied, want, new Set(['v2'])), []);
  applied.routes.set('p', { prefix: 'p', network: 'vn', members: ['v1', 'v2'] });
  assert.deepEqual(planDataplane(applied, want), []);
});

test('plan: a withdrawn VMI leaves VIP groups but keeps the route to its own address (its probe needs it)', () => {
  const applied = empty();
  applied.servers.set('s1', { id: 's1', name: 'a', status: 'ACTIVE' });
  applied.vnics.set('v1', vnic('v1', 's1', '198.18.1.5'));
  applied.routes.set('198.18.1.5/32', { prefix: '198.18.1.5/32', network: 'vn', members: ['v1'] });
  applied.routes.set('198.18.1.100/32', { prefix: '198.18.1.100/32', network: 'vn', members: ['v1'] });
  const want: DataplaneWant = { servers: new Map(applied.servers), vnics: new Map(applied.vnics), routes: new Map(applied.routes) };
  const acts = planDataplane(applied, want, new Set(['v1']));
  assert.deepEqual(acts.map((a) => (a.kind === 'SetRoute' ? [a.route.prefix, a.route.members] : a.kind)), [['198.18.1.100/32', []]]);
});

test('plan: a deleted server loses its route membership, then its vNIC, then its namespace', () => {
  const applied = empty();
  applied.servers.set('s1', { id: 's1', name: 'a', status: 'ACTIVE' });
  applied.vnics.set('v1', vnic('v1', 's1', '198.18.1.5'));
  applied.routes.set('p', { prefix: 'p', network: 'vn', members: ['v1'] });
  const want = empty();
  want.routes.set('p', { prefix: 'p', network: 'vn', members: [] });
  assert.deepEqual(planDataplane(applied, want).map((a) => a.kind), ['SetRoute', 'DelVnic', 'DelServer']);
});

test('SE processes: ACTIVE runs, ERROR freezes, SHUTOFF stops, back to ACTIVE thaws or restarts', () => {
  assert.equal(processTransition('BUILD', 'ACTIVE'), 'start');
  assert.equal(processTransition('ACTIVE', 'ERROR'), 'freeze');
  assert.equal(processTransition('ERROR', 'ACTIVE'), 'thaw');
  assert.equal(processTransition('ACTIVE', 'SHUTOFF'), 'stop');
  assert.equal(processTransition('SHUTOFF', 'ACTIVE'), 'start');
  assert.equal(processTransition('BUILD', 'ERROR'), 'none');
});

test('plan: an active-standby route holds only the highest preference not withdrawn; the standby enters when the active is withdrawn', () => {
  const applied = empty();
  for (const [s, v, a] of [['s1', 'v1', '198.18.1.5'], ['s2', 'v2', '198.18.1.6'], ['s3', 'v3', '198.18.1.7']] as const) {
    applied.servers.set(s, { id: s, name: s, status: 'ACTIVE' });
    applied.vnics.set(v, vnic(v, s, a));
  }
  const route = { prefix: '198.18.1.100/32', network: 'vn', members: ['v1'], candidates: [{ vmi: 'v1', preference: 200 }, { vmi: 'v2', preference: 199 }, { vmi: 'v3', preference: 199 }] };
  const want: DataplaneWant = { servers: new Map(applied.servers), vnics: new Map(applied.vnics), routes: new Map([[route.prefix, route]]) };
  const members = (withdrawn: string[]): string[][] => planDataplane(applied, want, new Set(withdrawn)).flatMap((a) => (a.kind === 'SetRoute' ? [a.route.members] : []));
  assert.deepEqual(members([]), [['v1']], 'the active alone');
  assert.deepEqual(members(['v1']), [['v2', 'v3']], 'the active withdrawn: the next preference, ECMP among equals');
  assert.deepEqual(members(['v1', 'v2', 'v3']), [[]], 'all withdrawn: nothing forwards');
  applied.routes.set(route.prefix, { prefix: route.prefix, network: 'vn', members: ['v1'] });
  assert.deepEqual(members([]), [], 'in place: nothing to do');
});
