import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorFromResponse, errorFromTransport } from '../../cloud/errors.js';
import { attachedTo, attachMayHaveHappened } from './attachadopt.js';

test('a lost answer, a 5xx or 409 "still in use" may hide an attach that happened; a clear refusal does not', () => {
  assert.equal(attachMayHaveHappened(errorFromTransport('nova', 'attachInterface', 'ETIMEDOUT', 'nova', 'timed out')), true);
  assert.equal(attachMayHaveHappened(errorFromTransport('nova', 'attachInterface', 'ECONNRESET', 'nova', 'socket hang up')), true);
  assert.equal(attachMayHaveHappened(errorFromResponse({ api: 'nova', op: 'attachInterface', status: 504, body: '{"computeFault": {"code": 504, "message": "Gateway Timeout"}}' })), true);
  const inUse = errorFromResponse({ api: 'nova', op: 'attachInterface', status: 409, body: '{"conflictingRequest": {"code": 409, "message": "Port 6b0e is still in use."}}' });
  assert.equal(attachMayHaveHappened(inUse), true);
  const vmState = errorFromResponse({ api: 'nova', op: 'attachInterface', status: 409, body: '{"conflictingRequest": {"code": 409, "message": "Cannot \'attach_interface\' instance 1 while it is in vm_state building"}}' });
  assert.equal(attachMayHaveHappened(vmState), false);
  assert.equal(attachMayHaveHappened(errorFromResponse({ api: 'nova', op: 'attachInterface', status: 404, body: '{"itemNotFound": {"code": 404, "message": "Port x could not be found."}}' })), false);
  assert.equal(attachMayHaveHappened(new Error('not a cloud error')), false);
});

test('adopted only when the port is bound to this very server', () => {
  assert.equal(attachedTo({ device_id: 'srv-1' }, 'srv-1'), true);
  assert.equal(attachedTo({ device_id: 'srv-2' }, 'srv-1'), false);
  assert.equal(attachedTo({ device_id: '' }, ''), false);
  assert.equal(attachedTo(undefined, 'srv-1'), false);
});
