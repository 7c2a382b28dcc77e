// A rate-limited HTTP load for the bench (wrk2 is not in Debian: `apt-cache policy wrk2` finds
// nothing): Debian's wrk with a Lua `delay()` that paces the requests by a schedule (below), the
// achieved rate printed beside every figure.
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
  /** requests/s this client sends (the schedule's) */
  rate: number;
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
-- -1: wrk calls request() once in thread 0's state before the run, to check the script's
-- requests (script_verify_request); that one is never sent. (An idle run gives lost 0 this way.)
issued = -1
ok = 0
local stop_file = os.getenv("LBOP_STOP_FILE")
-- Pacing by a schedule, not a pause after each answer: the thread hands out send slots INTERVAL ms
-- apart and each connection waits for the next free one, so the rate holds however slow the
-- answers are (as long as some connection is free). A slot missed by more than SLACK ms is not
-- made up later (no burst after a stall). The clock: clock_gettime(CLOCK_MONOTONIC) by LuaJIT's ffi.
local ffi = require("ffi")
ffi.cdef[[ typedef struct { long tv_sec; long tv_nsec; } lbop_timespec; int clock_gettime(int clk, lbop_timespec *tp); ]]
local ts = ffi.new("lbop_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end
local interval = 1000 / tonumber(os.getenv("LBOP_RATE") or "100")
local slack = 100
local slot = 0
function delay()
  local f = io.open(stop_file, "r")
  if f then f:close(); return 3600000 end
  local now = now_ms()
  slot = math.max(slot + interval, now - slack)
  return math.max(0, math.floor(slot - now + 0.5))
end
function setup(thread) table.insert(threads, thread) end
function request()
  issued = issued + 1
  return wrk.format()
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
  const child = spawn('ip', argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LBOP_RATE: String(spec.rate), LBOP_STOP_FILE: join(dir, 'stop') } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const startedAt = Date.now();
  let stoppedAt = 0;
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
      // The rate over the time requests were sent (start to stop()): the grace and wrk's own wind-down send none.
      const secs = stoppedAt > 0 ? (stoppedAt - startedAt) / 1000 : j.duration_us / 1e6;
      resolve({
        issued: j.issued, ok: j.ok, responses: j.responses, lost: j.issued - j.ok + j.errors.connect, errors: j.errors, perServer: j.per_server,
        seconds: secs, requestsPerSecond: secs > 0 ? j.ok / secs : 0,
      });
    });
  });
  return {
    startedAt,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        stoppedAt = Date.now();
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

/** RATE requests/s in all, half from each client, PER connections each (enough free ones at up to PER / (RATE / 2) s of latency). */
export const PER = 100;
export function startMixed(ns: string, url: string, rate: number, maxSeconds: number): Mixed {
  return {
    fresh: startPaced(ns, { url, connections: PER, rate: rate / 2, maxSeconds, newConnections: true }),
    kept: startPaced(ns, { url, connections: PER, rate: rate / 2, maxSeconds, newConnections: false }),
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
