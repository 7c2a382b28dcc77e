// The Cloud controller end to end: a good Cloud becomes Ready with its names resolved; wrong
// credentials, an unreachable Keystone and an unknown CA leave it not Ready with a clear reason,
// create nothing in the cloud, and never put the password in the operator's output.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN, conditionsOf, SECRETS_NAMESPACE, startHarness, type Harness } from './harness.js';
import type { KubeObject } from '../../src/runtime/index.js';

let h: Harness;
let operator: ReturnType<Harness['startOperator']>;
before(async () => {
  h = await startHarness({ name: 'se-cloud' });
  operator = h.startOperator();
});
after(async () => h?.stop());

const cloudConditions = async (name: string): Promise<ReturnType<typeof conditionsOf>> => conditionsOf(await h.get<KubeObject>('Cloud', name));

test('a Cloud pointing at the simulator becomes Ready with endpoints, network, image and flavor resolved', async () => {
  const cloud = await h.waitFor(async () => {
    const c = await h.get<KubeObject & { status?: Record<string, unknown> }>('Cloud', h.cloudName);
    return conditionsOf(c)['Ready']?.status === 'True' ? c : undefined;
  }, { what: 'Cloud Ready', timeoutMs: 60_000 });
  const st = cloud.status as Record<string, unknown>;
  assert.equal(st['managementNetworkUUID'], '6f0c3b8e-2d4a-4b9c-8e1f-0a2b3c4d5e01');
  assert.equal(st['imageUUID'], '3d2c1b0a-9f8e-4d7c-8b6a-5f4e3d2c1b0a');
  assert.equal(st['flavorID'], '2');
  const conds = conditionsOf(cloud);
  assert.equal(conds['Authenticated']?.status, 'True');
  assert.equal(conds['EndpointsReachable']?.status, 'True');
  assert.match(String((st['endpoints'] as Record<string, string>)['nova']), /^http:\/\/127\.0\.0\.1:\d+\/v2\.1/);
});

async function secretFor(name: string, password: string): Promise<void> {
  const path = `/api/v1/namespaces/${SECRETS_NAMESPACE}/secrets`;
  await h.client.delete(`${path}/${name}`).catch(() => undefined);
  await h.client.create(path, { metadata: { name }, stringData: { username: ADMIN.username, password } });
}

async function badCloud(name: string, keystone: Record<string, unknown>): Promise<void> {
  const m = h.cloudManifest();
  const spec = m['spec'] as Record<string, Record<string, unknown>>;
  await h.apply('Cloud', { ...m, metadata: { name }, spec: { ...spec, keystone: { ...spec['keystone'], ...keystone } } });
}

test('wrong credentials, unreachable Keystone, unknown CA: not Ready with a clear reason, nothing created, no secret logged', async () => {
  const wrongPassword = 'not-the-Right-pa55word';
  await secretFor('se-cloud-wrong', wrongPassword);
  await badCloud('se-cloud-wrong', { credentialsSecretRef: { name: 'se-cloud-wrong', namespace: SECRETS_NAMESPACE } });
  // A port nothing listens on.
  await badCloud('se-cloud-unreachable', { authURL: 'http://127.0.0.1:9/v3' });
  // An HTTPS Keystone whose certificate no CA in the (absent) bundle signed.
  const dir = mkdtempSync(join(tmpdir(), 'lbop-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const tls = https.createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => res.end('{}'));
  await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
  try {
    await badCloud('se-cloud-tls', { authURL: `https://127.0.0.1:${(tls.address() as AddressInfo).port}/v3` });
    const expect: Record<string, RegExp> = {
      'se-cloud-wrong': /^InvalidCredentials$/,
      'se-cloud-unreachable': /^KeystoneUnreachable$/,
      'se-cloud-tls': /^TLSVerificationFailed$/,
    };
    for (const [name, reason] of Object.entries(expect)) {
      const conds = await h.waitFor(async () => {
        const c = await cloudConditions(name);
        return c['Ready']?.status === 'False' ? c : undefined;
      }, { what: `${name} not Ready`, timeoutMs: 60_000 });
      assert.match(conds['Ready']?.reason ?? '', reason, `${name}: ${JSON.stringify(conds['Ready'])}`);
      assert.equal(conds['Authenticated']?.status, 'False');
      assert.ok((conds['Ready']?.message ?? '').length > 10, `${name} has a message`);
    }
    assert.match((await cloudConditions('se-cloud-wrong'))['Ready']?.message ?? '', /rejected the credentials of user admin/);
    assert.match((await cloudConditions('se-cloud-unreachable'))['Ready']?.message ?? '', /connection refused/);
    assert.match((await cloudConditions('se-cloud-tls'))['Ready']?.message ?? '', /caBundle/);
    // A group on the Cloud with wrong credentials: its SE waits, says why, and creates nothing.
    await h.apply('ServiceEngineGroup', { metadata: { name: 'on-bad-cloud' }, spec: { cloudRef: 'se-cloud-wrong', bufferSEs: 1 } } as KubeObject);
    const se = await h.waitFor(async () => {
      const ses = await h.list<KubeObject & { spec: { seGroupRef: string } }>('ServiceEngine');
      const mine = ses.find((x) => x.spec.seGroupRef === 'on-bad-cloud');
      return mine !== undefined && conditionsOf(mine)['Ready']?.reason === 'CloudNotReady' ? mine : undefined;
    }, { what: 'SE waiting for its Cloud', timeoutMs: 30_000 });
    assert.match(conditionsOf(se)['Ready']?.message ?? '', /Cloud se-cloud-wrong is not Ready/);
    assert.deepEqual(await h.ourObjects(), [], 'nothing created in the cloud');
    await h.remove('ServiceEngineGroup', 'on-bad-cloud');
    await h.waitFor(async () => (await h.get('ServiceEngineGroup', 'on-bad-cloud')) === undefined, { what: 'group gone', timeoutMs: 30_000 });
    const logs = h.operators.map((p) => p.output()).join('\n');
    assert.ok(logs.length > 0, 'the operator logged something');
    for (const secret of [wrongPassword, ADMIN.password]) assert.ok(!logs.includes(secret), 'no password in the operator output');
    const statuses = JSON.stringify(await h.list('Cloud', undefined));
    for (const secret of [wrongPassword, ADMIN.password]) assert.ok(!statuses.includes(secret), 'no password in any Cloud status');
  } finally {
    tls.close();
    for (const n of ['se-cloud-wrong', 'se-cloud-unreachable', 'se-cloud-tls']) await h.remove('Cloud', n, undefined);
    await h.client.delete(`/api/v1/namespaces/${SECRETS_NAMESPACE}/secrets/se-cloud-wrong`).catch(() => undefined);
  }
});

test('fixing the credentials Secret makes the Cloud Ready without touching the Cloud', async () => {
  await secretFor('se-cloud-fix', 'wrong-password-1');
  await badCloud('se-cloud-fix', { credentialsSecretRef: { name: 'se-cloud-fix', namespace: SECRETS_NAMESPACE } });
  try {
    await h.waitFor(async () => (await cloudConditions('se-cloud-fix'))['Ready']?.reason === 'InvalidCredentials', { what: 'not Ready first', timeoutMs: 30_000 });
    await h.client.patch(`/api/v1/namespaces/${SECRETS_NAMESPACE}/secrets/se-cloud-fix`, { stringData: { password: ADMIN.password } }, 'merge');
    const t0 = Date.now();
    await h.waitFor(async () => (await cloudConditions('se-cloud-fix'))['Ready']?.status === 'True', { what: 'Ready after the Secret changed', timeoutMs: 30_000 });
    // The Secret watch, not the 10 s re-check of a failing Cloud, brought it.
    assert.ok(Date.now() - t0 < 8_000, `Ready ${Date.now() - t0} ms after the Secret changed`);
  } finally {
    await h.remove('Cloud', 'se-cloud-fix', undefined);
    await h.client.delete(`/api/v1/namespaces/${SECRETS_NAMESPACE}/secrets/se-cloud-fix`).catch(() => undefined);
  }
});

test('SIGTERM stops the operator cleanly (exit 0)', async () => {
  const code = await operator.stop();
  assert.equal(code, 0);
  assert.match(operator.output(), /manager stopped/);
});
