import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError, silentLogger, type KubeClient, type KubeObject } from '../runtime/index.js';
import { readProblem, tlsMaterialOf, tlsSecretName, TLSSecrets } from './tlssecrets.js';

const CRT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const secret = (data: Record<string, string>, type = 'kubernetes.io/tls') => ({ metadata: { name: 's' }, type, data });

describe('tlsSecretName', () => {
  it('names the Secret only when a service has enableSSL', () => {
    assert.equal(tlsSecretName({ spec: { services: [{ enableSSL: true }], tls: { secretRef: { name: 'x' } } } }), 'x');
    assert.equal(tlsSecretName({ spec: { services: [{}], tls: { secretRef: { name: 'x' } } } }), undefined);
    assert.equal(tlsSecretName({ spec: { services: [{ enableSSL: true }] } }), undefined);
  });
});

describe('tlsMaterialOf', () => {
  it('decodes a kubernetes.io/tls Secret', () => {
    assert.deepEqual(tlsMaterialOf(secret({ 'tls.crt': b64(CRT), 'tls.key': b64(KEY) }), 'ns/s'), { material: { 'tls.crt': CRT, 'tls.key': KEY } });
  });
  it('refuses another type, a missing key or non-PEM data, naming the Secret and never its data', () => {
    const cases: Array<[ReturnType<typeof secret>, RegExp]> = [
      [secret({ 'tls.crt': b64(CRT), 'tls.key': b64(KEY) }, 'Opaque'), /has type Opaque; want kubernetes\.io\/tls/],
      [secret({ 'tls.crt': b64(CRT) }), /ns\/s has no tls\.key/],
      [secret({}), /has no tls\.crt and no tls\.key/],
      [secret({ 'tls.crt': b64('hello'), 'tls.key': b64(KEY) }), /tls\.crt is not a PEM certificate/],
      [secret({ 'tls.crt': b64(CRT), 'tls.key': b64('secret-bytes') }), /tls\.key is not a PEM private key/],
    ];
    for (const [s, re] of cases) {
      const r = tlsMaterialOf(s, 'ns/s');
      assert.ok('problem' in r, JSON.stringify(r));
      assert.match(r.problem, re);
      assert.equal(r.reason, 'TLSSecretInvalid');
      assert.doesNotMatch(r.problem, /secret-bytes|MIIE/);
    }
  });
  it('says what a failed read means', () => {
    const nf = readProblem(new ApiError(404, 'NotFound', 'nf'), 'ns/s');
    assert.equal('problem' in nf && nf.problem, 'Secret ns/s not found');
    const f = readProblem(new ApiError(403, 'Forbidden', 'no'), 'ns/s');
    assert.equal('reason' in f && f.reason, 'TLSSecretForbidden');
  });
});

describe('TLSSecrets', () => {
  const vs = (name: string, secretName?: string): KubeObject & { spec: { services: { enableSSL?: boolean }[]; tls?: { secretRef: { name: string } } } } => ({
    metadata: { namespace: 'ns', name }, spec: { services: [{ enableSSL: true }], ...(secretName !== undefined ? { tls: { secretRef: { name: secretName } } } : {}) },
  });

  it('reads the named Secret, reports a problem once, and follows a renewal on refresh', async () => {
    let data: Record<string, string> | undefined;
    const reads: string[] = [];
    const client = { get: async (path: string) => { reads.push(path); if (data === undefined) throw new ApiError(404, 'NotFound', 'nf'); return secret(data); } } as unknown as KubeClient;
    const changes: string[] = [];
    const t = new TLSSecrets({ client, logger: silentLogger(), refreshMs: 20 });
    t.onChange((k) => changes.push(k));
    t.track('ns/a', vs('a', 'a-tls'));
    const until = async (f: () => boolean): Promise<void> => { for (let i = 0; i < 200 && !f(); i++) await new Promise((r) => setTimeout(r, 5)); assert.ok(f()); };
    await until(() => changes.length === 1);
    assert.equal(t.of('ns/a'), undefined);
    assert.match(t.problemOf('ns/a')?.message ?? '', /Secret ns\/a-tls not found; the enableSSL ports are not served/);
    await until(() => reads.length >= 3); // re-read, the same problem: no change
    assert.equal(changes.length, 1);
    data = { 'tls.crt': b64(CRT), 'tls.key': b64(KEY) };
    await until(() => t.of('ns/a') !== undefined);
    assert.equal(t.problemOf('ns/a'), undefined);
    data = { 'tls.crt': b64(CRT.replace('MIIB', 'MIIC')), 'tls.key': b64(KEY) };
    await until(() => t.of('ns/a')?.['tls.crt'].includes('MIIC') === true);
    assert.equal(changes.length, 3);
    assert.ok(reads.every((p) => p === '/api/v1/namespaces/ns/secrets/a-tls'), reads.join(','));
    // No longer needed: nothing more is read.
    t.track('ns/a', { ...vs('a'), spec: { services: [{}] } } as never);
    const n = reads.length;
    await new Promise((r) => setTimeout(r, 60));
    assert.ok(reads.length <= n + 1, 'a read in flight at most');
    assert.equal(t.of('ns/a'), undefined);
    t.close();
  });
});
