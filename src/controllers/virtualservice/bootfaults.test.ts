import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootFaultNote, bootFaultProblem } from './bootfaults.js';

const QUOTA = 'nova: Quota exceeded for instances: Requested 1, but already used 2 of 2 instances';
const failing = (name: string, fault = QUOTA) => ({
  metadata: { name },
  status: { fault, conditions: [{ type: 'Booted', status: 'False' as const, reason: 'BootFailed', message: `${fault}; retried`, lastTransitionTime: '2026-01-01T00:00:00Z' }] },
});
const booting = (name: string) => ({ metadata: { name }, status: { conditions: [{ type: 'Booted', status: 'False' as const, reason: 'Booting', message: 'booting', lastTransitionTime: '2026-01-01T00:00:00Z' }] } });

test('no SE carries the VS and its SEs fail to boot: OPER_RESOURCES with the cloud\'s message', () => {
  const p = bootFaultProblem({ ses: [failing('se-b'), failing('se-a'), booting('se-c')], assigned: [], waitingForSEs: 1 });
  assert.deepEqual(p, { state: 'OPER_RESOURCES', condition: 'Placed', reason: 'SEBootFailed', message: `Service Engine se-a, se-b cannot boot: ${QUOTA}` });
});

test('distinct faults are each shown once', () => {
  const p = bootFaultProblem({ ses: [failing('se-a'), failing('se-b', 'No valid host was found.')], assigned: [], waitingForSEs: 2 });
  assert.equal(p?.message, `Service Engine se-a cannot boot: ${QUOTA}; Service Engine se-b cannot boot: No valid host was found.`);
});

test('no problem when the VS is placed, waits for nothing, or its SEs just boot', () => {
  assert.equal(bootFaultProblem({ ses: [failing('se-a')], assigned: ['se-z'], waitingForSEs: 1 }), undefined);
  assert.equal(bootFaultProblem({ ses: [failing('se-a')], assigned: [], waitingForSEs: 0 }), undefined);
  assert.equal(bootFaultProblem({ ses: [booting('se-a')], assigned: [], waitingForSEs: 1 }), undefined);
});

test('bootFaultNote: the faults of the SEs still waited for, even when others carry the VS', () => {
  const nohost = 'No valid host was found. There are not enough hosts available.';
  assert.equal(bootFaultNote({ ses: [failing('se-c', nohost), booting('se-a')], waitingForSEs: 1 }), `Service Engine se-c cannot boot: ${nohost}`);
  assert.equal(bootFaultNote({ ses: [failing('se-c', nohost)], waitingForSEs: 0 }), undefined);
  assert.equal(bootFaultNote({ ses: [booting('se-a')], waitingForSEs: 1 }), undefined);
});
