// The proxy's overhead and the ECMP scaling, on the simulator's netns data plane without the
// operator: requests/s and p99 from the client namespace
//   1. straight to a pool server (no SE),
//   2. through one SE hop — HAProxy 2.6 in the SE namespace on the VIP (a STAND-IN for the SE
//      agent's HAProxy, configured here by hand: the hop is what is measured, not the agent), to
//      the same pool server,
//   3. the same VIP on 3 SEs (ECMP, resilient nexthop group) vs 1.
// wrk, one thread, keep-alive connections, bounded in time and count.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLoad, type LoadResult } from '../../../src/sim/dataplane/loadgen.js';
import { startRig, until, type Rig } from '../../dataplane/support.js';

const VIP = '19.1.1.100';
const POOL = '20.0.0.3';

function haproxyIn(rig: Rig, dir: string, ns: string, vip: string, backend: string, name: string): void {
  const cfg = join(dir, `${name}.cfg`);
  writeFileSync(cfg, [
    'global', '  maxconn 4096', '  nbthread 1',
    'defaults', '  mode http', '  timeout connect 2s', '  timeout client 30s', '  timeout server 30s', '  option http-keep-alive',
    `frontend vip`, `  bind ${vip}:80`, `  http-response set-header X-Lbop-Server ${name}`, '  default_backend pool',
    'backend pool', `  server s1 ${backend}:80`, '',
  ].join('\n'));
  execFileSync('ip', ['-n', ns, 'addr', 'add', `${vip}/32`, 'dev', 'lo']);
  // Started through the toolkit, so close() and exit remove it with the namespace.
  rig.dp.netns.spawnIn(ns, ['haproxy', '-db', '-f', cfg]);
}

const line = (what: string, r: LoadResult): string =>
  `${what.padEnd(34)} ${r.requestsPerSecond.toFixed(0).padStart(7)} req/s  p99 ${(r.latencyUs.p99 / 1000).toFixed(2).padStart(6)} ms  failures ${r.failures}  ${JSON.stringify(r.perServer)}`;

/** The figures' lines. */
export async function measureOverhead(seconds: number, connections: number): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'lbop-bench-dp-'));
  const rig = await startRig();
  const load = (url: string): Promise<LoadResult> => runLoad(rig.dp.client, { url, connections, seconds, maxRequests: 2_000_000 });
  try {
    const pool = await rig.dp.addPoolServer(POOL);
    const ses = [await rig.api.boot('se-a'), await rig.api.boot('se-b'), await rig.api.boot('se-c')];
    const kvip = rig.dp.map.kernelOf(VIP);
    const iip = await rig.api.vip('vip', VIP, [ses[0]?.port ?? '']);
    await rig.dp.settled();
    for (const [i, s] of ses.entries()) haproxyIn(rig, dir, rig.dp.seNamespace(s.id) ?? '', kvip, pool.address, `se-${'abc'[i] ?? ''}`);
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
    const three = await load(`http://${kvip}/`);
    return [
      `wrk -t1 -c${connections} -d${seconds}s keep-alive from the client namespace; the SE here is a hand-configured HAProxy stand-in`,
      line('straight to the pool server', direct),
      line('through 1 SE (haproxy stand-in)', one),
      line('through 3 SEs (ECMP)', three),
      `proxy overhead (1 SE / straight): ${(one.requestsPerSecond / direct.requestsPerSecond).toFixed(2)}x req/s, ${(one.latencyUs.p99 / Math.max(1, direct.latencyUs.p99)).toFixed(2)}x p99`,
      `ECMP scaling (3 SEs / 1 SE): ${(three.requestsPerSecond / one.requestsPerSecond).toFixed(2)}x req/s`,
    ];
  } finally {
    await rig.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
