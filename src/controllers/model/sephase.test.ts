import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SEObj } from './objects.js';
import { sePhase, seUsable } from './sephase.js';

const se = (conds: unknown[], deleting = false): SEObj => ({ metadata: { name: 'x', ...(deleting ? { deletionTimestamp: 'now' } : {}) }, spec: { cloudRef: 'c', seGroupRef: 'g' }, status: { conditions: conds } } as unknown as SEObj);
const phaseOf = (s: SEObj): string => sePhase(s).phase;

test('an SE\'s phase comes from its status', () => {
  assert.equal(phaseOf(se([{ type: 'Ready', status: 'True', reason: 'Ready' }])), 'Ready');
  assert.equal(phaseOf(se([{ type: 'Ready', status: 'False', reason: 'ServerFailed' }])), 'Failed');
  assert.equal(phaseOf(se([{ type: 'Ready', status: 'False', reason: 'HeartbeatFailure' }])), 'Failed');
  assert.equal(phaseOf(se([{ type: 'Ready', status: 'False', reason: 'Booting' }])), 'Booting');
  assert.equal(phaseOf(se([])), 'Booting');
  assert.equal(phaseOf(se([{ type: 'Ready', status: 'True', reason: 'Ready' }], true)), 'Deleting');
});

test('usable = Ready and not deleting (placement, ECMP); a failed SE is not', () => {
  assert.equal(seUsable(se([{ type: 'Ready', status: 'True', reason: 'Ready' }])), true);
  assert.equal(seUsable(se([{ type: 'Ready', status: 'True', reason: 'Ready' }], true)), false);
  assert.equal(seUsable(se([{ type: 'Ready', status: 'False', reason: 'ServerFailed' }])), false);
});

test('wasActive: Booted once, or already reported ServerFailed (a lost server is a failure, not a boot)', () => {
  assert.equal(sePhase(se([{ type: 'Booted', status: 'True', reason: 'Active' }, { type: 'Ready', status: 'False', reason: 'Attaching' }])).wasActive, true);
  assert.equal(sePhase(se([{ type: 'Booted', status: 'False', reason: 'ServerFailed' }, { type: 'Ready', status: 'False', reason: 'ServerFailed' }])).wasActive, true);
  assert.equal(sePhase(se([{ type: 'Booted', status: 'False', reason: 'Booting' }])).wasActive, false);
});

test('bootFault: a booting SE whose last boot failed carries the cloud\'s message; none once Ready', () => {
  const failing = { ...se([{ type: 'Booted', status: 'False', reason: 'BootFailed', message: 'x; retried' }, { type: 'Ready', status: 'False', reason: 'Booting' }]) };
  failing.status = { ...failing.status, fault: 'nova: Quota exceeded for instances: Requested 1, but already used 2 of 2 instances' };
  const h = sePhase(failing);
  assert.equal(h.phase, 'Booting');
  assert.equal(h.bootFault, 'nova: Quota exceeded for instances: Requested 1, but already used 2 of 2 instances');
  assert.equal(sePhase(se([{ type: 'Booted', status: 'False', reason: 'BootFailed', message: 'No valid host was found.' }])).bootFault, 'No valid host was found.');
  assert.equal(sePhase(se([{ type: 'Booted', status: 'False', reason: 'Booting' }])).bootFault, undefined);
  assert.equal(sePhase(se([{ type: 'Booted', status: 'True', reason: 'Active' }, { type: 'Ready', status: 'True', reason: 'Ready' }])).bootFault, undefined);
});
