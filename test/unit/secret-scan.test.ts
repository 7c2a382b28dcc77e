// The secret scan (make test-secrets) must find a planted secret in every form it claims, in a
// nested log, and stay quiet on clean output and on the files where secrets live by design.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { base64Forms, scan, suiteSecrets, type Secret } from '../support/secret-scan.js';
import { repoRoot } from '../support/cluster.js';

const SECRET: Secret = { label: 'planted', value: 'pl4nted/S3cret+value?&=' };

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'lbop-secret-scan-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const forms: [string, (v: string) => string][] = [
  ['raw', (v) => `level=info msg="auth with ${v}"`],
  ['url-encoded', (v) => `GET /v3/auth?password=${encodeURIComponent(v)}`],
  ['form-encoded', (v) => `body: ${new URLSearchParams({ password: v }).toString()}`],
  ['json-escaped', (v) => JSON.stringify({ error: `bad ${v}` })],
  ['base64 at offset 0', (v) => `data: ${Buffer.from(v).toString('base64')}`],
  ['base64 at offset 1', (v) => `data: ${Buffer.from(`x${v}`).toString('base64')}`],
  ['base64 at offset 2', (v) => `data: ${Buffer.from(`xy:${v}`).toString('base64')}`],
  ['base64url inside a longer value', (v) => `token=${Buffer.from(`{"u":"admin","p":"${v}","x":1}`).toString('base64url')}`],
];

for (const [name, render] of forms) {
  test(`finds a secret planted ${name} in a nested log`, () => withDir((dir) => {
    mkdirSync(join(dir, 'e2e-logs', 'deep'), { recursive: true });
    writeFileSync(join(dir, 'e2e-logs', 'deep', 'op-0.log'), `first line\nsecond line\n${render(SECRET.value)}\nlast\n`);
    const r = scan([dir], [SECRET]);
    assert.equal(r.files, 1);
    assert.ok(r.hits.length >= 1, `no hit for ${name}`);
    assert.deepEqual({ file: r.hits[0]?.file, line: r.hits[0]?.line, label: r.hits[0]?.label }, { file: join('e2e-logs', 'deep', 'op-0.log'), line: 3, label: 'planted' });
  }));
}

test('finds a TLS private key by shape, as PEM and base64 (a dumped Secret)', () => withDir((dir) => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  writeFileSync(join(dir, 'a.log'), `error: ${pem}`);
  writeFileSync(join(dir, 'b-api.json'), JSON.stringify({ data: { 'tls.key': Buffer.from(pem).toString('base64') } }));
  const r = scan([dir], []);
  assert.deepEqual(r.hits.map((h) => `${h.file}:${h.form}`).sort(), ['a.log:pem', 'b-api.json:base64-pem']);
}));

test('clean output, and the files where secrets live by design, give 0 hits', () => withDir((dir) => {
  mkdirSync(join(dir, 'openstack', 'etc'), { recursive: true });
  mkdirSync(join(dir, 'test-secrets'), { recursive: true });
  writeFileSync(join(dir, 'openstack', 'env.json'), JSON.stringify({ admin: { password: SECRET.value } }));
  writeFileSync(join(dir, 'openstack', 'etc', 'keystone.log'), SECRET.value);
  writeFileSync(join(dir, 'test-secrets', '1.jsonl'), JSON.stringify(SECRET));
  writeFileSync(join(dir, 'op.log'), 'password=<redacted> secret=*** certificate -----BEGIN CERTIFICATE-----\n');
  const r = scan([dir], [SECRET]);
  assert.equal(r.files, 1);
  assert.deepEqual(r.hits, []);
}));

test('base64 forms are the value-only characters of each alignment', () => {
  const f = base64Forms('abcdefghijkl');
  assert.equal(f.length, 3);
  for (const [k, b] of f.entries()) assert.ok(Buffer.from(`${'_'.repeat(k)}abcdefghijkl!`).toString('base64').includes(b));
});

test("the suite secrets include the simulator topology's passwords and application-credential secret", () => {
  const labels = suiteSecrets(repoRoot).map((s) => s.label);
  assert.ok(labels.some((l) => l.includes('applicationCredentials')), labels.join(','));
  assert.ok(labels.some((l) => l.includes('password')), labels.join(','));
});

test('the CLI exits 1 and names the file and label, never the value, on a hit', () => withDir((dir) => {
  writeFileSync(join(dir, 'leak.log'), 'x\nauth lbop-appcred-secret\n');
  let out = '';
  let code = 0;
  try {
    out = execFileSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'scripts/secret-scan.ts'), dir], { cwd: repoRoot, encoding: 'utf8' });
  } catch (e) {
    const err = e as { status: number; stdout: string };
    code = err.status;
    out = err.stdout;
  }
  assert.equal(code, 1, out);
  assert.match(out, /leak\.log:2: default-topology:.*applicationCredentials.*secret \(raw\)/);
  assert.doesNotMatch(out, /lbop-appcred-secret/);
}));
