// The CLI as a user meets it, spawned as a process through bin/ (the `npx contrail-lb-operator`
// entry, no `make build`): one flag parser for every subcommand (`--flag=value` and `--flag value`
// alike, unknown flags refused in one line), --version, --help that loads nothing heavy, and a
// one-line refusal on the machine's old Node.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { commandNames, MIN_NODE_MAJOR } from '../../src/cli.js';
import { DEFAULT_BOOT_TIME_MS as SIM_USAGE_BOOT_MS, SIM_FLAGS, toOptions as simOptions } from '../../src/cli/sim.js';
import { CLI_FLAGS, CONFIG_FLAGS, USAGE as RUN_CLI_USAGE, metricsServing } from '../../src/cli/run.js';
import { parseFlags } from '../../src/cli/flags.js';
import { RUN_USAGE } from '../../src/controllers/config.js';
import { DEFAULT_BOOT_TIME_MS } from '../../src/sim/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = join(root, 'bin/contrail-lb-operator.js');
const tmp = mkdtempSync(join(tmpdir(), 'lbop-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

interface Run { code: number | null; stdout: string; stderr: string }

function cli(args: string[], o: { node?: string; env?: NodeJS.ProcessEnv; preload?: string[] } = {}): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(o.node ?? process.execPath, [...(o.preload ?? []).flatMap((p) => ['--import', p]), bin, ...args], {
      cwd: root, env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; engines: { node: string } };

describe('bin/ runs from a fresh clone (no dist/)', () => {
  it('runs the TypeScript source when dist/ was never built', async () => {
    if (existsSync(join(root, 'dist/src/cli.js'))) return; // a built checkout takes dist/, covered by the image
    const r = await cli(['validate', '-f', 'crds/samples']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /all valid/);
  });
});

describe('--version', () => {
  it('prints the package version, the commit, the Node and the platform on one line', async () => {
    const r = await cli(['--version']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(lines(r.stdout).length, 1);
    assert.match(r.stdout, new RegExp(`^contrail-lb-operator ${pkg.version.replaceAll('.', '\\.')} \\(commit ([0-9a-f]{7,12}|unknown), node ${process.versions.node.replaceAll('.', '\\.')}, ${process.platform}/${process.arch}\\)\n$`));
  });

  it('takes the commit from LBOP_BUILD_COMMIT where there is no .git (the image)', async () => {
    const r = await cli(['--version'], { env: { LBOP_BUILD_COMMIT: 'abcdef1234567' } });
    assert.match(r.stdout, /\(commit abcdef123456,/);
  });
});

describe('an unsupported Node', () => {
  const oldNode = '/usr/bin/node';
  it("is refused in one line before anything is loaded (the machine's Node 20)", async (t) => {
    if (!existsSync(oldNode)) return t.skip(`${oldNode} not installed`);
    const probe = await new Promise<string>((done) => {
      const c = spawn(oldNode, ['-p', 'process.versions.node']);
      let out = '';
      c.stdout.on('data', (d: Buffer) => (out += d.toString()));
      c.on('close', () => done(out.trim()));
    });
    if (Number(probe.split('.')[0]) >= MIN_NODE_MAJOR) return t.skip(`${oldNode} is Node ${probe}, not an old one`);
    for (const args of [['run', '--help'], ['--version'], ['validate', '-f', 'crds/samples']]) {
      const r = await cli(args, { node: oldNode });
      assert.equal(r.code, 1, args.join(' '));
      assert.equal(r.stdout, '');
      assert.equal(lines(r.stderr).length, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`Node ${MIN_NODE_MAJOR} or newer is required, this is Node ${probe.replaceAll('.', '\\.')}`));
    }
  });

  it('the minimum matches package.json engines', () => {
    assert.match(pkg.engines.node, new RegExp(`^>=${MIN_NODE_MAJOR}\\b`));
    assert.match(readFileSync(bin, 'utf8'), new RegExp(`MIN_NODE_MAJOR = ${MIN_NODE_MAJOR};`));
  });
});

const HELP_CHECKED = ['validate', 'run', 'sim', 'demo', 'status', 'se-agent'];

describe('--help', () => {
  it('every subcommand is checked here (a new one cannot bring its own parser or a heavy --help)', () => {
    assert.deepEqual([...commandNames].sort(), [...HELP_CHECKED].sort());
  });
  for (const cmd of HELP_CHECKED) {
    it(`${cmd} --help prints its usage and loads no dependency and no controller, simulator or schema code`, async () => {
      const trace = join(tmp, `${cmd}-loads.txt`);
      for (const flag of ['--help', '-h']) {
        rmSync(trace, { force: true });
        const r = await cli([cmd, flag], { env: { LBOP_TRACE_LOADS: trace }, preload: [join(root, 'test/unit/fixtures/trace-loads.mjs')] });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, new RegExp(`^usage: contrail-lb-operator ${cmd}\\b`));
        const loaded = readFileSync(trace, 'utf8').split('\n').filter((u) => u.startsWith('file:')).map((u) => fileURLToPath(u).slice(root.length + 1));
        assert.ok(loaded.includes(`src/cli/${cmd}.ts`), loaded.join('\n'));
        // Only the CLI's own light modules (and the import-free selector parser config.ts validates with), plus tsx (which runs the source in a checkout).
        // (status: the kinds table it addresses objects with; se-agent: the agent's flag table.)
        const heavy = loaded.filter((p) => !/^(bin\/|src\/cli\.ts$|src\/buildinfo\.ts$|src\/cli\/(flags|validate\/args|[a-z-]+)\.ts$|src\/controllers\/config\.ts$|src\/runtime\/labelselector\.ts$|src\/seapi\/config\.ts$|src\/api\/kinds\.ts$|src\/agent\/flags\.ts$|node_modules\/(tsx|esbuild|get-tsconfig|resolve-pkg-maps)\/)/.test(p));
        assert.deepEqual(heavy, [], `${cmd} ${flag} loaded more than its flags need`);
      }
    });
  }

  it('the trace is real: a full validate loads the schema validators', async () => {
    const trace = join(tmp, 'validate-full.txt');
    const r = await cli(['validate', '-f', 'crds/samples'], { env: { LBOP_TRACE_LOADS: trace }, preload: [join(root, 'test/unit/fixtures/trace-loads.mjs')] });
    assert.equal(r.code, 0, r.stderr);
    assert.match(readFileSync(trace, 'utf8'), /src\/api\/validators\.gen\.ts/);
  });

  it('the trace is real for status too: a real run loads the Kubernetes client, through the operator\'s kubeconfig loading', async () => {
    const trace = join(tmp, 'status-full.txt');
    // A KUBECONFIG list with a missing first file (kubectl skips it) and a --context that is not there.
    const kc = join(tmp, 'status-kubeconfig.yaml');
    writeFileSync(kc, 'apiVersion: v1\nkind: Config\ncurrent-context: a\nclusters: [{name: a, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: a, user: {token: t}}]\ncontexts: [{name: a, context: {cluster: a, user: a}}]\n');
    const r = await cli(['status', '--context', 'nope'], { env: { LBOP_TRACE_LOADS: trace, KUBECONFIG: `${join(tmp, 'missing.yaml')}:${kc}` }, preload: [join(root, 'test/unit/fixtures/trace-loads.mjs')] });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(lines(r.stderr).length, 1, r.stderr);
    assert.match(r.stderr, /context 'nope' not found in the kubeconfig \(have: a\)/);
    assert.match(readFileSync(trace, 'utf8'), /src\/runtime\/kube\.ts/);
  });

  it('the top-level usage lists every command and --version', async () => {
    const r = await cli(['--help']);
    assert.equal(r.code, 0);
    for (const c of ['validate', 'run', 'sim', 'demo', 'status', 'se-agent', '--version']) assert.match(r.stdout, new RegExp(`\\s${c}\\b`));
    const none = await cli([]);
    assert.equal(none.code, 2);
  });
});

describe('one parser for every subcommand', () => {
  // Each case gives the same bad value in both spellings: the same one-line refusal proves
  // the value reached the command's own check either way.
  const cases: { cmd: string; flag: string; bad: string; message: RegExp }[] = [
    { cmd: 'demo', flag: '--timeout', bad: '5', message: /--timeout needs a number of seconds >= 10, got '5'/ },
    { cmd: 'demo', flag: '--dir', bad: 'my demo', message: /--dir must not contain blanks, got '.*my demo'/ },
    { cmd: 'run', flag: '--workers', bad: '0', message: /--workers must be an integer in \[1, 64\], got '0'/ },
    { cmd: 'sim', flag: '--seed', bad: 'x', message: /--seed needs an integer in \[0, 4294967295\], got 'x'/ },
    { cmd: 'sim', flag: '--pool-server', bad: '198.18.30.3', message: /--pool-server needs --dataplane netns/ },
    { cmd: 'sim', flag: '--port-analytics', bad: '8081x', message: /--port-analytics needs an integer in \[0, 65535\], got '8081x'/ },
    { cmd: 'validate', flag: '--output', bad: 'xml', message: /--output must be text or json, not 'xml'/ },
    { cmd: 'status', flag: '--interval', bad: '0', message: /--interval must be between 0\.2 and 3600 seconds, got '0'/ },
    { cmd: 'status', flag: '--output', bad: 'yaml', message: /--output must be text or json, not 'yaml'/ },
    { cmd: 'se-agent', flag: '--report-interval-ms', bad: '10', message: /--report-interval-ms needs an integer in \[50, 600000\], got '10'/ },
    { cmd: 'se-agent', flag: '--netns', bad: 'a b', message: /--netns needs a namespace name, got 'a b'/ },
  ];
  it('every subcommand has a case', () => {
    assert.deepEqual([...new Set(cases.map((c) => c.cmd))].sort(), [...commandNames].sort());
  });
  for (const c of cases) {
    it(`${c.cmd}: ${c.flag}=V and ${c.flag} V are the same, and an unknown flag is one line`, async () => {
      const extra = c.cmd === 'validate' ? ['-f', 'crds/samples'] : [];
      for (const args of [[`${c.flag}=${c.bad}`], [c.flag, c.bad]]) {
        const r = await cli([c.cmd, ...extra, ...args]);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.equal(lines(r.stderr).length, 1, r.stderr);
        assert.match(r.stderr, c.message);
      }
      const unknown = await cli([c.cmd, '--frobnicate=1']);
      assert.equal(unknown.code, 2);
      assert.equal(lines(unknown.stderr).length, 1, unknown.stderr);
      assert.match(unknown.stderr, /unknown flag '--frobnicate'/);
      const missing = await cli([c.cmd, c.flag]);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, new RegExp(`${c.flag} needs a value`));
    });
  }

  it('run: every flag of the operator config is in the parser table, and the CLI flags are documented', () => {
    const documented = new Set([...RUN_USAGE.matchAll(/^ {2}--([a-z-]+)/gm)].map((m) => m[1]));
    assert.deepEqual(new Set(Object.keys(CONFIG_FLAGS)), documented);
    for (const f of Object.keys(CLI_FLAGS)) assert.match(RUN_CLI_USAGE, new RegExp(`--${f}\\b`));
  });

  it('sim: the usage text quotes the simulator default boot time', () => {
    assert.equal(SIM_USAGE_BOOT_MS, DEFAULT_BOOT_TIME_MS);
  });

  it('sim --port-analytics serves analytics on a port of its own', () => {
    assert.deepEqual(simOptions(parseFlags(SIM_FLAGS, ['--port-analytics', '0'])), { separateAnalytics: true, ports: { analytics: 0 } });
    assert.deepEqual(simOptions(parseFlags(SIM_FLAGS, [])), {});
  });
});

describe('run: how /metrics is served', () => {
  const serving = (argv: string[], host: string): ReturnType<typeof metricsServing> =>
    metricsServing({ host, port: 8080 }, parseFlags(CLI_FLAGS, argv));
  it('off-host is HTTPS with authn/authz unless --metrics-insecure; loopback is plain HTTP', () => {
    assert.equal(serving([], '0.0.0.0').mode, 'https');
    assert.equal(serving([], '10.1.2.3').mode, 'https');
    assert.equal(serving(['--metrics-insecure'], '0.0.0.0').mode, 'http');
    assert.equal(serving([], '127.0.0.1').mode, 'http');
    assert.deepEqual(serving(['--metrics-cert-dir=/certs'], '127.0.0.1'), { mode: 'https', addr: { host: '127.0.0.1', port: 8080 }, certDir: '/certs' });
    assert.equal(metricsServing(undefined, parseFlags(CLI_FLAGS, [])).mode, 'off');
    assert.throws(() => serving(['--metrics-insecure', '--metrics-cert-dir', '/c'], '0.0.0.0'), /exclude each other/);
  });
});
