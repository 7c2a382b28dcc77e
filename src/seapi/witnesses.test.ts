import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WitnessBoard } from './witnesses.js';

describe('WitnessBoard', () => {
  it('puts the silent SE\'s data addresses in its witnesses\' acks only', () => {
    const b = new WitnessBoard(30_000);
    b.ask('ns/se-a', ['198.18.20.5'], 8404, ['ns/se-b'], 1000);
    assert.deepEqual(b.targetsFor('ns/se-b', 1000), [{ se: 'ns/se-a', address: '198.18.20.5', port: 8404 }]);
    assert.deepEqual(b.targetsFor('ns/se-c', 1000), []);
  });
  it('a refresh keeps when the ask began; another set of witnesses starts it anew', () => {
    const b = new WitnessBoard(30_000);
    assert.equal(b.ask('ns/se-a', ['198.18.20.5'], 8404, ['ns/se-b'], 1000), 1000);
    assert.equal(b.ask('ns/se-a', ['198.18.20.5'], 8404, ['ns/se-b'], 4000), 1000);
    assert.equal(b.ask('ns/se-a', ['198.18.20.5'], 8404, ['ns/se-b', 'ns/se-c'], 7000), 7000);
  });
  it('an ask not refreshed within its TTL, or dropped, is gone', () => {
    const b = new WitnessBoard(30_000);
    b.ask('ns/se-a', ['198.18.20.5'], 8404, ['ns/se-b'], 1000);
    assert.equal(b.targetsFor('ns/se-b', 31_001).length, 0);
    assert.equal(b.ask('ns/se-a', ['198.18.20.5'], 8404, ['ns/se-b'], 31_002), 31_002, 'an expired ask starts anew');
    b.drop('ns/se-a');
    assert.equal(b.targetsFor('ns/se-b', 31_003).length, 0);
  });
});
