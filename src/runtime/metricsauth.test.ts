import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCertDir, selfSignedCert, watchCertDir, type TLSMaterial } from './metricsauth.js';

test('the self-signed certificate names the given hosts and IPs and is for serving only', async () => {
  const { cert } = await selfSignedCert(['127.0.0.1', 'op-7d9f', 'localhost']);
  const x = new X509Certificate(cert);
  assert.equal(x.subjectAltName, 'IP Address:127.0.0.1, DNS:op-7d9f, DNS:localhost');
  assert.equal(x.ca, false);
  assert.ok(x.checkIP('127.0.0.1') !== undefined);
  assert.deepEqual(x.keyUsage, ['1.3.6.1.5.5.7.3.1'], 'serverAuth only');
  assert.ok(new Date(x.validTo).getTime() > Date.now() + 300 * 86_400_000);
});

test('a rotated certificate in the directory is picked up; an unreadable one is skipped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lbop-certs-'));
  const write = (t: TLSMaterial): void => {
    writeFileSync(join(dir, 'tls.crt'), t.cert);
    writeFileSync(join(dir, 'tls.key'), t.key);
  };
  const first = await selfSignedCert(['127.0.0.1']);
  write(first);
  const applied: TLSMaterial[] = [];
  const errors: string[] = [];
  const stop = watchCertDir(dir, readCertDir(dir), (t) => applied.push(t), (m) => errors.push(m), 10);
  const until = async (cond: () => boolean): Promise<void> => {
    const deadline = Date.now() + 5000;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error('not in time');
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  try {
    rmSync(join(dir, 'tls.key'));
    await until(() => errors.length > 0);
    assert.match(errors[0] ?? '', /cannot read tls\.crt\/tls\.key in .*: ENOENT/);
    assert.equal(applied.length, 0);
    const second = await selfSignedCert(['127.0.0.1']);
    write(second);
    await until(() => applied.length === 1);
    assert.equal(applied[0]?.cert, second.cert);
  } finally {
    stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
