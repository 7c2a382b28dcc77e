import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { planServiceEngine, type ObservedDataPort, type SEDesire, type SEObservation } from './plan.js';

const want = (over: Partial<SEDesire> = {}): SEDesire => ({ deleting: false, neededNetworks: [], wasActive: false, ...over });
const seen = (over: Partial<SEObservation> = {}): SEObservation => ({ managementPort: undefined, server: undefined, dataPorts: [], ...over });
const mgmt = { uuid: 'mgmt-1' };
const active = { uuid: 'srv-1', status: 'ACTIVE' };
const port = (uuid: string, networkUUID: string, over: Partial<ObservedDataPort> = {}): ObservedDataPort => ({
  uuid, networkUUID, attached: true, referenced: false, ...over,
});

describe('planServiceEngine: creation', () => {
  test('management port first, then the server booted with it', () => {
    assert.deepEqual(planServiceEngine(want(), seen()).actions, [{ kind: 'CreateManagementPort' }]);
    assert.deepEqual(planServiceEngine(want(), seen({ managementPort: mgmt })).actions, [
      { kind: 'BootServer', managementPortUUID: 'mgmt-1' },
    ]);
  });

  test('BUILD waits by observation, with no action', () => {
    const plan = planServiceEngine(want(), seen({ managementPort: mgmt, server: { uuid: 'srv-1', status: 'BUILD' } }));
    assert.equal(plan.phase, 'Booting');
    assert.deepEqual(plan.actions, []);
    assert.equal(plan.waiting, true);
  });

  test('a boot that ends in ERROR is deleted with its fault, to be retried', () => {
    const plan = planServiceEngine(want(), seen({ managementPort: mgmt, server: { uuid: 'srv-1', status: 'ERROR', faultMessage: 'No valid host was found.' } }));
    assert.deepEqual(plan.actions, [{ kind: 'DeleteFailedBoot', serverUUID: 'srv-1', fault: 'No valid host was found.' }]);
  });

  test('ERROR listed without a fault (Nova\'s cell0): the action says to ask the server itself', () => {
    const plan = planServiceEngine(want(), seen({ managementPort: mgmt, server: { uuid: 'srv-1', status: 'ERROR' } }));
    assert.deepEqual(plan.actions, [{ kind: 'DeleteFailedBoot', serverUUID: 'srv-1', fault: 'the server went to ERROR with no fault message', faultMissing: true }]);
  });

  test('ACTIVE: a data port per needed network, attached; Ready once all are attached', () => {
    const first = planServiceEngine(want({ neededNetworks: ['vip-net', 'srv-net'] }), seen({ managementPort: mgmt, server: active }));
    assert.equal(first.phase, 'Ready');
    assert.equal(first.networksAttached, false);
    assert.deepEqual(first.actions, [
      { kind: 'CreateDataPort', networkUUID: 'vip-net' },
      { kind: 'CreateDataPort', networkUUID: 'srv-net' },
    ]);
    const second = planServiceEngine(
      want({ neededNetworks: ['vip-net', 'srv-net'] }),
      seen({ managementPort: mgmt, server: active, dataPorts: [port('p1', 'vip-net'), port('p2', 'srv-net', { attached: false })] }),
    );
    assert.deepEqual(second.actions, [{ kind: 'AttachDataPort', serverUUID: 'srv-1', portUUID: 'p2', networkUUID: 'srv-net' }]);
    const done = planServiceEngine(
      want({ neededNetworks: ['vip-net', 'srv-net'] }),
      seen({ managementPort: mgmt, server: active, dataPorts: [port('p1', 'vip-net'), port('p2', 'srv-net')] }),
    );
    assert.deepEqual(done.actions, []);
    assert.equal(done.networksAttached, true);
  });

  test('an unneeded data port is detached, then deleted, but never while a VIP still refers to it', () => {
    const base = { managementPort: mgmt, server: active };
    assert.deepEqual(planServiceEngine(want(), seen({ ...base, dataPorts: [port('p1', 'old')] })).actions, [
      { kind: 'DetachDataPort', serverUUID: 'srv-1', portUUID: 'p1' },
    ]);
    assert.deepEqual(planServiceEngine(want(), seen({ ...base, dataPorts: [port('p1', 'old', { attached: false })] })).actions, [
      { kind: 'DeleteDataPort', portUUID: 'p1' },
    ]);
    const held = planServiceEngine(want(), seen({ ...base, dataPorts: [port('p1', 'old', { referenced: true })] }));
    assert.deepEqual(held.actions, []);
    assert.equal(held.waiting, true);
  });

  test('a duplicate data port in a needed network (left by a crash) is cleaned up', () => {
    const plan = planServiceEngine(
      want({ neededNetworks: ['vip-net'] }),
      seen({ managementPort: mgmt, server: active, dataPorts: [port('p1', 'vip-net'), port('p2', 'vip-net', { attached: false })] }),
    );
    assert.deepEqual(plan.actions, [{ kind: 'DeleteDataPort', portUUID: 'p2' }]);
  });

  test('a server lost after it was ACTIVE marks the SE Failed instead of rebooting', () => {
    for (const server of [undefined, { uuid: 'srv-1', status: 'ERROR' }, { uuid: 'srv-1', status: 'SHUTOFF' }]) {
      const plan = planServiceEngine(want({ wasActive: true }), seen({ managementPort: mgmt, server }));
      assert.equal(plan.phase, 'Failed');
      assert.deepEqual(plan.actions, []);
    }
  });
});

describe('planServiceEngine: ordered teardown', () => {
  const deleting = want({ deleting: true });
  test('data ports first: detach attached ones, delete detached ones', () => {
    const plan = planServiceEngine(deleting, seen({ managementPort: mgmt, server: active, dataPorts: [port('p1', 'a'), port('p2', 'b', { attached: false })] }));
    assert.deepEqual(plan.actions, [
      { kind: 'DetachDataPort', serverUUID: 'srv-1', portUUID: 'p1' },
      { kind: 'DeleteDataPort', portUUID: 'p2' },
    ]);
  });
  test('then the server, and the management port only once the server is gone', () => {
    const plan = planServiceEngine(deleting, seen({ managementPort: mgmt, server: active }));
    assert.deepEqual(plan.actions, [{ kind: 'DeleteServer', serverUUID: 'srv-1' }]);
    assert.equal(plan.waiting, true);
    assert.deepEqual(planServiceEngine(deleting, seen({ managementPort: mgmt })).actions, [{ kind: 'DeleteManagementPort', portUUID: 'mgmt-1' }]);
  });
  test('the finalizer goes last, when nothing is left', () => {
    assert.deepEqual(planServiceEngine(deleting, seen()).actions, [{ kind: 'RemoveFinalizer' }]);
  });
});
