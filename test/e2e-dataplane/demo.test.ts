// `make demo` as root (issue 14): the demo is run as a process, as a user runs it, and the story
// is checked from what it prints and from the cluster it leaves with --keep: requests served
// through the VIP on 1 SE, the split over 3 SEs after the scale-out, traffic flowing while one SE's
// Nova server is deleted and nothing failing once it settles, the SE replaced. Then that
// everything it started stops: on SIGTERM to what --keep left, and on Ctrl-C (SIGINT to the
// demo's process group) in the middle of a run — no namespace, no process left.
// Root only (network namespaces); otherwise skipped with one line.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../support/cluster.js';
import { waitFor } from '../support/wait.js';
import { skipReason } from '../dataplane/support.js';

const skip = skipReason();
if (skip !== undefined) process.stdout.write(`e2e-dataplane demo: ${skip}\n`);

interface Demo { child: ChildProcess; out: () => string; exit: Promise<number | null> }

function startDemo(dir: string, extra: string[] = []): Demo {
  // Its own process group, so a test can send what a terminal's Ctrl-C sends (SIGINT to the group).
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli.ts'), 'demo', '--dir', dir, '--timeout', '150', ...extra],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => { out += d; });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => { out += d; });
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, out: () => out, exit };
}

/** The text of the step whose `==>` header contains HEADER, up to the next step. */
function stepText(out: string, header: string): string {
  const start = out.split('\n==> ').find((s) => s.startsWith(header) || s.split('\n')[0]?.includes(header));
  assert.ok(start !== undefined, `no step '${header}' in the demo's output:\n${out}`);
  return start;
}

interface Figures { answered: number; failed: number; split: Map<string, number> }

/** A burst as describeBurst prints it (src/demo/traffic.ts). */
function burstOf(text: string): Figures {
  const m = /^ {2}(\d+) requests answered .*?, (\d+) failed/m.exec(text);
  assert.ok(m !== null, `no burst figures in:\n${text}`);
  const split = new Map<string, number>();
  for (const l of text.matchAll(/^ {4}(\S+)\s+(\d+)\s+\d+%/gm)) split.set(l[1] as string, Number(l[2]));
  return { answered: Number(m[1]), failed: Number(m[2]), split };
}

/** The demo's namespaces (by the client namespace it names: lbop-<run>-<pid>-client) and processes under DIR. */
function leftovers(out: string, dir: string): string[] {
  const client = /client namespace (lbop-[0-9a-f]+-\d+-)client/.exec(out)?.[1];
  assert.ok(client !== undefined, `the demo did not name its client namespace:\n${out}`);
  const ns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith(client));
  const procs = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(dir));
  return [...ns, ...procs];
}

const kubectl = (dir: string, args: string[]): string =>
  execFileSync(join(repoRoot, '.local/bin/kubectl'), ['--kubeconfig', join(dir, 'cluster/kubeconfig'), ...args], { encoding: 'utf8' });

describe('make demo serves real requests', { skip, timeout: 420_000 }, () => {
  const dirs: string[] = [];
  const tmp = (): string => {
    const d = mkdtempSync(join(repoRoot, '.local/lbop-demo-test-'));
    dirs.push(d);
    return d;
  };
  after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

  it('tells the story in traffic: 1 SE served, split over 3, an SE deleted under load and replaced; --keep leaves it up', async () => {
    const dir = tmp();
    const started = Date.now();
    const demo = startDemo(dir, ['--keep']);
    const code = await demo.exit;
    const out = demo.out();
    process.stdout.write(`e2e-dataplane demo: finished in ${Date.now() - started} ms (code ${code})\n`);
    assert.equal(code, 0, out);

    const one = burstOf(stepText(out, 'sending 200 requests'));
    assert.ok(one.answered >= 200, out);
    assert.equal(one.failed, 0);
    assert.equal(one.split.size, 1, 'one SE before the scale-out');
    assert.ok([...one.split.values()][0] as number >= 200, 'that SE\'s HAProxy carried them');

    const three = burstOf(stepText(out, 'now on 3 Service Engines'));
    assert.equal(three.failed, 0);
    assert.equal(three.split.size, 3);
    for (const [se, n] of three.split) assert.ok(n > 0, `${se} took none of the new connections`);

    const failover = stepText(out, 'under load (as a failed host would)');
    const victim = /deleting (\S+)'s Nova server ([0-9a-f-]+)/.exec(failover);
    assert.ok(victim !== null, failover);
    const during = /under load while the SE went: (\d+) requests answered, (\d+) failed/.exec(failover);
    assert.ok(during !== null && Number(during[1]) > 0, failover);
    process.stdout.write(`e2e-dataplane demo: during the SE deletion ${during[1]} answered, ${during[2]} failed\n`);
    const fresh = /replaced by (\S+) \(Nova server ([0-9a-f-]+)\)/.exec(failover);
    assert.ok(fresh !== null, failover);

    const settled = burstOf(stepText(out, 'after the replacement'));
    assert.equal(settled.failed, 0, 'nothing fails once the deletion settled');
    assert.equal(settled.split.size, 3);
    assert.ok(!settled.split.has(victim[1] as string), 'the deleted SE is out of the split');
    for (const [se, n] of settled.split) assert.ok(n > 0, `${se} took none of the new connections after the replacement`);

    // The cluster --keep left: vs2 Ready on 3 connected SEs, none of them the deleted server.
    const vs = JSON.parse(kubectl(dir, ['get', 'lbvs', 'vs2', '-n', 'demo', '-o', 'json'])) as { status: { conditions: { type: string; status: string }[]; serviceEngines: { name: string; connected?: boolean }[] } };
    assert.equal(vs.status.conditions.find((c) => c.type === 'Ready')?.status, 'True');
    const connected = vs.status.serviceEngines.filter((e) => e.connected === true).map((e) => e.name).sort();
    assert.deepEqual(connected, [...settled.split.keys()].sort());
    const ses = JSON.parse(kubectl(dir, ['get', 'lbse', '-n', 'demo', '-o', 'json'])) as { items: { metadata: { name: string }; status?: { serverUUID?: string } }[] };
    const servers = ses.items.filter((s) => connected.includes(s.metadata.name)).map((s) => s.status?.serverUUID);
    assert.ok(!servers.includes(victim[2]), 'no connected SE runs on the deleted server');
    assert.ok(servers.includes(fresh[2]), 'the replacement is one of them');

    // What --keep left stops on SIGTERM, namespaces and SE processes included.
    const stop = /stop it all: kill ([\d ]+); scripts\/cluster-down\.sh (\S+)/.exec(out);
    assert.ok(stop !== null, out);
    const pids = (stop[1] as string).trim().split(' ').map(Number);
    for (const pid of pids) process.kill(pid, 'SIGTERM');
    await waitFor(async () => pids.every((pid) => { try { process.kill(pid, 0); return false; } catch { return true; } }), { timeoutMs: 30_000, what: 'the kept simulator and operator to exit' });
    spawnSync(join(repoRoot, 'scripts/cluster-down.sh'), [stop[2] as string], { stdio: 'ignore' });
    assert.deepEqual(await waitFor(async () => (leftovers(out, dir).length === 0 ? [] : undefined), { timeoutMs: 15_000, what: 'nothing left' }).catch(() => leftovers(out, dir)), []);
  });

  it('Ctrl-C in the middle of the traffic stops everything it started', async () => {
    const dir = tmp();
    const demo = startDemo(dir);
    // By then the SE's namespace, its agent and HAProxy, the pool server and wrk are all running.
    await waitFor(async () => demo.out().includes('==> sending 200 requests') || demo.child.exitCode !== null, { timeoutMs: 180_000, intervalMs: 100, what: 'the demo to send traffic' });
    assert.equal(demo.child.exitCode, null, demo.out());
    process.kill(-(demo.child.pid as number), 'SIGINT');
    const code = await demo.exit;
    assert.equal(code, 130, demo.out());
    const left = leftovers(demo.out(), dir);
    assert.deepEqual(left, [], 'namespaces or processes left after Ctrl-C');
  });
});
