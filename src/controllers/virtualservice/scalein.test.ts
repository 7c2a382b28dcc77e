import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ScaleInDrains } from '../leaving.js';
import { stepScaleIn, type ScaleInInput } from './scalein.js';

const input = (drains: ScaleInDrains, over: Partial<ScaleInInput>): ScaleInInput => ({
  vsKey: 'ns/vs2', drains, drainMs: 10_000, serving: true, assigned: ['se-1', 'se-2'], holding: ['se-1', 'se-2', 'se-3'],
  usable: () => true, connections: () => ({ count: 4, at: 0 }), now: 0, ...over,
});

test('a leaving SE keeps its ref while draining, is withdrawn at the timeout, keeps its VIP for the grace, then is done', () => {
  const d = new ScaleInDrains();
  const changed: string[] = [];
  d.onChange((k) => changed.push(k));
  const s0 = stepScaleIn(input(d, {}));
  assert.deepEqual(s0.hold, ['se-3']);
  assert.deepEqual(s0.events.map((e) => e.reason), ['SEDraining']);
  assert.deepEqual([...d.onSE('ns/se-3')], ['vs2'], 'the desired-config feed marks the VIP draining there');
  assert.deepEqual(changed, ['ns/se-3']);
  assert.ok((s0.requeueMs ?? Infinity) <= 1_000);
  assert.deepEqual(stepScaleIn(input(d, { now: 5_000, connections: () => ({ count: 4, at: 4_900 }) })).hold, ['se-3']);
  const w = stepScaleIn(input(d, { now: 10_000, connections: () => ({ count: 2, at: 9_900 }) }));
  assert.deepEqual([w.hold, w.withdraw], [[], ['se-3']]);
  assert.match(w.events.find((e) => e.reason === 'SEWithdrawn')?.note ?? '', /drain timeout, 2 connection\(s\) still open/);
  d.withdrawn('ns/vs2', 'se-3', 10_000);
  const g = stepScaleIn(input(d, { now: 12_000, holding: ['se-1', 'se-2'] }));
  assert.deepEqual([g.hold, g.withdraw, [...d.onSE('ns/se-3')]], [[], [], ['vs2']], 'withdrawn: VIP still served for the grace');
  stepScaleIn(input(d, { now: 15_001, holding: ['se-1', 'se-2'] }));
  assert.deepEqual([...d.onSE('ns/se-3')], [], 'done: the VIP leaves its config');
  assert.deepEqual(changed, ['ns/se-3', 'ns/se-3']);
});

test('drainTimeoutSeconds 0: the same path with no drain phase — withdrawn at once, no event, the VIP kept draining for the grace', () => {
  const d = new ScaleInDrains();
  const changed: string[] = [];
  d.onChange((k) => changed.push(k));
  const s0 = stepScaleIn(input(d, { drainMs: 0 }));
  assert.deepEqual([s0.hold, s0.withdraw, s0.events], [[], ['se-3'], []]);
  assert.deepEqual([...d.onSE('ns/se-3')], ['vs2'], 'the VIP stays there, draining, while the fabric converges');
  d.withdrawn('ns/vs2', 'se-3', 0);
  const g = stepScaleIn(input(d, { drainMs: 0, now: 4_000, holding: ['se-1', 'se-2'] }));
  assert.deepEqual([g.withdraw, [...d.onSE('ns/se-3')]], [[], ['vs2']]);
  assert.ok((g.requeueMs ?? Infinity) <= 1_000, 'looked at again when the grace ends');
  stepScaleIn(input(d, { drainMs: 0, now: 5_000, holding: ['se-1', 'se-2'] }));
  assert.deepEqual([...d.onSE('ns/se-3')], [], 'done: the VIP leaves its config');
  assert.deepEqual(changed, ['ns/se-3', 'ns/se-3']);
});

test('a VS no longer serving leaves with no drain phase even with a drain timeout, also when it stops mid-drain', () => {
  const d = new ScaleInDrains();
  const off = stepScaleIn(input(d, { serving: false, assigned: [] }));
  assert.deepEqual([off.hold, [...off.withdraw].sort(), off.events], [[], ['se-1', 'se-2', 'se-3'], []]);
  const e = new ScaleInDrains();
  stepScaleIn(input(e, {}));
  assert.deepEqual(stepScaleIn(input(e, { now: 1_000 })).hold, ['se-3'], 'draining');
  const began = e.of('ns/vs2').get('se-3');
  assert.equal(began?.immediate, undefined, 'begun with a drain phase');
});

test('no drain for a failed SE; a drain ends when the SE is placed again', () => {
  const d = new ScaleInDrains();
  const failed = stepScaleIn(input(d, { usable: (se) => se !== 'se-3' }));
  assert.deepEqual([failed.hold, d.of('ns/vs2').size], [[], 0]);
  stepScaleIn(input(d, {}));
  assert.equal(d.of('ns/vs2').size, 1);
  const back = stepScaleIn(input(d, { assigned: ['se-1', 'se-2', 'se-3'] }));
  assert.deepEqual([back.hold, d.of('ns/vs2').size], [[], 0]);
});

test('the drain ends early once the SE reports no connection for the VS', () => {
  const d = new ScaleInDrains();
  stepScaleIn(input(d, {}));
  const w = stepScaleIn(input(d, { now: 6_000, connections: () => ({ count: 0, at: 5_800 }) }));
  assert.deepEqual(w.withdraw, ['se-3']);
  assert.match(w.events[0]?.note ?? '', /no connection left/);
});
