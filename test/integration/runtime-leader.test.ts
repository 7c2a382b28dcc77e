// Leader election between real processes on one Lease of a real kube-apiserver: exactly one
// leads; kill -9 of the leader hands over within the lease duration; a graceful stop hands
// over at once; and reconciles never run in two replicas at the same time.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { useCluster, repoRoot, type TestCluster } from '../support/cluster.js';
import { KubeClient } from '../../src/runtime/kube.js';
import { collectionPath } from '../../src/runtime/objects.js';
import { configMaps, createNamespace, pool, until } from './fixtures/runtime-support.js';

let cluster: TestCluster;
let client: KubeClient;
const procs: ChildProcess[] = [];

before(async () => {
  cluster = await useCluster();
  client = await KubeClient.create(cluster.kubeconfig);
});
after(() => {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
  client?.close();
});

interface Replica {
  proc: ChildProcess;
  pid: number;
  leadingAt?: number;
  health?: string;
  exitCode?: number | null;
}

const LEASE_MS = 3000;
const RETRY_MS = 500;

function startReplica(ns: string, journal: string): Replica {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'test/integration/fixtures/runtime-leader-proc.ts'), cluster.kubeconfig, ns, 'rt-leader', journal],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  procs.push(proc);
  const r: Replica = { proc, pid: proc.pid as number };
  createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    const m = JSON.parse(line) as { ev: string; t?: number; url?: string };
    if (m.ev === 'leading') r.leadingAt = m.t;
    if (m.ev === 'health') r.health = m.url;
  });
  proc.on('exit', (code) => (r.exitCode = code));
  return r;
}

async function leaderGauge(r: Replica): Promise<number> {
  const text = await (await fetch(`${r.health}/metrics`)).text();
  const m = /leader_election_master_status\{name="rt-leader"\} (\d)/.exec(text);
  return m ? Number(m[1]) : -1;
}

/** Reconcile intervals per pid from the journal; an unfinished one ends at `killedAt`. */
function overlaps(journal: string, killedAt: Map<number, number>): string[] {
  const open = new Map<string, number>();
  const spans: Array<{ pid: number; from: number; to: number }> = [];
  for (const line of readFileSync(journal, 'utf8').split('\n').filter(Boolean)) {
    const [kind, pid, t, key] = line.split(' ');
    const id = `${pid} ${key}`;
    if (kind === 'start') open.set(id, Number(t));
    else {
      spans.push({ pid: Number(pid), from: open.get(id) as number, to: Number(t) });
      open.delete(id);
    }
  }
  for (const [id, from] of open) {
    const pid = Number(id.split(' ')[0]);
    spans.push({ pid, from, to: killedAt.get(pid) ?? Infinity });
  }
  const bad: string[] = [];
  for (const a of spans) for (const b of spans) if (a.pid < b.pid && a.from < b.to && b.from < a.to) bad.push(`${a.pid}∩${b.pid} at ${a.from}`);
  return bad;
}

test('one leader among replicas; kill -9 hands over within the lease; graceful stop hands over at once; no overlap', async () => {
  const ns = await createNamespace(client, 'rt-leader');
  const coll = collectionPath(configMaps, ns);
  const names = Array.from({ length: 5 }, (_, i) => `cm-${i}`);
  await pool(names, 5, (n) => client.create(coll, { metadata: { name: n }, data: { v: '0' } }).then(() => undefined));
  const journal = join(cluster.dir, `rt-leader-${ns}.journal`);
  writeFileSync(journal, '');
  const killedAt = new Map<number, number>();

  const a = startReplica(ns, journal);
  const b = startReplica(ns, journal);
  await until('a leader', () => a.leadingAt !== undefined || b.leadingAt !== undefined, 60_000);
  await until('both health endpoints', () => !!a.health && !!b.health, 60_000);
  const [leader, standby] = a.leadingAt !== undefined ? [a, b] : [b, a];
  await until('gauges settle', async () => (await leaderGauge(leader)) === 1 && (await leaderGauge(standby)) === 0);
  assert.equal(standby.leadingAt, undefined, 'exactly one replica leads');
  // The standby's caches warm up and it reports ready (awaited: under load its first list can lag the gauges).
  await until('standby ready', async () => (await fetch(`${standby.health}/readyz`)).status === 200, 30_000);

  const t0 = performance.timeOrigin + performance.now();
  leader.proc.kill('SIGKILL');
  killedAt.set(leader.pid, t0);
  await until('standby takes over', () => standby.leadingAt !== undefined, 30_000);
  const takeover = Number(standby.leadingAt) - t0;
  console.log(`leader election: kill -9 → new leader reconciling after ${Math.round(takeover)} ms (lease ${LEASE_MS} ms)`);
  assert.ok(takeover <= LEASE_MS + 2 * RETRY_MS + 1000, `takeover took ${takeover} ms`);

  // A third replica joins as standby; SIGTERM on the leader releases the lease for it at once.
  const c = startReplica(ns, journal);
  await until('third replica ready', () => !!c.health, 60_000);
  await until('third replica standby', async () => (await leaderGauge(c)) === 0);
  const t1 = performance.timeOrigin + performance.now();
  standby.proc.kill('SIGTERM');
  await until('graceful exit', () => standby.exitCode !== undefined, 20_000);
  assert.equal(standby.exitCode, 0);
  await until('third replica leads', () => c.leadingAt !== undefined, 30_000);
  const handover = Number(c.leadingAt) - t1;
  console.log(`leader election: SIGTERM → successor reconciling after ${Math.round(handover)} ms`);
  assert.ok(handover < LEASE_MS, `released lease should hand over before it would expire (${handover} ms)`);

  c.proc.kill('SIGTERM');
  await until('last replica exits', () => c.exitCode !== undefined, 20_000);
  assert.equal(c.exitCode, 0);
  const lines = readFileSync(journal, 'utf8').split('\n').filter(Boolean);
  const pids = new Set(lines.map((l) => l.split(' ')[1]));
  assert.equal(pids.size, 3, 'all three replicas reconciled in turn');
  assert.deepEqual(overlaps(journal, killedAt), [], 'no reconcile ran in two replicas at once');
});
