// bench:agent — the SE agent's apply path against a real HAProxy on 127.0.0.1 with real HTTP
// backends: config change → applied (p50/p99 ms) for Runtime-API member changes (weight,
// enable/disable) and for reload-type changes (algorithm), and failed requests during 100
// reloads under continuous load (goal 0). The applier runs in-process (what the agent runs on
// every config it receives); prints figures, asserts nothing.
// Then the whole reload path, operator to serving worker, with a timestamp at each step: the
// operator puts a new desired config (DesiredConfigs.put, what the controllers do) → the SE API
// (startSEApi, mTLS on 127.0.0.1) answers the agent's held long-poll → the product's Channel hands
// it to the applier (onConfig) → rendered and written → `haproxy -c` → the server-state file
// (`show servers state`) → the master's reload → the new worker answers on the stats socket. The
// steps are timed by wrapping the HAProxy object's check / command / reload and the Channel's
// onConfig, so the product code runs unchanged.
// The detection times of the two detectors (heartbeat → AgentConnected=False; the data path's
// health check → out of ECMP) need the operator and the netns fabric: bench:dataplane prints them
// (test/bench/dataplane/detection.ts).
//   npm run bench:agent        (env AGENT_BENCH_N, default 100 changes of each kind)
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Applier, statePaths, type ApplyOutcome } from '../../src/agent/applier.js';
import { HAProxy } from '../../src/agent/haproxy/runner.js';
import { NoVipAddresser } from '../../src/agent/vip.js';
import { silentLogger } from '../../src/runtime/log.js';
import { Channel } from '../../src/agent/channel.js';
import { caFromPEM, createCA, createKeyAndCSR, defaultSEApiConfig, DesiredConfigs, issueClientCertificate, startSEApi, verifyCSR, type Heartbeat } from '../../src/seapi/index.js';
import { freePort, httpVip, loadLoop, seConfig, startBackend, type Backend } from '../agent/support.js';
import type { VipIntent } from '../../src/seapi/protocol.js';

const n = Number(process.env['AGENT_BENCH_N'] ?? 100);

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'lbop-agent-bench-'));
  const a = await startBackend('a');
  const b = await startBackend('b');
  const port = await freePort();
  const paths = statePaths(dir);
  const log = silentLogger();
  const haproxy = new HAProxy({ binary: 'haproxy', paths: { config: paths.config, masterSocket: join(dir, 'master.sock'), statsSocket: paths.statsSocket, pidFile: join(dir, 'haproxy.pid'), serverStateFile: paths.serverStateFile }, log });
  const applier = new Applier({ haproxy, vips: new NoVipAddresser(), paths, log, serviceEngine: { namespace: 'lbop-bench', name: 'se', uid: '0' } });
  let last: ApplyOutcome = 'unchanged';
  applier.onApplied = (o) => { last = o; };
  try {
    await applier.boot();
    let version = 1;
    const apply = async (algorithm: 'roundrobin' | 'leastconn', weightB: number, enabledB: boolean): Promise<{ ms: number; outcome: ApplyOutcome }> => {
      version++;
      const cfg = seConfig(version, [httpVip({ name: 'web', port, algorithm, backends: [{ backend: a }, { backend: b, weight: weightB, enabled: enabledB }] })]);
      const t0 = performance.now();
      await applier.offer(cfg);
      return { ms: performance.now() - t0, outcome: last };
    };
    await apply('roundrobin', 1, true);

    const runtime: number[] = [];
    for (let i = 0; i < n; i++) {
      const r = await apply('roundrobin', 1 + (i % 5), i % 7 !== 3);
      if (r.outcome !== 'runtime') throw new Error(`member change applied by ${r.outcome}`);
      runtime.push(r.ms);
    }
    console.log(`member change (weight / enable) → applied via Runtime API, ${n} changes: p50 ${pct(runtime, 50).toFixed(1)} ms, p99 ${pct(runtime, 99).toFixed(1)} ms (goal p99 ≤ 500 ms)`);

    const load = loadLoop(port, { clients: 4, maxMs: 300_000 });
    const reload: number[] = [];
    for (let i = 0; i < n; i++) {
      const r = await apply(i % 2 === 0 ? 'leastconn' : 'roundrobin', 1, true);
      if (r.outcome !== 'reload') throw new Error(`reload-type change applied by ${r.outcome}`);
      reload.push(r.ms);
    }
    const result = await load.stop();
    console.log(`reload-type change (algorithm) → applied (haproxy -c + seamless reload + new worker serving), ${n} changes: p50 ${pct(reload, 50).toFixed(1)} ms, p99 ${pct(reload, 99).toFixed(1)} ms (goal ≤ 2000 ms)`);
    console.log(`requests during ${n} reloads under load (4 clients, a new connection each): ${result.ok + result.failed}, failed ${result.failed}${result.errors.length > 0 ? ` (${result.errors.slice(0, 3).join('; ')})` : ''} (goal 0)`);

    await throughTheSEApi({ applier, haproxy, port, a, b, dir, version });
  } finally {
    await haproxy.stop();
    await a.close();
    await b.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The steps of one reload-type change, operator → serving worker (ms since the operator's put). */
interface Steps { wake: number; rendered: number; checked: number; stateSaved: number; reloaded: number; applied: number }

async function throughTheSEApi(o: { applier: Applier; haproxy: HAProxy; port: number; a: Backend; b: Backend; dir: string; version: number }): Promise<void> {
  const { applier, haproxy, port } = o;
  const se = { namespace: 'lbop-test', name: 'se-1', uid: '00000000-0000-4000-8000-000000000001' };
  const caPem = await createCA('bench CA');
  const ca = await caFromPEM(caPem.certPem, caPem.keyPem);
  const configs = new DesiredConfigs(() => ({ version: o.version, hash: '' }));
  const vip = (algorithm: 'roundrobin' | 'leastconn'): VipIntent => httpVip({ name: 'web', port, algorithm, backends: [{ backend: o.a }, { backend: o.b }] });
  configs.put(se, [vip('roundrobin')]);
  const api = await startSEApi({ config: defaultSEApiConfig('lbop-test', { addr: { host: '127.0.0.1', port: 0 } }), configs, ca });
  // The agent's state directory as after enrollment: its key and certificate already there.
  const stateDir = join(o.dir, 'agent');
  await mkdir(stateDir);
  const serverID = randomUUID();
  const { keyPem, csrPem } = await createKeyAndCSR();
  const issued = await issueClientCertificate(ca, await verifyCSR(csrPem), { ...se, serverID }, 3600_000);
  await writeFile(join(stateDir, 'client.key'), keyPem, { mode: 0o600 });
  await writeFile(join(stateDir, 'client.json'), JSON.stringify({ certificate: issued.certificatePem, caBundle: ca.bundlePem }), { mode: 0o600 });

  // Timestamps: `t0` the operator's put; the wrappers below note each step of the change in flight.
  let t0 = 0;
  let at: Partial<Steps> = {};
  const mark = (k: keyof Steps): void => {
    at[k] ??= performance.now() - t0;
  };
  const check = haproxy.check.bind(haproxy);
  haproxy.check = async (path) => {
    mark('rendered');
    try { return await check(path); } finally { mark('checked'); }
  };
  const command = haproxy.command.bind(haproxy);
  haproxy.command = async (cmd) => {
    try { return await command(cmd); } finally { if (cmd === 'show servers state') mark('stateSaved'); }
  };
  const reload = haproxy.reload.bind(haproxy);
  haproxy.reload = async () => {
    try { await reload(); } finally { mark('reloaded'); }
  };
  let applied: ((v: number) => void) | undefined;
  const channel = new Channel({
    identity: {
      serverID,
      bootstrap: { kind: 'contrail-lb-operator/se-bootstrap', version: 1, serviceEngine: se, controllerURLs: [api.url], caBundle: ca.bundlePem, bootstrapToken: 'unused-the-certificate-is-there', heartbeatIntervalMs: 2000 },
    },
    stateDir, log: silentLogger(),
    onConfig: async (cfg) => {
      mark('wake');
      await applier.offer(cfg);
      mark('applied');
      applied?.(applier.applied.version);
    },
    heartbeat: async (): Promise<Heartbeat> => ({ bootID: serverID, sequence: ++beats, sentAt: new Date().toISOString(), agentVersion: 'bench', applied: applier.applied, vips: [], se: { cpuPercent: 0, memoryBytes: 0 } }),
    appliedVersion: () => applier.applied.version,
  });
  let beats = 0;
  const running = channel.run();
  const load = loadLoop(port, { clients: 4, maxMs: 300_000 });
  const steps: Steps[] = [];
  try {
    await waitApplied(() => applier.applied.version === configs.get(`${se.namespace}/${se.name}`)?.version, 15_000);
    for (let i = 0; i < n; i++) {
      const target = new Promise<number>((r) => { applied = r; });
      at = {};
      t0 = performance.now();
      const put = configs.put(se, [vip(i % 2 === 0 ? 'leastconn' : 'roundrobin')]);
      for (let v = await bounded(target, 15_000); v !== put.version; v = await bounded(new Promise<number>((r) => { applied = r; }), 15_000));
      const s = at as Steps;
      if (s.reloaded === undefined) throw new Error('a reload-type change was not applied by a reload');
      steps.push(s);
    }
  } finally {
    channel.stop();
    await running;
    await api.close();
  }
  const result = await load.stop();
  const row = (label: string, from: (s: Steps) => number, to: (s: Steps) => number): string => {
    const d = steps.map((s) => to(s) - from(s));
    return `  ${label.padEnd(58)} p50 ${pct(d, 50).toFixed(1).padStart(7)} ms, p99 ${pct(d, 99).toFixed(1).padStart(7)} ms`;
  };
  console.log(`reload-type change through the SE API, operator → new worker serving, ${n} changes (step: p50 / p99 of that step alone):`);
  console.log(row('operator put → long-poll answered, agent has it', () => 0, (s) => s.wake));
  console.log(row('validate + render + write the candidate', (s) => s.wake, (s) => s.rendered));
  console.log(row('haproxy -c', (s) => s.rendered, (s) => s.checked));
  console.log(row('VIP addresses + rename + show servers state → file', (s) => s.checked, (s) => s.stateSaved));
  console.log(row('master reload → new worker answers on the stats socket', (s) => s.stateSaved, (s) => s.reloaded));
  console.log(row('after the reload (addresses, last-good, cert sweep)', (s) => s.reloaded, (s) => s.applied));
  console.log(row('total: operator put → applied (goal p99 ≤ 2000 ms)', () => 0, (s) => s.applied));
  console.log(`  requests during these ${n} reloads under load: ${result.ok + result.failed}, failed ${result.failed}${result.errors.length > 0 ? ` (${result.errors.slice(0, 3).join('; ')})` : ''}`);
}

async function waitApplied(ok: () => boolean, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  while (!ok()) {
    if (performance.now() > deadline) throw new Error('the agent did not apply the first config through the SE API');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function bounded<T>(p: Promise<T>, ms: number): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<T>((_, reject) => { t = setTimeout(() => reject(new Error(`not applied within ${ms} ms`)), ms); })]).finally(() => clearTimeout(t));
}

main().then(() => process.exit(0), (e: unknown) => {
  console.error(`bench:agent: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
