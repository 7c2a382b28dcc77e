import { test } from 'node:test';
import assert from 'node:assert/strict';
import { activeOnly, addressEcmp } from './hamode.js';
import type { GroupObj, VSObj } from '../model/index.js';

const group = (haMode?: 'Shared' | 'ActiveStandby'): GroupObj => ({ spec: { cloudRef: 'c', ...(haMode !== undefined ? { haMode } : {}) } }) as unknown as GroupObj;
const vs = (ecmp: boolean): VSObj => ({ metadata: { name: 'v' }, spec: { cloudRef: 'c', vip: [], scaleout: { ecmp } } }) as unknown as VSObj;

test('address mode: the VS\'s own ecmp, except that every VIP of an ActiveStandby group is active-standby', () => {
  assert.equal(addressEcmp(vs(true), group('ActiveStandby')), false);
  assert.equal(addressEcmp(vs(true), group('Shared')), true);
  assert.equal(addressEcmp(vs(true), group()), true);
  assert.equal(addressEcmp(vs(false), group('Shared')), false);
  assert.equal(addressEcmp(vs(true), undefined), true);
});

test('the pair on the active alone: plain Neutron and an ActiveStandby group only', () => {
  assert.equal(activeOnly('neutron', group('ActiveStandby')), true);
  assert.equal(activeOnly('neutron', group('Shared')), false, 'scaleout.ecmp false in a Shared group keeps a pair on every SE');
  assert.equal(activeOnly('neutron', undefined), false);
  assert.equal(activeOnly('contrail', group('ActiveStandby')), false, 'Contrail ranks by local_preference instead');
});
