// Bootstrap sources (config drive directory, metadata service over real HTTP on 127.0.0.1) and
// the channel's key material (a CSR OpenSSL verifies).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parseBootstrap, readIdentity } from '../../src/agent/bootstrap.js';
import { newKeyAndCSR, renewAt } from '../../src/agent/channel.js';
import type { SEBootstrap } from '../../src/seapi/protocol.js';

const run = promisify(execFile);
const TOKEN = 'lbop-secret-bootstrap-token-0123456789';
const SERVER_ID = '7f0c9a52-3f43-4a4c-9a43-5a2b1d7f0001';
const BOOT: SEBootstrap = {
  kind: 'contrail-lb-operator/se-bootstrap',
  version: 1,
  serviceEngine: { namespace: 'lbop-test', name: 'se-1', uid: '00000000-0000-4000-8000-000000000001' },
  controllerURLs: ['https://127.0.0.1:9443', 'https://127.0.0.2:9443'],
  caBundle: '-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n',
  bootstrapToken: TOKEN,
  heartbeatIntervalMs: 2000,
};

describe('SE bootstrap', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lbop-boot-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the config drive', async () => {
    const latest = join(dir, 'openstack', 'latest');
    await mkdir(latest, { recursive: true });
    await writeFile(join(latest, 'meta_data.json'), JSON.stringify({ uuid: SERVER_ID, name: 'se-1' }));
    await writeFile(join(latest, 'user_data'), JSON.stringify(BOOT));
    assert.deepEqual(await readIdentity({ configDrive: dir }), { serverID: SERVER_ID, bootstrap: BOOT });
  });

  it('reads the metadata service when there is no drive', async () => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(req.url ?? '');
      if (req.url === '/openstack/latest/meta_data.json') res.end(JSON.stringify({ uuid: SERVER_ID }));
      else if (req.url === '/openstack/latest/user_data') res.end(JSON.stringify(BOOT));
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
      assert.deepEqual(await readIdentity({ metadataURL: url }), { serverID: SERVER_ID, bootstrap: BOOT });
      assert.deepEqual(seen, ['/openstack/latest/meta_data.json', '/openstack/latest/user_data']);
    } finally {
      server.close();
    }
  });

  it('refuses a malformed bootstrap without echoing the token', () => {
    const bad = { ...BOOT, controllerURLs: ['http://plain-text.example'] };
    assert.throws(() => parseBootstrap(JSON.stringify({ uuid: SERVER_ID }), JSON.stringify(bad)), (e: Error) => /controllerURLs/.test(e.message) && !e.message.includes(TOKEN));
    assert.throws(() => parseBootstrap(JSON.stringify({ uuid: SERVER_ID }), `CONTROLLER=x TOKEN=${TOKEN}`), (e: Error) => !e.message.includes(TOKEN));
    assert.throws(() => parseBootstrap('{}', JSON.stringify(BOOT)), /uuid/);
  });
});

describe('channel key material', () => {
  it('makes a P-256 key and a CSR signed by it (openssl req -verify)', async () => {
    const { keyPEM, csrPEM } = await newKeyAndCSR('lbop-test/se-1');
    const dir = await mkdtemp(join(tmpdir(), 'lbop-csr-'));
    try {
      await writeFile(join(dir, 'csr.pem'), csrPEM);
      await writeFile(join(dir, 'key.pem'), keyPEM, { mode: 0o600 });
      const { stdout, stderr } = await run('openssl', ['req', '-in', join(dir, 'csr.pem'), '-noout', '-verify', '-subject']);
      assert.match(stdout + stderr, /verify OK/i);
      assert.match(stdout, /CN\s*=\s*lbop-test\/se-1/);
      const pub = await run('openssl', ['pkey', '-in', join(dir, 'key.pem'), '-pubout']);
      const csrPub = await run('openssl', ['req', '-in', join(dir, 'csr.pem'), '-noout', '-pubkey']);
      assert.equal(pub.stdout, csrPub.stdout);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('renews two thirds into the certificate life', () => {
    assert.equal(renewAt({ notBefore: new Date(0), notAfter: new Date(3_600_000) }), 2_400_000);
  });
});
