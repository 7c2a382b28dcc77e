// The per-reconcile write tally (writetally.ts): what counts as a write, and whose tally it goes
// to. The controller's use of it (lbop_reconcile_converged_total) is tested with real clients in
// test/unit/converged-metric.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cloudWrite, emptyTally, noteApiserverRequest, noteCloudRequest, withTally } from './writetally.js';

test('cloudWrite: GETs, tokens and VNC read actions are not writes', () => {
  assert.equal(cloudWrite('nova', 'GET', 'http://x/v2.1/servers'), false);
  assert.equal(cloudWrite('keystone', 'POST', 'http://x/v3/auth/tokens'), false);
  assert.equal(cloudWrite('contrail', 'POST', 'http://x/fqname-to-id'), false);
  assert.equal(cloudWrite('contrail', 'POST', 'http://x/list-bulk-collection'), false);
  assert.equal(cloudWrite('contrail', 'POST', 'http://x/ref-update'), true);
  assert.equal(cloudWrite('contrail', 'PUT', 'http://x/instance-ip/abc'), true);
  assert.equal(cloudWrite('neutron', 'DELETE', 'http://x/v2.0/ports/abc'), true);
  assert.equal(cloudWrite('nova', 'POST', 'http://x/v2.1/servers/s/os-interface'), true);
});

test('requests outside a reconcile belong to no tally; concurrent reconciles keep their own', async () => {
  const [ta, tb] = [emptyTally(), emptyTally()];
  noteApiserverRequest('PATCH', '/apis/x/v1/namespaces/n/things/a'); // no tally: nothing to count into
  await Promise.all([
    withTally(ta, async () => { await new Promise((r) => setTimeout(r, 10)); noteCloudRequest('contrail', 'POST', 'http://x/fqname-to-id'); }),
    withTally(tb, async () => {
      await new Promise((r) => setTimeout(r, 5));
      noteApiserverRequest('PATCH', '/apis/x/v1/namespaces/n/things/a/status');
      noteApiserverRequest('POST', '/api/v1/namespaces/n/events');
      noteCloudRequest('neutron', 'DELETE', 'http://x/v2.0/ports/p');
    }),
  ]);
  assert.deepEqual(ta, { apiserver: 0, cloud: 0 });
  assert.deepEqual(tb, { apiserver: 1, cloud: 1 });
});
