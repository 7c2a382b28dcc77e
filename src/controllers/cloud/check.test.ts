import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyticsReasonFor, credentialsFrom, decodeSecretData, findByIdOrName } from './check.js';
import { errorFromResponse, errorFromTransport } from '../../cloud/errors.js';
import { projectScope, tenantProjects } from '../model/index.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

test('password credentials from a Secret, admin project and domains', () => {
  const c = credentialsFrom(decodeSecretData({ username: b64('admin'), password: b64('pw\n'), userDomainName: b64('Default'), projectName: b64('ops') }));
  assert.ok(typeof c !== 'string');
  assert.deepEqual(c.credentials, { kind: 'password', username: 'admin', password: 'pw', userDomain: 'Default' });
  assert.deepEqual(c.adminProject, { name: 'ops' });
});

test('application credentials; incomplete Secrets say what is missing (never the values)', () => {
  const c = credentialsFrom({ applicationCredentialID: 'id1', applicationCredentialSecret: 's3cr3t' });
  assert.ok(typeof c !== 'string');
  assert.equal(c.credentials.kind, 'applicationCredential');
  const missing = credentialsFrom({ username: 'admin' });
  assert.equal(typeof missing, 'string');
  assert.match(String(missing), /username and password/);
  assert.match(String(credentialsFrom({ applicationCredentialSecret: 's3cr3t' })), /applicationCredentialID/);
  assert.ok(!String(credentialsFrom({ applicationCredentialSecret: 's3cr3t' })).includes('s3cr3t'));
});

test('names resolve by id first, then a unique name', () => {
  const items = [{ id: '1', name: 'a' }, { id: '2', name: 'b' }, { id: '3', name: 'b' }];
  assert.deepEqual(findByIdOrName(items, '2'), { id: '2', name: 'b' });
  assert.deepEqual(findByIdOrName(items, 'a'), { id: '1', name: 'a' });
  assert.match(String(findByIdOrName(items, 'b')), /2 match the name 'b'; give the id/);
  assert.match(String(findByIdOrName(items, 'zz')), /none named or with id 'zz'/);
});

test('tenants: namespace → project scope (id form or name in the domain); unlisted namespaces refused', () => {
  assert.deepEqual(projectScope('5c1d7e2a8b3f4c6d9e0f1a2b3c4d5e6f', 'Default'), { id: '5c1d7e2a8b3f4c6d9e0f1a2b3c4d5e6f' });
  const m = tenantProjects({ tenants: [{ namespace: 'demo', project: 'demo' }, { namespace: 'demo', project: 'other' }] } as never, 'Default');
  assert.deepEqual(m.get('demo'), { name: 'demo', domain: 'Default' });
  assert.equal(m.get('elsewhere'), undefined);
});

test('a failed analytics probe: 404 is a URL that is no analytics API, 401/403 a refused token, the rest unreachable', () => {
  const http = (status: number): unknown => errorFromResponse({ api: 'contrail', op: 'analytics:probe', status, body: '{"error":"x"}' });
  assert.equal(analyticsReasonFor(http(404)), 'AnalyticsNotFound');
  assert.equal(analyticsReasonFor(http(401)), 'AnalyticsRefused');
  assert.equal(analyticsReasonFor(http(403)), 'AnalyticsRefused');
  assert.equal(analyticsReasonFor(http(503)), 'AnalyticsUnreachable');
  assert.equal(analyticsReasonFor(errorFromTransport('contrail', 'analytics:probe', 'ECONNREFUSED', 'http://a:8081', 'connect ECONNREFUSED')), 'AnalyticsUnreachable');
  assert.equal(analyticsReasonFor(new Error('boom')), 'AnalyticsUnreachable');
});
