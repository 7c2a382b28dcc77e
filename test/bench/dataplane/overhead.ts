// The proxy's overhead and the ECMP scaling, on the simulator's netns data plane without the
// operator: requests/s and p99 from the client namespace
//   1. straight to a pool server (no SE),
//   2. through one SE hop — the SE agent's own apply path in the SE namespace (src/agent/applier.ts:
//      the config rendered by src/agent/haproxy/render.ts, checked, HAProxy started in the
//      namespace by the agent's runner, the VIP placed on lo by the agent's addresser) for a VIP on
//      port 80 with the pool server as its one member, as the operator would send it — so the
//      figure is the product's overhead, not a hand-tuned HAProxy's,
//   3. the same VIP on 3 SEs (ECMP, resilient nexthop group) vs 1; the split per SE counted from
//      each SE's HAProxy stats (sessions on the VIP frontend).
// wrk, one thread, keep-alive connections, bounded in time and count.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Applier, statePaths } from '../../../src/agent/applier.js';
import { HAProxy } from '../../../src/agent/haproxy/runner.js';
import { showStat } from '../../../src/agent/haproxy/socket.js';
import { vipFrontendTotals } from '../../../src/agent/haproxy/stats.js';
import { NetnsVipAddresser } from '../../../src/agent/vip.js';
import { silentLogger } from '../../../src/runtime/log.js';
import type { SEConfig, VipIntent } from '../../../src/seapi/protocol.js';
import { runLoad, type LoadResult } from '../../../src/sim/dataplane/loadgen.js';
import { startRig, until } from '../../dataplane/support.js';

const VIP = '19.1.1.100';
const POOL = '20.0.0.3';

/** The VIP as the operator sends it (src/seapi/desired.ts's shape): HTTP on 80, RoundRobin, the pool server its one member, no monitor. */
function config(se: string, vip: string, member: string): SEConfig {
  const vips: VipIntent[] = [{
    id: 'lbop-bench/vs/vip0',
    virtualService: { namespace: 'lbop-bench', name: 'vs', uid: '00000000-0000-4000-8000-0000000000bb' },
    address: vip,
    listeners: [{ port: 80, protocol: 'TCP', http: true }],
    pool: { name: 'lbop-bench/pool', algorithm: 'roundrobin', members: [{ id: `${member}:80`, ip: member, port: 80, weight: 1, enabled: true }] },
    draining: false,
    drainTimeoutSeconds: 30,
  }];
  return { version: 1, hash: createHash('sha256').update(JSON.stringify(vips)).digest('hex'), serviceEngine: { namespace: 'lbop-bench', name: se, uid: '00000000-0000-4000-8000-0000000000cc' }, vips };
}

interface AgentSE { name: string; statsSocket: string; haproxy: HAProxy }

/** The agent's apply path for CFG in namespace NS: render, haproxy -c, start (or fail loudly). */
async function agentSE(dir: string, ns: string, name: string, cfg: SEConfig): Promise<AgentSE> {
  const stateDir = join(dir, name);
  mkdirSync(stateDir, { recursive: true });
  const paths = statePaths(stateDir);
  const log = silentLogger();
  const haproxy = new HAProxy({ binary: 'haproxy', netns: ns, paths: { config: paths.config, masterSocket: join(stateDir, 'master.sock'), statsSocket: paths.statsSocket, pidFile: join(stateDir, 'haproxy.pid'), serverStateFile: paths.serverStateFile }, log });
  const applier = new Applier({ haproxy, vips: new NetnsVipAddresser(ns), paths, log, serviceEngine: cfg.serviceEngine });
  let outcome = '';
  applier.onApplied = (o) => { outcome = o; };
  await applier.boot();
  await applier.offer(cfg);
  if (outcome !== 'started' && outcome !== 'reload') throw new Error(`the agent's applier did not serve the VIP in ${ns} (${outcome}; ${JSON.stringify(applier.applied.rejected ?? {})})`);
  return { name, statsSocket: paths.statsSocket, haproxy };
}

const sessions = async (se: AgentSE): Promise<number> => vipFrontendTotals(await showStat(se.statsSocket, 1000)).sessions;

const line = (what: string, r: LoadResult): string =>
  `${what.padEnd(34)} ${r.requestsPerSecond.toFixed(0).padStart(7)} req/s  p99 ${(r.latencyUs.p99 / 1000).toFixed(2).padStart(6)} ms  failures ${r.failures}  ${JSON.stringify(r.perServer)}`;

/** The figures' lines. */
export async function measureOverhead(seconds: number, connections: number): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'lbop-bench-dp-'));
  const rig = await startRig();
  const agents: AgentSE[] = [];
  const load = (url: string): Promise<LoadResult> => runLoad(rig.dp.client, { url, connections, seconds, maxRequests: 2_000_000 });
  try {
    const pool = await rig.dp.addPoolServer(POOL);
    const ses = [await rig.api.boot('se-a'), await rig.api.boot('se-b'), await rig.api.boot('se-c')];
    const kvip = rig.dp.map.kernelOf(VIP);
    const iip = await rig.api.vip('vip', VIP, [ses[0]?.port ?? '']);
    await rig.dp.settled();
    for (const [i, s] of ses.entries()) {
      const name = `se-${'abc'[i] ?? ''}`;
      agents.push(await agentSE(dir, rig.dp.seNamespace(s.id) ?? '', name, config(name, kvip, pool.address)));
    }
    for (const s of ses) {
      const ns = rig.dp.seNamespace(s.id) ?? '';
      await until(() => execFileSync('ip', ['netns', 'exec', ns, 'ss', '-Hltn'], { encoding: 'utf8' }).includes(`${kvip}:80`), 10_000, `haproxy listening in ${ns}`);
    }
    await load(`http://${pool.address}/`); // warm-up (ARP, JIT)
    const direct = await load(`http://${pool.address}/`);
    const one = await load(`http://${kvip}/`);
    for (const s of ses.slice(1)) await rig.api.refUpdate(iip, s.port, 'ADD');
    await rig.dp.settled();
    // The group rebalances (idle_timer/unbalanced_timer 1 s; live flows are pinned by the flow table).
    const group = rig.dp.routeOf(`${kvip}/32`)?.group ?? 0;
    await until(() => {
      const b = JSON.parse(execFileSync('ip', ['-j', '-n', rig.dp.fabric, 'nexthop', 'bucket', 'show', 'id', String(group)], { encoding: 'utf8' })) as Array<{ bucket: { nhid: number } }>;
      const per = new Map<number, number>();
      for (const x of b) per.set(x.bucket.nhid, (per.get(x.bucket.nhid) ?? 0) + 1);
      return per.size === 3 && [...per.values()].every((n) => n >= 0.9 * (b.length / 3));
    }, 20_000, 'group balanced over 3 SEs');
    const before = await Promise.all(agents.map(sessions));
    const three = await load(`http://${kvip}/`);
    const after = await Promise.all(agents.map(sessions));
    const split = agents.map((a, i) => `${a.name}: ${(after[i] ?? 0) - (before[i] ?? 0)}`).join(', ');
    return [
      `wrk -t1 -c${connections} -d${seconds}s keep-alive from the client namespace; each SE is the agent's own apply path (render.ts config, its runner and addresser) in the SE namespace`,
      line('straight to the pool server', direct),
      line('through 1 SE (agent-rendered)', one),
      `${line('through 3 SEs (ECMP)', three)}  connections per SE: ${split}`,
      `proxy overhead (1 SE / straight): ${(one.requestsPerSecond / direct.requestsPerSecond).toFixed(2)}x req/s, ${(one.latencyUs.p99 / Math.max(1, direct.latencyUs.p99)).toFixed(2)}x p99`,
      `ECMP scaling (3 SEs / 1 SE): ${(three.requestsPerSecond / one.requestsPerSecond).toFixed(2)}x req/s`,
    ];
  } finally {
    await Promise.all(agents.map((a) => a.haproxy.stop().catch(() => undefined)));
    await rig.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
