// What this build is: the package version, the commit it was built from and the Node it runs on.
// One source for `--version`, the User-Agent sent to the apiserver and lbop_build_info. Light:
// node built-ins only, read once, never throws (a missing fact is "unknown").
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

export interface BuildInfo {
  name: string;
  version: string;
  /** Short git commit, or "unknown". */
  commit: string;
  /** Node version without the v, e.g. "24.21.0". */
  node: string;
  os: string;
  arch: string;
}

/** The package root: src/buildinfo.ts → .., dist/src/buildinfo.js → ../.. (bounded walk up). */
export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return from;
}

const COMMIT = /^[0-9a-f]{7,40}$/;

function commitOf(root: string, env: NodeJS.ProcessEnv): string {
  const fromEnv = env['LBOP_BUILD_COMMIT'];
  if (fromEnv !== undefined && COMMIT.test(fromEnv)) return fromEnv.slice(0, 12);
  // Written by `make build` (dist/build-info.json) where there is no .git to ask.
  for (const p of [join(root, 'dist/build-info.json'), join(root, 'build-info.json')]) {
    try {
      const c = (JSON.parse(readFileSync(p, 'utf8')) as { commit?: unknown }).commit;
      if (typeof c === 'string' && COMMIT.test(c)) return c.slice(0, 12);
    } catch {
      // absent or unreadable: try the next source
    }
  }
  if (existsSync(join(root, '.git'))) {
    const r = spawnSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: root, encoding: 'utf8', timeout: 2000, stdio: ['ignore', 'pipe', 'ignore'] });
    const c = r.status === 0 ? r.stdout.trim() : '';
    if (COMMIT.test(c)) return c;
  }
  return 'unknown';
}

let cached: BuildInfo | undefined;

export function buildInfo(): BuildInfo {
  if (cached !== undefined) return cached;
  const root = packageRoot();
  let name = 'contrail-lb-operator';
  let version = 'unknown';
  try {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
    if (typeof pkg.name === 'string') name = pkg.name;
    if (typeof pkg.version === 'string') version = pkg.version;
  } catch {
    // keep the defaults
  }
  cached = { name, version, commit: commitOf(root, process.env), node: process.versions.node, os: process.platform, arch: process.arch };
  return cached;
}

/** `contrail-lb-operator/0.1.0 (linux/x64) node/24.21.0`, as kubectl's `kubectl/v1.35 (linux/amd64)`. */
export function userAgent(b: BuildInfo = buildInfo()): string {
  return `${b.name}/${b.version} (${b.os}/${b.arch}) node/${b.node}`;
}
