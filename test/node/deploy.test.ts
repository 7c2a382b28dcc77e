// deploy/ on two real kubelets (issue 18 item 3), run by test/node/run.sh (`make test-node`), which
// brings up the control plane, the nodes and kube-proxy and applies test/node/overlay. Here: the
// Deployment's two pods Ready from the image `make image` built, hardened as the manifest says;
// one leader; the leader evicted → the other leads within the lease duration; the PDB refusing the
// eviction that would leave no replica; the SE API Service (ClusterIP, through kube-proxy)
// reaching both pods.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promisify } from 'node:util';
import { waitFor } from '../support/wait.js';

const run = promisify(execFile);
const env = (name: string): string => {
  const v = process.env[name];
  if (v === undefined || v === '') throw new Error(`${name} is not set: run this file through test/node/run.sh (make test-node)`);
  return v;
};
const DIR = env('LBOP_NODE_DIR');
const KUBECTL = env('LBOP_NODE_KUBECTL');
const KUBECONFIG = env('LBOP_NODE_KUBECONFIG');
const DIGEST = env('LBOP_NODE_DIGEST'); // the manifest's
const CONFIG_DIGEST = env('LBOP_NODE_CONFIG_DIGEST'); // the image config's: what the CRI calls the image ID
const IMAGE = `lbop.local/contrail-lb-operator:${env('LBOP_NODE_REF')}`;
const NS = 'lb-system';
const SELECTOR = 'app.kubernetes.io/name=contrail-lb-operator';

async function kubectl(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run(KUBECTL, ['--kubeconfig', KUBECONFIG, '--cache-dir', join(DIR, 'kubecache'), ...args], { maxBuffer: 64 << 20 });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`kubectl ${args.join(' ')}: ${(err.stderr ?? err.message).trim()}`);
  }
}
const getJSON = async <T>(...args: string[]): Promise<T> => JSON.parse(await kubectl('get', '-o', 'json', ...args)) as T;

interface Cond { type: string; status: string }
interface Pod {
  metadata: { name: string; uid: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status: {
    phase?: string; podIP?: string; hostIP?: string; conditions?: Cond[];
    containerStatuses?: { name: string; ready: boolean; started?: boolean; restartCount: number; image: string; imageID: string; containerID?: string }[];
  };
}
interface Lease { spec: { holderIdentity?: string; leaseDurationSeconds?: number; leaseTransitions?: number } }
interface PDB { status: { currentHealthy?: number; desiredHealthy?: number; disruptionsAllowed?: number; observedGeneration?: number } }

const ready = (p: Pod): boolean => p.metadata.deletionTimestamp === undefined && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
const pods = async (): Promise<Pod[]> => (await getJSON<{ items: Pod[] }>('pods', '-n', NS, '-l', SELECTOR)).items;
const lease = (): Promise<Lease> => getJSON<Lease>('lease', '-n', NS, 'contrail-lb-operator');
const nodeDir = (p: Pod): string => join(DIR, `node-${(p.spec.nodeName ?? '').replace('lbop-node-', '')}`);

/** Both replicas Ready (the Deployment available, no pod terminating): the steady state between steps. */
async function twoReady(timeoutMs = 180_000): Promise<Pod[]> {
  return waitFor(async () => {
    const ps = await pods();
    return ps.length === 2 && ps.every(ready) ? ps : undefined;
  }, { what: 'two Ready operator pods', timeoutMs, intervalMs: 500 });
}

/** The pod's container log as the kubelet wrote it (CRI format: time stream tag line). */
async function podLog(p: Pod): Promise<string[]> {
  const dir = join(nodeDir(p), 'pods', `${NS}_${p.metadata.name}_${p.metadata.uid}`, 'operator');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.log')).sort();
  const text = (await Promise.all(files.map((f) => readFile(join(dir, f), 'utf8')))).join('');
  return text.split('\n').filter(Boolean).map((l) => l.split(' ').slice(3).join(' '));
}
/** The leader-election identities this pod logged "became leader" with. */
async function ledAs(p: Pod): Promise<string[]> {
  return (await podLog(p)).flatMap((l) => {
    try {
      const j = JSON.parse(l) as { message?: string; identity?: string };
      return j.message === 'became leader' && j.identity !== undefined ? [j.identity] : [];
    } catch {
      return [];
    }
  });
}
async function leaderPod(ps: Pod[], holder: string): Promise<Pod[]> {
  const out: Pod[] = [];
  for (const p of ps) if ((await ledAs(p)).includes(holder)) out.push(p);
  return out;
}

/** The container's main process on the host, through the node's containerd. */
async function containerPid(p: Pod): Promise<number> {
  const id = (p.status.containerStatuses?.[0]?.containerID ?? '').replace(/^containerd:\/\//, '');
  const { stdout } = await run('ctr', ['-a', join(nodeDir(p), 'ctd', 'containerd.sock'), '-n', 'k8s.io', 'tasks', 'ls']);
  const row = stdout.split('\n').map((l) => l.trim().split(/\s+/)).find((c) => c[0] === id);
  assert.ok(row !== undefined, `no containerd task ${id} for pod ${p.metadata.name}`);
  return Number(row[1]);
}

/** GET over HTTPS without a client certificate, on a fresh connection: status, body, server cert fingerprint. */
function seApiGet(host: string, port: number, path: string): Promise<{ status: number; body: string; cert: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, method: 'GET', rejectUnauthorized: false, agent: false, timeout: 5000 }, (res) => {
      const cert = (res.socket as unknown as { getPeerCertificate(): { raw?: Buffer } }).getPeerCertificate().raw;
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => { body += d; }).on('end', () => {
        resolve({ status: res.statusCode ?? 0, body, cert: cert === undefined ? '' : createHash('sha256').update(cert).digest('hex') });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET https://${host}:${port}${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

async function evict(name: string): Promise<{ ok: boolean; message: string }> {
  const body = join(DIR, `eviction-${name}.json`);
  await writeFile(body, JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: NS } }));
  try {
    await kubectl('create', '--raw', `/api/v1/namespaces/${NS}/pods/${name}/eviction`, '-f', body);
    return { ok: true, message: '' };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}

describe('deploy/ on two real kubelets', { concurrency: false }, () => {
  let first: Pod[] = [];

  it('runs two pods Ready, one per node, from the built image, with its probes passing and hardened', async () => {
    first = await twoReady();
    const dep = await getJSON<{ status: { availableReplicas?: number; readyReplicas?: number } }>('deployment', '-n', NS, 'contrail-lb-operator');
    assert.equal(dep.status.availableReplicas, 2);
    assert.deepEqual(first.map((p) => p.spec.nodeName).sort(), ['lbop-node-1', 'lbop-node-2'], 'hostPorts and the spread put one replica on each node');
    for (const p of first) {
      const c = p.status.containerStatuses?.[0];
      assert.ok(c !== undefined);
      // The image is the one `make image` wrote: containerd kept its digests on import.
      assert.equal(c.image, IMAGE);
      assert.equal(c.imageID, CONFIG_DIGEST, `${p.metadata.name} runs image ${c.imageID}`);
      const { stdout } = await run('ctr', ['-a', join(nodeDir(p), 'ctd', 'containerd.sock'), '-n', 'k8s.io', 'images', 'ls']);
      const row = stdout.split('\n').map((l) => l.trim().split(/\s+/)).find((r) => r[0] === IMAGE);
      assert.equal(row?.[2], DIGEST, `${IMAGE} in ${p.spec.nodeName}'s containerd is the manifest make image wrote`);
      assert.equal(c.started, true, 'the startup probe passed');
      assert.equal(c.restartCount, 0, 'no liveness restart');
      // The probes' own endpoints, as the kubelet calls them (hostNetwork: the pod's address is the node's).
      for (const path of ['/healthz', '/readyz']) {
        const r = await fetch(`http://${p.status.podIP}:8081${path}`);
        assert.equal(r.status, 200, `${p.metadata.name} ${path}`);
      }
      const pid = await containerPid(p);
      const st = await readFile(`/proc/${pid}/status`, 'utf8');
      const field = (k: string): string => (new RegExp(`^${k}:\\s*(.*)$`, 'm').exec(st)?.[1] ?? '').trim();
      assert.match(field('Uid'), /^1000\s+1000\s+1000\s+1000$/);
      assert.match(field('Gid'), /^1000\s+1000\s+1000\s+1000$/);
      assert.equal(field('CapEff'), '0000000000000000');
      assert.equal(field('CapBnd'), '0000000000000000');
      assert.equal(field('NoNewPrivs'), '1');
      assert.equal(field('Seccomp'), '2');
      const root = (await readFile(`/proc/${pid}/mountinfo`, 'utf8')).split('\n').find((l) => l.split(' ')[4] === '/');
      assert.match(root?.split(' ')[5] ?? '', /^ro\b/, 'read-only root filesystem');
    }
  });

  it('elects exactly one leader (the Lease names it) while the standby stays Ready', async () => {
    const holder = await waitFor(async () => (await lease()).spec.holderIdentity || undefined, { what: 'a Lease holder', timeoutMs: 60_000 });
    const leaders = await waitFor(async () => {
      const l = await leaderPod(first, holder);
      return l.length > 0 ? l : undefined;
    }, { what: `the pod that logged "became leader" as ${holder}`, timeoutMs: 30_000 });
    assert.equal(leaders.length, 1);
    const other = first.find((p) => p.metadata.name !== leaders[0]?.metadata.name);
    assert.ok(other !== undefined);
    assert.deepEqual(await ledAs(other), [], 'the standby never led');
    assert.ok(ready(other));
  });

  it('the SE API Service reaches both pods: its ClusterIP through kube-proxy, and each endpoint', async () => {
    const svc = await getJSON<{ spec: { clusterIP: string } }>('service', '-n', NS, 'contrail-lb-operator-se-api');
    const ips = first.map((p) => p.status.podIP ?? '').sort();
    await waitFor(async () => {
      const s = await getJSON<{ items: { endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[] }[] }>(
        'endpointslices', '-n', NS, '-l', 'kubernetes.io/service-name=contrail-lb-operator-se-api');
      const got = s.items.flatMap((i) => i.endpoints ?? []).filter((e) => e.conditions?.ready === true).flatMap((e) => e.addresses).sort();
      return JSON.stringify(got) === JSON.stringify(ips);
    }, { what: `the SE API EndpointSlice listing ${ips.join(', ')} ready`, timeoutMs: 30_000 });
    // Without a client certificate the SE API answers 401 with its own JSON error: the request
    // reached an operator, not just some listener. Each replica has a serving certificate of its
    // own, which tells the two apart.
    const byPod = new Map<string, string>();
    for (const ip of ips) {
      const r = await seApiGet(ip, 9443, '/v1/config');
      assert.equal(r.status, 401, `${ip}: ${r.body}`);
      assert.equal((JSON.parse(r.body) as { reason?: string }).reason, 'Unauthenticated');
      byPod.set(r.cert, ip);
    }
    // kube-proxy writes its rules a moment after the EndpointSlice changes (its sync period), so
    // fresh connections are made until both replicas have answered; each must be one of them.
    assert.equal(byPod.size, 2, 'each replica serves a certificate of its own');
    const seen = new Set<string>();
    let tries = 0;
    await waitFor(async () => {
      tries++;
      const r = await seApiGet(svc.spec.clusterIP, 9443, '/v1/config');
      assert.equal(r.status, 401, r.body);
      assert.ok(byPod.has(r.cert), 'the ClusterIP answered with a certificate of neither pod');
      seen.add(r.cert);
      return seen.size === byPod.size;
    }, { what: `connections to ${svc.spec.clusterIP}:9443 reaching all ${byPod.size} replicas`, timeoutMs: 20_000, intervalMs: 50 });
    process.stdout.write(`# ${svc.spec.clusterIP}:9443 reached ${seen.size} replicas in ${tries} connections\n`);
  });

  it('the leader evicted → the other leads within the lease duration; the PDB then refuses evicting it', async () => {
    const before = await lease();
    const holder = before.spec.holderIdentity ?? '';
    const durationMs = (before.spec.leaseDurationSeconds ?? 0) * 1000;
    assert.ok(durationMs > 0);
    const [leader] = await leaderPod(first, holder);
    assert.ok(leader !== undefined);
    const standby = first.find((p) => p.metadata.name !== leader.metadata.name);
    assert.ok(standby !== undefined);

    // Two healthy, minAvailable 1: this eviction is allowed.
    const t0 = Date.now();
    const e1 = await evict(leader.metadata.name);
    assert.ok(e1.ok, `evicting the leader with two healthy replicas: ${e1.message}`);
    const newHolder = await waitFor(async () => {
      const h = (await lease()).spec.holderIdentity ?? '';
      return h !== '' && h !== holder ? h : undefined;
    }, { what: 'a new Lease holder', timeoutMs: durationMs + 10_000, intervalMs: 100 });
    const tookMs = Date.now() - t0;
    assert.deepEqual((await leaderPod([standby], newHolder)).map((p) => p.metadata.name), [standby.metadata.name], 'the standby took the lease');
    assert.ok(tookMs < durationMs, `the standby led ${tookMs} ms after the eviction (lease duration ${durationMs} ms)`);
    process.stdout.write(`# failover: ${standby.metadata.name} led ${tookMs} ms after ${leader.metadata.name} was evicted (lease ${durationMs} ms)\n`);

    // Once the disruption controller has seen one healthy pod left, evicting it would break the budget.
    await waitFor(async () => {
      const pdb = await getJSON<PDB>('pdb', '-n', NS, 'contrail-lb-operator');
      const ps = await pods();
      const healthy = ps.filter(ready).length;
      return healthy === 1 && pdb.status.currentHealthy === 1 && pdb.status.disruptionsAllowed === 0 ? true : undefined;
    }, { what: 'the PDB at currentHealthy 1, disruptionsAllowed 0', timeoutMs: 30_000, intervalMs: 100 });
    const e2 = await evict(standby.metadata.name);
    assert.equal(e2.ok, false, 'the PDB allowed evicting the last healthy replica');
    assert.match(e2.message, /disruption budget/);
    const still = (await pods()).find((p) => p.metadata.name === standby.metadata.name);
    assert.ok(still !== undefined && ready(still), 'the refused pod keeps running');

    // The replacement comes up on the freed node as a standby; the lease stays where it is.
    const after = await twoReady();
    assert.ok(after.some((p) => p.metadata.name === standby.metadata.name));
    assert.equal((await lease()).spec.holderIdentity, newHolder);
    const replacement = after.find((p) => p.metadata.name !== standby.metadata.name);
    assert.ok(replacement !== undefined);
    assert.deepEqual(await ledAs(replacement), []);
  });
});
