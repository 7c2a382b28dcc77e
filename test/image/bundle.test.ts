// The hardened bundle's pure parts: the runtime-default seccomp profile rendered for amd64 with
// no capabilities, and the config the Deployment's securityContext maps to.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { hardenedConfig, runtimeDefaultSeccomp, TOKEN_MOUNT, type ContainersSeccomp, type RuntimeConfig } from './bundle.js';

const profile: ContainersSeccomp = {
  defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38,
  archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] }],
  syscalls: [
    { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
    { names: ['arch_prctl'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd64', 'x32'] } },
    { names: ['sync_file_range2'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['ppc64le'] } },
    { names: ['mount'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
    { names: ['mount'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, excludes: { caps: ['CAP_SYS_ADMIN'] } },
    { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }] },
  ],
};

describe('runtimeDefaultSeccomp', () => {
  it('keeps the rules for amd64 and no capabilities, with its sub-architectures', () => {
    const s = runtimeDefaultSeccomp(profile, 'amd64', []);
    assert.deepEqual(s.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    assert.equal(s.defaultAction, 'SCMP_ACT_ERRNO');
    assert.equal(s.defaultErrnoRet, 38);
    assert.deepEqual(s.syscalls, [
      { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
      { names: ['arch_prctl'], action: 'SCMP_ACT_ALLOW' },
      { names: ['mount'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
      { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }] },
    ]);
  });
  it('a capability brings its allows and drops its denials', () => {
    const s = runtimeDefaultSeccomp(profile, 'amd64', ['CAP_SYS_ADMIN']);
    assert.deepEqual(s.syscalls.filter((r) => r.names.includes('mount')), [{ names: ['mount'], action: 'SCMP_ACT_ALLOW' }]);
  });
  it('refuses an architecture it cannot name', () => {
    assert.throws(() => runtimeDefaultSeccomp(profile, 'riscv64', []), /no seccomp architecture/);
  });
  // Podman's/CRI-O's profile allows mount, unshare and ptrace unconditionally (capabilities gate
  // them; none are left here); it denies these outright.
  it('renders the real containers-common profile (when installed): kernel-level syscalls denied', { skip: !existsSync('/usr/share/containers/seccomp.json') }, () => {
    const s = runtimeDefaultSeccomp(JSON.parse(readFileSync('/usr/share/containers/seccomp.json', 'utf8')) as ContainersSeccomp, 'amd64', []);
    const allowed = new Set(s.syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW' && r.args === undefined).flatMap((r) => r.names));
    for (const n of ['read', 'epoll_wait', 'clone3', 'futex']) assert.ok(allowed.has(n), n);
    for (const n of ['bpf', 'kexec_load', 'init_module', 'open_by_handle_at', 'add_key', 'perf_event_open', 'clock_settime', 'swapon']) assert.ok(!allowed.has(n), n);
  });
});

describe('hardenedConfig', () => {
  const base: RuntimeConfig = {
    process: { terminal: true, user: { uid: 1000, gid: 1000 }, args: ['contrail-lb-operator', 'run'], env: ['PATH=/usr/bin', 'TERM=xterm', 'NODE_ENV=production'], cwd: '/app',
      capabilities: { bounding: ['CAP_KILL'], effective: ['CAP_KILL'] }, noNewPrivileges: false },
    root: { path: 'rootfs' },
    mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }, { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup' }],
    linux: { namespaces: [{ type: 'network' }] },
  };
  const c = hardenedConfig(base, {
    args: ['--leader-elect'], env: { POD_NAMESPACE: 'lb-system' }, rootfs: '/b/rootfs', netns: '/run/netns/lbop-x', tokenDir: '/t',
    seccomp: { defaultAction: 'SCMP_ACT_ERRNO', architectures: [], syscalls: [] }, memoryLimitBytes: 512 << 20, cgroupsPath: '/lbop/x',
  });
  it('maps the securityContext: uid/gid 1000, no capabilities, no-new-privileges, read-only root, seccomp', () => {
    assert.deepEqual(c.process.user, { uid: 1000, gid: 1000, additionalGids: [] });
    assert.ok(Object.values(c.process.capabilities ?? {}).every((l) => l.length === 0));
    assert.equal(Object.keys(c.process.capabilities ?? {}).length, 5);
    assert.equal(c.process.noNewPrivileges, true);
    assert.deepEqual(c.root, { path: '/b/rootfs', readonly: true });
    assert.equal(c.linux.seccomp?.defaultAction, 'SCMP_ACT_ERRNO');
  });
  it('entrypoint + args, image env + container env, the given netns, /tmp and the token mounted', () => {
    assert.deepEqual(c.process.args, ['contrail-lb-operator', 'run', '--leader-elect']);
    assert.deepEqual(c.process.env, ['PATH=/usr/bin', 'NODE_ENV=production', 'POD_NAMESPACE=lb-system']);
    assert.deepEqual(c.linux.namespaces.find((n) => n.type === 'network'), { type: 'network', path: '/run/netns/lbop-x' });
    assert.ok(c.mounts.some((m) => m.destination === '/tmp' && m.type === 'tmpfs' && m.options?.includes('size=16m')));
    assert.ok(c.mounts.some((m) => m.destination === TOKEN_MOUNT && m.source === '/t' && m.options?.includes('ro')));
    assert.ok(!c.mounts.some((m) => m.destination === '/sys/fs/cgroup'));
    assert.deepEqual(c.linux.resources?.['memory'], { limit: 512 << 20 });
  });
});
