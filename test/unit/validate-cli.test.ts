// `contrail-lb-operator validate` end to end: spawned as a process, the way a pipeline runs it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dir = mkdtempSync(join(tmpdir(), 'lbop-validate-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function validate(args: string[], input?: string | Buffer): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'validate', ...args], { cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function assertNoStack(r: Run): void {
  assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace');
}

const header = 'apiVersion: lb.contrail-operator.io/v1alpha1';

const invalidVS = `${header}
kind: VirtualService
metadata:
  name: bad
  namespace: demo
spec:
  cloudRef: jvnc2
  poolRef: vs2-pool
  vip:
    - vipID: "0"
      autoAllocateIP: false
      subnetUUID: a834986a-385e-4616-9d9c-6b91cfaa51e0
  services:
    - port: 80
      colour: blue
  scaleout:
    minSEs: 5
    maxSEs: 2
`;

describe('validate CLI', { concurrency: 4 }, () => {
  it('accepts the samples (exit 0)', async () => {
    const r = await validate(['-f', 'crds/samples', '--resolve-refs']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /validate: \d+ object\(s\) in \d+ file\(s\), 1 other object\(s\) ignored: all valid/);
  });

  it('prints FILE:LINE: Kind/namespace/name: field.path: message for each problem (exit 1)', async () => {
    const path = file('invalid-vs.yaml', invalidVS);
    const r = await validate(['-f', path]);
    assert.equal(r.code, 1);
    const lines = r.stdout.trim().split('\n');
    assert.deepEqual(lines.sort(), [
      `${path}:10: VirtualService/demo/bad: spec.vip[0].ipAddress: Invalid value: "object": ipAddress is required when autoAllocateIP is false`,
      `${path}:15: VirtualService/demo/bad: spec.services[0].colour: unknown field "spec.services[0].colour"`,
      `${path}:16: VirtualService/demo/bad: spec.scaleout: Invalid value: "object": scaleout.minSEs must be less than or equal to scaleout.maxSEs`,
    ].sort());
    assertNoStack(r);
  });

  it('--output json gives machines every problem with its position', async () => {
    const path = file('invalid-vs-json.yaml', invalidVS);
    const r = await validate(['-f', path, '--output', 'json']);
    assert.equal(r.code, 1);
    const report = JSON.parse(r.stdout) as { valid: boolean; objects: number; problems: { line: number; path: string; kind: string; name: string; namespace: string }[] };
    assert.equal(report.valid, false);
    assert.equal(report.objects, 1);
    assert.equal(report.problems.length, 3);
    const p = report.problems.find((x) => x.path === 'spec.services[0].colour');
    assert.deepEqual({ line: p?.line, kind: p?.kind, name: p?.name, namespace: p?.namespace }, { line: 15, kind: 'VirtualService', name: 'bad', namespace: 'demo' });
  });

  it('reads JSON from stdin with -f -', async () => {
    const pool = { apiVersion: 'lb.contrail-operator.io/v1alpha1', kind: 'Pool', metadata: { name: 'p', namespace: 'demo' }, spec: { cloudRef: 'jvnc2', servers: [{ ip: '20.0.0.3', port: 'http' }] } };
    const r = await validate(['-f', '-'], JSON.stringify(pool, null, 2));
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^<stdin>:\d+: Pool\/demo\/p: spec\.servers\[0\]\.port: Invalid value: "string": must be of type integer$/m);
  });

  it('expands a v1 List and reports paths inside it', async () => {
    const list = { apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'lb.contrail-operator.io/v1alpha1', kind: 'Pool', metadata: { name: 'p' }, spec: { cloudRef: 'jvnc2', lbAlgorithm: 'Random' } }] };
    const r = await validate([file('list.json', JSON.stringify(list))]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /list\.json:1: Pool\/p: items\[0\]\.spec\.lbAlgorithm: Unsupported value: "Random": supported values: "LeastConnections"/);
  });

  it('reports malformed YAML with its line (exit 1)', async () => {
    const path = file('malformed.yaml', `${header}\nkind: Pool\nmetadata:\n  name: [unclosed\n`);
    const r = await validate(['-f', path]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, new RegExp(`^${path}:\\d+: YAML syntax error: `, 'm'));
    assertNoStack(r);
  });

  it('reports a document that is not an object, and missing apiVersion/kind (exit 1)', async () => {
    const path = file('not-object.yaml', `- just\n- a list\n---\nplain scalar\n---\nmetadata: {name: x}\nspec: {}\n`);
    const r = await validate(['-f', path]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, new RegExp(`^${path}:1: document 1 is not an object`, 'm'));
    assert.match(r.stdout, new RegExp(`^${path}:4: document 2 is not an object`, 'm'));
    assert.match(r.stdout, new RegExp(`^${path}:6: apiVersion: Required value$`, 'm'));
    assert.match(r.stdout, new RegExp(`^${path}:6: kind: Required value$`, 'm'));
    assertNoStack(r);
  });

  it('reports duplicates and, with --resolve-refs, references missing from the input', async () => {
    const vs = `${header}\nkind: VirtualService\nmetadata: {name: vs, namespace: demo}\nspec:\n  cloudRef: jvnc2\n  poolRef: nowhere\n  vip: [{vipID: "0", networkRef: vip-net}]\n  services: [{port: 80}]\n`;
    const path = file('dups.yaml', `${vs}---\n${vs}`);
    const plain = await validate(['-f', path]);
    assert.equal(plain.code, 1);
    assert.match(plain.stdout, new RegExp(`^${path}:12: VirtualService/demo/vs: metadata\\.name: Duplicate value: "vs": the same object is also defined at ${path}:1$`, 'm'));
    assert.doesNotMatch(plain.stdout, /Not found/);
    const refs = await validate(['-f', path, '--resolve-refs']);
    assert.equal(refs.code, 1);
    assert.match(refs.stdout, new RegExp(`^${path}:6: VirtualService/demo/vs: spec\\.poolRef: Not found: Pool "nowhere" is not defined in the input in namespace demo$`, 'm'));
    assert.match(refs.stdout, /spec\.cloudRef: Not found: Cloud "jvnc2" is not defined in the input/);
  });

  it('reads YAML 1.1 scalars as kubectl does (n is a boolean)', async () => {
    const vs = `${header}\nkind: VirtualService\nmetadata: {name: vs}\nspec:\n  cloudRef: jvnc2\n  poolRef: p\n  vip: [{vipID: "0", networkRef: n}]\n  services: [{port: 80}]\n`;
    const r = await validate(['-f', file('norway.yaml', vs)]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /norway\.yaml:7: VirtualService\/vs: spec\.vip\[0\]\.networkRef: Invalid value: "boolean": must be of type string$/m);
  });

  it('ignores other kinds unless --strict', async () => {
    const path = file('other.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n');
    assert.equal((await validate(['-f', path])).code, 0);
    const strict = await validate(['-f', path, '--strict']);
    assert.equal(strict.code, 1);
    assert.match(strict.stdout, /ConfigMap\/c: kind: kind "ConfigMap" in version "v1" is not a contrail-lb kind \(--strict\)/);
  });

  it('refuses a 10 MB file (exit 2)', async () => {
    const path = file('big.yaml', `# ${'x'.repeat(10 * 1024 * 1024)}\n`);
    const r = await validate(['-f', path]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(`^${path}: 10\\.0 MiB is larger than the 8\\.0 MiB limit for one manifest file$`, 'm'));
    assertNoStack(r);
  });

  it('refuses binary junk (exit 2)', async () => {
    const junk = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256));
    const r = await validate(['-f', file('junk.yaml', junk)]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /junk\.yaml: binary data \(a NUL byte\), not a YAML or JSON manifest/);
    const latin1 = await validate(['-f', file('latin1.yaml', Buffer.from([0x6b, 0x69, 0x6e, 0x64, 0x3a, 0x20, 0xe9, 0x0a]))]);
    assert.equal(latin1.code, 2);
    assert.match(latin1.stderr, /latin1\.yaml: not UTF-8 text/);
    assertNoStack(r);
  });

  it('refuses a missing file and still checks the others (exit 2)', async () => {
    const good = file('good.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n');
    const r = await validate(['-f', join(dir, 'missing.yaml'), '-f', good]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /missing\.yaml: no such file or directory/);
    assert.match(r.stderr, /validate: 0 object\(s\) in 1 file\(s\), 1 other object\(s\) ignored: 1 unreadable input\(s\)/);
  });

  it('prints help (exit 0) and usage errors (exit 2)', async () => {
    const help = await validate(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^usage: contrail-lb-operator validate -f PATH/);
    const none = await validate([]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no input: give at least one -f PATH/);
    const bad = await validate(['-f', 'crds/samples', '--output', 'xml']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--output must be text or json, not 'xml'/);
    const unknown = await validate(['--frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown flag '--frobnicate'/);
    assertNoStack(unknown);
  });
});
