// Kubeconfig conventions against a real kube-apiserver: a KUBECONFIG path list merged as kubectl
// merges it (first current-context wins, --context overrides), a kubeconfig proxy-url used (a real
// CONNECT proxy on loopback sees the tunnel) or refused, and the User-Agent the apiserver records
// (the default field manager of a write is the User-Agent's product name).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYAML } from 'yaml';
import { repoRoot, useCluster, type TestCluster } from '../support/cluster.js';
import { KubeClient, type KubeObject } from '../../src/runtime/index.js';

interface Kubeconfig {
  'current-context': string;
  clusters: { name: string; cluster: Record<string, unknown> }[];
  contexts: { name: string; context: { cluster: string; user: string } }[];
  users: { name: string; user: Record<string, unknown> }[];
}

/** A forward proxy that understands CONNECT only, recording the targets it tunnelled to. */
async function connectProxy(): Promise<{ url: string; targets: string[]; close(): Promise<void> }> {
  const targets: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    client.once('data', (head: Buffer) => {
      const m = /^CONNECT ([^ :]+):(\d+) HTTP\/1\.[01]\r\n/.exec(head.toString('latin1'));
      if (m === null || !['127.0.0.1', 'localhost'].includes(m[1] as string)) {
        client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
        return;
      }
      targets.push(`${m[1]}:${m[2]}`);
      const upstream = connect(Number(m[2]), '127.0.0.1', () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.pipe(client);
        client.pipe(upstream);
      });
      sockets.add(upstream);
      upstream.once('close', () => sockets.delete(upstream));
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    targets,
    close: () => new Promise((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

describe('kubeconfig conventions on a real apiserver', () => {
  let cluster: TestCluster;
  let dir = '';
  let admin: Kubeconfig;
  let adminContext = '';
  let elsewhere = '';

  before(async () => {
    cluster = await useCluster();
    dir = mkdtempSync(join(tmpdir(), 'lbop-kubeconfig-'));
    admin = parseYAML(readFileSync(cluster.kubeconfig, 'utf8')) as Kubeconfig;
    adminContext = admin['current-context'];
    // A first file whose current-context points nowhere (port 1 on loopback refuses at once), with
    // a second context that refers to a cluster only the admin's file defines.
    const adminCluster = admin.contexts.find((c) => c.name === adminContext)?.context.cluster ?? '';
    elsewhere = join(dir, 'elsewhere.yaml');
    writeFileSync(elsewhere, JSON.stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'lbop-elsewhere',
      clusters: [{ name: 'lbop-nowhere', cluster: { server: 'https://127.0.0.1:1' } }],
      users: [{ name: 'lbop-nobody', user: { token: 'lbop-not-a-token' } }],
      contexts: [{ name: 'lbop-elsewhere', context: { cluster: 'lbop-nowhere', user: 'lbop-nobody' } }, { name: 'lbop-shadow', context: { cluster: adminCluster, user: 'lbop-nobody' } }],
    }));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('KUBECONFIG=a:b takes the first current-context; --context picks the admin one from the second file', async () => {
    const list = `${join(dir, 'absent.yaml')}:${elsewhere}:${cluster.kubeconfig}`;
    const first = await KubeClient.create(list);
    try {
      assert.equal(first.server.href, 'https://127.0.0.1:1/');
      await assert.rejects(first.get('/version'), /ECONNREFUSED/);
    } finally {
      first.close();
    }
    const picked = await KubeClient.create(list, { context: adminContext });
    try {
      const v = await picked.get<{ gitVersion: string }>('/version');
      assert.match(v.gitVersion, /^v1\.\d+/);
    } finally {
      picked.close();
    }
    // The environment variable the same way (no --kubeconfig).
    const saved = process.env['KUBECONFIG'];
    process.env['KUBECONFIG'] = list;
    try {
      const fromEnv = await KubeClient.create(undefined, { context: adminContext });
      try {
        assert.ok((await fromEnv.get<{ kind: string }>('/api/v1/namespaces/default')).kind === 'Namespace');
      } finally {
        fromEnv.close();
      }
    } finally {
      if (saved === undefined) delete process.env['KUBECONFIG'];
      else process.env['KUBECONFIG'] = saved;
    }
    await assert.rejects(KubeClient.create(list, { context: 'lbop-missing' }), /context 'lbop-missing' not found in the kubeconfig \(have: lbop-elsewhere, lbop-shadow, /);
  });

  test('`run --context` with an unknown context is refused in one line by the CLI', async () => {
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [join(repoRoot, 'bin/contrail-lb-operator.js'), 'run', '--context=lbop-missing', '--cluster-id', 'x'], {
        cwd: repoRoot, env: { ...process.env, KUBECONFIG: `${elsewhere}:${cluster.kubeconfig}` }, stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stderr }));
    });
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /run: cannot load Kubernetes credentials: context 'lbop-missing' not found/);
  });

  test('a proxy-url is used: requests (and a watch) tunnel through it; a socks5 one is refused', async () => {
    const proxy = await connectProxy();
    try {
      const viaProxy = join(dir, 'proxied.yaml');
      const cfg: Kubeconfig = JSON.parse(JSON.stringify(admin)) as Kubeconfig;
      for (const c of cfg.clusters) c.cluster['proxy-url'] = proxy.url;
      writeFileSync(viaProxy, JSON.stringify(cfg));
      const client = await KubeClient.create(viaProxy);
      try {
        const v = await client.get<{ gitVersion: string }>('/version');
        assert.match(v.gitVersion, /^v1\./);
        const apiPort = new URL(cluster.server).port;
        assert.ok(proxy.targets.includes(`127.0.0.1:${apiPort}`), `proxy saw ${proxy.targets.join(', ') || 'nothing'}`);
        const ac = new AbortController();
        const res = await client.open('GET', '/api/v1/namespaces', { query: { watch: true, timeoutSeconds: 5 }, signal: ac.signal });
        assert.equal(res.statusCode, 200);
        ac.abort();
        res.destroy();
      } finally {
        client.close();
      }
      for (const c of cfg.clusters) c.cluster['proxy-url'] = 'socks5://lbop:hunter2@127.0.0.1:1080';
      writeFileSync(viaProxy, JSON.stringify(cfg));
      await assert.rejects(KubeClient.create(viaProxy), (e: unknown) => e instanceof Error && /proxy-url scheme socks5:\/\/ is not supported/.test(e.message) && !e.message.includes('hunter2'));
    } finally {
      await proxy.close();
    }
  });

  test('the apiserver sees the User-Agent (a write without fieldManager is managed by its product name)', async () => {
    const client = await KubeClient.create(cluster.kubeconfig);
    const name = `lbop-ua-${process.pid}`;
    try {
      const cm = await client.create<KubeObject & { metadata: { managedFields?: { manager: string }[] } }>('/api/v1/namespaces/default/configmaps', {
        apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: '1' },
      });
      assert.deepEqual(cm.metadata.managedFields?.map((f) => f.manager), ['contrail-lb-operator']);
    } finally {
      await client.delete(`/api/v1/namespaces/default/configmaps/${name}`).catch(() => undefined);
      client.close();
    }
  });
});
