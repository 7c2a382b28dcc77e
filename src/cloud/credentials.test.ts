import { test } from 'node:test';
import assert from 'node:assert/strict';
import { credentialsFromSecret } from './credentials.js';
import { ConfigError } from './errors.js';

test('password credentials in either key style, with an optional project', () => {
  assert.deepEqual(credentialsFromSecret({ username: 'lbop', password: 'pw1', projectName: 'admin' }), {
    credentials: { kind: 'password', username: 'lbop', password: 'pw1' }, project: { name: 'admin' },
  });
  assert.deepEqual(credentialsFromSecret({ OS_USERNAME: 'u', OS_PASSWORD: 'p', OS_USER_DOMAIN_NAME: 'Corp' }).credentials, {
    kind: 'password', username: 'u', password: 'p', userDomain: 'Corp',
  });
});

test('application credentials by id, or by name with the user', () => {
  assert.deepEqual(credentialsFromSecret({ applicationCredentialID: 'ac1', applicationCredentialSecret: 's3' }).credentials, { kind: 'applicationCredential', id: 'ac1', secret: 's3' });
  assert.deepEqual(credentialsFromSecret({ OS_APPLICATION_CREDENTIAL_NAME: 'n', OS_APPLICATION_CREDENTIAL_SECRET: 's', OS_USERNAME: 'u' }).credentials, {
    kind: 'applicationCredential', name: 'n', secret: 's', username: 'u',
  });
});

test('missing keys are named; values never appear in the error', () => {
  assert.throws(() => credentialsFromSecret({ username: 'lbop' }, 'Secret lb-system/jvnc2'), (e: unknown) =>
    e instanceof ConfigError && /Secret lb-system\/jvnc2 lacks password/.test(e.message) && !e.message.includes('lbop'));
  assert.throws(() => credentialsFromSecret({ applicationCredentialID: 'x', password: 'hunter22' }), (e: unknown) =>
    e instanceof ConfigError && /applicationCredentialSecret/.test(e.message) && !e.message.includes('hunter22'));
});
