// A bounded HTTP load from the client namespace: Debian's wrk (one thread, C connections, at most
// D seconds and at most N responses), with a Lua script that counts answers per X-Lbop-Server and
// prints one JSON line. `newConnections` sends `Connection: close`, so every request is a new flow
// (a new ECMP hash); otherwise connections are kept alive.
// Stopping at N: the script's `wrk.thread:stop()` ends the thread's event loop, but wrk's main
// thread sleeps out the whole -d regardless; only SIGINT cuts that sleep short (then wrk joins the
// thread and prints its summary as usual). So the script prints a marker line at N and we send
// SIGINT on seeing it — `ip netns exec` execs wrk, so the child's pid is wrk's.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

export interface LoadSpec {
  url: string;
  connections: number;
  /** Hard bounds: both apply. */
  seconds: number;
  maxRequests: number;
  newConnections?: boolean;
  timeoutSeconds?: number;
}

export interface LoadResult {
  requests: number;
  failures: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  perServer: Record<string, number>;
  seconds: number;
  requestsPerSecond: number;
  latencyUs: { p50: number; p99: number; max: number };
}

const DONE_MARK = 'LBOP_MAX_REACHED';

const SCRIPT = String.raw`
local threads = {}
counts = {}
done_n = 0
max_n = tonumber(os.getenv("LBOP_MAX_REQUESTS") or "1000000")
function setup(thread) table.insert(threads, thread) end
function response(status, headers, body)
  local s = headers["X-Lbop-Server"] or headers["x-lbop-server"] or ("status-" .. status)
  counts[s] = (counts[s] or 0) + 1
  done_n = done_n + 1
  if done_n == max_n then
    io.write("${DONE_MARK}\n")
    io.flush()
    wrk.thread:stop()
  end
end
function done(summary, latency, requests)
  local merged = {}
  for _, t in ipairs(threads) do
    local c = t:get("counts")
    for k, v in pairs(c) do merged[k] = (merged[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(merged) do table.insert(parts, string.format("%q:%d", k, v)) end
  local e = summary.errors
  io.write(string.format('LBOP_JSON {"requests":%d,"duration_us":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},"per_server":{%s},"p50":%d,"p99":%d,"max":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout, table.concat(parts, ","),
    latency:percentile(50), latency:percentile(99), latency.max))
end
`;

/** Runs wrk inside NS (via `ip netns exec`); wrk must be installed (scripts/ensure-debs.sh wrk:wrk). */
export function runLoad(ns: string, spec: LoadSpec): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'lbop-wrk-'));
  const script = join(dir, 'count.lua');
  writeFileSync(script, SCRIPT);
  const seconds = Math.max(1, Math.min(600, Math.ceil(spec.seconds)));
  const argv = ['netns', 'exec', ns, 'wrk', '-t1', `-c${spec.connections}`, `-d${seconds}s`, `--timeout`, `${spec.timeoutSeconds ?? 2}s`, '-s', script];
  if (spec.newConnections === true) argv.push('-H', 'Connection: close');
  argv.push(spec.url);
  return new Promise((resolve, reject) => {
    const child = spawn('ip', argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LBOP_MAX_REQUESTS: String(spec.maxRequests) } });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    // The hard bound on wall time, in case wrk itself hangs.
    const killer = setTimeout(() => child.kill('SIGKILL'), (seconds + 15) * 1000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (!interrupted && stdout.includes(DONE_MARK)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', (e) => { clearTimeout(killer); rmSync(dir, { recursive: true, force: true }); reject(new Error(`wrk: ${e.message}`)); });
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      rmSync(dir, { recursive: true, force: true });
      const line = stdout.split('\n').find((l) => l.startsWith('LBOP_JSON '));
      if (line === undefined) {
        reject(new Error(`wrk: exited ${signal ?? code ?? '?'} ${stderr.trim()} ${stdout.trim()}`));
        return;
      }
      const j = JSON.parse(line.slice('LBOP_JSON '.length)) as {
        requests: number; duration_us: number; errors: LoadResult['errors']; per_server: Record<string, number>; p50: number; p99: number; max: number;
      };
      const failures = j.errors.connect + j.errors.read + j.errors.write + j.errors.status + j.errors.timeout;
      const secs = j.duration_us / 1e6;
      resolve({
        requests: j.requests, failures, errors: j.errors, perServer: j.per_server, seconds: secs,
        requestsPerSecond: secs > 0 ? j.requests / secs : 0, latencyUs: { p50: j.p50, p99: j.p99, max: j.max },
      });
    });
  });
}

// A load that logs each failed request (procs/reqlog.ts): for the scale-in's attribution, where
// wrk gives counts only. Runs in NS as `ip netns exec NS node reqlog.ts …`; stop() asks it to stop
// (requests in flight get 1.5 s) and resolves with its result.
export type ConnectionMode = 'close' | 'eager' | 'lazy';
export interface LoggedSpec {
  address: string;
  port?: number;
  rate: number;
  connections: number;
  mode: ConnectionMode;
  maxSeconds: number;
  maxRequests: number;
  /** over TLS with this server name (port 443 usually) */
  tls?: string;
  /** a name for the figures (default the mode) */
  label?: string;
}
export interface LoggedFailure {
  at: number; conn: number; localPort: number; reused: boolean; idleMs: number; answered: number;
  lastServer: string; error: 'reset' | 'timeout' | 'eof' | 'connect' | 'status'; detail: string; got: number; ms: number;
}
export interface LoggedResult { label: string; mode: ConnectionMode; sent: number; ok: number; failed: LoggedFailure[]; skipped: number; connections: number; connecting: number; seconds: number }
export interface LoggedLoad { readonly label: string; stop(): Promise<LoggedResult> }

const reqlogPath = (): string => fileURLToPath(new URL(`./procs/reqlog.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url));

export async function startLogged(ns: string, spec: LoggedSpec): Promise<LoggedLoad> {
  const seconds = Math.max(1, Math.min(600, Math.ceil(spec.maxSeconds)));
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, reqlogPath(), spec.address, String(spec.port ?? 80), String(spec.rate), String(spec.connections), spec.mode, String(seconds), String(spec.maxRequests), `lbop-reqlog-${spec.mode}`], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LBOP_REQLOG_TLS: spec.tls ?? '' } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const killer = setTimeout(() => child.kill('SIGKILL'), (seconds + 15) * 1000);
  const startedAt = Date.now();
  let stoppedAt = 0;
  const result = new Promise<LoggedResult>((resolve, reject) => {
    child.on('error', (e) => { clearTimeout(killer); reject(new Error(`reqlog: ${e.message}`)); });
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (line === undefined) { reject(new Error(`reqlog: exited ${signal ?? code ?? '?'} ${stderr.trim()}`)); return; }
      const j = JSON.parse(line.slice('RESULT '.length)) as Omit<LoggedResult, 'mode' | 'seconds' | 'label'>;
      resolve({ ...j, mode: spec.mode, label: spec.label ?? spec.mode, seconds: ((stoppedAt || Date.now()) - startedAt) / 1000 });
    });
  });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`reqlog: not ready in 10 s ${stderr.trim()}`)), 10_000);
    const on = (): void => { if (stdout.includes('ready\n')) { clearTimeout(t); child.stdout.off('data', on); resolve(); } };
    child.stdout.on('data', on);
    child.on('close', () => { clearTimeout(t); reject(new Error(`reqlog: exited before ready ${stderr.trim()}`)); });
  });
  return {
    label: spec.label ?? spec.mode,
    stop: async () => {
      if (stoppedAt === 0) stoppedAt = Date.now();
      if (child.exitCode === null && child.signalCode === null) child.stdin.end('stop\n');
      return result;
    },
  };
}
