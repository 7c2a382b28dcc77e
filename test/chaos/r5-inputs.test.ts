// R5 (issue 19), manifests and cloud responses:
//  - ≥ 200 malformed manifests (schema and CEL mutations from test/cases/crd-fuzz.ts, and fuzzed
//    YAML text: cut short, tabs, stray quotes and brackets, duplicate keys, binary bytes, alias
//    bombs) through `validate` (in process) and the apiserver (server-side dry run): each gets a
//    clear error or is valid for both, `validate` never crashes, the server never answers 5xx;
//  - malformed cloud responses (src/sim/faults.ts `malformed`: broken JSON, HTML error pages,
//    truncated bodies, wrong content types) on every API while VSs converge and change: the
//    operator never exits, everything converges once the faults end, nothing leaks.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable, Readable } from 'node:stream';
import { stringify } from 'yaml';
import { run as validate } from '../../src/cli/validate.js';
import { fuzzCases } from '../cases/crd-fuzz.js';
import { validBase, crdCaseNamespace } from '../cases/crd-cases.js';
import { useCluster, type TestCluster } from '../support/cluster.js';
import { startHarness } from '../e2e/harness.js';
import { applyGroup, applyPool, applyVS, cleanNamespace } from '../e2e/vs-support.js';
import { audit, CI, figures, seeded, size, waitConverged } from './support.js';

const MANIFESTS = size('R5_MANIFESTS', 400, 200);
const CLOUD_VS = size('R5_CLOUD_VS', 20, 6);
const CLOUD_FAULT_MS = size('R5_CLOUD_FAULT_MS', 40_000, 10_000);
/** Per malformed kind: the CI window is short and sees few requests, so it draws more often. */
const CLOUD_P = CI ? 0.25 : 0.08;

let cluster: TestCluster;
let dir: string;
before(async () => {
  cluster = await useCluster();
  dir = mkdtempSync(join(tmpdir(), 'lbop-chaos-r5-'));
  const r = await cluster.kubectl(['create', 'namespace', crdCaseNamespace]);
  assert.ok(r.code === 0 || r.stderr.includes('AlreadyExists'), r.stderr);
});
after(() => rmSync(dir, { recursive: true, force: true }));

interface Case { name: string; text: string; structured: boolean }

/** Fuzzed YAML text from the valid bases: what a hand edit or a broken template produces. */
function yamlCases(count: number, rand: () => number): Case[] {
  const bases = Object.values(validBase).map((make) => stringify(make()));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const edits: [string, (s: string) => string][] = [
    ['cut', (s) => s.slice(0, 1 + Math.floor(rand() * (s.length - 1)))],
    ['tab', (s) => s.replace(/\n {2}/, '\n\t')],
    ['quote', (s) => { const at = Math.floor(rand() * s.length); return `${s.slice(0, at)}"${s.slice(at)}`; }],
    ['bracket', (s) => { const at = Math.floor(rand() * s.length); return `${s.slice(0, at)}${pick(['[', '{', ']', '}'])}${s.slice(at)}`; }],
    ['dup-key', (s) => s.replace(/^spec:/m, 'spec: {}\nspec:')],
    ['binary', (s) => `${s.slice(0, 40)}\u0000\u0007\u00ff${s.slice(40)}`],
    ['alias-bomb', () => `a: &a ["x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c]\napiVersion: lb.contrail.io/v1alpha1\nkind: Pool\nmetadata: {name: bomb, namespace: ${crdCaseNamespace}}\nspec: {x: [*d,*d,*d,*d]}\n`],
    ['wrong-type', (s) => s.replace(/^spec:\n/m, 'spec: 42\nxspec:\n')],
    ['not-a-map', () => pick(['- a\n- b\n', '"just a string"\n', '42\n', '---\n---\n', 'kind: [\n'])],
    ['indent', (s) => s.replace(/\n {4}/, '\n ')],
  ];
  return Array.from({ length: count }, (_, i) => {
    const [name, edit] = pick(edits);
    return { name: `yaml-${i}-${name}`, text: edit(pick(bases)), structured: false };
  });
}

async function runValidate(file: string): Promise<{ code: number; out: string; crashed?: string }> {
  let out = '';
  const sink = new Writable({ write(c: Buffer, _e, cb) { out += c.toString(); cb(); } });
  try {
    const code = await validate(['-f', file], { stdin: Readable.from([]), stdout: sink, stderr: sink });
    return { code, out };
  } catch (e) {
    return { code: -1, out, crashed: (e as Error).stack ?? String(e) };
  }
}

test(`R5 manifests: ${MANIFESTS} malformed manifests through validate and the apiserver → a clear error each, no crash, no 5xx`, async () => {
  const rand = seeded(519);
  const half = Math.ceil(MANIFESTS / 2);
  const cases: Case[] = [
    ...fuzzCases(19, half).map((c) => ({ name: `crd-${c.name}`, text: stringify({ ...c.manifest, metadata: { ...(c.manifest['metadata'] as object) } }), structured: true })),
    ...yamlCases(MANIFESTS - half, rand),
  ];
  const crashes: string[] = [];
  const unclear: string[] = [];
  const server5xx: string[] = [];
  const disagree: string[] = [];
  let rejectedOffline = 0;
  let rejectedServer = 0;
  const t0 = Date.now();
  // Six at a time: kubectl is a process per case.
  for (let i = 0; i < cases.length; i += 6) {
    await Promise.all(cases.slice(i, i + 6).map(async (c, j) => {
      const file = join(dir, `m-${i + j}.yaml`);
      writeFileSync(file, c.text);
      const v = await runValidate(file);
      if (v.crashed !== undefined || v.out.includes('internal error')) crashes.push(`${c.name}: ${v.crashed ?? v.out}`);
      if (v.code !== 0) {
        rejectedOffline++;
        if (v.out.trim().split('\n').filter((l) => l.trim() !== '').length < 2) unclear.push(`validate ${c.name}: ${v.out.trim()}`);
      }
      const s = await cluster.kubectl(['create', '--dry-run=server', '--validate=strict', '-o', 'name', '-f', file]);
      if (s.code !== 0) {
        rejectedServer++;
        if (/InternalError|\(500\)|Internal error occurred/.test(s.stderr)) server5xx.push(`${c.name}: ${s.stderr.trim()}`);
        if (s.stderr.trim() === '') unclear.push(`apiserver ${c.name}: no message`);
      }
      if (c.structured && (v.code === 0) !== (s.code === 0)) disagree.push(`${c.name}: validate ${v.code}, apiserver ${s.code}: ${v.out.trim().slice(0, 160)} | ${s.stderr.trim().slice(0, 160)}`);
    }));
  }
  figures('R5-manifests', {
    manifests: cases.length, structured: half, yamlText: cases.length - half, rejectedByValidate: rejectedOffline, rejectedByApiserver: rejectedServer,
    validateCrashes: crashes.length, unclear: unclear.length, apiserver5xx: server5xx.length, structuredDisagreements: disagree.length, seconds: ((Date.now() - t0) / 1000).toFixed(1),
  });
  assert.ok(cases.length >= 200);
  assert.deepEqual(crashes.slice(0, 5), [], 'validate never crashes');
  assert.deepEqual(unclear.slice(0, 5), [], 'every rejection says what is wrong');
  assert.deepEqual(server5xx.slice(0, 5), [], 'the apiserver never answers 5xx');
  assert.deepEqual(disagree.slice(0, 5), [], 'validate and the apiserver agree on the schema/CEL mutations');
});

test(`R5 cloud responses: malformed answers on every API for ${CLOUD_FAULT_MS / 1000} s while ${CLOUD_VS} VS converge and change → no crash, all converge, 0 leaks`, async () => {
  const h = await startHarness({ name: 'chaos-r5-cloud', sim: { bootTimeMs: 300, seed: 5 } });
  try {
    const op = h.startOperator();
    await cleanNamespace(h, 120_000);
    await applyGroup(h, 'default', { maxSEs: 6, maxVSPerSE: 20 });
    await applyPool(h);
    const names = Array.from({ length: CLOUD_VS }, (_, i) => `r5-${String(i).padStart(3, '0')}`);
    await h.simControl('POST', '/sim/faults', (['json', 'html', 'truncated', 'content-type'] as const).map((malformed) => ({ api: '*', malformed, probability: CLOUD_P, durationMs: CLOUD_FAULT_MS })));
    const tFaults = Date.now();
    for (const n of names) await applyVS(h, { vs: n });
    // Halfway through the faults, some change.
    await new Promise((r) => setTimeout(r, CLOUD_FAULT_MS / 2));
    for (const n of names.slice(0, Math.ceil(CLOUD_VS / 4))) await applyVS(h, { vs: n, minSEs: 2 });
    const fired = async (): Promise<number> => (await h.simControl<{ faults: { fired: number }[] }>('GET', '/sim/faults')).faults.reduce((a, f) => a + f.fired, 0);
    let firedTotal = await fired();
    // Expired faults leave the list, so their counts are read while the window is open.
    await h.waitFor(async () => {
      if (Date.now() - tFaults > CLOUD_FAULT_MS) return true;
      firedTotal = Math.max(firedTotal, await fired());
      return false;
    }, { what: 'the fault window to end', timeoutMs: CLOUD_FAULT_MS + 5000, intervalMs: 250 });
    const all = await waitConverged(h, names, 240_000);
    const a = await audit(h, all);
    const alive = op.child.exitCode === null && op.child.signalCode === null;
    const out = op.output();
    const stackLines = out.split('\n').filter((l) => /^\s+at .+\(.+:\d+:\d+\)$/.test(l) || /Unhandled|uncaught/i.test(l));
    const warnLines = out.split('\n').filter((l) => /"level":"(warn|error)"|level=(warn|error)|\b(WARN|ERROR)\b/.test(l));
    figures('R5-cloud', {
      vs: CLOUD_VS, perKindProbability: CLOUD_P, faultWindowS: CLOUD_FAULT_MS / 1000, malformedAnswers: firedTotal, operatorAlive: String(alive), warnOrErrorLogLines: warnLines.length,
      stackTraceLines: stackLines.length, leaked: a.leaked.length, duplicates: a.duplicates.length, ipsTwice: a.ipsTwice.length,
    });
    assert.ok(firedTotal > 0, 'malformed answers were sent');
    assert.ok(alive, 'the operator never exited');
    assert.deepEqual(stackLines.slice(0, 5), [], 'no stack trace or unhandled error in the operator output');
    assert.ok(warnLines.length > 0, 'the malformed answers were reported');
    assert.deepEqual(a.leaked, [], 'no leak');
    assert.deepEqual(a.duplicates, [], 'no duplicate');
    assert.deepEqual(a.ipsTwice, [], 'no IP twice');
    await cleanNamespace(h, 180_000).catch((e: unknown) => console.error(`cleanup: ${(e as Error).message}`));
  } finally {
    await h.stop();
  }
});
