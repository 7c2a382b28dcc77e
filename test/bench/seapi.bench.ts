// bench:seapi — what 1000 SE agents heartbeating cost the operator. Three kinds of process, so
// nobody's CPU is someone else's:
//   - the SE API server (startSEApi, as the operator runs it) in a child process of its own: its
//     CPU, RSS and event-loop delay are the operator's;
//   - the agents, split over SEAPI_BENCH_PROCS child processes (default 4), each running the
//     product's Channel (src/agent/channel.ts: config long-poll, heartbeats every 2 s ± 10 %, its
//     connection handling) for its share, each agent with its own mTLS client certificate already
//     in its state directory (as after enrollment); every agent process reports its own send-side
//     figures (heartbeats built / acked, round trips, failures, its CPU and event-loop delay) over IPC;
//   - this process, which makes the certificates, starts the others and prints.
// The floor is the same agents against a bare node https server with the SE API's TLS options that
// speaks just enough of the protocol for the Channel to behave as against the real one (a config
// answered once, then long-polls held; heartbeats parsed and acked): node's own cost of the same
// connections and requests.
//
// Processing lag: for each heartbeat the server accepts, the server's clock at acceptance
// (AgentRegistry.accept) minus the heartbeat's sentAt, which the agent stamps when it builds the
// heartbeat just before serialising and sending it (one machine, one clock). It includes the agent
// process's own send, the kernel, TLS, and the server's read, parse and validation. Printed with
// the server's event-loop delay and the agents' round trip (built → ack received), so a lag can be
// placed: a server loop delay near the lag → the server; agents' own loop delay near it → the
// agents' processes were starved. Each agent process also times every heartbeat's own phases
// (https.Agent queue → socket; on a new socket, connect + TLS handshake; written; answer's first
// byte), which is what placed the multi-second lags of a starved machine in the reconnects'
// handshakes (docs/se-api.md).
// Goals (issue 13): < 10 % of a core, < 50 MB extra RSS, < 200 ms processing lag. Asserts nothing.
//   npm run bench:seapi      (env SEAPI_BENCH_AGENTS, default 1000; SEAPI_BENCH_SECONDS, default 30;
//                             SEAPI_BENCH_PROCS, default 4 (1 = every agent in one process, the
//                             old setup); SEAPI_BENCH_CLIENT channel | https (a bare keep-alive
//                             client, one connection each, heartbeats only); SEAPI_BENCH_PROF=1
//                             writes the server's CPU profile to .local/prof/)
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import https from 'node:https';
import { randomUUID } from 'node:crypto';
import { AsyncLocalStorage } from 'node:async_hooks';
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
const PROCS = Math.max(1, Number(process.env['SEAPI_BENCH_PROCS'] ?? 4));
const INTERVAL_MS = 2000;
const BOOT_SPREAD_MS = Number(process.env['SEAPI_BENCH_BOOT_SPREAD_MS'] ?? 10_000);
const NS = 'bench';
const CLIENT: Client = process.env['SEAPI_BENCH_CLIENT'] === 'https' ? 'https' : 'channel';
const LAG_GOAL_MS = 200;
const CPU_GOAL = 10;
const RSS_GOAL_MB = 50;
const LOOP_RESOLUTION_MS = 20;

type Client = 'channel' | 'https';
type Memory = { rss: number; heapUsed: number; heapTotal: number; external: number };
/** Parent → server, and parent → agent process. */
type Control = { op: 'start' } | { op: 'end' } | { op: 'exit' };
type FromServer = { op: 'ready'; url: string; mem: Memory } | { op: 'started' } | { op: 'ended'; cpuMs: number; wallMs: number; mem: Memory; loopP99Ms: number; loopMaxMs: number; heartbeats: number; lagP50Ms: number; lagP99Ms: number; lagMaxMs: number; inServerP50Ms: number; inServerP99Ms: number; tcp: number };
type Cred = { i: number; certPem: string; keyPem: string; serverID: string };
type ToAgents = { op: 'run'; url: string; client: Client; caBundle: string; creds: Cred[] } | Control;
type FromAgents = { op: 'running' } | { op: 'started' } | { op: 'ended'; built: number; acked: number; failures: number; why: Record<string, number>; rtts: number[]; socketWaits: number[]; newSockets: number; handshakes: number[]; writes: number[]; answers: number[]; cpuMs: number; wallMs: number; loopP99Ms: number } | { op: 'stopped' };

function vips(i: number): VipIntent[] {
  return [0, 1].map((v) => ({
    id: `${NS}/vs-${i}/${v}`, virtualService: { namespace: NS, name: `vs-${i}`, uid: randomUUID() }, address: `20.0.${v}.${i % 250}`,
    listeners: [{ port: 80, protocol: 'TCP', http: false }],
    pool: { name: `${NS}/pool-${i}`, algorithm: 'leastconn', members: [1, 2, 3].map((m) => ({ id: `20.1.0.${m}:80`, ip: `20.1.0.${m}`, port: 80, weight: 1, enabled: true })) },
    draining: false, drainTimeoutSeconds: 30,
  }));
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const dist = (xs: number[]): string => (xs.length === 0 ? '—' : `p50 ${pct(xs, 50).toFixed(1)} ms, p99 ${pct(xs, 99).toFixed(1)} ms, max ${pct(xs, 100).toFixed(0)} ms`);
const mb = (b: number): string => `${(b / 1048576).toFixed(1)} MB`;
const send = (m: FromServer | FromAgents): void => void process.send?.(m);

// ---------------------------------------------------------------------------------------------
// The server processes

/** Answers the parent's start / end / exit with this process's CPU, memory, event-loop delay and lags. */
function reportTo(url: string, close: () => Promise<void>, handled: () => number, lags: number[], tcp: () => number, inServer: number[] = []): void {
  const memory = (): Memory => {
    global.gc?.(); // what is held, not garbage not yet collected
    const m = process.memoryUsage();
    return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external };
  };
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS }); // a coarse sampler: a 1 ms timer would itself cost ~1 % of a core
  let cpu0 = process.cpuUsage();
  let t0 = performance.now();
  let handled0 = 0;
  process.on('message', (m: Control) => {
    if (m.op === 'start') {
      cpu0 = process.cpuUsage();
      t0 = performance.now();
      handled0 = handled();
      lags.length = 0;
      inServer.length = 0;
      loop.reset();
      loop.enable();
      send({ op: 'started' });
    } else if (m.op === 'end') {
      loop.disable();
      const cpu = process.cpuUsage(cpu0);
      const wallMs = performance.now() - t0;
      send({
        op: 'ended', cpuMs: (cpu.user + cpu.system) / 1000, wallMs, mem: memory(),
        loopP99Ms: loop.percentile(99) / 1e6, loopMaxMs: loop.max / 1e6, heartbeats: handled() - handled0,
        lagP50Ms: pct(lags, 50), lagP99Ms: pct(lags, 99), lagMaxMs: pct(lags, 100), inServerP50Ms: pct(inServer, 50), inServerP99Ms: pct(inServer, 99), tcp: tcp(),
      });
    } else void close().then(() => process.exit(0));
  });
  send({ op: 'ready', url, mem: memory() });
}

async function server(): Promise<void> {
  const ca = await caFromPEM(process.env['SEAPI_BENCH_CA_CERT'] as string, process.env['SEAPI_BENCH_CA_KEY'] as string);
  const configs = new DesiredConfigs();
  for (let i = 0; i < AGENTS; i++) configs.put({ namespace: NS, name: `se-${i}`, uid: randomUUID() }, vips(i));
  // The registry as the server makes it, plus the lag of every accepted heartbeat (sentAt → accepted)
  // and its in-server part: node's 'request' event (headers parsed) → accepted, carried to accept()
  // by an AsyncLocalStorage entered at the event (the handler's awaits keep it).
  const lags: number[] = [];
  const inServer: number[] = [];
  let handled = 0;
  const arrival = new AsyncLocalStorage<number>();
  const emit = https.Server.prototype.emit;
  https.Server.prototype.emit = function (this: https.Server, event: string | symbol, ...args: unknown[]): boolean {
    const call = (): boolean => (emit as (this: https.Server, e: string | symbol, ...a: unknown[]) => boolean).call(this, event, ...args);
    return event === 'request' ? arrival.run(performance.now(), call) : call();
  } as typeof emit;
  const agents = new AgentRegistry({ timeoutMs: defaultSEApiConfig(NS).heartbeatTimeoutMs });
  const accept = agents.accept.bind(agents);
  agents.accept = (key, serverID, hb, now) => {
    lags.push(Date.now() - Date.parse(hb.sentAt));
    const at = arrival.getStore();
    if (at !== undefined) inServer.push(performance.now() - at);
    const verdict = accept(key, serverID, hb, now);
    if (verdict.accepted) handled++;
    return verdict;
  };
  const api = await startSEApi({ config: defaultSEApiConfig(NS, { addr: { host: '127.0.0.1', port: 0 } }), configs, ca, agents });
  reportTo(api.url, () => api.close(), () => handled, lags, () => established(new URL(api.url).port), inServer);
}

/** TCP connections established to PORT now (the kernel's count: what the agents hold). */
function established(port: string): number {
  return execFileSync('ss', ['-Htn', 'state', 'established', `( sport = :${port} )`], { encoding: 'utf8' }).split('\n').filter((l) => l.trim() !== '').length;
}

/**
 * Node's own cost: a bare https server with the SE API's TLS options, speaking just enough of the
 * protocol for the Channel to behave as against the real one: GET /v1/config?wait=-1|0 answers a
 * version-1 config at once and ?wait=1 holds the long-poll (304 after 30 s); a heartbeat is read,
 * parsed (for its lag) and acked with that version.
 */
async function bareServer(): Promise<void> {
  const ca = await caFromPEM(process.env['SEAPI_BENCH_CA_CERT'] as string, process.env['SEAPI_BENCH_CA_KEY'] as string);
  const cert = await issueServerCertificate(ca, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] }, 3600_000);
  let handled = 0;
  const lags: number[] = [];
  const ack = JSON.stringify({ configVersion: 1, heartbeatIntervalMs: INTERVAL_MS });
  const srv = https.createServer({ key: cert.keyPem, cert: cert.certPem, ca: ca.bundlePem, requestCert: true, rejectUnauthorized: false, keepAliveTimeout: 30_000 }, (req, res) => {
    if (req.method === 'GET') {
      req.resume();
      if (!/wait=1\b/.test(req.url ?? '')) return void res.end('{"version":1}');
      const t = setTimeout(() => res.writeHead(304).end(), 30_000);
      res.on('close', () => clearTimeout(t));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const hb = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { sentAt?: string };
      if (hb.sentAt !== undefined) lags.push(Date.now() - Date.parse(hb.sentAt));
      handled++;
      res.end(ack);
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = String((srv.address() as { port: number }).port);
  reportTo(`https://127.0.0.1:${port}`, () => new Promise((r) => {
    srv.close(() => r());
    srv.closeAllConnections();
  }), () => handled, lags, () => established(port));
}

// ---------------------------------------------------------------------------------------------
// An agent process: its share of the agents, and its own send-side figures

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

async function agentsProcess(): Promise<void> {
  const run = await new Promise<Extract<ToAgents, { op: 'run' }>>((resolve) => process.once('message', (m: ToAgents) => m.op === 'run' && resolve(m)));
  const root = mkdtempSync(join(tmpdir(), 'lbop-seapi-bench-'));
  let built = 0;
  let acked = 0;
  let failures = 0;
  let measuring = false;
  let stopping = false;
  const rtts: number[] = [];
  const why = new Map<string, number>();
  const failed = (k: string): void => {
    if (!measuring) return;
    failures++;
    why.set(k, (why.get(k) ?? 0) + 1);
  };
  const log = silentLogger();
  const warn = log.warn.bind(log);
  log.warn = ((msg: unknown, meta?: unknown) => {
    failed(`${String(msg)}: ${String((meta as { error?: unknown } | undefined)?.error ?? '')}`.slice(0, 120));
    return warn(String(msg), meta);
  }) as typeof log.warn;

  // Where a heartbeat waits on the agent's side before it is written: the https.Agent's queue (no
  // free socket of the two), and whether it got a kept socket or a new one (a TLS handshake).
  const socketWaits: number[] = [];
  const handshakes: number[] = [];
  const writes: number[] = [];
  const answers: number[] = [];
  let newSockets = 0;
  const addRequest = (https.Agent.prototype as unknown as { addRequest: (req: import('node:http').ClientRequest, ...rest: unknown[]) => void }).addRequest;
  (https.Agent.prototype as unknown as { addRequest: typeof addRequest }).addRequest = function (this: https.Agent, req, ...rest) {
    const queued = performance.now();
    if (req.path.startsWith('/v1/heartbeat')) {
      req.once('socket', (socket: import('node:tls').TLSSocket) => {
        if (!measuring) return;
        const assigned = performance.now();
        socketWaits.push(assigned - queued);
        // A new socket: connect + TLS handshake until secureConnect; then written ('finish'), then
        // the answer's first byte ('response'): so a long wait is placed before or after the write.
        let ready = assigned;
        if (!req.reusedSocket) {
          newSockets++;
          socket.once('secureConnect', () => {
            ready = performance.now();
            handshakes.push(ready - assigned);
          });
        }
        req.once('finish', () => {
          const written = performance.now();
          writes.push(written - ready);
          req.once('response', () => answers.push(performance.now() - written));
        });
      });
    }
    return addRequest.call(this, req, ...rest);
  };

  let runs: Array<Promise<unknown>>;
  let stopAll: () => void;
  if (run.client === 'channel') {
    const all = run.creds.map((c) => {
      const stateDir = join(root, `se-${c.i}`);
      mkdirSync(stateDir);
      writeFileSync(join(stateDir, 'client.key'), c.keyPem, { mode: 0o600 });
      writeFileSync(join(stateDir, 'client.json'), JSON.stringify({ certificate: c.certPem, caBundle: run.caBundle }), { mode: 0o600 });
      const boot = randomUUID();
      let seq = 0;
      let applied = 0;
      // The Channel awaits heartbeat() then sends; the next ack (onProbeTargets is called on every
      // ack) closes the round trip. One heartbeat in flight per agent, so a FIFO of one.
      let builtAt: number | undefined;
      const channel = new Channel({
        identity: {
          serverID: c.serverID,
          bootstrap: {
            kind: 'contrail-lb-operator/se-bootstrap', version: 1, serviceEngine: { namespace: NS, name: `se-${c.i}`, uid: randomUUID() },
            controllerURLs: [run.url], caBundle: run.caBundle, bootstrapToken: 'unused-the-certificate-is-there', heartbeatIntervalMs: INTERVAL_MS,
          },
        },
        stateDir, log,
        onConfig: async (cfg) => {
          applied = (cfg as { version: number }).version;
        },
        heartbeat: async () => {
          if (measuring) built++;
          builtAt = performance.now();
          return heartbeat(boot, ++seq, c.i);
        },
        appliedVersion: () => applied,
        onProbeTargets: () => {
          if (measuring && builtAt !== undefined) {
            acked++;
            rtts.push(performance.now() - builtAt);
          }
          builtAt = undefined;
        },
      });
      // Agents booting at random times: their first connections (two handshakes each) spread over
      // BOOT_SPREAD_MS; the measured window is the steady state after it.
      const done = new Promise((r) => setTimeout(r, Math.random() * BOOT_SPREAD_MS)).then(() => (stopping ? undefined : channel.run()));
      return { channel, done };
    });
    runs = all.map((a) => a.done);
    stopAll = () => all.forEach((a) => a.channel.stop());
  } else {
    const url = new URL('/v1/heartbeat', run.url);
    const agents = run.creds.map((c) => new https.Agent({ keepAlive: true, maxSockets: 1, cert: c.certPem, key: c.keyPem, ca: run.caBundle }));
    const deadline = performance.now() + (SECONDS + BOOT_SPREAD_MS / 1000 + 60) * 1000; // a bound; the loops end at stop
    runs = agents.map(async (agent, k) => {
      const c = run.creds[k] as Cred;
      const boot = randomUUID();
      await new Promise((r) => setTimeout(r, Math.random() * BOOT_SPREAD_MS));
      for (let seq = 1; !stopping && performance.now() < deadline && seq < 10_000; seq++) {
        const started = performance.now();
        if (measuring) built++;
        const status = await post(agent, url, JSON.stringify(heartbeat(boot, seq, c.i))).catch((e: Error) => {
          failed(e.message);
          return 0;
        });
        if (status === 200 && measuring) {
          acked++;
          rtts.push(performance.now() - started);
        } else if (status !== 0) failed(`status ${status}`);
        if (stopping) break;
        await new Promise((r) => setTimeout(r, Math.max(0, INTERVAL_MS * (0.9 + Math.random() * 0.2) - (performance.now() - started))));
      }
    });
    stopAll = () => agents.forEach((a) => a.destroy());
  }

  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  let cpu0 = process.cpuUsage();
  let t0 = performance.now();
  process.on('message', (m: ToAgents) => {
    if (m.op === 'start') {
      built = acked = failures = newSockets = 0;
      rtts.length = 0;
      socketWaits.length = handshakes.length = writes.length = answers.length = 0;
      why.clear();
      cpu0 = process.cpuUsage();
      t0 = performance.now();
      loop.reset();
      loop.enable();
      measuring = true;
      send({ op: 'started' });
    } else if (m.op === 'end') {
      measuring = false;
      loop.disable();
      const cpu = process.cpuUsage(cpu0);
      send({ op: 'ended', built, acked, failures, why: Object.fromEntries(why), rtts, socketWaits, newSockets, handshakes, writes, answers, cpuMs: (cpu.user + cpu.system) / 1000, wallMs: performance.now() - t0, loopP99Ms: loop.percentile(99) / 1e6 });
    } else if (m.op === 'exit') {
      stopping = true;
      stopAll();
      void Promise.all(runs).then(() => {
        rmSync(root, { recursive: true, force: true });
        send({ op: 'stopped' });
        process.exit(0);
      });
    }
  });
  send({ op: 'running' });
}

// ---------------------------------------------------------------------------------------------
// The parent

/** The next message of CHILD for which `want` holds (bounded: a child that dies or hangs fails the bench). */
function next<T extends { op: string }>(child: ChildProcess, op: T['op'], ms = 120_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no '${op}' from a child within ${ms} ms`)), ms);
    const on = (m: T): void => {
      if (m.op !== op) return;
      clearTimeout(t);
      child.off('message', on);
      resolve(m);
    };
    child.on('message', on);
    child.once('exit', (code) => reject(new Error(`a child exited (${code}) before '${op}'`)));
  });
}

const load1 = (): string => loadavg()[0]?.toFixed(1) ?? '?';

async function main(): Promise<void> {
  console.log(`bench:seapi (node ${process.version}): ${AGENTS} agents in ${PROCS} process(es), heartbeat every ${INTERVAL_MS} ms ± 10 %, boots spread over ${BOOT_SPREAD_MS / 1000} s, ${SECONDS} s measured; load average ${load1()}`);
  const caPem = await createCA('bench CA');
  const ca = await caFromPEM(caPem.certPem, caPem.keyPem);
  const t = performance.now();
  const creds: Cred[] = [];
  for (let i = 0; i < AGENTS; i++) {
    const { keyPem, csrPem } = await createKeyAndCSR();
    const serverID = randomUUID();
    const issued = await issueClientCertificate(ca, await verifyCSR(csrPem), { namespace: NS, name: `se-${i}`, serverID }, 3600_000);
    creds.push({ i, certPem: issued.certificatePem, keyPem, serverID });
  }
  console.log(`setup: ${AGENTS} keys + CSRs + client certificates in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const self = fileURLToPath(import.meta.url);
  const env = { ...process.env, SEAPI_BENCH_CA_CERT: caPem.certPem, SEAPI_BENCH_CA_KEY: caPem.keyPem };

  /** The agents heartbeating at `mode`'s server: the boots, a warm-up, then `seconds` measured. */
  async function load(mode: 'server' | 'bare', seconds: number) {
    const srv = fork(self, [mode], {
      execArgv: ['--expose-gc', '--import', 'tsx', ...(process.env['SEAPI_BENCH_NODE_FLAGS'] ?? '').split(' ').filter((f) => f !== ''), ...(process.env['SEAPI_BENCH_PROF'] && mode === 'server' ? ['--cpu-prof', '--cpu-prof-dir=.local/prof'] : [])],
      env,
    });
    const ready = await next<Extract<FromServer, { op: 'ready' }>>(srv, 'ready');
    const procs = Array.from({ length: PROCS }, () => fork(self, ['agents'], { execArgv: ['--import', 'tsx'], env }));
    await Promise.all(procs.map(async (p, k) => {
      const running = next(p, 'running');
      p.send({ op: 'run', url: ready.url, client: CLIENT, caBundle: ca.bundlePem, creds: creds.filter((c) => c.i % PROCS === k) } satisfies ToAgents);
      await running;
    }));
    await new Promise((r) => setTimeout(r, BOOT_SPREAD_MS + 4000)); // every agent booted, connected and past its first beat
    const loadAt = [load1()];
    const started = [next(srv, 'started'), ...procs.map((p) => next(p, 'started'))];
    srv.send({ op: 'start' } satisfies Control);
    for (const p of procs) p.send({ op: 'start' } satisfies Control);
    await Promise.all(started);
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const ended = Promise.all([next<Extract<FromServer, { op: 'ended' }>>(srv, 'ended'), ...procs.map((p) => next<Extract<FromAgents, { op: 'ended' }>>(p, 'ended'))]);
    srv.send({ op: 'end' } satisfies Control);
    for (const p of procs) p.send({ op: 'end' } satisfies Control);
    const [end, ...sides] = (await ended) as [Extract<FromServer, { op: 'ended' }>, ...Array<Extract<FromAgents, { op: 'ended' }>>];
    loadAt.push(load1());
    await Promise.all(procs.map(async (p) => {
      const stopped = next(p, 'stopped', 60_000);
      p.send({ op: 'exit' } satisfies Control);
      await stopped;
    }));
    const gone = new Promise((r) => srv.once('exit', r));
    srv.send({ op: 'exit' } satisfies Control);
    await gone;
    return { ready, end, sides, loadAt };
  }

  console.log(`agents: ${CLIENT === 'channel' ? 'the product\'s Channel (config long-poll + heartbeats, two kept connections each)' : 'a bare HTTP/1.1 keep-alive client, heartbeats only, one connection each'}`);
  const bare = await load('bare', Math.min(15, SECONDS));
  const api = await load('server', SECONDS);
  const nominal = AGENTS / (INTERVAL_MS / 1000);
  const cpu = (e: typeof api.end): number => (100 * e.cpuMs) / e.wallMs;
  const extra = (r: typeof api): number => r.end.mem.rss - r.ready.mem.rss;
  const rate = (e: typeof api.end): number => e.heartbeats / (e.wallMs / 1000);
  for (const [name, r] of [['floor (bare node https server)', bare], ['SE API', api]] as const) {
    const s = r.sides;
    const rtts = s.flatMap((x) => x.rtts);
    const why = new Map<string, number>();
    for (const x of s) for (const [k, n] of Object.entries(x.why)) why.set(k, (why.get(k) ?? 0) + n);
    const top = [...why].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k, n]) => `${n}× ${k}`).join('; ');
    console.log(`\n${name}, load average ${r.loadAt.join(' → ')}:`);
    console.log(`  heartbeats handled: ${rate(r.end).toFixed(0)}/s of ${nominal}/s offered (${((100 * rate(r.end)) / nominal).toFixed(0)} %); agents built ${s.reduce((n, x) => n + x.built, 0)}, acked ${s.reduce((n, x) => n + x.acked, 0)}, failed ${s.reduce((n, x) => n + x.failures, 0)}${top !== '' ? ` (${top})` : ''}; TCP connections: ${r.end.tcp}`);
    console.log(`  processing lag (built → accepted): p50 ${r.end.lagP50Ms.toFixed(1)} ms, p99 ${r.end.lagP99Ms.toFixed(1)} ms, max ${r.end.lagMaxMs.toFixed(0)} ms (goal < ${LAG_GOAL_MS} ms: p99 ${(r.end.lagP99Ms / LAG_GOAL_MS).toFixed(2)}× the goal); agents' round trip p50 ${pct(rtts, 50).toFixed(1)} ms, p99 ${pct(rtts, 99).toFixed(1)} ms${typeof r.end.inServerP50Ms !== 'number' || Number.isNaN(r.end.inServerP50Ms) ? '' : `; of the lag, in the server (request event → accepted): p50 ${r.end.inServerP50Ms.toFixed(1)} ms, p99 ${r.end.inServerP99Ms.toFixed(1)} ms`}`);
    // The sampler's timer fires every LOOP_RESOLUTION_MS and records when it ran: an idle loop reads
    // that period, so the delay is what lies beyond it.
    const beyond = (ms: number): string => Math.max(0, ms - LOOP_RESOLUTION_MS).toFixed(0);
    const waits = s.flatMap((x) => x.socketWaits);
    console.log(`  agents' side: heartbeat request → socket assigned p50 ${pct(waits, 50).toFixed(1)} ms, p99 ${pct(waits, 99).toFixed(1)} ms, max ${pct(waits, 100).toFixed(0)} ms; heartbeats on a new connection (a handshake): ${s.reduce((n, x) => n + x.newSockets, 0)}, its connect + handshake ${dist(s.flatMap((x) => x.handshakes))}; socket ready → request written ${dist(s.flatMap((x) => x.writes))}; written → answer's first byte ${dist(s.flatMap((x) => x.answers))}`);
    console.log(`  event-loop delay beyond the ${LOOP_RESOLUTION_MS} ms sampling period: server p99 ${beyond(r.end.loopP99Ms)} ms, max ${beyond(r.end.loopMaxMs)} ms; agent processes: p99 ${s.map((x) => beyond(x.loopP99Ms)).join(' / ')} ms, CPU ${s.map((x) => ((100 * x.cpuMs) / x.wallMs).toFixed(0)).join(' / ')} % of a core each`);
    console.log(`  server CPU: ${cpu(r.end).toFixed(1)} % of one core (goal < ${CPU_GOAL} %: ${(cpu(r.end) / CPU_GOAL).toFixed(2)}×), ${((1000 * r.end.cpuMs) / Math.max(1, r.end.heartbeats)).toFixed(0)} µs per heartbeat → ${((r.end.cpuMs / Math.max(1, r.end.heartbeats)) * nominal / 10).toFixed(1)} % at ${nominal}/s`);
    console.log(`  server RSS: ${mb(r.ready.mem.rss)} idle → ${mb(r.end.mem.rss)}: +${mb(extra(r))} (${(extra(r) / Math.max(1, r.end.tcp) / 1024).toFixed(0)} KB per connection); JS heap used +${mb(r.end.mem.heapUsed - r.ready.mem.heapUsed)}, committed +${mb(r.end.mem.heapTotal - r.ready.mem.heapTotal)}, external +${mb(r.end.mem.external - r.ready.mem.external)}`);
  }
  console.log(`\nSE API vs goals: CPU ${cpu(api.end).toFixed(1)} % (goal < ${CPU_GOAL} %, ${(cpu(api.end) / CPU_GOAL).toFixed(2)}×); RSS +${mb(extra(api))} (goal < ${RSS_GOAL_MB} MB, ${(extra(api) / 1048576 / RSS_GOAL_MB).toFixed(2)}×; the floor alone +${mb(extra(bare))}, ${(extra(bare) / 1048576 / RSS_GOAL_MB).toFixed(2)}×; the SE API's own share +${mb(extra(api) - extra(bare))}); lag p99 ${api.end.lagP99Ms.toFixed(1)} ms (goal < ${LAG_GOAL_MS} ms, ${(api.end.lagP99Ms / LAG_GOAL_MS).toFixed(2)}×); handled ${rate(api.end).toFixed(0)}/s of ${nominal}/s`);
}

if (process.argv[2] === 'server') await server();
else if (process.argv[2] === 'bare') await bareServer();
else if (process.argv[2] === 'agents') await agentsProcess();
else await main();
