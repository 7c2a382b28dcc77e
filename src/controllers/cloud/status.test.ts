import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findCondition, type CloudStatus } from '../../api/index.js';
import { LAST_SYNC_WRITE_MS, lastSyncDue, summarizeCloud } from './controller.js';

const cond = (st: CloudStatus, t: string): string => `${findCondition(st.conditions, t)?.status}/${findCondition(st.conditions, t)?.reason}`;

test('a healthy check: Ready, Authenticated, EndpointsReachable, endpoints and resolved ids', () => {
  const st: CloudStatus = {};
  summarizeCloud(st, 4, {
    endpoints: { keystone: 'k', nova: 'n', neutron: 'q', contrail: 'c' },
    resolved: { managementNetworkUUID: 'net', imageUUID: 'img', flavorID: '2' },
  }, new Date(0));
  assert.deepEqual([cond(st, 'Ready'), cond(st, 'Authenticated'), cond(st, 'EndpointsReachable')], ['True/Ready', 'True/Authenticated', 'True/Reachable']);
  assert.deepEqual([st.managementNetworkUUID, st.imageUUID, st.flavorID, st.observedGeneration], ['net', 'img', '2', 4]);
  assert.equal(st.endpoints?.contrail, 'c');
});

test('an authentication failure: not Authenticated, endpoints not checked, Ready False with the same reason and message', () => {
  const st: CloudStatus = {};
  summarizeCloud(st, 1, { endpoints: { keystone: 'k' }, failure: { stage: 'Authenticated', reason: 'InvalidCredentials', message: 'keystone authenticate: rejected', transient: false } }, new Date(0));
  assert.equal(cond(st, 'Authenticated'), 'False/InvalidCredentials');
  assert.equal(cond(st, 'EndpointsReachable'), 'False/NotAuthenticated');
  assert.equal(cond(st, 'Ready'), 'False/InvalidCredentials');
  assert.equal(findCondition(st.conditions, 'Ready')?.message, 'keystone authenticate: rejected');
});

test('an unreachable endpoint after a good authentication', () => {
  const st: CloudStatus = {};
  summarizeCloud(st, 1, { endpoints: { keystone: 'k', nova: 'n' }, failure: { stage: 'EndpointsReachable', reason: 'EndpointUnreachable', message: 'connection refused', transient: true } }, new Date(0));
  assert.deepEqual([cond(st, 'Authenticated'), cond(st, 'EndpointsReachable'), cond(st, 'Ready')], ['True/Authenticated', 'False/EndpointUnreachable', 'False/EndpointUnreachable']);
});

test('lastSyncTime: the CloudView\'s last complete list, as RFC 3339 seconds', () => {
  const st: CloudStatus = {};
  summarizeCloud(st, 1, { endpoints: { keystone: 'k' }, resolved: { managementNetworkUUID: 'n', imageUUID: 'i', flavorID: '2' }, lastSyncTime: new Date('2026-12-03T05:00:07.250Z') }, new Date(0));
  assert.equal(st.lastSyncTime, '2026-12-03T05:00:07Z');
  const none: CloudStatus = {};
  summarizeCloud(none, 1, { endpoints: { keystone: 'k' }, resolved: { managementNetworkUUID: 'n', imageUUID: 'i', flavorID: '2' } }, new Date(0));
  assert.equal(none.lastSyncTime, undefined);
});

test('lastSyncTime is a heartbeat: moved only once the stored one is LAST_SYNC_WRITE_MS old, so a steady resync writes nothing', () => {
  const ok = { endpoints: { keystone: 'k' }, resolved: { managementNetworkUUID: 'n', imageUUID: 'i', flavorID: '2' } };
  const st: CloudStatus = {};
  const t0 = Date.parse('2026-12-03T05:00:07Z');
  summarizeCloud(st, 1, { ...ok, lastSyncTime: new Date(t0) }, new Date(0));
  assert.equal(st.lastSyncTime, '2026-12-03T05:00:07Z', 'set at once when missing');
  const before = JSON.stringify(st);
  summarizeCloud(st, 1, { ...ok, lastSyncTime: new Date(t0 + 30_000) }, new Date(0));
  summarizeCloud(st, 1, { ...ok, lastSyncTime: new Date(t0 + LAST_SYNC_WRITE_MS - 1000) }, new Date(0));
  assert.equal(JSON.stringify(st), before, 'the next resyncs leave the status as it was (no write)');
  summarizeCloud(st, 1, { ...ok, lastSyncTime: new Date(t0 + LAST_SYNC_WRITE_MS) }, new Date(0));
  assert.equal(st.lastSyncTime, '2026-12-03T05:05:07Z');
  assert.equal(lastSyncDue('not a time', new Date(t0)), true, 'an unreadable stored value is replaced');
  assert.equal(lastSyncDue('2026-12-03T05:10:00Z', new Date(t0)), false, 'a list older than the stored time never moves it back');
});

test('analytics (Contrail): reachable is a condition of its own; unreachable keeps Ready True but its reason and message say it', () => {
  const base = { endpoints: { keystone: 'k', nova: 'n', neutron: 'q', contrail: 'c' }, resolved: { managementNetworkUUID: 'n', imageUUID: 'i', flavorID: '2' } };
  const st: CloudStatus = {};
  summarizeCloud(st, 1, { ...base, analytics: { ok: true, url: 'http://a:8081' } }, new Date(0));
  assert.deepEqual([cond(st, 'Ready'), cond(st, 'AnalyticsReachable')], ['True/Ready', 'True/Reachable']);
  summarizeCloud(st, 1, { ...base, analytics: { ok: false, url: 'http://c:8082', reason: 'AnalyticsNotFound', message: 'analytics at http://c:8082: Not Found' } }, new Date(0));
  assert.deepEqual([cond(st, 'Ready'), cond(st, 'AnalyticsReachable')], ['True/AnalyticsUnreachable', 'False/AnalyticsNotFound']);
  assert.match(findCondition(st.conditions, 'Ready')?.message ?? '', /degraded: analytics at http:\/\/c:8082: Not Found/);
  // A later failure elsewhere: analytics was not asked, so it is not claimed either way.
  summarizeCloud(st, 1, { endpoints: { keystone: 'k' }, failure: { stage: 'Authenticated', reason: 'KeystoneUnreachable', message: 'down', transient: true } }, new Date(0), true);
  assert.equal(cond(st, 'AnalyticsReachable'), 'Unknown/NotChecked');
});

test('analytics on a plain-Neutron Cloud: no condition (one left from a Contrail spec goes)', () => {
  const st: CloudStatus = {};
  summarizeCloud(st, 1, { endpoints: { keystone: 'k', contrail: 'c' }, resolved: { managementNetworkUUID: 'n', imageUUID: 'i', flavorID: '2' }, analytics: { ok: true, url: 'c' } }, new Date(0));
  summarizeCloud(st, 2, { endpoints: { keystone: 'k' }, resolved: { managementNetworkUUID: 'n', imageUUID: 'i', flavorID: '2' } }, new Date(0));
  assert.equal(findCondition(st.conditions, 'AnalyticsReachable'), undefined);
});
