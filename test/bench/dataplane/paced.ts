// A rate-limited HTTP load for the bench (wrk2 is not in Debian: `apt-cache policy wrk2` finds
// nothing): Debian's wrk with a Lua `delay()`, so each of C connections waits D ms before each
// request — about C / (D + latency) requests/s, the achieved rate printed beside every figure.
// Runs until stop() or its hard bound in seconds. stop() first creates a file the script checks in
// delay(): no new request is written after it, the ones in flight get GRACE_MS to be answered,
// then SIGINT (wrk prints its summary) — so a stop does not itself count as failed requests.
// What it counts, so that no lost request hides: wrk calls the script's request() for every
// request it writes, so `issued - ok` is every written request not answered with a status < 400
// (a reset, a timeout, a 503 …) and connect errors are the requests never written. A request still
// unanswered GRACE_MS after the stop counts as lost, which only overstates the loss.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PacedSpec {
  url: string;
  connections: number;
  delayMs: number;
  /** Hard bound on the run; stop() usually ends it first. */
  maxSeconds: number;
  newConnections: boolean;
  timeoutSeconds?: number;
}

export interface PacedResult {
  issued: number;
  ok: number;
  /** wrk's own count of complete responses (any status) */
  responses: number;
  /** Requests that failed: not answered (or answered ≥ 400) plus connections never made. */
  lost: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  perServer: Record<string, number>;
  seconds: number;
  requestsPerSecond: number;
}

export interface PacedLoad { readonly startedAt: number; stop(): Promise<PacedResult> }

const GRACE_MS = 1500;

const SCRIPT = String.raw`
local threads = {}
counts = {}
issued = 0
ok = 0
local delay_ms = tonumber(os.getenv("LBOP_DELAY_MS") or "10")
local stop_file = os.getenv("LBOP_STOP_FILE")
function setup(thread) table.insert(threads, thread) end
function request()
  issued = issued + 1
  return wrk.format()
end
function delay()
  local f = io.open(stop_file, "r")
  if f then f:close(); return 3600000 end
  return delay_ms
end
function response(status, headers, body)
  if status < 400 then ok = ok + 1 end
  local s = headers["X-Lbop-Server"] or headers["x-lbop-server"] or ("status-" .. status)
  counts[s] = (counts[s] or 0) + 1
end
function done(summary, latency, requests)
  local merged, iss, okn = {}, 0, 0
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("counts")) do merged[k] = (merged[k] or 0) + v end
    iss = iss + t:get("issued")
    okn = okn + t:get("ok")
  end
  local parts = {}
  for k, v in pairs(merged) do table.insert(parts, string.format("%q:%d", k, v)) end
  local e = summary.errors
  io.write(string.format('LBOP_JSON {"issued":%d,"ok":%d,"responses":%d,"duration_us":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},"per_server":{%s}}\n',
    iss, okn, summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout, table.concat(parts, ",")))
end
`;

/** Starts the load inside NS (`ip netns exec`, which execs wrk: SIGINT reaches wrk itself). */
export function startPaced(ns: string, spec: PacedSpec): PacedLoad {
  const dir = mkdtempSync(join(tmpdir(), 'lbop-paced-'));
  const script = join(dir, 'paced.lua');
  writeFileSync(script, SCRIPT);
  const seconds = Math.max(1, Math.min(600, Math.ceil(spec.maxSeconds)));
  const argv = ['netns', 'exec', ns, 'wrk', '-t1', `-c${spec.connections}`, `-d${seconds}s`, '--timeout', `${spec.timeoutSeconds ?? 2}s`, '-s', script];
  if (spec.newConnections) argv.push('-H', 'Connection: close');
  argv.push(spec.url);
  const child = spawn('ip', argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LBOP_DELAY_MS: String(spec.delayMs), LBOP_STOP_FILE: join(dir, 'stop') } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  let stopped = false;
  const killer = setTimeout(() => child.kill('SIGKILL'), (seconds + 15) * 1000);
  const result = new Promise<PacedResult>((resolve, reject) => {
    child.on('error', (e) => reject(new Error(`wrk: ${e.message}`)));
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      rmSync(dir, { recursive: true, force: true });
      const line = stdout.split('\n').find((l) => l.startsWith('LBOP_JSON '));
      if (line === undefined) {
        reject(new Error(`wrk: exited ${signal ?? code ?? '?'} ${stderr.trim()} ${stdout.trim()}`));
        return;
      }
      const j = JSON.parse(line.slice('LBOP_JSON '.length)) as { issued: number; ok: number; responses: number; duration_us: number; errors: PacedResult['errors']; per_server: Record<string, number> };
      // The rate over the time requests were sent: a stop's grace sends none.
      const secs = j.duration_us / 1e6 - (stopped ? GRACE_MS / 1000 : 0);
      resolve({
        issued: j.issued, ok: j.ok, responses: j.responses, lost: j.issued - j.ok + j.errors.connect, errors: j.errors, perServer: j.per_server,
        seconds: secs, requestsPerSecond: secs > 0 ? j.ok / secs : 0,
      });
    });
  });
  return {
    startedAt: Date.now(),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        stopped = true;
        try { writeFileSync(join(dir, 'stop'), ''); } catch { /* wrk ended meanwhile */ }
        await new Promise((r) => setTimeout(r, GRACE_MS));
        child.kill('SIGINT');
      }
      return result;
    },
  };
}

/** The bench's two clients, half the rate each: new connections (a new ECMP flow per request) and keep-alive. */
export interface Mixed { fresh: PacedLoad; kept: PacedLoad }
export interface MixedResult { fresh: PacedResult; kept: PacedResult }

/**
 * RATE requests/s in all, from PER connections per client, each pausing D = 2 × PER × 1000 / RATE ms
 * less a typical latency. Many connections with long pauses keep the rate near RATE when the
 * latency grows (a loaded machine): it moves C / (D + latency), and D is large.
 */
export const PER = 50;
export function startMixed(ns: string, url: string, rate: number, maxSeconds: number): Mixed {
  const per = PER;
  const delayMs = Math.max(1, Math.round((per * 1000) / (rate / 2)) - 2);
  return {
    fresh: startPaced(ns, { url, connections: per, delayMs, maxSeconds, newConnections: true }),
    kept: startPaced(ns, { url, connections: per, delayMs, maxSeconds, newConnections: false }),
  };
}

export async function stopMixed(m: Mixed): Promise<MixedResult> {
  const [fresh, kept] = await Promise.all([m.fresh.stop(), m.kept.stop()]);
  return { fresh, kept };
}

export const describeMixed = (r: MixedResult): string => {
  const one = (what: string, x: PacedResult): string =>
    `${what} ${x.issued + x.errors.connect} requests at ${x.requestsPerSecond.toFixed(0)}/s, ${x.lost} failed${x.lost > 0 ? ` (wrk errors ${JSON.stringify(x.errors)}, ${x.issued - x.responses} written but never answered, answers ${JSON.stringify(x.perServer)})` : ''}`;
  return `${one('new-connection', r.fresh)}; ${one('keep-alive', r.kept)}`;
};
