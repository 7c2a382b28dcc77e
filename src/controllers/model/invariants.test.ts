import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLAIMS_ANNOTATION, decideClaim } from './claims.js';
import { checkInvariants } from './invariants.js';
import type { GroupObj, SEObj, VSObj } from './objects.js';

const group = (name: string, spec: Record<string, unknown> = {}): GroupObj =>
  ({ metadata: { name, namespace: 'ns' }, spec: { cloudRef: 'c', maxVSPerSE: 2, maxScaleoutPerVS: 2, maxSEs: 3, ...spec } }) as unknown as GroupObj;
const se = (name: string, grp: string, claims: Record<string, string> = {}): SEObj =>
  ({ metadata: { name, namespace: 'ns', annotations: { [CLAIMS_ANNOTATION]: JSON.stringify(claims) } }, spec: { cloudRef: 'c', seGroupRef: grp } }) as unknown as SEObj;
const vs = (name: string, grp: string, placed: string[], ip?: string): VSObj =>
  ({
    metadata: { name, namespace: 'ns', uid: `u-${name}` },
    spec: { cloudRef: 'c', poolRef: 'p', seGroupRef: grp, vip: [] },
    status: { serviceEngines: placed.map((n) => ({ name: n })), vip: ip === undefined ? [] : [{ vipID: '0', ipAddress: ip, subnetUUID: 's' }] },
  }) as unknown as VSObj;

test('a consistent snapshot has no violation', () => {
  const r = checkInvariants({
    groups: [group('g')],
    ses: [se('a', 'g', { v1: 'u-v1', v2: 'u-v2' }), se('b', 'g', { v1: 'u-v1' })],
    vss: [vs('v1', 'g', ['a', 'b'], '10.0.0.1'), vs('v2', 'g', ['a'], '10.0.0.2')],
  }, { settled: true });
  assert.deepEqual(r.violations, []);
  assert.equal(r.maxVSPerSEObserved, 2);
  assert.equal(r.maxClaimsObserved, 2);
});

test('each invariant is reported when broken', () => {
  const r = checkInvariants({
    groups: [group('g'), group('h')],
    ses: [se('a', 'g', { v1: 'u-v1', v2: 'u-v2', v3: 'u-v3' }), se('b', 'g'), se('c', 'g'), se('d', 'g'), se('x', 'h', { v1: 'u-v1' })],
    vss: [vs('v1', 'g', ['a', 'b', 'c'], '10.0.0.1'), vs('v2', 'g', ['a', 'x'], '10.0.0.1'), vs('v3', 'g', ['a']), vs('v4', 'g', ['a'])],
  }, { settled: true });
  const want = [
    /SE ns\/a: 3 claims > maxVSPerSE 2/,
    /SE ns\/x \(group h\) claimed by VS v1 of group g/,
    /group ns\/g: 4 SEs > maxSEs 3/,
    /VS ns\/v1: on 3 SEs > maxScaleoutPerVS 2/,
    /VS ns\/v2 \(group g\) placed on SE x of group h/,
    /VIP 10\.0\.0\.1 held by both ns\/v1 and ns\/v2/,
    /SE ns\/a: listed by 4 VSs > maxVSPerSE 2/,
    /VS ns\/v4 placed on SE a without a claim/,
  ];
  for (const w of want) assert.ok(r.violations.some((v) => w.test(v)), `expected a violation matching ${w}: ${r.violations.join(' | ')}`);
});

test('a claim is written only below maxVSPerSE, only in the VS\'s group; stale holders make room', () => {
  const full = se('a', 'g', { v1: 'u-v1', v2: 'u-v2' });
  assert.deepEqual(decideClaim(full, { name: 'v3', uid: 'u-v3', group: 'g' }, 2), { kind: 'full', holders: ['v1', 'v2'] });
  assert.deepEqual(decideClaim(full, { name: 'v1', uid: 'u-v1', group: 'g' }, 2), { kind: 'held' });
  assert.deepEqual(decideClaim(full, { name: 'v3', uid: 'u-v3', group: 'h' }, 2), { kind: 'wrongGroup' });
  const d = decideClaim(full, { name: 'v3', uid: 'u-v3', group: 'g' }, 2, new Set(['v2']));
  assert.equal(d.kind, 'write');
  assert.deepEqual(d.kind === 'write' ? [...d.next.keys()].sort() : [], ['v1', 'v3']);
  // A VS recreated under the same name replaces its old claim rather than holding two.
  const re = decideClaim(se('b', 'g', { v1: 'old' }), { name: 'v1', uid: 'new', group: 'g' }, 1);
  assert.deepEqual(re.kind === 'write' ? Object.fromEntries(re.next) : re, { v1: 'new' });
});
