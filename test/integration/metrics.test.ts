// /metrics behind TokenReview + SubjectAccessReview on a real kube-apiserver: a scraper whose
// ServiceAccount is bound to deploy/'s metrics-reader ClusterRole gets the metrics, one without
// gets 403, no token 401; the reviews are made with the operator's own ServiceAccount (so
// deploy/'s RBAC is proven sufficient) and cached. Then the same through `contrail-lb-operator run`
// as a process (its flags, its TLS). Lives in namespace lbop-metrics.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { repoRoot, useCluster, type TestCluster } from '../support/cluster.js';
import { KubeClient, runtimeMetrics, startHealthServer, type HealthServer } from '../../src/runtime/index.js';
import { kubeAuthorizer, selfSignedCert, type TLSMaterial } from '../../src/runtime/metricsauth.js';

const NS = 'lbop-metrics';
const BINDING = 'lbop-metrics-scraper';

async function ok(cluster: TestCluster, args: string[], input?: string): Promise<string> {
  const r = await cluster.kubectl(args, input === undefined ? undefined : { input });
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout;
}

function scrape(url: string, ca: string, token?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca, headers: token === undefined ? {} : { Authorization: `Bearer ${token}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('no answer in 10 s')));
  });
}

const freePort = (): Promise<number> => new Promise((resolve, reject) => {
  const s = createServer();
  s.once('error', reject);
  s.listen(0, '127.0.0.1', () => {
    const port = (s.address() as { port: number }).port;
    s.close(() => resolve(port));
  });
});

async function waitFor<T>(what: string, ms: number, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('/metrics authn/authz on a real apiserver', () => {
  let cluster: TestCluster;
  let operatorKubeconfig = '';
  let allowed = '';
  let denied = '';
  let dir = '';

  before(async () => {
    cluster = await useCluster();
    dir = mkdtempSync(join(tmpdir(), 'lbop-metrics-'));
    // The operator's identity and RBAC exactly as deploy/ has them, and the metrics-reader role.
    await ok(cluster, ['apply', '-f', join(repoRoot, 'deploy/base/namespace.yaml'), '-f', join(repoRoot, 'deploy/base/serviceaccount.yaml'),
      '-f', join(repoRoot, 'deploy/base/rbac.yaml'), '-f', join(repoRoot, 'deploy/base/metrics-reader.yaml')]);
    operatorKubeconfig = await cluster.serviceAccountKubeconfig('lb-system', 'contrail-lb-operator');
    await ok(cluster, ['create', 'namespace', NS, '--dry-run=client', '-o', 'json'], undefined).then((j) => ok(cluster, ['apply', '-f', '-'], j));
    for (const sa of ['scraper', 'stranger']) await ok(cluster, ['create', 'serviceaccount', sa, '-n', NS, '--dry-run=client', '-o', 'json']).then((j) => ok(cluster, ['apply', '-f', '-'], j));
    await ok(cluster, ['create', 'clusterrolebinding', BINDING, '--clusterrole=contrail-lb-operator-metrics-reader', `--serviceaccount=${NS}:scraper`, '--dry-run=client', '-o', 'json'])
      .then((j) => ok(cluster, ['apply', '-f', '-'], j));
    allowed = (await ok(cluster, ['create', 'token', 'scraper', '-n', NS, '--duration=1h'])).trim();
    denied = (await ok(cluster, ['create', 'token', 'stranger', '-n', NS, '--duration=1h'])).trim();
  });

  after(async () => {
    await cluster.kubectl(['delete', 'clusterrolebinding', BINDING, '--ignore-not-found']);
    await cluster.kubectl(['delete', 'namespace', NS, '--ignore-not-found', '--wait=false']);
    rmSync(dir, { recursive: true, force: true });
  });

  test('allowed scraper 200, refused scraper 403, no or a bad token 401; verdicts cached', async () => {
    const reviews = new Registry();
    const operator = await KubeClient.create(operatorKubeconfig, { registry: reviews });
    const registry = new Registry();
    runtimeMetrics(registry);
    const tls: TLSMaterial = await selfSignedCert(['127.0.0.1']);
    const refusals: string[] = [];
    let server: HealthServer | undefined;
    try {
      server = await startHealthServer({ registry, checks: {}, tls, authorizer: kubeAuthorizer(operator), onAuthError: (m) => refusals.push(m) });
      const url = `${server.url}/metrics`;
      assert.match(url, /^https:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const yes = await scrape(url, tls.cert, allowed);
      assert.equal(yes.status, 200, yes.body);
      assert.match(yes.body, /^lbop_build_info\{/m);
      assert.match(yes.body, /^# TYPE nodejs_eventloop_lag_seconds gauge$/m);
      const no = await scrape(url, tls.cert, denied);
      assert.equal(no.status, 403);
      assert.doesNotMatch(no.body, /lbop_/);
      assert.equal((await scrape(url, tls.cert)).status, 401);
      assert.equal((await scrape(url, tls.cert, 'not-a-token')).status, 401);
      // The tokens never appear in what the operator reports.
      assert.ok(refusals.length >= 3 && refusals.every((m) => !m.includes(denied) && !m.includes(allowed)), refusals.join('\n'));
      assert.ok(refusals.some((m) => m.includes(`system:serviceaccount:${NS}:stranger`)), refusals.join('\n'));
      // Cached: more scrapes with known tokens ask the apiserver nothing more.
      const posts = async (): Promise<number> => (await reviews.getMetricsAsJSON()).find((m) => m.name === 'rest_client_requests_total')?.values
        .filter((v) => v.labels['method'] === 'POST').reduce((a, v) => a + v.value, 0) ?? 0;
      const before = await posts();
      assert.equal(before, 5, 'TokenReview + SAR for each of the two users, one TokenReview for the bad token');
      for (let i = 0; i < 3; i++) {
        assert.equal((await scrape(url, tls.cert, allowed)).status, 200);
        assert.equal((await scrape(url, tls.cert, denied)).status, 403);
      }
      assert.equal(await posts(), before);
      // Plain HTTP to the TLS port is not served.
      await assert.rejects(fetch(url.replace('https:', 'http:')));
    } finally {
      await server?.close();
      operator.close();
    }
  });

  test('`contrail-lb-operator run` serves /metrics over HTTPS behind the same checks', async () => {
    const certDir = join(dir, 'certs');
    const tls = await selfSignedCert(['127.0.0.1']);
    rmSync(certDir, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(certDir));
    writeFileSync(join(certDir, 'tls.crt'), tls.cert);
    writeFileSync(join(certDir, 'tls.key'), tls.key, { mode: 0o600 });
    const port = await freePort();
    const child = spawn(process.execPath, [join(repoRoot, 'bin/contrail-lb-operator.js'), 'run', '--kubeconfig', operatorKubeconfig,
      '--namespace', NS, '--cluster-id', 'lbop-metrics', '--controllers', 'pool', '--health-addr', '0',
      `--metrics-addr=127.0.0.1:${port}`, '--metrics-cert-dir', certDir, '--secrets-namespace', 'lb-system'], {
      cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KUBECONFIG: '' },
    });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const url = `https://127.0.0.1:${port}/metrics`;
      const yes = await waitFor('the operator serving /metrics', 60_000, async () => {
        if (child.exitCode !== null) throw new Error(`operator exited ${child.exitCode}:\n${output}`);
        const r = await scrape(url, tls.cert, allowed);
        return r.status === 200 ? r : undefined;
      }).catch((e: unknown) => { throw new Error(`${(e as Error).message}\n${output}`); });
      assert.match(yes.body, /^rest_client_requests_total\{code="201",method="POST",host="127\.0\.0\.1:\d+"\} \d+$/m, 'the reviews themselves are counted');
      assert.match(yes.body, /^controller_runtime_max_concurrent_reconciles\{controller="pool"\} 4$/m);
      assert.equal((await scrape(url, tls.cert, denied)).status, 403);
      assert.equal((await scrape(url, tls.cert)).status, 401);
      assert.doesNotMatch(output, new RegExp(allowed.slice(-20)), 'no token in the logs');
    } finally {
      child.kill('SIGTERM');
      assert.equal(await exited, 0, output);
    }
  });
});
