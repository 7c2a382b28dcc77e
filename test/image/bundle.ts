// The OCI runtime bundle the hardened run starts with crun: umoci's config.json for the image
// (user, entrypoint, env, cwd from the image config) tightened to the Deployment's
// securityContext — uid/gid 1000, read-only root, no capabilities, no-new-privileges, the
// runtime-default seccomp profile — plus its /tmp emptyDir, its projected token volume and its
// memory limit. Pure functions: hardened.test.ts writes the result, bundle.test.ts checks them.

/** The containers-common (Podman/CRI-O) seccomp.json: Docker's profile format. */
export interface ContainersSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  archMap: { architecture: string; subArchitectures: string[] }[];
  syscalls: {
    names: string[];
    action: string;
    errnoRet?: number | null;
    args?: { index: number; value: number; valueTwo?: number; op: string }[] | null;
    includes?: { arches?: string[]; caps?: string[] };
    excludes?: { arches?: string[]; caps?: string[] };
  }[];
}

/** linux.seccomp of the OCI runtime spec. */
export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures: string[];
  syscalls: { names: string[]; action: string; errnoRet?: number; args?: { index: number; value: number; valueTwo?: number; op: string }[] }[];
}

const SCMP_ARCH: Record<string, string> = { amd64: 'SCMP_ARCH_X86_64', arm64: 'SCMP_ARCH_AARCH64' };

/**
 * The "RuntimeDefault" profile as the container runtime renders it for one architecture and a
 * capability set: a rule applies when its includes hold and its excludes do not (the rules of
 * containers/common and moby). With no capabilities, the CAP_*-gated allows fall away.
 */
export function runtimeDefaultSeccomp(p: ContainersSeccomp, goArch: string, caps: readonly string[]): OciSeccomp {
  const main = SCMP_ARCH[goArch];
  if (main === undefined) throw new Error(`no seccomp architecture for ${goArch}`);
  const sub = p.archMap.find((a) => a.architecture === main)?.subArchitectures ?? [];
  const has = (c: string): boolean => caps.includes(c);
  const syscalls = p.syscalls.filter((s) => {
    const inc = s.includes ?? {};
    const exc = s.excludes ?? {};
    if ((inc.arches ?? []).length > 0 && !(inc.arches ?? []).includes(goArch)) return false;
    if (!(inc.caps ?? []).every(has)) return false;
    if ((exc.arches ?? []).includes(goArch)) return false;
    if ((exc.caps ?? []).some(has)) return false;
    return true;
  }).map((s) => ({
    names: s.names, action: s.action,
    ...(typeof s.errnoRet === 'number' ? { errnoRet: s.errnoRet } : {}),
    ...(s.args !== null && s.args !== undefined && s.args.length > 0 ? { args: s.args } : {}),
  }));
  return { defaultAction: p.defaultAction, ...(p.defaultErrnoRet !== undefined ? { defaultErrnoRet: p.defaultErrnoRet } : {}), architectures: [main, ...sub], syscalls };
}

interface Mount { destination: string; type: string; source: string; options?: string[] }
export interface RuntimeConfig {
  ociVersion?: string;
  process: { terminal?: boolean; user: { uid: number; gid: number; additionalGids?: number[] }; args: string[]; env: string[]; cwd: string;
    capabilities?: Record<string, string[]>; noNewPrivileges?: boolean; rlimits?: unknown[] };
  root: { path: string; readonly?: boolean };
  hostname?: string;
  mounts: Mount[];
  linux: { namespaces: { type: string; path?: string }[]; resources?: Record<string, unknown>; cgroupsPath?: string;
    seccomp?: OciSeccomp; maskedPaths?: string[]; readonlyPaths?: string[]; [k: string]: unknown };
  [k: string]: unknown;
}

export interface Hardening {
  args: string[]; // appended to the image's entrypoint (the Deployment's args)
  env: Record<string, string>; // added to the image's env (the Deployment's env)
  rootfs: string; // absolute path of the unpacked root filesystem
  netns: string; // path of the network namespace (only lo)
  tokenDir: string; // projected volume: token, ca.crt, namespace
  seccomp: OciSeccomp;
  memoryLimitBytes: number;
  cgroupsPath: string;
}

export const TOKEN_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

export function hardenedConfig(base: RuntimeConfig, h: Hardening): RuntimeConfig {
  const env = new Map(base.process.env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)] as const));
  env.delete('TERM');
  for (const [k, v] of Object.entries(h.env)) env.set(k, v);
  const none = { bounding: [], effective: [], inheritable: [], permitted: [], ambient: [] };
  return {
    ...base,
    process: {
      ...base.process,
      terminal: false,
      // runAsUser/runAsGroup 1000 and no supplementary groups, as the kubelet sets them.
      user: { uid: 1000, gid: 1000, additionalGids: [] },
      args: [...base.process.args, ...h.args],
      env: [...env].map(([k, v]) => `${k}=${v}`),
      capabilities: none, // capabilities: drop: [ALL]
      noNewPrivileges: true, // allowPrivilegeEscalation: false
    },
    root: { path: h.rootfs, readonly: true }, // readOnlyRootFilesystem: true
    hostname: 'contrail-lb-operator',
    mounts: [
      ...base.mounts.filter((m) => m.destination !== '/tmp' && m.destination !== TOKEN_MOUNT && m.destination !== '/sys/fs/cgroup'),
      // emptyDir { medium: Memory, sizeLimit: 16Mi }
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777', 'size=16m'] },
      { destination: TOKEN_MOUNT, type: 'bind', source: h.tokenDir, options: ['rbind', 'ro', 'nosuid', 'nodev', 'noexec'] },
    ],
    linux: {
      ...base.linux,
      namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'network', path: h.netns }],
      resources: { ...(base.linux.resources ?? {}), memory: { limit: h.memoryLimitBytes }, pids: { limit: 1024 } },
      cgroupsPath: h.cgroupsPath,
      seccomp: h.seccomp, // seccompProfile: RuntimeDefault
    },
  };
}
