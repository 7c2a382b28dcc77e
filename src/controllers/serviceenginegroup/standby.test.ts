import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACTIVE_PREFERENCE, isActiveStandby, planStandbyPreferences, standbyRanks, type StandbySE } from './standby.js';
import type { GroupObj, SEPhase } from '../model/index.js';

/** The vRouter's rule (sim/vrouter.ts, held to it by its own tests): the highest preference, unset = 100. */
function selectNextHops(c: Array<{ hop: { vmi: string; server_name: string; local_preference: number | null }; activeActive: boolean }>): { ecmp: boolean; hops: Array<{ vmi: string; server_name: string }> } {
  const p = (x: { local_preference: number | null }): number => x.local_preference ?? 100;
  const best = Math.max(...c.map((x) => p(x.hop)));
  const hops = c.map((x) => x.hop).filter((h) => p(h) === best);
  return { ecmp: hops.length > 1, hops };
}

const se = (name: string, createdAt: string, prefs: Array<number | undefined>, phase: SEPhase = 'Ready'): StandbySE =>
  ({ name, createdAt, phase, vmis: prefs.map((p, i) => ({ uuid: `${name}-vmi${i}`, preference: p })) });

test('ranks: the oldest SE is PathPreference::HIGH, each younger one lower; Failed and Deleting SEs are not ranked', () => {
  const r = standbyRanks([se('b', '2026-01-02T00:00:00Z', []), se('a', '2026-01-01T00:00:00Z', []), se('c', '2026-01-02T00:00:00Z', []), se('x', '2025-01-01T00:00:00Z', [], 'Failed'), se('y', '2025-01-01T00:00:00Z', [], 'Deleting')]);
  assert.deepEqual([...r], [['a', ACTIVE_PREFERENCE], ['b', 199], ['c', 198]], 'same creation time: by name, as placement names the primary');
  const many = standbyRanks(Array.from({ length: 120 }, (_, i) => se(`s${String(i).padStart(3, '0')}`, '2026-01-01T00:00:00Z', [])));
  assert.equal(Math.min(...many.values()), 101, 'never down to LOW (100), what an unset VMI has');
});

test('plan: every data VMI to its SE\'s preference, oldest first; in place is nothing', () => {
  const ses = [se('young', '2026-01-03T00:00:00Z', [undefined]), se('old', '2026-01-01T00:00:00Z', [undefined, 150])];
  assert.deepEqual(planStandbyPreferences(true, ses), [
    { se: 'old', vmi: 'old-vmi0', preference: 200 }, { se: 'old', vmi: 'old-vmi1', preference: 200 }, { se: 'young', vmi: 'young-vmi0', preference: 199 },
  ]);
  assert.deepEqual(planStandbyPreferences(true, [se('old', '2026-01-01T00:00:00Z', [200]), se('young', '2026-01-03T00:00:00Z', [199])]), []);
});

test('failover: the active SE fails, the standby moves up before the replacement is ranked below it (never an equal pair)', () => {
  const before = [se('a', '2026-01-01T00:00:00Z', [200], 'Failed'), se('b', '2026-01-02T00:00:00Z', [199]), se('c', '2026-01-04T00:00:00Z', [undefined])];
  const w = planStandbyPreferences(true, before);
  assert.deepEqual(w, [{ se: 'b', vmi: 'b-vmi0', preference: 200 }, { se: 'c', vmi: 'c-vmi0', preference: 199 }]);
  // Applied one write at a time in that order, the vRouter's choice among b and c is b at every step.
  const state = new Map([['b-vmi0', 199], ['c-vmi0', null as number | null]]);
  const choose = (): string[] => selectNextHops([...state].map(([vmi, p]) => ({ hop: { vmi, server_id: vmi, server_name: vmi, local_preference: p }, activeActive: false }))).hops.map((h) => h.vmi);
  assert.deepEqual(choose(), ['b-vmi0']);
  for (const x of w) { state.set(x.vmi, x.preference ?? null); assert.deepEqual(choose(), ['b-vmi0'], `after ${x.vmi} = ${String(x.preference)}`); }
});

test('any VS\'s active is its oldest SE, whatever subset of the group it is placed on (one preference per VMI suffices)', () => {
  const ses = ['s0', 's1', 's2', 's3'].map((n, i) => se(n, `2026-01-0${i + 1}T00:00:00Z`, [undefined]));
  const pref = new Map(planStandbyPreferences(true, ses).map((x) => [x.vmi, x.preference ?? null]));
  for (const placed of [['s0', 's1'], ['s1', 's2'], ['s2', 's3', 's1'], ['s3', 's0']]) {
    const hops = selectNextHops(placed.map((n) => ({ hop: { vmi: `${n}-vmi0`, server_id: n, server_name: n, local_preference: pref.get(`${n}-vmi0`) ?? null }, activeActive: false })));
    const oldest = [...placed].sort()[0];
    assert.deepEqual([hops.ecmp, hops.hops.map((h) => h.server_name)], [false, [oldest]], `placed on ${placed.join(',')}`);
  }
});

test('outside ActiveStandby: preferences set earlier are cleared, unset ones left alone', () => {
  assert.deepEqual(planStandbyPreferences(false, [se('a', '2026-01-01T00:00:00Z', [200, undefined, 0])]), [{ se: 'a', vmi: 'a-vmi0', preference: undefined }]);
  const group = (haMode?: 'Shared' | 'ActiveStandby'): GroupObj => ({ spec: { cloudRef: 'c', ...(haMode !== undefined ? { haMode } : {}) } }) as unknown as GroupObj;
  assert.equal(isActiveStandby(group('ActiveStandby')), true);
  assert.equal(isActiveStandby(group()), false);
  assert.equal(isActiveStandby(group('Shared')), false);
});
