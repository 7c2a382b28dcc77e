// A cold build of the pinned Go tools is silent for minutes; the scripts must say it is still
// going at least every 30 s (issue: "the envtest build prints one line and then nothing for ~10
// minutes"). The real shell functions run a 32 s stand-in build — the envtest build's progress()
// (taken from scripts/envtest-build.sh, which is not a library) and gotool_build of
// scripts/lib/gotool.sh (helm, kstatus-check) — and every silence is timed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { repoRoot } from '../support/cluster.js';

const BUILD_S = 32;
const tmp = mkdtempSync(join(tmpdir(), 'lbop-progress-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs a bash script; each output line with the seconds since start it arrived at. */
function timedLines(script: string): Promise<{ code: number | null; lines: { at: number; text: string }[] }> {
  return new Promise((done, fail) => {
    const t0 = Date.now();
    const child = spawn('bash', ['-c', script], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: { at: number; text: string }[] = [];
    let rest = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      const parts = (rest + d).split('\n');
      rest = parts.pop() ?? '';
      for (const text of parts) lines.push({ at: (Date.now() - t0) / 1000, text });
    });
    child.stderr.resume();
    child.on('error', fail);
    child.on('close', (code) => done({ code, lines: [...lines, { at: (Date.now() - t0) / 1000, text: '<exit>' }] }));
  });
}

function assertNoLongSilence(lines: { at: number; text: string }[], progress: RegExp): void {
  const said = lines.filter((l) => progress.test(l.text));
  assert.ok(said.length >= 1, `a progress line during a ${BUILD_S} s build: ${JSON.stringify(lines)}`);
  let last = 0;
  for (const l of lines) {
    assert.ok(l.at - last <= 30, `silent for ${(l.at - last).toFixed(1)} s before '${l.text}'`);
    last = l.at;
  }
}

test('the envtest build says it is still building at least every 30 s', { timeout: 120_000 }, async () => {
  const r = await timedLines(`set -eu; eval "$(sed -n '/^progress() {/,/^}/p' scripts/envtest-build.sh)"
    go() { echo ${tmp}; }  # 'go env GOCACHE' for the cache-size note
    sleep ${BUILD_S} & progress $! "kube-apiserver"; wait`);
  assert.equal(r.code, 0);
  assertNoLongSilence(r.lines, /^envtest: still building kube-apiserver \(\d+s, Go build cache /);
});

test('the pinned Go tools (helm, kstatus-check) say it too, and a failed build names the log', { timeout: 120_000 }, async () => {
  const lib = `set -eu; source scripts/lib/gotool.sh; TOOL=stand-in; LOG=${tmp}/build.log; GOTOOL_START=$(date +%s); GOTOOL_TMP=${tmp}/t`;
  const r = await timedLines(`${lib}; gotool_build sleep ${BUILD_S}`);
  assert.equal(r.code, 0);
  assertNoLongSilence(r.lines, /^stand-in: still building \(\d+s\)$/);
  const failed = await new Promise<{ code: number | null; err: string }>((done) => {
    const c = spawn('bash', ['-c', `${lib}; gotool_build sh -c 'echo "go: module example.com/x: not found"; exit 1'`], { cwd: repoRoot });
    let err = '';
    c.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    c.on('close', (code) => done({ code, err }));
  });
  assert.equal(failed.code, 1);
  assert.match(failed.err, new RegExp(`^stand-in: the Go build failed: go: module example.com/x: not found \\(full log: ${tmp}/build.log\\)`));
});
