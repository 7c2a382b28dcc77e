import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectNextHops, type NextHop } from './vrouter.js';

const hop = (vmi: string, pref: number | null = null): NextHop => ({ vmi, server_id: `s-${vmi}`, server_name: vmi, local_preference: pref });

test('active-active candidates form an ECMP set', () => {
  const r = selectNextHops([{ hop: hop('a'), activeActive: true }, { hop: hop('b'), activeActive: true }]);
  assert.equal(r.ecmp, true);
  assert.deepEqual(r.hops.map((h) => h.vmi), ['a', 'b']);
});

test('a static local_preference ranks active-active paths too (a floating IP follows the active VMI)', () => {
  const r = selectNextHops([{ hop: hop('a', 200), activeActive: true }, { hop: hop('b', 199), activeActive: true }]);
  assert.deepEqual([r.ecmp, r.hops.map((h) => h.vmi)], [false, ['a']]);
  const eq = selectNextHops([{ hop: hop('a', 150), activeActive: true }, { hop: hop('b', 150), activeActive: true }]);
  assert.deepEqual([eq.ecmp, eq.hops.map((h) => h.vmi)], [true, ['a', 'b']]);
});

test('active-standby: only the highest local_preference forwards, ECMP among equals', () => {
  const one = selectNextHops([{ hop: hop('a', 100), activeActive: false }, { hop: hop('b', 200), activeActive: false }]);
  assert.deepEqual([one.ecmp, one.hops.map((h) => h.vmi)], [false, ['b']]);
  // Unset is PathPreference::LOW (100): equal to an explicit 100, below 199.
  const equals = selectNextHops([{ hop: hop('a'), activeActive: false }, { hop: hop('b', 100), activeActive: false }, { hop: hop('c', 99), activeActive: false }]);
  assert.deepEqual([equals.ecmp, equals.hops.map((h) => h.vmi)], [true, ['a', 'b']]);
  const ranked = selectNextHops([{ hop: hop('a', 198), activeActive: false }, { hop: hop('b', 199), activeActive: false }]);
  assert.deepEqual(ranked.hops.map((h) => h.vmi), ['b']);
});

test('no live candidate: no next hop; duplicates are collapsed', () => {
  assert.deepEqual(selectNextHops([]), { ecmp: false, hops: [] });
  const r = selectNextHops([{ hop: hop('a'), activeActive: true }, { hop: hop('a'), activeActive: true }]);
  assert.deepEqual([r.ecmp, r.hops.length], [false, 1]);
});
