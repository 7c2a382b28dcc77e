// The built image (make image) run the way deploy/base runs it, under crun from Debian: the
// image's entrypoint, user and env (umoci unpack renders them from the OCI config), the
// Deployment's args and env, its securityContext (uid/gid 1000, read-only root, all capabilities
// dropped, no-new-privileges, seccomp RuntimeDefault), its /tmp emptyDir, its memory limit and
// its projected token (a TokenRequest token of the ServiceAccount deploy/base/rbac.yaml binds),
// in-cluster config through KUBERNETES_SERVICE_HOST as the kubelet sets it.
// The network namespace has only lo; socat bridges exactly the kube-apiserver's and the
// simulator's APIs in (and the health port out, for the probe), so the container reaches those
// loopback ports of the host and nothing else. Against scripts/with-cluster.sh's kube-apiserver
// and the simulator, the seed sample (crds/samples/seed.yaml) must reach vs2 Ready.
// Needs root (netns, crun). Run by `make test-image` (test/image/run-hardened.sh).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, openSync, readdirSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseAllDocuments, parse as parseYAML } from 'yaml';
import { repoRoot, useCluster, type TestCluster } from '../support/cluster.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { readLayout } from '../../scripts/image/oci.js';
import { hardenedConfig, runtimeDefaultSeccomp, TOKEN_MOUNT, type ContainersSeccomp, type RuntimeConfig } from './bundle.js';

const IMAGE = join(repoRoot, '.local/image');
const SECCOMP = '/usr/share/containers/seccomp.json';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
// A deadline raced against an exit: unref'd, so the process need not wait it out once the race is won.
const giveUpAfter = (ms: number): Promise<'timeout'> => delay(ms, 'timeout' as const, { ref: false });

/** A failure no retry can mend (the container is gone): ends a waitFor at once. */
class Fatal extends Error {}

async function waitFor<T>(what: string, ms: number, fn: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + ms;
  let last = '';
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      if (e instanceof Fatal) throw e;
      last = (e as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}${last !== '' ? ` (${last})` : ''}`);
    await sleep(250);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a !== null ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

function run(cmd: string, args: string[], input?: string): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...(input !== undefined ? { input } : {}) });
  if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 3).join(' ')} failed (${r.status}): ${(r.stderr || r.stdout).trim().slice(-500)}`);
  return r.stdout;
}

// crun in a private mount namespace with the cgroup2 hierarchy of a hybrid (v1 + v2) host
// unmounted: crun refuses hybrid mode, and this machine (a VM whose init binds hugetlb to v2)
// is one. On a pure v1 or v2 host the wrapper changes nothing.
const CRUN_WRAPPER = 'if [ -d /sys/fs/cgroup/memory ] && mountpoint -q /sys/fs/cgroup/unified; then umount /sys/fs/cgroup/unified; fi; exec crun "$@"';
const crunArgs = (args: string[]): string[] => ['-m', '--propagation', 'private', 'sh', '-c', CRUN_WRAPPER, 'crun', ...args];
const crun = (args: string[]): { status: number | null; stdout: string; stderr: string } => {
  const r = spawnSync('unshare', crunArgs(args), { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe('the image run hardened under crun', { timeout: 300_000 }, () => {
  let cluster: TestCluster;
  let sim: Simulator;
  const id = `lbop-img-${randomBytes(3).toString('hex')}`; // container id and netns name
  const dir = join(IMAGE, `run-${id}`);
  const kids: ChildProcess[] = [];
  let container: ChildProcess | undefined;
  let exited: Promise<number | null> = Promise.resolve(null);
  let output = '';
  let healthPort = 0;
  let etcdPort = 0;
  let netnsMade = false;

  // Each bridge in a process group of its own with its log in a file: socat forks a child per
  // connection, and those must go with it (and must not hold a pipe of this process open).
  const spawnKid = (cmd: string, args: string[]): ChildProcess => {
    const fd = openSync(join(dir, 'bridges.log'), 'a');
    const c = spawn(cmd, args, { stdio: ['ignore', 'ignore', fd], detached: true });
    closeSync(fd);
    kids.push(c);
    return c;
  };
  // Host port → the same port on the container's lo (two socats and a unix socket between them).
  const bridgeIn = (port: number): void => {
    const sock = join(dir, `in-${port}.sock`);
    spawnKid('socat', [`UNIX-LISTEN:${sock},fork,mode=600`, `TCP:127.0.0.1:${port}`]);
    spawnKid('ip', ['netns', 'exec', id, 'socat', `TCP-LISTEN:${port},bind=127.0.0.1,fork,reuseaddr`, `UNIX-CONNECT:${sock}`]);
  };
  // The container's port → a free host loopback port (the kubelet's probe path).
  const bridgeOut = (port: number, hostPort: number): void => {
    const sock = join(dir, `out-${port}.sock`);
    spawnKid('ip', ['netns', 'exec', id, 'socat', `UNIX-LISTEN:${sock},fork,mode=600`, `TCP:127.0.0.1:${port}`]);
    spawnKid('socat', [`TCP-LISTEN:${hostPort},bind=127.0.0.1,fork,reuseaddr`, `UNIX-CONNECT:${sock}`]);
  };
  const kubectl = async (args: string[], input?: string): Promise<string> => {
    const r = await cluster.kubectl(args, input !== undefined ? { input } : {});
    if (r.code !== 0) throw new Error(`kubectl ${args.slice(0, 3).join(' ')}: ${r.stderr.trim()}`);
    return r.stdout;
  };

  const t0 = Date.now();
  const mark = (what: string): void => { process.stdout.write(`# ${what} at ${Date.now() - t0} ms\n`); };

  before(async () => {
    assert.equal(process.getuid?.(), 0, 'needs root (network namespace, crun)');
    assert.ok(existsSync(join(IMAGE, 'oci', 'index.json')), 'run make image first');
    const ref = readFileSync(join(IMAGE, 'ref'), 'utf8').trim();
    const { manifestDigest } = readLayout(join(IMAGE, 'oci'), ref);
    mkdirSync(dir, { recursive: true });

    // The root filesystem as any OCI tool unpacks it (umoci), once per image digest.
    const bundle = join(IMAGE, `bundle-${manifestDigest.slice(7, 19)}`);
    // Bundles of earlier images (~360 MB each) would only fill the disk.
    for (const d of readdirSync(IMAGE)) if (d.startsWith('bundle-') && join(IMAGE, d) !== bundle) rmSync(join(IMAGE, d), { recursive: true, force: true });
    if (!existsSync(join(bundle, 'config.json'))) {
      rmSync(`${bundle}.tmp`, { recursive: true, force: true });
      run('umoci', ['unpack', '--image', `${join(IMAGE, 'oci')}:${ref}`, `${bundle}.tmp`]);
      renameSync(`${bundle}.tmp`, bundle);
    }
    const base = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as RuntimeConfig;
    mark('bundle unpacked');

    cluster = await useCluster();
    etcdPort = Number(new URL(cluster.etcdURL).port);
    const apiPort = Number(new URL(cluster.server).port);
    sim = await startSimulator({ seed: 1 });
    mark('cluster and simulator up');

    // The ServiceAccount and its permissions exactly as deploy/base has them.
    for (const f of ['namespace', 'serviceaccount', 'rbac', 'admission-policy']) {
      await kubectl(['apply', '-f', join(repoRoot, 'deploy/base', `${f}.yaml`)]);
    }
    // The projected volume: a bound token (1 h), the cluster CA, the namespace; mode 0444.
    const tokenDir = join(dir, 'token');
    mkdirSync(tokenDir, { recursive: true });
    const token = (await kubectl(['create', 'token', 'contrail-lb-operator', '-n', 'lb-system', '--duration=3600s'])).trim();
    writeFileSync(join(tokenDir, 'token'), token, { mode: 0o444 });
    writeFileSync(join(tokenDir, 'ca.crt'), readFileSync(join(cluster.dir, 'pki', 'ca.crt')), { mode: 0o444 });
    writeFileSync(join(tokenDir, 'namespace'), 'lb-system', { mode: 0o444 });
    chmodSync(dir, 0o755);
    chmodSync(tokenDir, 0o755);

    // The seed sample (as `make demo` applies it) and its credentials Secret.
    await kubectl(['-n', 'lb-system', 'create', 'secret', 'generic', 'jvnc2-credentials', '--from-literal=username=admin', '--from-literal=password=admin-secret']);
    const docs = parseAllDocuments(readFileSync(join(repoRoot, 'crds/samples/seed.yaml'), 'utf8')).map((d) => d.toJS() as { kind: string; spec?: Record<string, unknown> });
    for (const d of docs) {
      if (d.kind !== 'Cloud') continue;
      const spec = d.spec as { keystone: { authURL: string }; contrail?: { apiURL: string }; resyncPeriodSeconds?: number };
      spec.keystone.authURL = `${sim.urls.keystone}/v3`;
      spec.contrail = { apiURL: sim.urls.contrail };
      spec.resyncPeriodSeconds = 5;
    }
    await kubectl(['apply', '-f', '-'], docs.map((d) => JSON.stringify(d)).join('\n'));

    mark('RBAC, token and seed sample applied');
    // Network: a namespace with lo only, and the ports the operator needs bridged in.
    run('ip', ['netns', 'add', id]);
    netnsMade = true;
    run('ip', ['-n', id, 'link', 'set', 'lo', 'up']);
    const simPorts = [sim.urls.keystone, sim.urls.nova, sim.urls.neutron, sim.urls.contrail].map((u) => Number(new URL(u).port));
    for (const p of [apiPort, ...simPorts]) bridgeIn(p);
    healthPort = await freePort();
    bridgeOut(8081, healthPort);

    // The container: image config + the Deployment's container spec.
    const deployment = parseYAML(readFileSync(join(repoRoot, 'deploy/base/deployment.yaml'), 'utf8')) as {
      spec: { template: { spec: { containers: { args: string[]; env: { name: string; value?: string }[]; resources: { limits: { memory: string } } }[] } } } };
    const c = deployment.spec.template.spec.containers[0];
    assert.ok(c !== undefined);
    const env: Record<string, string> = { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(apiPort), HOME: '/home/node' };
    for (const e of c.env) env[e.name] = e.value ?? (e.name === 'POD_NAMESPACE' ? 'lb-system' : '');
    const mem = /^(\d+)Mi$/.exec(c.resources.limits.memory);
    assert.ok(mem !== null, c.resources.limits.memory);
    const seccomp = runtimeDefaultSeccomp(JSON.parse(readFileSync(SECCOMP, 'utf8')) as ContainersSeccomp, 'amd64', []);
    const config = hardenedConfig(base, {
      args: c.args, env, rootfs: join(bundle, 'rootfs'), netns: `/run/netns/${id}`, tokenDir,
      seccomp, memoryLimitBytes: Number(mem[1]) * 1024 * 1024, cgroupsPath: `/lbop-image/${id}`,
    });
    const runBundle = join(dir, 'bundle');
    mkdirSync(runBundle, { recursive: true });
    writeFileSync(join(runBundle, 'config.json'), JSON.stringify(config, null, 2));

    container = spawn('unshare', crunArgs(['run', '--bundle', runBundle, id]), { stdio: ['ignore', 'pipe', 'pipe'] });
    container.stdout?.on('data', (b: Buffer) => { output += b.toString(); });
    container.stderr?.on('data', (b: Buffer) => { output += b.toString(); });
    exited = new Promise((resolve) => container?.once('exit', (code) => resolve(code)));
    mark('container started');
  });

  after(async () => {
    if (container !== undefined && container.exitCode === null) {
      crun(['kill', id, 'KILL']);
      await Promise.race([exited, giveUpAfter(10_000)]);
    }
    crun(['delete', '--force', id]);
    for (const k of kids) if (k.pid !== undefined) try { process.kill(-k.pid, 'SIGTERM'); } catch { /* already gone */ }
    if (netnsMade) spawnSync('ip', ['netns', 'del', id]);
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
    mark('cleaned up');
  });

  const bridgeLog = (): string => (existsSync(join(dir, 'bridges.log')) ? `socat: ${readFileSync(join(dir, 'bridges.log'), 'utf8').slice(-1500)}` : '');
  const alive = (): void => {
    if (container?.exitCode !== null) throw new Fatal(`the container exited (${container?.exitCode}):\n${output.slice(-3000)}\n${bridgeLog()}`);
  };

  test('passes its readiness probe through the health port', async () => {
    await waitFor('/readyz 200', 90_000, async () => {
      alive();
      const r = await fetch(`http://127.0.0.1:${healthPort}/readyz`).catch(() => undefined);
      return r?.status === 200 ? true : undefined;
    }).catch((e: unknown) => { throw new Error(`${(e as Error).message}\n${output.slice(-3000)}`); });
  });

  test('reconciles the seed sample: vs2 Ready, or assigned an SE that waits for its agent (none runs here)', async () => {
    const vs = await waitFor('vs2 placed', 150_000, async () => {
      alive();
      const o = JSON.parse(await kubectl(['get', 'lbvs', 'vs2', '-n', 'demo', '-o', 'json'])) as
        { metadata: { generation: number }; status?: { observedGeneration?: number; seSummary?: string; serviceEngines?: { name: string; connected?: boolean }[]; conditions?: { type: string; status: string; reason?: string }[] } };
      const cond = (t: string): { status: string; reason?: string } | undefined => o.status?.conditions?.find((x) => x.type === t);
      // The Deployment's args turn the SE API on, so Ready means served by an SE agent, and an SE
      // joins the VIP's ECMP set only once its agent serves the VS; the simulator's SEs here run no
      // agent (test-e2e-dataplane does), so an SE assigned and waiting is as far as vs2 gets.
      const waiting = cond('Placed')?.reason === 'WaitingForSEs' && (o.status?.serviceEngines ?? []).length === 1 && o.status?.serviceEngines?.[0]?.connected !== true;
      const ready = cond('Ready')?.status === 'True' || waiting;
      return ready && o.status?.observedGeneration === o.metadata.generation ? o : undefined;
    }).catch((e: unknown) => { throw new Error(`${(e as Error).message}\n${output.slice(-3000)}`); });
    assert.equal(vs.status?.serviceEngines?.length, 1, 'one SE assigned (seed vs2 asks for 1)');
    // No request was refused: deploy/base's RBAC suffices for the image as it is.
    assert.doesNotMatch(output, /forbidden|\b403\b/i);
  });

  test('runs as uid/gid 1000 with no capabilities, no-new-privileges and a seccomp filter', () => {
    const state = JSON.parse(crun(['state', id]).stdout) as { pid: number; status: string };
    assert.equal(state.status, 'running');
    const status = readFileSync(`/proc/${state.pid}/status`, 'utf8');
    const field = (k: string): string => new RegExp(`^${k}:[ \\t]*(.*)$`, 'm').exec(status)?.[1]?.trim() ?? '';
    assert.deepEqual(field('Uid').split(/\s+/), ['1000', '1000', '1000', '1000']);
    assert.deepEqual(field('Gid').split(/\s+/), ['1000', '1000', '1000', '1000']);
    assert.equal(field('Groups'), '');
    for (const k of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) assert.equal(field(k), '0000000000000000', k);
    assert.equal(field('NoNewPrivs'), '1');
    assert.equal(field('Seccomp'), '2', 'seccomp mode 2 (filter)');
    assert.equal(readFileSync(`/proc/${state.pid}/cmdline`, 'utf8').split('\0')[1], '/usr/local/bin/contrail-lb-operator');
  });

  const exec = (script: string): { status: number | null; out: string } => {
    const r = crun(['exec', '--user', '1000:1000', id, '/bin/sh', '-c', script]);
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  };

  test('the root filesystem is read-only; /tmp (the emptyDir) is writable; the token is mounted read-only', () => {
    const root = exec('touch /app/x');
    assert.notEqual(root.status, 0);
    assert.match(root.out, /Read-only file system/);
    assert.notEqual(exec('touch /etc/x').status, 0);
    assert.equal(exec('echo ok > /tmp/probe && cat /tmp/probe').out.trim(), 'ok');
    assert.match(exec(`touch ${TOKEN_MOUNT}/token`).out, /Read-only file system|Permission denied/);
  });

  test('the network is loopback only: the bridged ports answer, the host\'s other loopback ports do not', () => {
    const ifaces = exec('tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "').out.trim().split('\n');
    assert.deepEqual(ifaces, ['lo']);
    // etcd listens on the host's 127.0.0.1 too, but is not bridged: refused inside.
    const probe = (port: number): string => exec(`node -e "require('net').connect(${port},'127.0.0.1').on('connect',()=>{console.log('open');process.exit(0)}).on('error',e=>{console.log(e.code);process.exit(0)})"`).out.trim();
    assert.equal(probe(etcdPort), 'ECONNREFUSED');
    assert.equal(probe(Number(new URL(cluster.server).port)), 'open');
  });

  test('stops gracefully on SIGTERM (exit 0 within the grace period)', async () => {
    assert.equal(crun(['kill', id, 'TERM']).status, 0);
    const code = await Promise.race([exited, giveUpAfter(45_000)]); // terminationGracePeriodSeconds
    assert.equal(code, 0, output.slice(-2000));
  });
});
