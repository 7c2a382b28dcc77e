// bench:seapi — what 1000 SE agents heartbeating cost the operator: one SE API server (a child
// process, so its CPU and memory are its own) and 1000 in-process agents with real mTLS client
// certificates heartbeating every 2 s with jitter for ~30 s. The agents are, by default, the
// product's own: src/agent/channel.ts's Channel (its config long-poll, heartbeats and connection
// handling as the se-agent runs them); SEAPI_BENCH_CLIENT=https swaps in a bare HTTP/1.1
// keep-alive client (one connection each, heartbeats only), which is also what the floor below is
// measured with: a bare node https server with the same TLS options and connections.
// Prints the server's CPU (% of one core), extra RSS, and the heartbeat processing lag: the delay
// from the agent building a heartbeat to the server having accepted it (p50/p99, measured in the
// server) and the server's own event-loop delay. Goal: < 10 % of a core, < 50 MB, < 200 ms.
// Asserts nothing.
//   npm run bench:seapi      (env SEAPI_BENCH_AGENTS, default 1000; SEAPI_BENCH_SECONDS, default 30;
//                             SEAPI_BENCH_CLIENT channel | https)
import { execFileSync, fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import https from 'node:https';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Channel } from '../../src/agent/channel.js';
import { silentLogger } from '../../src/runtime/log.js';
import {
  AgentRegistry, caFromPEM, createCA, createKeyAndCSR, defaultSEApiConfig, DesiredConfigs, issueClientCertificate, issueServerCertificate, startSEApi, verifyCSR,
  type Heartbeat, type VipIntent,
} from '../../src/seapi/index.js';

const AGENTS = Number(process.env['SEAPI_BENCH_AGENTS'] ?? 1000);
const SECONDS = Number(process.env['SEAPI_BENCH_SECONDS'] ?? 30);
const INTERVAL_MS = 2000;
const BOOT_SPREAD_MS = Number(process.env['SEAPI_BENCH_BOOT_SPREAD_MS'] ?? 10_000);
const NS = 'bench';
const CLIENT = process.env['SEAPI_BENCH_CLIENT'] === 'https' ? 'https' : 'channel';

type ToServer = { op: 'start' } | { op: 'end' } | { op: 'exit' };
type Memory = { rss: number; heapUsed: number; heapTotal: number; external: number };
type FromServer = { op: 'ready'; url: string; mem: Memory } | { op: 'started' } | { op: 'ended'; cpuMs: number; wallMs: number; mem: Memory; loopP99Ms: number; loopMaxMs: number; heartbeats: number; lagP50Ms: number; lagP99Ms: number; tlsConnections: number };

function vips(i: number): VipIntent[] {
  return [0, 1].map((v) => ({
    id: `${NS}/vs-${i}/${v}`, virtualService: { namespace: NS, name: `vs-${i}`, uid: randomUUID() }, address: `20.0.${v}.${i % 250}`,
    listeners: [{ port: 80, protocol: 'TCP', http: false }],
    pool: { name: `${NS}/pool-${i}`, algorithm: 'leastconn', members: [1, 2, 3].map((m) => ({ id: `20.1.0.${m}:80`, ip: `20.1.0.${m}`, port: 80, weight: 1, enabled: true })) },
    draining: false, drainTimeoutSeconds: 30,
  }));
}

// ---------------------------------------------------------------------------------------------
// The server processes

/** Answers the parent's start / end / exit with this process's CPU, memory and event-loop delay. */
function reportTo(url: string, close: () => Promise<void>, handled: () => number, lags: number[] = [], tls: () => number = () => NaN): void {
  const memory = (): Memory => {
    global.gc?.(); // what is held, not garbage not yet collected
    const m = process.memoryUsage();
    return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external };
  };
  const loop = monitorEventLoopDelay({ resolution: 20 }) // a coarse sampler: a 1 ms timer would itself cost ~1 % of a core;
  let cpu0 = process.cpuUsage();
  let t0 = performance.now();
  let handled0 = 0;
  process.on('message', (m: ToServer) => {
    if (m.op === 'start') {
      cpu0 = process.cpuUsage();
      t0 = performance.now();
      handled0 = handled();
      lags.length = 0;
      loop.reset();
      loop.enable();
      process.send?.({ op: 'started' } satisfies FromServer);
    } else if (m.op === 'end') {
      loop.disable();
      const cpu = process.cpuUsage(cpu0);
      const wallMs = performance.now() - t0;
      process.send?.({
        op: 'ended', cpuMs: (cpu.user + cpu.system) / 1000, wallMs, mem: memory(),
        loopP99Ms: loop.percentile(99) / 1e6, loopMaxMs: loop.max / 1e6, heartbeats: handled() - handled0,
        lagP50Ms: pct(lags, 50), lagP99Ms: pct(lags, 99), tlsConnections: tls(),
      } satisfies FromServer);
    } else void close().then(() => process.exit(0));
  });
  process.send?.({ op: 'ready', url, mem: memory() } satisfies FromServer);
}

async function server(): Promise<void> {
  const ca = await caFromPEM(process.env['SEAPI_BENCH_CA_CERT'] as string, process.env['SEAPI_BENCH_CA_KEY'] as string);
  const configs = new DesiredConfigs();
  for (let i = 0; i < AGENTS; i++) configs.put({ namespace: NS, name: `se-${i}`, uid: randomUUID() }, vips(i));
  // The registry as the server makes it, plus the lag of every accepted heartbeat (sentAt → accepted).
  const lags: number[] = [];
  const agents = new AgentRegistry({ timeoutMs: defaultSEApiConfig(NS).heartbeatTimeoutMs });
  const accept = agents.accept.bind(agents);
  agents.accept = (key, serverID, hb, now) => {
    lags.push(Date.now() - Date.parse(hb.sentAt));
    return accept(key, serverID, hb, now);
  };
  const api = await startSEApi({ config: defaultSEApiConfig(NS, { addr: { host: '127.0.0.1', port: 0 } }), configs, ca, agents });
  reportTo(api.url, () => api.close(), () => [...api.agents.keys()].reduce((n, k) => n + (api.agents.get(k)?.sequence ?? 0), 0), lags, () => established(new URL(api.url).port));
}

/** TCP connections established to PORT now (the kernel's count: what the agents hold). */
function established(port: string): number {
  return execFileSync('ss', ['-Htn', 'state', 'established', `( sport = :${port} )`], { encoding: 'utf8' }).split('\n').filter((l) => l.trim() !== '').length;
}

/** Node's own cost: a bare https server with the SE API's TLS options that reads each body and answers {}. */
async function bareServer(): Promise<void> {
  const ca = await caFromPEM(process.env['SEAPI_BENCH_CA_CERT'] as string, process.env['SEAPI_BENCH_CA_KEY'] as string);
  const cert = await issueServerCertificate(ca, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] }, 3600_000);
  let handled = 0;
  const srv = https.createServer({ key: cert.keyPem, cert: cert.certPem, ca: ca.bundlePem, requestCert: true, rejectUnauthorized: false, keepAliveTimeout: 30_000 }, (req, res) => {
    req.resume();
    req.on('end', () => {
      handled++;
      res.end('{}');
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = String((srv.address() as { port: number }).port);
  reportTo(`https://127.0.0.1:${port}`, () => new Promise((r) => {
    srv.close(() => r());
    srv.closeAllConnections();
  }), () => handled, [], () => established(port));
}

// ---------------------------------------------------------------------------------------------
// The agents (this process)

function heartbeat(bootID: string, sequence: number, i: number): Heartbeat {
  return {
    bootID, sequence, sentAt: new Date().toISOString(), agentVersion: 'bench', applied: { version: 1, hash: 'h' },
    vips: vips(i).map((v) => ({
      id: v.id, listeners: [{ port: 80, up: true }],
      members: v.pool.members.map((m) => ({ id: m.id, status: 'UP' as const, currentConnections: 3, totalConnections: 1000 + sequence })),
      currentConnections: 9, totalConnections: 3000 + sequence, bytesIn: 1e6 + sequence, bytesOut: 5e6 + sequence, requests: 3000 + sequence,
      errors: { http4xx: 0, http5xx: 0, connection: 0 }, responseTimeMs: 2,
    })),
    se: { cpuPercent: 12.5, memoryBytes: 512 * 1024 * 1024 },
  };
}

function post(agent: https.Agent, url: URL, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const mb = (b: number): string => `${(b / 1048576).toFixed(1)} MB`;

async function main(): Promise<void> {
  console.log(`bench:seapi (node ${process.version}): ${AGENTS} agents, heartbeat every ${INTERVAL_MS} ms ± 10 %, ${SECONDS} s measured`);
  const caPem = await createCA('bench CA');
  const ca = await caFromPEM(caPem.certPem, caPem.keyPem);
  const t = performance.now();
  const creds: Array<{ certPem: string; keyPem: string; serverID: string }> = [];
  for (let i = 0; i < AGENTS; i++) {
    const { keyPem, csrPem } = await createKeyAndCSR();
    const serverID = randomUUID();
    const issued = await issueClientCertificate(ca, await verifyCSR(csrPem), { namespace: NS, name: `se-${i}`, serverID }, 3600_000);
    creds.push({ certPem: issued.certificatePem, keyPem, serverID });
  }
  console.log(`setup: ${AGENTS} keys + CSRs + client certificates in ${((performance.now() - t) / 1000).toFixed(1)} s (${((performance.now() - t) / AGENTS).toFixed(2)} ms each)`);

  const spawnServer = (mode: 'server' | 'bare') => fork(fileURLToPath(import.meta.url), [mode], {
    execArgv: ['--expose-gc', '--import', 'tsx', ...(process.env['SEAPI_BENCH_NODE_FLAGS'] ?? '').split(' ').filter((f) => f !== ''), ...(process.env['SEAPI_BENCH_PROF'] && mode === 'server' ? ['--cpu-prof', '--cpu-prof-dir=.local/prof'] : [])],
    env: { ...process.env, SEAPI_BENCH_CA_CERT: caPem.certPem, SEAPI_BENCH_CA_KEY: caPem.keyPem },
  });

  /**
   * AGENTS product agents (Channel) at URL, each with its certificate already in its state
   * directory (as after enrollment); `failures` counts their warnings (a heartbeat or a poll failed).
   */
  function channels(url: string): { failures: () => number; why: () => string; stop: () => Promise<void> } {
    const root = mkdtempSync(join(tmpdir(), 'lbop-seapi-bench-'));
    let failures = 0;
    const why = new Map<string, number>();
    const log = silentLogger();
    const warn = log.warn.bind(log);
    log.warn = ((msg: unknown, meta?: unknown) => {
      failures++;
      const k = `${String(msg)}: ${String((meta as { error?: unknown } | undefined)?.error ?? '')}`.slice(0, 120);
      why.set(k, (why.get(k) ?? 0) + 1);
      return warn(String(msg), meta);
    }) as typeof log.warn;
    const all = creds.map((c, i) => {
      const stateDir = join(root, `se-${i}`);
      mkdirSync(stateDir);
      writeFileSync(join(stateDir, 'client.key'), c.keyPem, { mode: 0o600 });
      writeFileSync(join(stateDir, 'client.json'), JSON.stringify({ certificate: c.certPem, caBundle: ca.bundlePem }), { mode: 0o600 });
      const boot = randomUUID();
      let seq = 0;
      let applied = 0;
      const channel = new Channel({
        identity: {
          serverID: c.serverID,
          bootstrap: {
            kind: 'contrail-lb-operator/se-bootstrap', version: 1, serviceEngine: { namespace: NS, name: `se-${i}`, uid: randomUUID() },
            controllerURLs: [url], caBundle: ca.bundlePem, bootstrapToken: 'unused-the-certificate-is-there', heartbeatIntervalMs: INTERVAL_MS,
          },
        },
        stateDir, log,
        onConfig: async (cfg) => {
          applied = (cfg as { version: number }).version;
        },
        heartbeat: async () => heartbeat(boot, ++seq, i),
        appliedVersion: () => applied,
      });
      // Agents booting at random times: their first connections (two handshakes each) spread over
      // BOOT_SPREAD_MS, so the bench's one process can make them; the window measures the steady state.
      const run = new Promise((r) => setTimeout(r, Math.random() * BOOT_SPREAD_MS)).then(() => channel.run());
      return { channel, run };
    });
    return {
      failures: () => failures,
      why: () => [...why].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k, n]) => `${n}× ${k}`).join('; '),
      stop: async () => {
        for (const a of all) a.channel.stop();
        await Promise.all(all.map((a) => a.run));
        rmSync(root, { recursive: true, force: true });
      },
    };
  }

  /** AGENTS agents heartbeating at `mode`'s server: a warm-up, then `seconds` measured. */
  async function load(mode: 'server' | 'bare', seconds: number, client: 'channel' | 'https') {
    const child = spawnServer(mode);
    const next = (): Promise<FromServer> => new Promise((resolve) => child.once('message', (m: FromServer) => resolve(m)));
    const ready = await next();
    if (ready.op !== 'ready') throw new Error(`${mode} server did not start`);
    const url = new URL('/v1/heartbeat', ready.url);
    const deadline = performance.now() + (seconds + 60) * 1000; // a bound; the loops end at `stop`
    const rtts: number[] = [];
    let measuring = false;
    let stop = false;
    let failures = 0;
    const agents = client === 'https' ? creds.map((c) => new https.Agent({ keepAlive: true, maxSockets: 1, cert: c.certPem, key: c.keyPem, ca: ca.bundlePem })) : [];
    const product = client === 'channel' ? channels(ready.url) : undefined;
    const runs = agents.map(async (agent, i) => {
      const boot = randomUUID();
      // Spread the first beats (and TLS handshakes) over one interval, as agents booting at random times would.
      await new Promise((r) => setTimeout(r, Math.random() * INTERVAL_MS));
      for (let seq = 1; !stop && performance.now() < deadline && seq < 10_000; seq++) {
        const started = performance.now();
        const status = await post(agent, url, JSON.stringify(heartbeat(boot, seq, i))).catch(() => 0);
        if (status !== 200) failures++;
        if (measuring) rtts.push(performance.now() - started);
        if (stop) break;
        await new Promise((r) => setTimeout(r, Math.max(0, INTERVAL_MS * (0.9 + Math.random() * 0.2) - (performance.now() - started))));
      }
    });
    await new Promise((r) => setTimeout(r, (client === 'channel' ? BOOT_SPREAD_MS : INTERVAL_MS) + 4000)); // warm-up: every agent connected and past its first beat
    const failures0 = product?.failures() ?? failures;
    child.send({ op: 'start' } satisfies ToServer);
    await next();
    measuring = true;
    await new Promise((r) => setTimeout(r, seconds * 1000));
    measuring = false;
    child.send({ op: 'end' } satisfies ToServer);
    const end = await next();
    const failed = (product?.failures() ?? failures) - failures0;
    stop = true;
    await Promise.all(runs);
    for (const a of agents) a.destroy();
    await product?.stop();
    child.send({ op: 'exit' } satisfies ToServer);
    if (end.op !== 'ended') throw new Error(`${mode} server did not report`);
    return { ready, end, rtts, failures: failed, why: product?.why() ?? '' };
  }

  console.log(`agents: ${CLIENT === 'channel' ? 'the product\'s Channel (src/agent/channel.ts: config long-poll + heartbeats)' : 'a bare HTTP/1.1 keep-alive client, heartbeats only'}`);
  const bare = await load('bare', Math.min(10, SECONDS), 'https');
  const seapi = await load('server', SECONDS, CLIENT);
  const { ready, end, rtts, failures, why } = seapi;
  const cpu = (e: typeof end): number => (100 * e.cpuMs) / e.wallMs;
  const extra = (r: typeof ready, e: typeof end): number => e.mem.rss - r.mem.rss;
  if (ready.op !== 'ready' || bare.ready.op !== 'ready') throw new Error('unreachable');
  console.log(`heartbeats handled in the window: ${end.heartbeats} (${(end.heartbeats / (end.wallMs / 1000)).toFixed(0)}/s), failed requests: ${failures}${why !== '' ? ` (over the whole run: ${why})` : ''}; TCP connections to the server at the end: ${end.tlsConnections} (bare: ${bare.end.op === 'ended' ? bare.end.tlsConnections : NaN})`);
  console.log(`server CPU: ${cpu(end).toFixed(1)} % of one core (goal < 10 %); a bare node https server with the same TLS options taking the same heartbeats: ${cpu(bare.end).toFixed(1)} %`);
  // CPU per heartbeat handled, and what that costs at the nominal rate: on a busy machine the agents
  // fall behind the schedule, and the % above then understates the server's cost.
  const perBeat = (e: typeof end): number => (1000 * e.cpuMs) / Math.max(1, e.heartbeats);
  const nominal = AGENTS / (INTERVAL_MS / 1000);
  console.log(`server CPU per heartbeat: ${perBeat(end).toFixed(0)} µs → ${((perBeat(end) * nominal) / 1e4).toFixed(1)} % of a core at the nominal ${nominal} heartbeats/s (bare: ${perBeat(bare.end).toFixed(0)} µs → ${((perBeat(bare.end) * nominal) / 1e4).toFixed(1)} %)`);
  console.log(`server RSS: ${mb(ready.mem.rss)} idle → ${mb(end.mem.rss)} with ${AGENTS} agents connected: +${mb(extra(ready, end))} (goal < 50 MB); ` +
    `of it JS heap used +${mb(end.mem.heapUsed - ready.mem.heapUsed)} (committed +${mb(end.mem.heapTotal - ready.mem.heapTotal)}: V8 grows the young generation with the allocation rate), external +${mb(end.mem.external - ready.mem.external)}`);
  console.log(`  the bare node https server with the same ${AGENTS} mTLS keep-alive connections: +${mb(extra(bare.ready, bare.end))} ` +
    `(${(extra(bare.ready, bare.end) / AGENTS / 1024).toFixed(0)} KB per connection); the SE API's own share: +${mb(extra(ready, end) - extra(bare.ready, bare.end))}`);
  console.log(`heartbeat lag, built by the agent → accepted by the server: p50 ${end.lagP50Ms.toFixed(1)} ms, p99 ${end.lagP99Ms.toFixed(1)} ms (includes this process's own scheduling of ${AGENTS} agents)`);
  if (rtts.length > 0) console.log(`heartbeat round trip seen by the agents: p50 ${pct(rtts, 50).toFixed(1)} ms, p99 ${pct(rtts, 99).toFixed(1)} ms (${rtts.length} samples)`);
  console.log(`server event-loop delay: p99 ${end.loopP99Ms.toFixed(1)} ms, max ${end.loopMaxMs.toFixed(1)} ms (processing lag bound; goal < 200 ms)`);
}

if (process.argv[2] === 'server') await server();
else if (process.argv[2] === 'bare') await bareServer();
else await main();
