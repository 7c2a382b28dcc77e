import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accessFromKubeconfig, defaultKubeconfig, inClusterKubeconfig, kubeconfigFor } from './kubeauth.js';
import { KubeconfigError, type KubeconfigDoc } from './kubeconfig.js';

const doc = (cluster: Record<string, unknown>, user: Record<string, unknown>, context: Record<string, unknown> = {}): KubeconfigDoc => ({
  apiVersion: 'v1', kind: 'Config', 'current-context': 'x',
  clusters: [{ name: 'c', cluster: { server: 'https://10.0.0.1:6443', ...cluster } }, { name: 'other', cluster: { server: 'https://other' } }],
  users: [{ name: 'u', user }, { name: 'nobody', user: { token: 'wrong' } }],
  contexts: [{ name: 'x', context: { cluster: 'c', user: 'u', ...context } }, { name: 'y', context: { cluster: 'other', user: 'nobody' } }],
});
const b64 = (s: string): string => Buffer.from(s).toString('base64');

function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'lbop-kubeauth-'));
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test('the current context picks its cluster and user; CA, client certificate and key from data', async () => {
  const a = await accessFromKubeconfig(doc(
    { 'certificate-authority-data': b64('CA'), 'tls-server-name': 'api.internal', 'proxy-url': 'http://proxy:3128' },
    { 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') },
    { namespace: 'team-a' },
  ));
  assert.equal(a.server.href, 'https://10.0.0.1:6443/');
  assert.equal(a.proxyUrl, 'http://proxy:3128');
  assert.equal(a.namespace, 'team-a');
  assert.deepEqual({ ca: a.tls.ca?.toString(), cert: a.tls.cert?.toString(), key: a.tls.key?.toString(), servername: a.tls.servername, reject: a.tls.rejectUnauthorized },
    { ca: 'CA', cert: 'CERT', key: 'KEY', servername: 'api.internal', reject: undefined });
  assert.deepEqual(await a.headers(), {}, 'a client certificate is not a header');
  const y = await accessFromKubeconfig(selectY(doc({}, {})));
  assert.equal(y.server.href, 'https://other/');
  assert.deepEqual(await y.headers(), { Authorization: 'Bearer wrong' });
});

const selectY = (d: KubeconfigDoc): KubeconfigDoc => ({ ...d, 'current-context': 'y' });

test('files: CA, certificate and key read from disk; -data wins over the file; insecure-skip-tls-verify', () => withDir(async (dir) => {
  for (const [f, v] of [['ca.crt', 'CAFILE'], ['tls.crt', 'CERTFILE'], ['tls.key', 'KEYFILE']] as const) writeFileSync(join(dir, f), v);
  const a = await accessFromKubeconfig(doc(
    { 'certificate-authority': join(dir, 'ca.crt'), 'insecure-skip-tls-verify': true },
    { 'client-certificate': join(dir, 'tls.crt'), 'client-key': join(dir, 'tls.key') },
  ));
  assert.deepEqual([a.tls.ca?.toString(), a.tls.cert?.toString(), a.tls.key?.toString(), a.tls.rejectUnauthorized], ['CAFILE', 'CERTFILE', 'KEYFILE', false]);
  const both = await accessFromKubeconfig(doc({ 'certificate-authority': join(dir, 'ca.crt'), 'certificate-authority-data': b64('CADATA') }, {}));
  assert.equal(both.tls.ca?.toString(), 'CADATA');
  await assert.rejects(accessFromKubeconfig(doc({ 'certificate-authority': join(dir, 'absent.crt') }, {})), (e: unknown) => e instanceof KubeconfigError && /certificate-authority .*absent\.crt: ENOENT/.test(e.message));
}));

test('token, tokenFile (re-read on each refresh), basic auth and impersonation', () => withDir(async (dir) => {
  assert.deepEqual(await (await accessFromKubeconfig(doc({}, { token: 'abc', as: 'jane' }))).headers(), { Authorization: 'Bearer abc', 'Impersonate-User': 'jane' });
  const file = join(dir, 'token');
  writeFileSync(file, 'first\n');
  const a = await accessFromKubeconfig(doc({}, { tokenFile: file }));
  assert.deepEqual(await a.headers(), { Authorization: 'Bearer first' });
  writeFileSync(file, 'rotated');
  assert.deepEqual(await a.headers(), { Authorization: 'Bearer rotated' }, 'a rotated token is picked up');
  assert.deepEqual(await (await accessFromKubeconfig(doc({}, { token: 'static', tokenFile: file }))).headers(), { Authorization: 'Bearer static' }, 'token wins over tokenFile');
  assert.deepEqual(await (await accessFromKubeconfig(doc({}, { username: 'admin', password: 's3cret' }))).headers(), { Authorization: `Basic ${b64('admin:s3cret')}` });
}));

test('exec plugin: its token (cached until expiry, KUBERNETES_EXEC_INFO and env passed) or its client certificate', () => withDir(async (dir) => {
  const counter = join(dir, 'calls');
  const plugin = join(dir, 'plugin.sh');
  // Prints a token that counts its calls and echoes the env it was given; expiry from $EXP.
  writeFileSync(plugin, `#!/bin/sh
echo x >> "${counter}"
n=$(wc -l < "${counter}" | tr -d ' ')
info=$(printf '%s' "$KUBERNETES_EXEC_INFO" | grep -c '"interactive":false')
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"tok-%s-%s-%s","expirationTimestamp":"%s"}}' "$n" "$FROM_ENV" "$info" "$EXP"
`);
  chmodSync(plugin, 0o755);
  const user = (exp: string) => ({ exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin, args: [], env: [{ name: 'FROM_ENV', value: 'e' }, { name: 'EXP', value: exp }] } });
  const later = await accessFromKubeconfig(doc({}, user(new Date(Date.now() + 3600_000).toISOString())));
  assert.deepEqual(await later.headers(), { Authorization: 'Bearer tok-1-e-1' });
  assert.deepEqual(await later.headers(), { Authorization: 'Bearer tok-1-e-1' }, 'cached while not expired');
  const expired = await accessFromKubeconfig(doc({}, user('2000-01-01T00:00:00Z')));
  assert.deepEqual(await expired.headers(), { Authorization: 'Bearer tok-3-e-1' }, 'an expired credential is fetched again');

  const certPlugin = join(dir, 'cert.sh');
  writeFileSync(certPlugin, `#!/bin/sh\nprintf '{"kind":"ExecCredential","status":{"clientCertificateData":"PEMCERT","clientKeyData":"PEMKEY"}}'\n`);
  chmodSync(certPlugin, 0o755);
  const c = await accessFromKubeconfig(doc({}, { exec: { command: certPlugin } }));
  assert.deepEqual([c.tls.cert?.toString(), c.tls.key?.toString()], ['PEMCERT', 'PEMKEY']);
  assert.deepEqual(await c.headers(), {});

  const failing = join(dir, 'fail.sh');
  writeFileSync(failing, `#!/bin/sh\necho 'not logged in' >&2\nexit 3\n`);
  chmodSync(failing, 0o755);
  await assert.rejects(accessFromKubeconfig(doc({}, { exec: { command: failing } })), (e: unknown) => e instanceof KubeconfigError && /exec plugin .*fail\.sh.*not logged in/.test(e.message));
}));

test('auth-provider is refused with a reason; a missing context or cluster is an error', async () => {
  await assert.rejects(accessFromKubeconfig(doc({}, { 'auth-provider': { name: 'oidc', config: { 'id-token': 'secret-id-token' } } })),
    (e: unknown) => e instanceof KubeconfigError && /auth-provider oidc is not supported/.test(e.message) && !e.message.includes('secret-id-token'));
  await assert.rejects(accessFromKubeconfig({ ...doc({}, {}), 'current-context': 'nope' }), /current-context 'nope' is not among its contexts/);
  await assert.rejects(accessFromKubeconfig({ contexts: [] }), /no current-context/);
});

test('in-cluster: KUBERNETES_SERVICE_HOST/PORT, the ServiceAccount token, CA and namespace', () => withDir(async (dir) => {
  const sa = join(dir, 'sa');
  mkdirSync(sa);
  assert.equal(inClusterKubeconfig({ KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, sa), undefined, 'no token: not in a Pod');
  writeFileSync(join(sa, 'token'), 'sa-token');
  writeFileSync(join(sa, 'ca.crt'), 'SACA');
  writeFileSync(join(sa, 'namespace'), 'lb-system');
  assert.equal(inClusterKubeconfig({}, sa), undefined, 'no KUBERNETES_SERVICE_HOST: not in a Pod');
  const a = await accessFromKubeconfig(defaultKubeconfig({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '6443' }, sa));
  assert.equal(a.server.href, 'https://[fd00::1]:6443/');
  assert.equal(a.tls.ca?.toString(), 'SACA');
  assert.equal(a.namespace, 'lb-system');
  assert.deepEqual(await a.headers(), { Authorization: 'Bearer sa-token' });
  writeFileSync(join(sa, 'token'), 'rotated-by-kubelet');
  assert.deepEqual(await a.headers(), { Authorization: 'Bearer rotated-by-kubelet' });
  assert.throws(() => defaultKubeconfig({}, join(dir, 'none')), (e: unknown) => e instanceof KubeconfigError && /no kubeconfig/.test(e.message));
}));

test('defaults: $KUBECONFIG (a merged list), then ~/.kube/config, before in-cluster; --context applies', () => withDir(async (dir) => {
  const home = join(dir, 'home');
  mkdirSync(join(home, '.kube'), { recursive: true });
  writeFileSync(join(home, '.kube', 'config'), JSON.stringify(doc({ server: 'https://home' }, { token: 'h' })));
  const listed = join(dir, 'listed.yaml');
  writeFileSync(listed, JSON.stringify(doc({ server: 'https://listed' }, { token: 'l' })));
  const sa = join(dir, 'sa');
  mkdirSync(sa);
  writeFileSync(join(sa, 'token'), 't');
  const pod = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '6443' };
  const server = async (d: KubeconfigDoc): Promise<string> => (await accessFromKubeconfig(d)).server.host;
  assert.equal(await server(defaultKubeconfig({ ...pod, HOME: home, KUBECONFIG: `${join(dir, 'absent')}:${listed}` }, sa)), 'listed');
  assert.equal(await server(defaultKubeconfig({ ...pod, HOME: home }, sa)), 'home');
  assert.equal(await server(defaultKubeconfig({ ...pod, HOME: join(dir, 'nohome') }, sa)), '10.96.0.1:6443');
  assert.equal(await server(kubeconfigFor(listed, 'y')), 'other');
  assert.throws(() => kubeconfigFor(listed, 'z'), /context 'z' not found/);
}));
