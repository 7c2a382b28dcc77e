// bench:scale — issue 16's P2, P3 and P4 in one run, with the operator run as the image runs it:
// compiled JS (`make build` → dist/, started through bin/contrail-lb-operator.js), not tsx.
// Topology sized for the run: the simulator's VIP and management subnets are /16s, and the group
// has SEs to fit (count × SEs-per-VS ÷ maxVSPerSE, plus 2 of headroom). Real kube-apiserver
// (LBOP_TEST_KUBECONFIG or a private one), simulator in-process. Prints figures; asserts nothing.
//   P2  cloud writes per VS vs the minimum (2 + 2 × SEs VIP/ECMP writes, plus the SEs' own shared
//       by maxVSPerSE VSs); writes and reads in a steady-state window (reads per observation
//       period); the operator's apiserver requests per VS (rest_client_requests_total).
//   P3  RSS and V8 heap of the operator (its /metrics) idle at 0 VS and converged at N VS.
//   P4  SIGKILL, restart over the N converged VSs: cloud writes (goal 0), apiserver writes and
//       how many objects they changed (the rest changed nothing; goal 0), and the time until every
//       VS has been reconciled once (controller_runtime_reconcile_total{controller="virtualservice"}
//       ≥ N) and found converged (lbop_reconcile_converged_total{controller="virtualservice"} ≥ N:
//       reconciles that had nothing to do and sent no write, counted by the operator).
//       SCALE_BENCH_HEAPSNAPSHOT=1 also writes the converged operator's heap snapshot.
//   P1  apply → all Ready vs its lower bound (p1LowerBound), with the cloud rate-limited per API.
//   P5  the server of the SE in most VIPs' ECMP sets goes to ERROR: out of every one within
//       one observation period + 1 s (SCALE_BENCH_P5=0 skips it; it runs after P4).
//   npm run bench:scale   (SCALE_BENCH_COUNT default 200, SCALE_BENCH_SES 2 per VS, SCALE_BENCH_RPS 100,
//                          SCALE_BENCH_PER_SE maxVSPerSE default 50, SCALE_BENCH_STEADY_S default 30,
//                          SCALE_BENCH_RESYNC_S the Cloud's resync period, default 5)
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { conditionsOf, startHarness, SECRETS_NAMESPACE, type Harness } from '../e2e/harness.js';
import { repoRoot } from '../support/cluster.js';
import type { KubeObject } from '../../src/runtime/index.js';
import { checkInvariants, type GroupObj, type SEObj, type VSObj } from '../../src/controllers/model/index.js';
import { applyGroup, applyPool, applyVS, type VS } from '../e2e/vs-support.js';
import { LAST_SYNC_WRITE_MS } from '../../src/controllers/cloud/controller.js';
import { parse as parseYAML } from 'yaml';

const count = Number(process.env['SCALE_BENCH_COUNT'] ?? 200);
const sesPerVS = Number(process.env['SCALE_BENCH_SES'] ?? 2);
const perSE = Number(process.env['SCALE_BENCH_PER_SE'] ?? 50);
const steadyS = Number(process.env['SCALE_BENCH_STEADY_S'] ?? 30);
// P1's lower bound needs a cloud that costs something: a global rate limit per API (requests/s,
// each of keystone, nova, neutron and contrail; 429 + Retry-After beyond it). 0 turns it off.
const rps = Number(process.env['SCALE_BENCH_RPS'] ?? 100);
// The Cloud's resyncPeriodSeconds (the CloudView lists every kind once per period); 5 s keeps
// P5-style observations quick, the product default is 30 s.
const RESYNC_S = Number(process.env['SCALE_BENCH_RESYNC_S'] ?? 5);
const BOOT_MS = 500;
// The bench's own lists of every VS (convergence) and every object (invariants) must not be what
// loads the apiserver at 10k: poll and sample less often as the count grows. (At count/2 ms, a
// 10k run's apiserver spent most of its CPU serialising the bench's 10k-VS list every 5 s.)
const POLL_MS = Math.max(500, count * 2);
const SAMPLE_MS = Math.max(2000, count * 6);
if (!(count >= 1 && count <= 20_000)) throw new Error(`SCALE_BENCH_COUNT=${count}: keep it in [1, 20000] (a /16 of VIPs)`);

interface Req { api: string; method: string; route: string; status: number; count: number }
interface Latency { api: string; count: number; sumMs: number }
interface Stats { requests: Req[]; latency: Latency[] }

/** A cloud write: anything but a GET, a token request, or a VNC action that only reads. */
function isWrite(r: Req): boolean {
  if (r.method === 'GET') return false;
  if (r.status === 429) return false; // refused by the rate limit: nothing was written

  if (r.api === 'keystone') return false;
  return !['/fqname-to-id', '/id-to-fqname', '/list-bulk-collection'].includes(r.route);
}
const sum = (rs: Req[]): number => rs.reduce((n, r) => n + r.count, 0);
const MiB = (b: number): string => `${(b / 1048576).toFixed(0)} MiB`;

/** The default topology with its VIP and management subnets widened to /16s. */
function wideTopology(): string {
  const text = readFileSync(join(repoRoot, 'src/sim/default-topology.yaml'), 'utf8')
    .replace('cidr: 19.1.1.0/24', 'cidr: 19.1.0.0/16')
    .replace('cidr: 10.10.10.0/24', 'cidr: 10.10.0.0/16');
  if (!text.includes('19.1.0.0/16') || !text.includes('10.10.0.0/16')) throw new Error('the default topology changed: cannot widen its subnets');
  const path = join(mkdtempSync(join(tmpdir(), 'lbop-scale-')), 'topology.yaml');
  writeFileSync(path, text);
  return path;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

// SCALE_BENCH_HEAPSNAPSHOT=1: the converged operator writes a V8 heap snapshot (SIGUSR2) into a
// temporary folder, for test/bench/heapsnapshot-summary.ts.
const heapDir = process.env['SCALE_BENCH_HEAPSNAPSHOT'] === '1' ? mkdtempSync(join(tmpdir(), 'lbop-scale-heap-')) : undefined;
const heapArgs = heapDir === undefined ? [] : ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${heapDir}`];
// SCALE_BENCH_CPUPROF=1: the first operator process runs with --cpu-prof and is stopped (SIGTERM,
// which writes the profile) right after the steady window, then started again for P3/P4; the
// profile's last SCALE_BENCH_STEADY_S seconds are the idle CPU (test/bench/cpuprofile-summary.ts).
const profDir = process.env['SCALE_BENCH_CPUPROF'] === '1' ? mkdtempSync(join(tmpdir(), 'lbop-scale-cpu-')) : undefined;

/** Signal the operator to write a heap snapshot and wait until the file stops growing. */
async function heapSnapshot(op: Compiled, dir: string): Promise<string> {
  op.child.kill('SIGUSR2');
  let last = -1;
  for (let i = 0; i < 600; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const f = readdirSync(dir).find((n) => n.endsWith('.heapsnapshot'));
    if (f === undefined) continue;
    const size = statSync(join(dir, f)).size;
    if (size > 0 && size === last) return join(dir, f);
    last = size;
  }
  throw new Error(`no heap snapshot in ${dir} after 600 s`);
}

interface Compiled { child: ChildProcess; metricsURL: string; exited: Promise<void> }

/** The compiled operator (bin/ → dist/), with the harness's flags. */
async function startCompiled(h: Harness, extra: string[] = [], spec = process.env['SCALE_BENCH_NODE_ARGS'] ?? deploymentNodeOptions()): Promise<Compiled> {
  const port = await freePort();
  const node = nodeArgs(spec);
  const child = spawn(process.execPath, [...heapArgs, ...node.flags, ...extra, join(repoRoot, 'bin/contrail-lb-operator.js'), 'run', '--kubeconfig', h.cluster.kubeconfig,
    '--namespace', h.namespace, '--cluster-id', h.clusterID, '--metrics-addr', `127.0.0.1:${port}`, '--health-addr', '0',
    '--secrets-namespace', SECRETS_NAMESPACE, '--log-level', process.env['SCALE_BENCH_LOG_LEVEL'] ?? 'warn'], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, KUBECONFIG: '', ...node.env } });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, metricsURL: `http://127.0.0.1:${port}/metrics`, exited };
}

async function metrics(op: Compiled): Promise<string> {
  return (await fetch(op.metricsURL)).text();
}

/** Sum of a series' samples whose labels include every `want` pair. */
function series(text: string, name: string, want: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labels = line.slice(name.length).startsWith('{') ? line.slice(name.length + 1, line.indexOf('}')) : '';
    if (Object.entries(want).every(([k, v]) => labels.includes(`${k}="${v}"`))) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** The kube-apiserver's own count of write requests (apiserver_request_total), by verb/resource[/subresource]. */
async function serverWrites(h: Harness): Promise<Map<string, number>> {
  const res = await h.client.open('GET', '/metrics');
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  const out = new Map<string, number>();
  for (const line of Buffer.concat(chunks).toString('utf8').split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const label = (k: string): string => new RegExp(`[{,]${k}="([^"]*)"`).exec(line)?.[1] ?? '';
    const verb = label('verb');
    if (!['POST', 'PUT', 'PATCH', 'DELETE'].includes(verb)) continue;
    const key = `${verb} ${label('resource')}${label('subresource') !== '' ? `/${label('subresource')}` : ''}`;
    out.set(key, (out.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return out;
}

function writesBetween(before: Map<string, number>, after: Map<string, number>): [string, number][] {
  return [...after].map(([k, v]): [string, number] => [k, v - (before.get(k) ?? 0)]).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
}

const apiserverWrites = (m: string): number => ['POST', 'PUT', 'PATCH', 'DELETE'].reduce((n, method) => n + series(m, 'rest_client_requests_total', { method }), 0);

async function memory(op: Compiled): Promise<{ rss: number; heap: number }> {
  // Two scrapes a moment apart: prom-client samples the heap at scrape time.
  await metrics(op);
  await new Promise((r) => setTimeout(r, 1000));
  const m = await metrics(op);
  return { rss: series(m, 'process_resident_memory_bytes'), heap: series(m, 'nodejs_heap_size_used_bytes') };
}

/** resourceVersion of every object of the namespace's reconciled kinds. */
async function versions(h: Harness): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const kind of ['VirtualService', 'ServiceEngine', 'ServiceEngineGroup', 'Pool'] as const) {
    for (const o of await h.list<KubeObject>(kind)) out.set(`${kind}/${o.metadata.name}`, o.metadata.resourceVersion ?? '');
  }
  out.set(`Cloud/${h.cloudName}`, (await h.get<KubeObject>('Cloud', h.cloudName))?.metadata.resourceVersion ?? '');
  return out;
}

/** Leaf paths where two JSON values differ (arrays compared whole, by index for objects in them). */
function changedPaths(a: unknown, b: unknown, path: string): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return [path];
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].flatMap((k) => changedPaths((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], Array.isArray(a) ? `${path}[${k}]` : `${path}.${k}`));
}

/**
 * P1's lower bound: max(critical path, required calls ÷ rate limit). The critical path is one SE
 * boot plus the shortest chain of calls that can bring a VS up (the SE's server create, then the
 * VS's 2 + 2 × SEs VIP/ECMP writes one after another) at the simulator's mean latency as measured
 * in this run. The required calls are only the VIP/ECMP writes every VS needs (its SEs' own writes
 * are shared and left out, so the bound is if anything low); all of them go to the contrail API.
 */
function p1LowerBound(stats: Stats, n: number, ses: number, limit: number): { seconds: number; why: string } {
  const calls = stats.latency.reduce((c, l) => c + l.count, 0);
  const meanMs = calls > 0 ? stats.latency.reduce((t, l) => t + l.sumMs, 0) / calls : 0;
  const minPerVS = 2 + 2 * ses;
  const critical = (BOOT_MS + (1 + minPerVS) * meanMs) / 1000;
  const byRate = limit > 0 ? (n * minPerVS) / limit : 0;
  return byRate > critical
    ? { seconds: byRate, why: `${n * minPerVS} required contrail writes ÷ ${limit}/s; critical path ${critical.toFixed(2)} s` }
    : { seconds: critical, why: `critical path: boot ${BOOT_MS} ms + ${1 + minPerVS} calls × ${meanMs.toFixed(1)} ms mean latency` };
}

async function main(): Promise<void> {
  const h = await startHarness({ name: 'scale-bench', resyncSeconds: RESYNC_S, sim: { topology: wideTopology(), bootTimeMs: BOOT_MS } });
  let op = await startCompiled(h, profDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profDir}`]);
  try {
    await h.waitFor(async () => conditionsOf(await h.get('Cloud', h.cloudName))['Ready']?.status === 'True', { what: 'Cloud Ready', timeoutMs: 60_000 });
    const seCount = Math.ceil((count * sesPerVS) / perSE);
    await applyGroup(h, 'default', { maxSEs: seCount + 2, maxVSPerSE: perSE, maxScaleoutPerVS: Math.max(sesPerVS, 1) });
    await applyPool(h);
    await h.waitFor(async () => (await metrics(op)).includes('rest_client_requests_total'), { what: 'operator metrics', timeoutMs: 30_000 });
    const idle0 = await memory(op);
    console.log(`scale: ${count} VS × ${sesPerVS} SEs, maxVSPerSE ${perSE} (${seCount} SEs needed, maxSEs ${seCount + 2}), VIP subnet /16, ` +
      `simulator default latencies, boot ${BOOT_MS} ms, operator compiled (bin/ → dist/), resync ${RESYNC_S} s`);
    console.log(`P3 memory at 0 VS (idle, Cloud Ready): RSS ${MiB(idle0.rss)}, heap used ${MiB(idle0.heap)}`);
    console.log(`P3 breakdown at 0 VS [node flags: ${process.env['SCALE_BENCH_NODE_ARGS'] ?? deploymentNodeOptions()}]: ${await memoryBreakdown(op)}`);

    if (rps > 0) await h.simControl('PUT', '/sim/rate-limits', { keystone: rps, nova: rps, neutron: rps, contrail: rps });
    await h.simControl('POST', '/sim/stats/reset');
    const kubeBefore = await metrics(op);
    const t0 = performance.now();
    const names = Array.from({ length: count }, (_, i) => `scale-${String(i).padStart(5, '0')}`);
    // Bounded concurrency: the apply itself is not what is measured.
    for (let i = 0; i < names.length; i += 20) await Promise.all(names.slice(i, i + 20).map((n) => applyVS(h, { vs: n, minSEs: sesPerVS, maxSEs: sesPerVS })));
    const seen = { maxVSPerSE: 0, maxClaims: 0, samples: 0, lastSample: 0, lastProgress: performance.now(), violations: new Set<string>() };
    const sample = async (vss: VS[], settled = false): Promise<void> => {
      // VSs first, then SEs (as the capacity test does): a VS lists an SE only while it holds the claim.
      const r = checkInvariants({ groups: await h.list<GroupObj & KubeObject>('ServiceEngineGroup'), ses: await h.list<SEObj & KubeObject>('ServiceEngine'), vss: vss as unknown as VSObj[] }, { settled });
      seen.samples++;
      seen.maxVSPerSE = Math.max(seen.maxVSPerSE, r.maxVSPerSEObserved);
      seen.maxClaims = Math.max(seen.maxClaims, r.maxClaimsObserved);
      for (const v of r.violations) seen.violations.add(settled ? `settled: ${v}` : v);
    };
    await h.waitFor(async () => {
      const vss = await h.list<VS>('VirtualService');
      if (performance.now() - seen.lastSample >= SAMPLE_MS) {
        seen.lastSample = performance.now();
        await sample(vss);
      }
      const ready = vss.filter((v) => conditionsOf(v)['Ready']?.status === 'True' && v.status?.seSummary === `${sesPerVS}/${sesPerVS}`).length;
      // Progress once a minute: a run cut short still says how fast it went.
      if (performance.now() - seen.lastProgress >= 60_000) {
        seen.lastProgress = performance.now();
        console.log(`  converging: ${ready}/${count} Ready after ${((performance.now() - t0) / 1000).toFixed(0)} s`);
      }
      return ready >= count;
    }, { what: `${count} VS Ready on ${sesPerVS} SEs`, timeoutMs: Number(process.env['SCALE_BENCH_TIMEOUT_S'] ?? Math.max(900, count * 0.6)) * 1000, intervalMs: POLL_MS });
    const converge = performance.now() - t0;
    const stats = await h.simControl<Stats>('GET', '/sim/stats');
    if (rps > 0) await h.simControl('PUT', '/sim/rate-limits', { keystone: null, nova: null, neutron: null, contrail: null });
    await sample(await h.list<VS>('VirtualService'), true);
    const kubeAfter = await metrics(op);
    const writes = stats.requests.filter(isWrite);
    const vsRoutes = (r: Req): boolean => r.api === 'contrail' && ['/virtual-machine-interfaces', '/instance-ips', '/ref-update', '/ref-relax-for-delete', '/floating-ips'].includes(r.route);
    const vsWrites = sum(writes.filter(vsRoutes));
    const minPerVS = 2 + 2 * sesPerVS;
    const seWrites = sum(writes) - vsWrites;
    const kubeReqs = series(kubeAfter, 'rest_client_requests_total') - series(kubeBefore, 'rest_client_requests_total');
    console.log(`converged: all ${count} Ready in ${(converge / 1000).toFixed(1)} s; invariants sampled ${seen.samples}× (every ${SAMPLE_MS / 1000} s while converging, then once settled): ` +
      `most VSs on one SE ${seen.maxVSPerSE} by status, ${seen.maxClaims} by claims (max ${perSE}); SEs ${(await h.list<KubeObject>('ServiceEngine')).length} (maxSEs ${seCount + 2}); violations ${seen.violations.size}`);
    for (const v of [...seen.violations].slice(0, 10)) console.log(`  violation: ${v}`);
    const bound = p1LowerBound(stats, count, sesPerVS, rps);
    console.log(`P1 apply → all ${count} Ready: ${(converge / 1000).toFixed(1)} s vs lower bound ${(bound.seconds).toFixed(1)} s (${bound.why}) → ` +
      `${(converge / 1000 / bound.seconds).toFixed(2)}× (goal ≤ 1.2×); rate limit ${rps > 0 ? `${rps} requests/s per API` : 'off'}, ` +
      `${sum(stats.requests.filter((r) => r.status === 429))} requests refused with 429`);
    console.log(`P2 cloud VIP/ECMP writes per VS: ${(vsWrites / count).toFixed(2)} vs minimum ${minPerVS} → ${(vsWrites / count / minPerVS).toFixed(2)}×`);
    console.log(`P2 other cloud writes (SE creation etc.): ${seWrites} for ${(await h.list<KubeObject>('ServiceEngine')).length} SEs; all cloud writes per VS ${(sum(writes) / count).toFixed(2)}`);
    console.log(`P2 apiserver requests by the operator per VS while converging: ${(kubeReqs / count).toFixed(2)} ` +
      `(writes ${((apiserverWrites(kubeAfter) - apiserverWrites(kubeBefore)) / count).toFixed(2)} per VS)`);
    const reconciles = (m: string, controller: string): number => series(m, 'controller_runtime_reconcile_total', { controller });
    console.log(`P3 operator CPU while converging: ${cpuAndGC(kubeBefore, kubeAfter)}`);
    console.log(`P2 reconciles while converging: virtualservice ${((reconciles(kubeAfter, 'virtualservice') - reconciles(kubeBefore, 'virtualservice')) / count).toFixed(1)} per VS, ` +
      `serviceenginegroup ${reconciles(kubeAfter, 'serviceenginegroup') - reconciles(kubeBefore, 'serviceenginegroup')}, serviceengine ${reconciles(kubeAfter, 'serviceengine') - reconciles(kubeBefore, 'serviceengine')}`);
    for (const r of writes.sort((a, b) => b.count - a.count).slice(0, 12)) console.log(`  ${r.api.padEnd(9)} ${r.method.padEnd(6)} ${r.route} ${r.status}: ${r.count}`);

    // Steady state starts once nothing changes: an SE booted last still fills in its data port's
    // address (status.dataInterfaces) after every VS is Ready. Wait until the objects' versions
    // hold still over one observation period (at most 60 s), and say how long that took.
    const settle0 = performance.now();
    for (let prev = await versions(h); performance.now() - settle0 < 60_000;) {
      await new Promise((r) => setTimeout(r, RESYNC_S * 1000));
      const now = await versions(h);
      const moved = [...now].filter(([k, v]) => prev.get(k) !== v && !k.startsWith('Cloud/')).length;
      if (moved === 0) break;
      prev = now;
    }
    console.log(`  settled ${((performance.now() - settle0) / 1000).toFixed(0)} s after all Ready (no VS/SE/group/Pool version moved over ${RESYNC_S} s)`);
    // Cloud.status.lastSyncTime is a heartbeat written every LAST_SYNC_WRITE_MS (5 min): a window
    // that would straddle one starts after it, so the window measures what the VS count costs;
    // the heartbeat is reported on its own (one write per Cloud per 5 min, whatever the count).
    const stored = Date.parse((await h.get<KubeObject & { status?: { lastSyncTime?: string } }>('Cloud', h.cloudName))?.status?.lastSyncTime ?? '');
    const due = stored + LAST_SYNC_WRITE_MS;
    if (Number.isFinite(due) && due + 2 * RESYNC_S * 1000 > Date.now() && due < Date.now() + (steadyS + RESYNC_S) * 1000) {
      const waitMs = due + 2 * RESYNC_S * 1000 - Date.now();
      console.log(`  the Cloud's lastSyncTime heartbeat is due ${(Math.max(0, due - Date.now()) / 1000).toFixed(0)} s from now: the steady window starts after it (${(waitMs / 1000).toFixed(0)} s)`);
      await new Promise((r) => setTimeout(r, waitMs));
    }
    await h.simControl('POST', '/sim/stats/reset');
    const kubeSteady0 = await metrics(op);
    const server0 = await serverWrites(h);
    const rvSteady0 = await versions(h);
    const seSteady0 = new Map((await h.list<SEObj & KubeObject>('ServiceEngine')).map((o) => [o.metadata.name, o]));
    await new Promise((r) => setTimeout(r, steadyS * 1000));
    const idle = await h.simControl<Stats>('GET', '/sim/stats');
    const kubeSteady1 = await metrics(op);
    const server1 = await serverWrites(h);
    const rvSteady1 = await versions(h);
    const seSteady1 = await h.list<SEObj & KubeObject>('ServiceEngine');
    const periods = steadyS / RESYNC_S;
    const steadyReads = sum(idle.requests.filter((r) => !isWrite(r)));
    console.log(`P2 steady state over ${steadyS} s (${periods} observation periods): ${sum(idle.requests.filter(isWrite))} cloud writes (goal 0), ` +
      `${steadyReads} cloud reads = ${(steadyReads / periods).toFixed(1)} per period; apiserver requests ${series(kubeSteady1, 'rest_client_requests_total') - series(kubeSteady0, 'rest_client_requests_total')} ` +
      `(writes ${apiserverWrites(kubeSteady1) - apiserverWrites(kubeSteady0)})`);
    for (const r of idle.requests.filter(isWrite)) console.log(`  steady write: ${r.api} ${r.method} ${r.route} ${r.status}: ${r.count}`);
    const opSteadyWrites = apiserverWrites(kubeSteady1) - apiserverWrites(kubeSteady0);
    console.log(`P2 steady state: the operator's apiserver writes ${opSteadyWrites} in ${steadyS} s = ${(opSteadyWrites / count).toFixed(3)} per VS (goal 0), ` +
      `cloud writes ${sum(idle.requests.filter(isWrite))} (goal 0)${opSteadyWrites === 0 && sum(idle.requests.filter(isWrite)) === 0 ? ': met' : ': NOT met'}`);
    // Which writes: the apiserver's own per-resource count (the bench writes nothing in this window).
    const steadyChanged = [...rvSteady1].filter(([k, v]) => rvSteady0.get(k) !== v).map(([k]) => k);
    console.log(`P2 steady-state apiserver writes by resource (apiserver_request_total): ${writesBetween(server0, server1).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}; ` +
      `reconciled objects changed: ${steadyChanged.length}${steadyChanged.length > 0 ? ` (${steadyChanged.slice(0, 5).join(', ')})` : ''}`);
    const seFields = new Map<string, number>();
    for (const se of seSteady1) for (const f of changedPaths(seSteady0.get(se.metadata.name)?.status, se.status, 'status')) seFields.set(f, (seFields.get(f) ?? 0) + 1);
    if (seFields.size > 0) console.log(`  ServiceEngine status fields that changed in the window (SEs): ${[...seFields].map(([f, n]) => `${f} (${n})`).join(', ')}`);
    const cpu = (series(kubeSteady1, 'process_cpu_seconds_total') - series(kubeSteady0, 'process_cpu_seconds_total')) / steadyS;
    console.log(`P3 idle CPU at ${count} VS over the steady window: ${(cpu * 100).toFixed(2)} % of a core`);
    console.log(`P3 operator CPU in the steady window: ${cpuAndGC(kubeSteady0, kubeSteady1)}`);
    if (profDir !== undefined) {
      op.child.kill('SIGTERM');
      await op.exited;
      const f = readdirSync(profDir).find((n) => n.endsWith('.cpuprofile'));
      console.log(`P3 CPU profile of the converged operator (its last ${steadyS} s are the steady window): ${f === undefined ? 'none written' : join(profDir, f)}`);
      op = await startCompiled(h);
      await h.waitFor(async () => series(await metrics(op), 'controller_runtime_reconcile_total', { controller: 'virtualservice' }) >= count, { what: 'restarted after profiling', timeoutMs: 300_000, intervalMs: 500 });
      await new Promise((r) => setTimeout(r, 2 * RESYNC_S * 1000));
    }
    const conv = await memory(op);
    console.log(`P3 memory at ${count} VS (converged): RSS ${MiB(conv.rss)}, heap used ${MiB(conv.heap)}`);
    console.log(`P3 breakdown at ${count} VS (converged): ${await memoryBreakdown(op)}`);
    if (heapDir !== undefined) console.log(`P3 heap snapshot at ${count} VS: ${await heapSnapshot(op, heapDir)}`);

    // P4: SIGKILL and restart over the converged state.
    const rvBefore = await versions(h);
    op.child.kill('SIGKILL');
    await op.exited;
    await h.simControl('POST', '/sim/stats/reset');
    const serverRestart0 = await serverWrites(h);
    const t1 = performance.now();
    op = await startCompiled(h);
    const reconciled = async (): Promise<number> => series(await metrics(op), 'controller_runtime_reconcile_total', { controller: 'virtualservice' });
    await h.waitFor(async () => (await reconciled()) >= count, { what: `${count} VS reconciled after restart`, timeoutMs: 300_000, intervalMs: 100 });
    const found = performance.now() - t1;
    // Found converged: the operator's own count of VS reconciles that had nothing to do and wrote
    // nothing (lbop_reconcile_converged_total, checked against every request the reconcile sent).
    // Counted per reconcile, not per VS: read with the reconciles run by then (one scrape); the
    // difference is reconciles that waited (e.g. for the Cloud's first list) or wrote.
    const convergedNow = async (): Promise<[number, number]> => {
      const text = await metrics(op);
      return [series(text, 'lbop_reconcile_converged_total', { controller: 'virtualservice' }), series(text, 'controller_runtime_reconcile_total', { controller: 'virtualservice' })];
    };
    let [convergedN, reconcilesThen] = await convergedNow();
    while (convergedN < count && performance.now() - t1 < 30_000) {
      await new Promise((r) => setTimeout(r, 100));
      [convergedN, reconcilesThen] = await convergedNow();
    }
    const convergedMs = performance.now() - t1;
    // One more observation period for anything the first pass queued.
    await new Promise((r) => setTimeout(r, RESYNC_S * 1000));
    const after = await h.simControl<Stats>('GET', '/sim/stats');
    const m = await metrics(op);
    const rvAfter = await versions(h);
    const changed = [...rvAfter].filter(([k, v]) => rvBefore.get(k) !== v).map(([k]) => k);
    const kubeWrites = apiserverWrites(m);
    console.log(`P4 SIGKILL + restart with ${count} converged VS: every VS reconciled ${(found / 1000).toFixed(1)} s after the restart ` +
      `(process start included; goal ≤ 30 s); cloud writes ${sum(after.requests.filter(isWrite))} (goal 0)`);
    const allFound = convergedN >= count && convergedMs <= 30_000;
    console.log(`P4 found converged (lbop_reconcile_converged_total{controller="virtualservice"}): ${convergedN} reconciles for ${count} VSs ` +
      `within ${(convergedMs / 1000).toFixed(1)} s of the restart (goal: ${count} within 30 s)${allFound ? ': met' : ': NOT met'}; ` +
      `${reconcilesThen - convergedN} of the ${reconcilesThen} VS reconciles by then were not found converged (waited or wrote); ` +
      `pool ${series(m, 'lbop_reconcile_converged_total', { controller: 'pool' })}, serviceengine ${series(m, 'lbop_reconcile_converged_total', { controller: 'serviceengine' })}, ` +
      `serviceenginegroup ${series(m, 'lbop_reconcile_converged_total', { controller: 'serviceenginegroup' })}`);
    console.log(`P4 apiserver writes by the new process in the ${((performance.now() - t1) / 1000).toFixed(0)} s after restart: ${kubeWrites} ` +
      `(POST/PUT/PATCH/DELETE, incl. events); objects they changed: ${changed.length}${changed.length > 0 ? ` (${changed.slice(0, 5).join(', ')}…)` : ''}`);
    for (const r of after.requests.filter(isWrite)) console.log(`  restart write: ${r.api} ${r.method} ${r.route} ${r.status}: ${r.count}`);
    console.log(`P4 apiserver writes by resource after restart: ${writesBetween(serverRestart0, await serverWrites(h)).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`);

    if ((process.env['SCALE_BENCH_P3_VARIANTS'] ?? '') !== '') {
      op.child.kill('SIGTERM');
      await op.exited;
      await p3Variants(h, count, (spec) => startCompiled(h, [], spec));
      op = await startCompiled(h);
    }
    if (process.env['SCALE_BENCH_P5'] !== '0') await p5(h);

    if (process.env['SCALE_BENCH_DELETE'] !== '0') {
      // SCALE_BENCH_DELETE=0 skips this (it measures nothing; the cluster is torn down either way).
      for (let i = 0; i < names.length; i += 50) await Promise.all(names.slice(i, i + 50).map((n) => h.remove('VirtualService', n)));
      await h.waitFor(async () => (await h.list<KubeObject>('VirtualService')).length === 0, { what: 'VS deleted', timeoutMs: 600_000, intervalMs: 500 });
    }
  } finally {
    op.child.kill('SIGTERM');
    await op.exited;
    await h.stop();
  }
}

/**
 * P5: the server of the SE carrying most VIPs goes to ERROR (the simulator's host failure); its
 * VMI must leave every VIP's ECMP set — the instance-ips' virtual_machine_interface_refs, what the
 * operator programs — within one observation period + 1 s (the CloudView sees the server's status
 * on its next list, then the VS controllers remove the SE's refs). Polled every 200 ms through VNC.
 * (The simulator's routes drop a non-ACTIVE server's next hop by themselves, as a vrouter withdraws
 * a dead VM's routes, so they would not measure the operator.)
 */
async function p5(h: Harness): Promise<void> {
  const token = (await fetch(`${h.sim.urls.keystone}/v3/auth/tokens`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: 'admin-secret' } } }, scope: { project: { name: 'admin', domain: { id: 'default' } } } } }),
  })).headers.get('x-subject-token') ?? '';
  type Ref = { uuid: string };
  const vnc = async <T>(kind: string, fields: string): Promise<T[]> => {
    const r = await fetch(`${h.sim.urls.contrail}/${kind}s?detail=true&fields=${fields}`, { headers: { 'x-auth-token': token } });
    return ((await r.json()) as Record<string, { [k: string]: T }[]>)[`${kind}s`]?.map((o) => o[kind] as T) ?? [];
  };
  type IIP = { uuid: string; virtual_machine_interface_refs?: Ref[]; annotations?: { key_value_pair?: { key: string; value: string }[] } };
  // VIPs only: an SE's own addresses refer to its VMIs too, and stay.
  const iips = async (): Promise<IIP[]> => (await vnc<IIP>('instance-ip', 'virtual_machine_interface_refs,annotations'))
    .filter((i) => i.annotations?.key_value_pair?.some((kv) => kv.key === 'lbop.owner-kind' && kv.value === 'VirtualService') === true);
  const vmiServer = new Map((await vnc<{ uuid: string; virtual_machine_refs?: Ref[] }>('virtual-machine-interface', 'virtual_machine_refs'))
    .flatMap((v) => (v.virtual_machine_refs?.[0] === undefined ? [] : [[v.uuid, v.virtual_machine_refs[0].uuid] as const])));
  const carrying = (list: Awaited<ReturnType<typeof iips>>, server: string): number =>
    list.filter((i) => (i.virtual_machine_interface_refs ?? []).some((r) => vmiServer.get(r.uuid) === server)).length;
  const before = await iips();
  const per = new Map<string, number>();
  for (const i of before) for (const r of i.virtual_machine_interface_refs ?? []) { const s = vmiServer.get(r.uuid); if (s !== undefined) per.set(s, (per.get(s) ?? 0) + 1); }
  const [dead, carried] = [...per].sort((x, y) => y[1] - x[1])[0] ?? ['', 0];
  if (dead === '') { console.log('P5 skipped: no instance-ip refers to an SE'); return; }
  const boundMs = RESYNC_S * 1000 + 1000;
  const t0 = performance.now();
  console.log(`P5 server ${dead} to ERROR at ${new Date().toISOString()}`);
  await h.simControl('POST', `/sim/servers/${dead}/state`, { state: 'ERROR', message: 'bench:scale P5 host failure' });
  let left = carried;
  let firstOut = -1;
  let now: Awaited<ReturnType<typeof iips>> = before;
  // When each VIP left (ms after the failure, to the 200-ms poll): the spread says whether they
  // leave together (one trigger, fast writes) or one after another (queued behind other work).
  const outAt: number[] = [];
  const ownerOf = (i: IIP): string => i.annotations?.key_value_pair?.find((kv) => kv.key === 'lbop.owner-name')?.value ?? i.uuid;
  let lastOut: string[] = [];
  while (left > 0 && performance.now() - t0 < 120_000) {
    await new Promise((r) => setTimeout(r, 200));
    const carried0 = new Set(now.filter((i) => carrying([i], dead) > 0).map(ownerOf));
    now = await iips();
    const still = carrying(now, dead);
    for (let i = still; i < left; i++) outAt.push(performance.now() - t0);
    if (still < left) { const stillOn = new Set(now.filter((i) => carrying([i], dead) > 0).map(ownerOf)); lastOut = [...carried0].filter((n) => !stillOn.has(n)); }
    left = still;
    if (firstOut < 0 && left < carried) firstOut = performance.now() - t0;
  }
  const ms = performance.now() - t0;
  const empty = now.filter((i) => (i.virtual_machine_interface_refs ?? []).length === 0).length;
  console.log(`P5 SE server ${dead} to ERROR, in ${carried} VIPs' ECMP sets: ${left === 0 ? `out of every one in ${(ms / 1000).toFixed(1)} s` : `still in ${left} after ${(ms / 1000).toFixed(0)} s`} ` +
    `(first out after ${(firstOut / 1000).toFixed(1)} s) vs bound ${(boundMs / 1000).toFixed(0)} s (one observation period + 1 s): ${left === 0 && ms <= boundMs ? 'met' : 'NOT met'}; ` +
    `instance-ips left with no SE ${empty}`);
  const q = (f: number): string => (outAt.length === 0 ? '-' : ((outAt[Math.min(outAt.length - 1, Math.floor(f * outAt.length))] ?? 0) / 1000).toFixed(1));
  console.log(`P5 VIPs out by time after the failure: p10 ${q(0.1)} s, p50 ${q(0.5)} s, p90 ${q(0.9)} s, last ${q(1)} s (the last out: ${lastOut.slice(0, 5).join(', ')})`);
}

main().catch((e: unknown) => {
  console.error(`bench:scale failed: ${(e as Error).message}`);
  process.exitCode = 1;
});

/**
 * P3 breakdown (rss10): where the operator's RSS goes, read from outside the process so the product
 * carries no debug code — /proc/<pid>/status (anonymous vs file-backed resident pages), /proc/<pid>/smaps
 * (the brk heap, anonymous mappings, the node binary and other files) and the operator's own /metrics
 * (prom-client's V8 heap spaces and external memory). Anonymous RSS − V8 heap committed − external
 * ≈ malloc arenas, thread stacks and V8's non-heap allocations (compiler zones, code ranges).
 */
async function memoryBreakdown(op: Compiled): Promise<string> {
  const pid = op.child.pid;
  if (pid === undefined) return 'no pid';
  await metrics(op);
  await new Promise((r) => setTimeout(r, 1000));
  const m = await metrics(op);
  const kib = (text: string, key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) * 1024;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const by = new Map<string, number>();
  let current = '';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head !== null) {
      const path = head[1] ?? '';
      current = path === '' ? 'anon' : path === '[heap]' ? 'brk' : path.startsWith('[') ? path : path === process.execPath || path.endsWith('/bin/node') ? 'node binary' : path.includes('.so') ? 'shared libs' : 'other files';
      continue;
    }
    if (line.startsWith('Rss:')) by.set(current, (by.get(current) ?? 0) + kib(line, 'Rss'));
  }
  const space = (s: string, kind: string): number => series(m, `nodejs_heap_space_size_${kind}_bytes`, { space: s });
  const spaces = ['new', 'old', 'code', 'large_object', 'new_large_object', 'trusted', 'trusted_large_object', 'shared']
    .filter((s) => space(s, 'total') > 0).map((s) => `${s} ${MiB(space(s, 'used'))}/${MiB(space(s, 'total'))}`);
  const heapTotal = series(m, 'nodejs_heap_size_total_bytes');
  const external = series(m, 'nodejs_external_memory_bytes');
  const anon = kib(status, 'RssAnon');
  return `RSS ${MiB(kib(status, 'VmRSS'))} (peak ${MiB(kib(status, 'VmHWM'))}) = anon ${MiB(anon)} + file ${MiB(kib(status, 'RssFile'))}; ` +
    `smaps: ${[...by].filter(([, b]) => b >= 1048576).sort((a, b) => b[1] - a[1]).map(([k, b]) => `${k} ${MiB(b)}`).join(', ')}; ` +
    `V8 heap used/committed ${MiB(series(m, 'nodejs_heap_size_used_bytes'))}/${MiB(heapTotal)} (${spaces.join(', ')}), external ${MiB(external)}; ` +
    `anon − heap − external ≈ ${MiB(anon - heapTotal - external)} (malloc, stacks, V8 off-heap)`;
}

/**
 * SCALE_BENCH_NODE_ARGS: node flags and environment for the operator (tokens starting with `--` are
 * node flags, NAME=value tokens environment), e.g. "--max-semi-space-size=2 MALLOC_ARENA_MAX=2".
 * SCALE_BENCH_P3_VARIANTS: ';'-separated such lists; after P4 the operator is restarted over the
 * converged VSs once per variant and its memory read after it has reconciled every VS and settled.
 */
function deploymentNodeOptions(): string {
  // As the image runs it: the base Deployment's NODE_OPTIONS (V8 flags) unless SCALE_BENCH_NODE_ARGS says otherwise.
  type Env = { name: string; value?: string };
  const d = parseYAML(readFileSync(join(repoRoot, 'deploy/base/deployment.yaml'), 'utf8')) as { spec: { template: { spec: { containers: { env?: Env[] }[] } } } };
  return d.spec.template.spec.containers[0]?.env?.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '';
}

function nodeArgs(spec: string): { flags: string[]; env: Record<string, string> } {
  const tokens = (spec === 'base' ? deploymentNodeOptions() : spec).split(/\s+/).filter((t) => t !== '');
  return {
    flags: tokens.filter((t) => t.startsWith('--')),
    env: Object.fromEntries(tokens.filter((t) => !t.startsWith('--')).map((t) => [t.slice(0, t.indexOf('=')), t.slice(t.indexOf('=') + 1)])),
  };
}

async function p3Variants(h: Harness, n: number, start: (spec: string) => Promise<Compiled>): Promise<void> {
  const variants = (process.env['SCALE_BENCH_P3_VARIANTS'] ?? '').split(';').map((v) => v.trim()).filter((v) => v !== '');
  for (const v of variants) {
    const op = await start(v);
    try {
      const t = performance.now();
      await h.waitFor(async () => series(await metrics(op), 'controller_runtime_reconcile_total', { controller: 'virtualservice' }) >= n, { what: `${n} VS reconciled (${v})`, timeoutMs: 300_000, intervalMs: 500 });
      const took = (performance.now() - t) / 1000;
      const first = await metrics(op);
      // Settle: two observation periods and 20 s more, so the restart's allocation peak is behind.
      await new Promise((r) => setTimeout(r, 2 * RESYNC_S * 1000 + 20_000));
      const cpu0 = series(await metrics(op), 'process_cpu_seconds_total');
      // Idle CPU over SCALE_BENCH_P3_CPU_S seconds (20): at a few % of a core, short windows are noisy.
      const cpuS = Number(process.env['SCALE_BENCH_P3_CPU_S'] ?? 20);
      await new Promise((r) => setTimeout(r, cpuS * 1000));
      const cpu = (series(await metrics(op), 'process_cpu_seconds_total') - cpu0) / cpuS;
      console.log(`P3 variant [${v}] CPU from start to all reconciled: ${cpuAndGC('', first)}`);
      console.log(`P3 variant [${v}] restarted over ${n} converged VS (all reconciled in ${took.toFixed(1)} s, idle CPU ${(cpu * 100).toFixed(2)} %): ${await memoryBreakdown(op)}`);
    } finally {
      op.child.kill('SIGTERM');
      await op.exited;
    }
  }
}

/** CPU-seconds of the operator between two /metrics scrapes, and the part V8's GC took (prom-client's nodejs_gc_duration_seconds). */
function cpuAndGC(before: string, after: string): string {
  const d = (name: string, want: Record<string, string> = {}): number => series(after, name, want) - (before === '' ? 0 : series(before, name, want));
  const gc = ['minor', 'major', 'incremental', 'weakcb'].map((kind) => `${kind} ${d('nodejs_gc_duration_seconds_sum', { kind }).toFixed(1)} s (${d('nodejs_gc_duration_seconds_count', { kind })})`);
  return `${d('process_cpu_seconds_total').toFixed(1)} CPU-s, GC ${d('nodejs_gc_duration_seconds_sum').toFixed(1)} s: ${gc.join(', ')}`;
}
