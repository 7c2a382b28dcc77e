// The image, checked without a Docker engine (none runs here; the image has not been built):
// the Dockerfile is parsed and held to the rules of issue 9, broken variants prove each rule
// bites, and the Dockerfile, .dockerignore, package.json and deploy/ are checked against each other.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYAML, parseAllDocuments } from 'yaml';
import { repoRoot } from '../support/cluster.js';
import { parseRunConfig } from '../../src/controllers/config.js';
import { parseSEApiConfig } from '../../src/seapi/config.js';
import { dockerIgnored, lintDockerfile, parseCopy, parseDockerfile, stagesOf, type ImageRules } from './dockerfile-lint.js';

const read = (p: string): string => readFileSync(join(repoRoot, p), 'utf8');
const dockerfile = read('Dockerfile');
const pkg = JSON.parse(read('package.json')) as { bin: Record<string, string>; devDependencies: Record<string, string>; engines: { node: string } };
const rules: ImageRules = { nodeVersion: pkg.devDependencies['node'] as string, entrypoint: ['contrail-lb-operator', 'run'], bin: pkg.bin };

describe('Dockerfile', () => {
  it('meets every image rule (pinned Node LTS, separate prod deps, tsc build, non-root, no build tools, entrypoint)', () => {
    assert.deepEqual(lintDockerfile(dockerfile, rules), []);
  });

  it('pins the Node that package.json pins and engines allow', () => {
    assert.match(rules.nodeVersion, /^24\.\d+\.\d+$/);
    assert.match(pkg.engines.node, /^>=24 <25$/);
    const stages = stagesOf(parseDockerfile(dockerfile));
    for (const s of stages) assert.ok(s.image.startsWith(`node:${rules.nodeVersion}-`), `${s.name}: ${s.image}`);
  });

  it('copies from the build context only files that exist and that .dockerignore lets through', () => {
    const ignore = read('.dockerignore').split('\n');
    const sources = stagesOf(parseDockerfile(dockerfile))
      .flatMap((s) => s.instructions)
      .filter((i) => i.cmd === 'COPY')
      .map((i) => parseCopy(i.args))
      .filter((c) => c.from === undefined)
      .flatMap((c) => c.sources);
    assert.ok(sources.length >= 5, `COPY sources: ${sources.join(' ')}`);
    for (const src of sources) {
      assert.ok(existsSync(join(repoRoot, src)), `${src} does not exist`);
      assert.equal(dockerIgnored(ignore, src.replace(/\/$/, '')), false, `${src} is excluded by .dockerignore`);
    }
    // The build reads these inside the copied directories.
    for (const p of ['src/cli.ts', 'src/sim/default-topology.yaml', 'bin/contrail-lb-operator.js', 'crds/cloud.yaml']) {
      assert.equal(dockerIgnored(ignore, p), false, `${p} is excluded by .dockerignore`);
    }
  });

  it('.dockerignore keeps local state, secrets and tests out of the build context', () => {
    const ignore = read('.dockerignore').split('\n');
    for (const p of ['.git/config', 'node_modules/ajv/package.json', '.local/bin/kubectl', '.local/kubeconfig', 'dist/src/cli.js',
      'test/unit/dockerfile.test.ts', 'src/api/ip.test.ts', 'docs/install.md', 'deploy/base/rbac.yaml', '.deps.stamp', 'Dockerfile']) {
      assert.equal(dockerIgnored(ignore, p), true, `${p} would be sent to the builder`);
    }
  });

  it('builds what bin/ runs: tsconfig.build.json emits dist/src/cli.js from src/ without tests', () => {
    const build = JSON.parse(read('tsconfig.build.json').replace(/^\s*\/\/.*$/gm, '')) as { extends: string; include: string[]; exclude: string[] };
    const base = JSON.parse(read('tsconfig.json')) as { compilerOptions: { rootDir: string; outDir: string; noEmit?: boolean } };
    assert.equal(build.extends, './tsconfig.json');
    assert.deepEqual(build.include, ['src/**/*.ts']);
    assert.ok(build.exclude.includes('src/**/*.test.ts'));
    assert.equal(base.compilerOptions.rootDir, '.');
    assert.equal(base.compilerOptions.outDir, 'dist');
    assert.notEqual(base.compilerOptions.noEmit, true);
    const script = pkg.bin['contrail-lb-operator'] as string;
    assert.match(read(script), /join\(root, 'dist\/src\/cli\.js'\)/, 'bin/ runs the compiled dist/src/cli.js when it is there (the image)');
    assert.match(read(script), /main\(process\.argv\.slice\(2\)\)/);
    assert.match(read(script), /^#!\/usr\/bin\/env node\n/);
  });

  it("runs as the user the Deployment's securityContext names", () => {
    const user = stagesOf(parseDockerfile(dockerfile)).at(-1)?.instructions.filter((i) => i.cmd === 'USER').at(-1)?.args;
    const deployment = parseAllDocuments(read('deploy/base/deployment.yaml')).map((d) => d.toJS() as { kind: string; spec: { template: { spec: { securityContext: { runAsUser: number; runAsGroup: number } } } } })[0];
    const sc = deployment?.spec.template.spec.securityContext;
    assert.equal(user, `${sc?.runAsUser}:${sc?.runAsGroup}`);
    // The Deployment passes flags only: the image's entrypoint already says `run`.
    const container = (parseYAML(read('deploy/base/deployment.yaml')) as { spec: { template: { spec: { containers: { args: string[]; command?: string[] }[] } } } }).spec.template.spec.containers[0];
    assert.equal(container?.command, undefined);
    assert.ok(container?.args.every((a) => a.startsWith('--')), container?.args.join(' '));
  });
});

describe('the Deployment and the `run` command agree', () => {
  type Container = { args: string[]; env: { name: string; value?: string }[]; ports: { name: string; containerPort: number }[];
    readinessProbe: { httpGet: { port: string } }; livenessProbe: { httpGet: { port: string } }; resources: { limits: { memory: string } } };
  const docs = (p: string): Record<string, unknown>[] => parseAllDocuments(read(p)).map((d) => d.toJS() as Record<string, unknown>);
  const deployment = docs('deploy/base/deployment.yaml')[0] as { spec: { template: { spec: { containers: Container[]; terminationGracePeriodSeconds: number } } } };
  const container = deployment.spec.template.spec.containers[0] as Container;
  // run hands the --se-api-* flags to src/seapi/config.ts and --se-api-url to itself; the rest to parseRunConfig.
  const seApiArgs = container.args.filter((a) => a.startsWith('--se-api-'));
  const operatorArgs = container.args.filter((a) => !a.startsWith('--se-api-'));

  it("its args parse with run's flag parser: leader election on, probes and metrics reachable off-pod", () => {
    const config = parseRunConfig(operatorArgs, { POD_NAMESPACE: 'lb-system' });
    assert.equal(config.leaderElection.enabled, true);
    assert.equal(config.leaderElection.namespace, 'lb-system');
    assert.equal(config.secretsNamespace, 'lb-system', 'credentials Secrets are read where the Role allows');
    assert.equal(config.healthAddr?.host, '0.0.0.0');
    assert.equal(config.metricsAddr?.host, '0.0.0.0');
    const port = (name: string): number | undefined => container.ports.find((p) => p.name === name)?.containerPort;
    assert.equal(port('health'), config.healthAddr?.port);
    assert.equal(port('metrics'), config.metricsAddr?.port);
    assert.equal(container.readinessProbe.httpGet.port, 'health');
    assert.equal(container.livenessProbe.httpGet.port, 'health');
    const service = docs('deploy/base/service.yaml')[0] as { spec: { ports: { targetPort: string }[] } };
    assert.equal(service.spec.ports[0]?.targetPort, 'metrics');
  });

  it('the SE API: served off-pod on the se-api port its Service targets, the Service name in the certificate and the URL', () => {
    const se = parseSEApiConfig(seApiArgs.filter((a) => !a.startsWith('--se-api-url')), {}, 'lb-system');
    assert.equal(se.addr?.host, '0.0.0.0');
    assert.equal(container.ports.find((p) => p.name === 'se-api')?.containerPort, se.addr?.port);
    const service = docs('deploy/base/service.yaml').find((d) => (d as { metadata: { name: string } }).metadata.name === 'contrail-lb-operator-se-api') as
      { metadata: { name: string; namespace: string }; spec: { ports: { port: number; targetPort: string }[] } } | undefined;
    assert.equal(service?.spec.ports[0]?.targetPort, 'se-api');
    const host = `${service?.metadata.name ?? ''}.${service?.metadata.namespace ?? ''}.svc`;
    assert.ok(se.serverNames.dnsNames.includes(host), se.serverNames.dnsNames.join(','));
    assert.ok(seApiArgs.includes(`--se-api-url=https://${host}:${service?.spec.ports[0]?.port ?? 0}`), seApiArgs.join(' '));
  });

  it('the Role allows exactly the Lease the Deployment elects on', () => {
    const config = parseRunConfig(operatorArgs, { POD_NAMESPACE: 'lb-system' });
    const role = docs('deploy/base/rbac.yaml').find((d) => d['kind'] === 'Role') as { rules: { resources: string[]; resourceNames?: string[]; verbs: string[] }[] };
    const named = role.rules.find((r) => r.resources.includes('leases') && r.resourceNames !== undefined);
    assert.deepEqual(named?.resourceNames, [config.leaderElection.name]);
    assert.deepEqual(named?.verbs, ['get', 'update']);
  });

  it('the V8 heap ceiling fits under the memory limit, in the base and in production', () => {
    const mib = (q: string): number => (q.endsWith('Gi') ? Number(q.slice(0, -2)) * 1024 : Number(q.replace(/Mi$/, '')));
    const heap = (c: Container): number => Number(/--max-old-space-size=(\d+)/.exec(c.env.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '')?.[1]);
    assert.ok(heap(container) < mib(container.resources.limits.memory) * 0.8, `heap ${heap(container)} MiB vs limit ${container.resources.limits.memory}`);
    const prod = docs('deploy/overlays/production/deployment-patch.yaml')[0] as { spec: { template: { spec: { containers: Container[] } } } };
    const p = prod.spec.template.spec.containers[0] as Container;
    assert.ok(heap(p) < mib(p.resources.limits.memory) * 0.8, `production heap ${heap(p)} MiB vs limit ${p.resources.limits.memory}`);
  });

  it('V8\'s young generation is capped in the image, the base and production (docs/scaling.md: 128 MiB committed without it at 1000 VS)', () => {
    const semi = (options: string | undefined): number => Number(/--max-semi-space-size=(\d+)/.exec(options ?? '')?.[1]);
    const prod = docs('deploy/overlays/production/deployment-patch.yaml')[0] as { spec: { template: { spec: { containers: Container[] } } } };
    const image = /^ENV .*NODE_OPTIONS=(\S+)/m.exec(read('Dockerfile'))?.[1];
    for (const [where, options] of [['base', container.env.find((e) => e.name === 'NODE_OPTIONS')?.value], ['production', prod.spec.template.spec.containers[0]?.env.find((e) => e.name === 'NODE_OPTIONS')?.value], ['Dockerfile', image]] as const) {
      assert.ok(semi(options) >= 1 && semi(options) <= 4, `${where}: NODE_OPTIONS ${options ?? '(none)'}`);
    }
  });

  it('the grace period covers the runtime\'s 30 s shutdown budget', () => {
    assert.ok(deployment.spec.template.spec.terminationGracePeriodSeconds >= 40);
  });
});

describe('deploy/ kustomizations list every manifest', () => {
  const resources = (p: string): string[] => (parseYAML(read(p)) as { resources: string[] }).resources;
  it('crds/Kustomization names every CRD file (deploy/ takes the CRDs from there)', () => {
    const files = readdirSync(join(repoRoot, 'crds')).filter((f) => /\.ya?ml$/.test(f)).sort();
    assert.deepEqual([...resources('crds/Kustomization')].sort(), files);
  });
  it('deploy/base/kustomization.yaml names every manifest beside it, and the CRDs', () => {
    const files = readdirSync(join(repoRoot, 'deploy/base')).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml').sort();
    const listed = resources('deploy/base/kustomization.yaml');
    assert.deepEqual(listed.filter((r) => r.endsWith('.yaml')).sort(), files);
    assert.ok(listed.includes('../../crds'));
  });
});

describe('Dockerfile rules catch broken images', () => {
  const broken = (description: string, edit: (d: string) => string, expected: RegExp): void => {
    it(description, () => {
      const variant = edit(dockerfile);
      assert.notEqual(variant, dockerfile, 'the edit did not apply');
      const problems = lintDockerfile(variant, rules);
      assert.ok(problems.some((p) => expected.test(p)), `expected a problem matching ${expected}, got:\n${problems.join('\n')}`);
    });
  };
  broken('a floating tag', (d) => d.replace(/FROM node:[^\s]+ AS runtime/, 'FROM node:24-slim AS runtime'), /node:<exact version>/);
  broken('latest', (d) => d.replace(/FROM node:[^\s]+ AS build/, 'FROM node:latest AS build'), /node:<exact version>/);
  broken('a Node other than the pinned one', (d) => d.replace(/FROM node:[^\s]+ AS runtime/, 'FROM node:24.1.0-bookworm-slim AS runtime'), /differs from the pinned/);
  broken('a base from a build argument', (d) => d.replace(/FROM node:[^\s]+ AS runtime/, 'ARG BASE\nFROM ${BASE} AS runtime'), /written out/);
  broken('dev dependencies installed for production', (d) => d.replace('npm ci --omit=dev', 'npm ci'), /--omit=dev/);
  broken('node_modules from the build stage', (d) => d.replace('COPY --from=prod-deps /app/node_modules', 'COPY --from=build /app/node_modules'), /production-dependencies stage/);
  broken('no tsc build', (d) => d.replace(/node node_modules\/typescript\/bin\/tsc -p tsconfig.build.json/, 'true'), /tsc -p/);
  broken('root user', (d) => d.replace('USER 1000:1000', 'USER 0'), /must not be root/);
  broken('named user', (d) => d.replace('USER 1000:1000', 'USER node'), /numeric uid/);
  broken('no USER at all', (d) => d.replace(/^USER .*$/m, ''), /no USER/);
  broken('npm kept in the image', (d) => d.replace('/usr/local/bin/npm ', ''), /must remove \/usr\/local\/bin\/npm/);
  broken('a compiler installed in the final stage', (d) => d.replace('WORKDIR /app\nENV', 'RUN apt-get install -y gcc\nWORKDIR /app\nENV'), /build tool/);
  broken('sources copied into the final image', (d) => d.replace('COPY package.json ./\nCOPY --chmod', 'COPY package.json ./\nCOPY src ./src\nCOPY --chmod'), /sources or TypeScript/);
  broken('shell-form entrypoint', (d) => d.replace('ENTRYPOINT ["contrail-lb-operator", "run"]', 'ENTRYPOINT contrail-lb-operator run'), /exec form/);
  broken('another command', (d) => d.replace('ENTRYPOINT ["contrail-lb-operator", "run"]', 'ENTRYPOINT ["node", "dist/src/cli.js"]'), /is not/);
  broken('the CLI not on PATH', (d) => d.replace(/ \\\n && ln -s [^\n]+/, ''), /must link \/usr\/local\/bin\/contrail-lb-operator/);
  broken('a single stage', (d) => d.replace(/FROM node:[^\n]+ AS (build|runtime)\n/g, ''), /multi-stage/);
});

describe('Dockerfile parsing', () => {
  it('joins continuations, skips comments inside them, keeps line numbers', () => {
    const ins = parseDockerfile('# c\nFROM a AS b\nRUN x \\\n  # note\n  y\nUSER 1:1\n');
    assert.deepEqual(ins, [
      { cmd: 'FROM', args: 'a AS b', line: 2 },
      { cmd: 'RUN', args: 'x y', line: 3 },
      { cmd: 'USER', args: '1:1', line: 6 },
    ]);
    assert.throws(() => parseDockerfile('FROM a\nRUN x \\'), /continued line/);
  });
  it('.dockerignore matching: last rule wins, ! re-includes, ** spans directories', () => {
    const p = ['*', '!src/', '**/*.test.ts'];
    assert.equal(dockerIgnored(p, 'README.md'), true);
    assert.equal(dockerIgnored(p, 'src/a/b.ts'), false);
    assert.equal(dockerIgnored(p, 'src/a/b.test.ts'), true);
    assert.equal(dockerIgnored(['dist'], 'dist/x/y.js'), true);
    assert.equal(dockerIgnored(['dist'], 'distx'), false);
  });
});
