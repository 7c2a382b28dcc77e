import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { KubeconfigError, loadKubeconfig, mergeKubeconfigs, proxyFor, selectContext } from './kubeconfig.js';
import { KubeClient } from './kube.js';

const cfg = (ctx: string, cluster: string, server: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1', kind: 'Config', 'current-context': ctx,
  clusters: [{ name: cluster, cluster: { server, ...extra } }],
  users: [{ name: 'u', user: { token: `t-${cluster}` } }],
  contexts: [{ name: ctx, context: { cluster, user: 'u' } }],
});

test("kubectl's merge: the first file to name a cluster, user, context or current-context wins", () => {
  const m = mergeKubeconfigs([cfg('a', 'c1', 'https://one'), cfg('b', 'c1', 'https://two'), { ...cfg('c', 'c3', 'https://three'), 'current-context': '' }]);
  assert.equal(m['current-context'], 'a');
  assert.deepEqual(m.clusters?.map((c) => [c.name, (c['cluster'] as { server: string }).server]), [['c1', 'https://one'], ['c3', 'https://three']]);
  assert.deepEqual(m.contexts?.map((c) => c.name), ['a', 'b', 'c']);
  assert.deepEqual(m.users?.map((u) => (u['user'] as { token: string }).token), ['t-c1'], 'user u from the first file');
});

test('a path list skips missing files, resolves relative paths per file, and --context is checked', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lbop-kc-'));
  try {
    const a = join(dir, 'a.yaml');
    writeFileSync(a, JSON.stringify(cfg('a', 'c1', 'https://one', { 'certificate-authority': 'ca.crt' })));
    const b = join(dir, 'sub', 'b.yaml');
    const m = loadKubeconfig(`${join(dir, 'absent.yaml')}:${a}:${b}`);
    assert.equal((m.clusters?.[0]?.['cluster'] as Record<string, string>)['certificate-authority'], join(dir, 'ca.crt'));
    assert.equal(selectContext(m, 'a')['current-context'], 'a');
    assert.throws(() => selectContext(m, 'nope'), (e: unknown) => e instanceof KubeconfigError && /context 'nope' not found in the kubeconfig \(have: a\)/.test(e.message));
    assert.throws(() => loadKubeconfig(`${join(dir, 'x')}:${join(dir, 'y')}`), /no kubeconfig file found/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('proxy-url: http(s) proxies are used, other schemes refused with a reason that holds no credentials', () => {
  assert.equal(proxyFor(undefined), undefined);
  assert.equal(proxyFor('http://proxy.example:3128'), 'http://proxy.example:3128/');
  assert.throws(() => proxyFor('socks5://user:hunter2@proxy:1080'), (e: unknown) => e instanceof KubeconfigError && /socks5:\/\/ is not supported/.test(e.message) && !/hunter2/.test(e.message));
});

test('every request carries the User-Agent and is counted in rest_client_* metrics', async () => {
  const seen: (string | undefined)[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers['user-agent']);
    res.writeHead(req.url === '/missing' ? 404 : 200, { 'Content-Type': 'application/json' }).end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const dir = mkdtempSync(join(tmpdir(), 'lbop-kc-'));
  try {
    const port = (server.address() as AddressInfo).port;
    const path = join(dir, 'kc.yaml');
    writeFileSync(path, JSON.stringify(cfg('x', 'c', `http://127.0.0.1:${port}`, { 'insecure-skip-tls-verify': true })));
    const registry = new Registry();
    const client = await KubeClient.create(path, { registry });
    await client.get('/api');
    await client.get('/missing').catch(() => undefined);
    client.close();
    assert.equal(seen.length, 2);
    for (const ua of seen) assert.match(ua ?? '', new RegExp(`^contrail-lb-operator/[^ ]+ \\(${process.platform}/${process.arch}\\) node/${process.versions.node.replaceAll('.', '\\.')}$`));
    const text = await registry.metrics();
    assert.match(text, new RegExp(`rest_client_requests_total\\{code="200",method="GET",host="127.0.0.1:${port}"\\} 1`));
    assert.match(text, new RegExp(`rest_client_requests_total\\{code="404",method="GET",host="127.0.0.1:${port}"\\} 1`));
    assert.match(text, new RegExp(`rest_client_request_duration_seconds_count\\{verb="GET",host="127.0.0.1:${port}"\\} 2`));
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
