// bench:agent — the SE agent's apply path against a real HAProxy on 127.0.0.1 with real HTTP
// backends: config change → applied (p50/p99 ms) for Runtime-API member changes (weight,
// enable/disable) and for reload-type changes (algorithm), and failed requests during 100
// reloads under continuous load (goal 0). The applier runs in-process (what the agent runs on
// every config it receives); prints figures, asserts nothing. The detection times of the two
// detectors (heartbeat → AgentConnected=False; the data path's health check → out of ECMP) need the
// operator and the netns fabric: bench:dataplane prints them (test/bench/dataplane/detection.ts).
//   npm run bench:agent        (env AGENT_BENCH_N, default 100 changes of each kind)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Applier, statePaths, type ApplyOutcome } from '../../src/agent/applier.js';
import { HAProxy } from '../../src/agent/haproxy/runner.js';
import { NoVipAddresser } from '../../src/agent/vip.js';
import { silentLogger } from '../../src/runtime/log.js';
import { freePort, httpVip, loadLoop, seConfig, startBackend } from '../agent/support.js';

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
  } finally {
    await haproxy.stop();
    await a.close();
    await b.close();
    await rm(dir, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (e: unknown) => {
  console.error(`bench:agent: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
