import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scaleEvents } from './events.js';

test('creating SEs is ScaledOut from the old size to the new, naming them', () => {
  assert.deepEqual(scaleEvents(1, ['g-se-1', 'g-se-2'], []), [{ type: 'Normal', reason: 'ScaledOut', note: 'scaling out from 1 to 3 Service Engines: creating g-se-1, g-se-2' }]);
});

test('retiring is ScaledIn with why; a failed SE replaced is both', () => {
  assert.deepEqual(scaleEvents(3, [], [{ name: 'g-se-2', reason: 'Idle' }]), [{ type: 'Normal', reason: 'ScaledIn', note: 'scaling in from 3 to 2 Service Engines: retiring g-se-2 (idle)' }]);
  assert.deepEqual(scaleEvents(2, ['g-se-2'], [{ name: 'g-se-0', reason: 'Failed' }]).map((e) => e.note), [
    'scaling out from 2 to 3 Service Engines: creating g-se-2',
    'scaling in from 3 to 2 Service Engines: retiring g-se-0 (failed, replaced)',
  ]);
});

test('no change, no event; long lists are cut', () => {
  assert.deepEqual(scaleEvents(4, [], []), []);
  assert.match(scaleEvents(0, ['a', 'b', 'c', 'd', 'e', 'f', 'g'], [])[0]?.note ?? '', /creating a, b, c, d, e and 2 more$/);
});
