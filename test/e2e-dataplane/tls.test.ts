// TLS through the VIP end to end (issue 13 §3, issue 14 item 4 "TLS"): vs2 serves 80 in clear and
// 443 with enableSSL, its certificate in the kubernetes.io/tls Secret spec.tls.secretRef names. The
// test makes its own CA and a server certificate for vs2.lbop.test (openssl), and curl in the
// client namespace verifies the VIP's certificate against that CA — a real handshake with the
// SE's HAProxy, the chain from the Secret. Before the Secret exists the VS is Degraded
// (TLSSecretNotFound, an event) and 443 is not served while 80 is; a client trusting another CA
// is refused. Root only (network namespaces); otherwise skipped with one line.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerAgentKeys } from '../support/se-secrets.js';
import { registerSecret } from '../support/secrets.js';
import { NetnsDataplane } from '../../src/sim/dataplane/dataplane.js';
import { runLoad } from '../../src/sim/dataplane/loadgen.js';
import { conditionsOf, type Harness } from '../e2e/harness.js';
import { applyGroup, applyPool, applyVS, vsStatus } from '../e2e/vs-support.js';
import { skipReason } from '../dataplane/support.js';
import { agentDataplane, startDataplaneHarness } from './support.js';
import { freePort } from '../support/net.js';

const skip = skipReason();
if (skip !== undefined) process.stdout.write(`e2e-dataplane tls: ${skip}\n`);

const POOL_SERVER = '198.18.30.3';
const HOST = 'vs2.lbop.test';

/** A CA and a server certificate for host signed by it (EC P-256), as PEM files in dir. */
function makePKI(dir: string, name: string, host: string): { ca: string; crt: string; key: string } {
  const f = (x: string): string => join(dir, `${name}-${x}`);
  const ossl = (...a: string[]): void => { execFileSync('openssl', a, { stdio: 'ignore' }); };
  ossl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', `/CN=lbop e2e ${name} CA`, '-keyout', f('ca.key'), '-out', f('ca.pem'));
  ossl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${host}`, '-keyout', f('tls.key'), '-out', f('tls.csr'));
  execFileSync('sh', ['-c', `printf 'subjectAltName=DNS:${host}\\nextendedKeyUsage=serverAuth\\n' > '${f('ext')}'`]);
  ossl('x509', '-req', '-in', f('tls.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', f('ext'), '-out', f('tls.crt'));
  return { ca: f('ca.pem'), crt: f('tls.crt'), key: f('tls.key') };
}

interface Curl { code: number; status: string; body: string; stderr: string }

/** One HTTPS request from the client namespace, the VIP named host, verified against caFile. */
function curl(ns: string, url: string, vip: string, caFile?: string): Promise<Curl> {
  const args = ['netns', 'exec', ns, 'curl', '-sS', '--max-time', '3', '-w', '\n%{http_code}', '--resolve', `${HOST}:443:${vip}`, '--resolve', `${HOST}:80:${vip}`];
  if (caFile !== undefined) args.push('--cacert', caFile);
  args.push(url);
  return new Promise((resolve) => {
    execFile('ip', args, { encoding: 'utf8', timeout: 10_000 }, (err, stdout, stderr) => {
      const lines = stdout.trimEnd().split('\n');
      resolve({ code: err === null ? 0 : Number((err as { code?: unknown }).code ?? -1), status: lines.pop() ?? '', body: lines.join('\n'), stderr });
    });
  });
}

describe('TLS through the VIP: the certificate from the VS\'s Secret, verified by the client', { skip, timeout: 300_000 }, () => {
  let h: Harness;
  let dp: NetnsDataplane;
  const stateRoot = mkdtempSync(join(tmpdir(), 'lbop-e2e-tls-'));
  const pkiDir = mkdtempSync(join(tmpdir(), 'lbop-e2e-tls-pki-'));
  let pki: ReturnType<typeof makePKI>;
  let other: ReturnType<typeof makePKI>;
  let vip = '';

  before(async () => {
    pki = makePKI(pkiDir, 'test', HOST);
    other = makePKI(pkiDir, 'other', HOST);
    registerSecret('e2e-tls:tls.key', readFileSync(pki.key, 'utf8').trim()); // the final scan: never in a log
    dp = agentDataplane(stateRoot, [POOL_SERVER]);
    h = await startDataplaneHarness('e2e-dp-tls', dp);
    h.startOperator(['--se-api-addr', `127.0.0.1:${await freePort()}`]);
  });

  after(async () => {
    await h?.stop();
    registerAgentKeys(stateRoot);
    rmSync(stateRoot, { recursive: true, force: true });
    rmSync(pkiDir, { recursive: true, force: true });
  });

  it('no Secret yet: Degraded TLSSecretNotFound with an event, 80 served, 443 not', async () => {
    await applyGroup(h);
    await applyPool(h, 'vs2-pool', [{ ip: POOL_SERVER, port: 80 }]);
    await applyVS(h, { vsSpec: { services: [{ port: 80 }, { port: 443, enableSSL: true }], tls: { secretRef: { name: 'vs2-tls' } } } });
    const s = await h.waitFor(async () => {
      const st = await vsStatus(h);
      const c = (st?.conditions ?? []).find((x) => x.type === 'Degraded');
      return st?.conditions?.find((x) => x.type === 'Ready')?.status === 'True' && c?.reason === 'TLSSecretNotFound' ? st : undefined;
    }, { timeoutMs: 180_000, intervalMs: 500, what: 'vs2 Ready on 80, Degraded TLSSecretNotFound' });
    vip = s.vip?.[0]?.ipAddress ?? '';
    assert.match(vip, /^198\.18\.20\.\d+$/);
    assert.match(s.conditions?.find((x) => x.type === 'Degraded')?.message ?? '', /Secret e2e-dp-tls\/vs2-tls not found; the enableSSL ports are not served/);
    assert.ok((await h.events()).some((e) => e.reason === 'TLSSecretNotFound' && e.regarding.name === 'vs2'), 'a TLSSecretNotFound event on vs2');
    const clear = await h.waitFor(async () => {
      const r = await curl(dp.client, `http://${HOST}/`, vip);
      return r.status === '200' ? r : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200, what: 'port 80 served' });
    assert.equal(JSON.parse(clear.body).server, POOL_SERVER);
    const tls = await curl(dp.client, `https://${HOST}/`, vip, pki.ca);
    assert.notEqual(tls.status, '200', 'no TLS port without its certificate');
    assert.equal(tls.code, 7, `443 refused (curl exit 7), not served in clear: ${tls.stderr}`);
  });

  it('the Secret created: 443 answers with its certificate, verified against the test CA; Degraded clears', async () => {
    const t0 = Date.now();
    await h.client.create(`/api/v1/namespaces/${h.namespace}/secrets`, {
      metadata: { name: 'vs2-tls' }, type: 'kubernetes.io/tls',
      data: { 'tls.crt': readFileSync(pki.crt).toString('base64'), 'tls.key': readFileSync(pki.key).toString('base64') },
    });
    const first = await h.waitFor(async () => {
      const r = await curl(dp.client, `https://${HOST}/`, vip, pki.ca);
      return r.status === '200' ? r : undefined;
    }, { timeoutMs: 60_000, intervalMs: 250, what: 'a verified HTTPS answer on 443' });
    const servedMs = Date.now() - t0;
    assert.equal(first.code, 0);
    assert.equal(JSON.parse(first.body).server, POOL_SERVER, 'the pool server answered through the TLS listener');
    // The certificate presented is the Secret's: its fingerprint, read off the handshake.
    const presented = execFileSync('ip', ['netns', 'exec', dp.client, 'sh', '-c',
      `echo | openssl s_client -connect ${vip}:443 -servername ${HOST} 2>/dev/null | openssl x509 -noout -fingerprint -sha256`], { encoding: 'utf8' }).trim();
    const want = execFileSync('openssl', ['x509', '-in', pki.crt, '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8' }).trim();
    assert.equal(presented, want);
    // A client trusting another CA refuses the handshake (curl 60: peer certificate cannot be authenticated).
    const foreign = await curl(dp.client, `https://${HOST}/`, vip, other.ca);
    assert.equal(foreign.code, 60, foreign.stderr);
    await h.waitFor(async () => (conditionsOf((await h.get('VirtualService', 'vs2')) as never)['Degraded']?.status === 'False' ? true : undefined),
      { timeoutMs: 30_000, intervalMs: 500, what: 'Degraded False once the Secret is served' });
    // Load over TLS (wrk: new handshakes each request and keep-alive), then verified requests again.
    const fresh = await runLoad(dp.client, { url: `https://${vip}/`, connections: 4, seconds: 20, maxRequests: 300, newConnections: true, timeoutSeconds: 2 });
    const kept = await runLoad(dp.client, { url: `https://${vip}/`, connections: 4, seconds: 20, maxRequests: 2000, timeoutSeconds: 2 });
    process.stdout.write(`e2e-dataplane tls: Secret created → first verified HTTPS answer ${servedMs} ms; `
      + `${fresh.requests} requests with a handshake each, ${fresh.failures} failed, p99 ${(fresh.latencyUs.p99 / 1000).toFixed(1)} ms; `
      + `${kept.requests} keep-alive, ${kept.failures} failed, ${Math.round(kept.requestsPerSecond)}/s\n`);
    for (const r of [fresh, kept]) {
      assert.equal(r.failures, 0, JSON.stringify(r.errors));
      assert.deepEqual(Object.keys(r.perServer), [POOL_SERVER]);
    }
    assert.ok(fresh.requests >= 300 && kept.requests >= 2000, `${fresh.requests}/${kept.requests}`);
  });
});
