import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchesLabelSelector, parseLabelSelector, selectedLabels } from './labelselector.js';

test('label selectors parse as the API server reads them', () => {
  assert.deepEqual(parseLabelSelector('sharding.fluxcd.io/key=shard1'), [{ key: 'sharding.fluxcd.io/key', op: '=', values: ['shard1'] }]);
  assert.deepEqual(parseLabelSelector('!sharding.fluxcd.io/key'), [{ key: 'sharding.fluxcd.io/key', op: '!', values: [] }]);
  assert.deepEqual(parseLabelSelector('tier in (a, b),app!=x, env==prod,present'), [
    { key: 'tier', op: 'in', values: ['a', 'b'] },
    { key: 'app', op: '!=', values: ['x'] },
    { key: 'env', op: '=', values: ['prod'] },
    { key: 'present', op: 'exists', values: [] },
  ]);
  for (const bad of ['', ' ', 'a=b,', 'a b', 'Bad_/x=1', 'a=b c', 'k in (a', '-k=v']) assert.throws(() => parseLabelSelector(bad), Error, bad);
});

test('matching follows the terms; the keys the selector reads are copied from an owner', () => {
  const shard1 = parseLabelSelector('sharding.fluxcd.io/key=shard1');
  const unsharded = parseLabelSelector('!sharding.fluxcd.io/key');
  const inShard1 = { 'sharding.fluxcd.io/key': 'shard1', app: 'x' };
  assert.equal(matchesLabelSelector(shard1, inShard1), true);
  assert.equal(matchesLabelSelector(shard1, { 'sharding.fluxcd.io/key': 'shard2' }), false);
  assert.equal(matchesLabelSelector(shard1, undefined), false);
  assert.equal(matchesLabelSelector(unsharded, undefined), true);
  assert.equal(matchesLabelSelector(unsharded, inShard1), false);
  const set = parseLabelSelector('tier notin (a),t in (x,y)');
  assert.equal(matchesLabelSelector(set, { t: 'y' }), true);
  assert.equal(matchesLabelSelector(set, { t: 'y', tier: 'a' }), false);
  assert.deepEqual(selectedLabels(shard1, inShard1), { 'sharding.fluxcd.io/key': 'shard1' });
  assert.deepEqual(selectedLabels(unsharded, {}), {});
  // Whatever the owner's labels, the copy matches exactly when the owner does.
  const owners: Record<string, string>[] = [inShard1, {}, { 'sharding.fluxcd.io/key': 'shard2' }];
  for (const owner of owners) {
    for (const sel of [shard1, unsharded, set]) assert.equal(matchesLabelSelector(sel, selectedLabels(sel, owner)), matchesLabelSelector(sel, owner));
  }
});
