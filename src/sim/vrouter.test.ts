import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectNextHops, type NextHop } from './vrouter.js';

const hop = (vmi: string, pref: number | null = null): NextHop => ({ vmi, server_id: `s-${vmi}`, server_name: vmi, local_preference: pref });

test('active-active candidates form an ECMP set', () => {
  const r = selectNextHops([{ hop: hop('a'), activeActive: true }, { hop: hop('b'), activeActive: true }]);
  assert.equal(r.ecmp, true);
  assert.deepEqual(r.hops.map((h) => h.vmi), ['a', 'b']);
});

test('active-standby: the highest local_preference wins, else the first', () => {
  assert.deepEqual(selectNextHops([{ hop: hop('a', 100), activeActive: false }, { hop: hop('b', 200), activeActive: false }]).hops.map((h) => h.vmi), ['b']);
  assert.deepEqual(selectNextHops([{ hop: hop('a'), activeActive: false }, { hop: hop('b'), activeActive: false }]).hops.map((h) => h.vmi), ['a']);
});

test('no live candidate: no next hop; duplicates are collapsed', () => {
  assert.deepEqual(selectNextHops([]), { ecmp: false, hops: [] });
  const r = selectNextHops([{ hop: hop('a'), activeActive: true }, { hop: hop('a'), activeActive: true }]);
  assert.deepEqual([r.ecmp, r.hops.length], [false, 1]);
});
