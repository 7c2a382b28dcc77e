import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { VirtualServiceStatus } from '../../api/index.js';
import type { VipPlan } from './vip.js';
import { vipBlocked } from './vipfirst.js';

const status = (reason: string, observedGeneration = 1, s: 'True' | 'False' = 'False'): VirtualServiceStatus => ({
  conditions: [{ type: 'VIPAllocated', status: s, reason, message: reason, lastTransitionTime: '2026-01-01T00:00:00Z', observedGeneration }],
});
const vip = (address?: string): VipPlan => ({ ip: address !== undefined ? { uuid: 'i', name: 'n', address, vmiRefs: [] } : undefined } as unknown as VipPlan);

describe('vipBlocked', () => {
  test('an exhausted subnet, a quota or an address in use, with no address yet: no SE capacity', () => {
    assert.equal(vipBlocked(status('IPExhausted'), 1, [vip()]), 'IPExhausted');
    assert.equal(vipBlocked(status('QuotaExceeded'), 1, [vip('10.0.0.1'), vip()]), 'QuotaExceeded');
    assert.equal(vipBlocked(status('IPInUse'), 1, [vip()]), 'IPInUse');
  });

  test('every VIP has its address (it was just allocated): placed as usual', () => {
    assert.equal(vipBlocked(status('IPExhausted'), 1, [vip('10.0.0.1')]), undefined);
  });

  test('a first reconcile, a pending allocation, a transient failure or a newer spec: placed as usual', () => {
    assert.equal(vipBlocked(undefined, 1, [vip()]), undefined);
    assert.equal(vipBlocked(status('Pending'), 1, [vip()]), undefined);
    assert.equal(vipBlocked(status('ProgrammingFailed'), 1, [vip()]), undefined);
    assert.equal(vipBlocked(status('IPExhausted', 1), 2, [vip()]), undefined);
    assert.equal(vipBlocked(status('Allocated', 1, 'True'), 1, [vip()]), undefined);
  });
});
