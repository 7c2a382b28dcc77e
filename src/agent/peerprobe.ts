// The witness side of plain Neutron's data-path signal (docs/se-repair.md): while the operator's
// heartbeat ack lists a silent SE's data addresses (HeartbeatAck.probe), this agent probes each
// once a second — GET http://<address>:<port>/lbop-health, which the silent SE's own HAProxy
// answers — and reports the results in its heartbeats. From the SE's own network stack (its
// namespace with --netns), so the probe crosses the data network as client traffic does.
// The targets are operator input: only IP literals and a port are taken, the path is fixed, and
// at most MAX_TARGETS are probed.
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { isIP } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProbeReport, ProbeTarget } from '../seapi/protocol.js';

export const PROBE_PATH = '/lbop-health';
export const MAX_TARGETS = 16;
/** As the Contrail health check: 0.5 s timeout, 2 misses make a DOWN. */
export const PROBE_TIMEOUT_MS = 500;
export const PROBE_MISSES = 2;
export const PROBE_INTERVAL_MS = 1000;

export type ProbeOnce = (address: string, port: number, timeoutMs: number) => Promise<{ ok: boolean; reason?: string }>;

interface TargetState { target: ProbeTarget; misses: number; up?: boolean; reason?: string }

const keyOf = (t: ProbeTarget): string => `${t.se}|${t.address}|${t.port}`;

export class PeerProber {
  private targets = new Map<string, TargetState>();
  private stopped = false;

  constructor(private readonly probe: ProbeOnce, private readonly intervalMs = PROBE_INTERVAL_MS) {}

  /** The ack's list: new targets start unknown, dropped ones are forgotten. Invalid entries are ignored. */
  setTargets(list: readonly ProbeTarget[] | undefined): void {
    const next = new Map<string, TargetState>();
    for (const t of (Array.isArray(list) ? list : []).slice(0, MAX_TARGETS)) {
      if (typeof t?.se !== 'string' || t.se.length > 512 || typeof t.address !== 'string' || isIP(t.address) === 0 || !Number.isInteger(t.port) || t.port < 1 || t.port > 65535) continue;
      const k = keyOf(t);
      next.set(k, this.targets.get(k) ?? { target: { se: t.se, address: t.address, port: t.port }, misses: 0 });
    }
    this.targets = next;
  }

  /** One round over every target (exported for tests; run() repeats it). */
  async round(): Promise<void> {
    await Promise.all([...this.targets.values()].map(async (s) => {
      const r = await this.probe(s.target.address, s.target.port, PROBE_TIMEOUT_MS).catch((e: unknown) => ({ ok: false, reason: (e as Error).message }));
      if (r.ok) Object.assign(s, { misses: 0, up: true, reason: undefined });
      else {
        s.misses++;
        s.reason = r.reason ?? 'no answer';
        if (s.misses >= PROBE_MISSES) s.up = false;
      }
    }));
  }

  /** Results so far: a target is reported once it answered, or missed PROBE_MISSES times in a row. */
  reports(): ProbeReport[] {
    return [...this.targets.values()].flatMap((s) => (s.up === undefined ? [] : [{ se: s.target.se, address: s.target.address, up: s.up, ...(s.up || s.reason === undefined ? {} : { reason: s.reason }) }]));
  }

  async run(): Promise<void> {
    while (!this.stopped) {
      if (this.targets.size > 0) await this.round();
      await sleep(this.intervalMs);
    }
  }

  stop(): void {
    this.stopped = true;
  }
}

const urlOf = (address: string, port: number): string => `http://${isIP(address) === 6 ? `[${address}]` : address}:${port}${PROBE_PATH}`;

/** A probe from this process's own network stack (an SE VM). */
export const httpProbe: ProbeOnce = (address, port, timeoutMs) => new Promise((resolve) => {
  const req = request(urlOf(address, port), { method: 'GET', timeout: timeoutMs, agent: false }, (res) => {
    res.resume();
    resolve(res.statusCode === 200 ? { ok: true } : { ok: false, reason: `HTTP ${res.statusCode ?? 0}` });
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', (e) => resolve({ ok: false, reason: e.message === 'timeout' ? 'timeout' : (e as NodeJS.ErrnoException).code ?? e.message }));
  req.end();
});

// The same probe run inside the SE's network namespace (`ip netns exec`): node itself, so nothing
// beyond what the agent already needs is required.
const NETNS_PROBE = `const [u,t]=process.argv.slice(1);const r=require('http').get(u,{timeout:+t,agent:false},(s)=>{s.resume();console.log(s.statusCode===200?'ok':'HTTP '+s.statusCode)});r.on('timeout',()=>r.destroy(new Error('timeout')));r.on('error',(e)=>console.log(e.message==='timeout'?'timeout':(e.code||e.message)))`;

export function netnsProbe(netns: string): ProbeOnce {
  return (address, port, timeoutMs) => new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', netns, process.execPath, '-e', NETNS_PROBE, urlOf(address, port), String(timeoutMs)], { timeout: timeoutMs + 3000 }, (err, stdout) => {
      const out = String(stdout).trim();
      if (out === 'ok') resolve({ ok: true });
      else resolve({ ok: false, reason: out !== '' ? out : err?.message ?? 'no answer' });
    });
  });
}
