// Credentials from the Secret a Cloud names (`spec.keystone.credentialsSecretRef`). The reconciler
// reads the Secret and passes its decoded data here; the values live only in memory from then on.
// Accepted keys (either style):
//   username, password, userDomainName                     | OS_USERNAME, OS_PASSWORD, OS_USER_DOMAIN_NAME
//   applicationCredentialID | applicationCredentialName (+ username), applicationCredentialSecret
//                                                          | OS_APPLICATION_CREDENTIAL_ID / _NAME / _SECRET
//   projectName, projectDomainName (optional default scope) | OS_PROJECT_NAME, OS_PROJECT_DOMAIN_NAME
import { ConfigError } from './errors.js';
import type { Credentials, ProjectScope } from './keystone.js';

export interface SecretCredentials { credentials: Credentials; project: ProjectScope | undefined }

function pick(data: Readonly<Record<string, string>>, ...keys: string[]): string | undefined {
  for (const k of keys) {
    const v = data[k];
    if (v !== undefined && v.trim() !== '') return v.trim();
  }
  return undefined;
}

/** Parses Secret data (already base64-decoded). Errors name the missing keys, never a value. */
export function credentialsFromSecret(data: Readonly<Record<string, string>>, secretName = 'credentials Secret'): SecretCredentials {
  const username = pick(data, 'username', 'OS_USERNAME');
  const userDomain = pick(data, 'userDomainName', 'OS_USER_DOMAIN_NAME');
  const projectName = pick(data, 'projectName', 'OS_PROJECT_NAME');
  const projectDomain = pick(data, 'projectDomainName', 'OS_PROJECT_DOMAIN_NAME');
  const project = projectName === undefined ? undefined : { name: projectName, ...(projectDomain !== undefined ? { domain: projectDomain } : {}) };
  const acSecret = pick(data, 'applicationCredentialSecret', 'OS_APPLICATION_CREDENTIAL_SECRET');
  const acID = pick(data, 'applicationCredentialID', 'OS_APPLICATION_CREDENTIAL_ID');
  const acName = pick(data, 'applicationCredentialName', 'OS_APPLICATION_CREDENTIAL_NAME');
  if (acSecret !== undefined || acID !== undefined || acName !== undefined) {
    if (acSecret === undefined) throw missing(secretName, ['applicationCredentialSecret']);
    if (acID !== undefined) return { credentials: { kind: 'applicationCredential', id: acID, secret: acSecret }, project };
    if (acName === undefined || username === undefined) throw missing(secretName, ['applicationCredentialID (or applicationCredentialName + username)']);
    return { credentials: { kind: 'applicationCredential', name: acName, secret: acSecret, username, ...(userDomain !== undefined ? { userDomain } : {}) }, project };
  }
  const password = pick(data, 'password', 'OS_PASSWORD');
  const absent = [username === undefined ? 'username' : '', password === undefined ? 'password' : ''].filter((k) => k !== '');
  if (username === undefined || password === undefined) throw missing(secretName, absent);
  return { credentials: { kind: 'password', username, password, ...(userDomain !== undefined ? { userDomain } : {}) }, project };
}

function missing(secretName: string, keys: string[]): ConfigError {
  return new ConfigError({ api: 'keystone', op: 'credentials', serverMessage: `${secretName} lacks ${keys.join(', ')} (keys present are checked by name only)` });
}
