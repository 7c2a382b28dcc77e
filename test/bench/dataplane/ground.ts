// The bench's real ground, as test/e2e-dataplane sets it up: a kube-apiserver, the simulator with
// the netns data plane running a real se-agent (HAProxy in the SE's namespace) per Nova server, the
// operator serving the SE API on loopback, two pool servers, and vs2 on 3 SEs (ECMP, RoundRobin).
// Plus the readers the phases share: each SE's HAProxy stats socket and the fabric's route.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { showStat } from '../../../src/agent/haproxy/socket.js';
import { vipFrontendTotals, type StatRow } from '../../../src/agent/haproxy/stats.js';
import type { NetnsDataplane } from '../../../src/sim/dataplane/dataplane.js';
import { runLoad } from '../../../src/sim/dataplane/loadgen.js';
import { type Harness, type OperatorProcess } from '../../e2e/harness.js';
import { applyGroup, applyVS, vsStatus, type VS } from '../../e2e/vs-support.js';
import { Api } from '../../dataplane/support.js';
import { agentDataplane, startDataplaneHarness } from '../../e2e-dataplane/support.js';
import { freePort } from '../../support/net.js';

export const S1 = '198.18.30.3';
export const S2 = '198.18.30.4';

export type SEObject = VS & { metadata: { name: string }; status?: { serverUUID?: string; dataInterfaces?: { portUUID?: string }[] } };
export interface Serving { name: string; server: string; vmis: string[] }

export interface Ground {
  h: Harness;
  dp: NetnsDataplane;
  api: Api;
  op: OperatorProcess;
  vip: string;
  url: string;
  /** The stats socket of the SE on Nova server ID (the agent's state directory). */
  sock(server: string): string;
  stats(server: string, timeoutMs?: number): Promise<StatRow[]>;
  /** The VMIs the fabric's VIP route has as next hops now (its kernel state, as last programmed). */
  routeMembers(): string[];
  /** The SEs serving vs2 now: connected, programmed, a vNIC in the fabric's route ([] unless vs2 is Ready). */
  servingNow(exclude?: readonly string[]): Promise<Serving[]>;
  /** Waits for ≥ n of them. */
  serving(n: number, what: string, exclude?: readonly string[], timeoutMs?: number): Promise<Serving[]>;
  pool(servers: Array<{ ip: string; enabled?: boolean }>, lbAlgorithm: 'RoundRobin' | 'LeastConnections'): Promise<void>;
  close(): Promise<void>;
}

/** Sessions each VIP frontend of the SE took (stot): what the spread is counted from. */
export const sessionsOf = (rows: StatRow[]): number => vipFrontendTotals(rows).sessions;

/** Client connections open on the SE's VIP frontends now (scur). */
export const openOf = (rows: StatRow[]): number =>
  rows.filter((r) => r['svname'] === 'FRONTEND' && (r['pxname'] ?? '').startsWith('fe:')).reduce((n, r) => n + Number(r['scur'] ?? 0), 0);

export async function startGround(ses = 3): Promise<Ground> {
  const stateRoot = mkdtempSync(join(tmpdir(), 'lbop-bench-dp-'));
  const dp = agentDataplane(stateRoot, [S1, S2]);
  const h = await startDataplaneHarness('bench-dp', dp);
  try {
    const api = await Api.login(h.sim);
    const op = h.startOperator(['--se-api-addr', `127.0.0.1:${await freePort()}`]);
    const sock = (server: string): string => join(stateRoot, server, 'stats.sock');
    let vip = '';
    const g: Ground = {
      h, dp, api, op, sock,
      get vip() { return vip; },
      get url() { return `http://${vip}/`; },
      stats: (server, timeoutMs = 1000) => showStat(sock(server), timeoutMs),
      routeMembers: () => dp.routeOf(`${vip}/32`)?.members ?? [],
      servingNow: async (exclude = []) => {
        const s = await vsStatus(h);
        if (s?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True') return [];
        const names = (s.serviceEngines ?? []).filter((e) => e.connected === true && e.cloudProgrammingDone === true).map((e) => e.name ?? '');
        const members = new Set(g.routeMembers());
        return (await h.list<SEObject>('ServiceEngine'))
          .filter((x) => names.includes(x.metadata.name))
          .map((x) => ({ name: x.metadata.name, server: x.status?.serverUUID ?? '', vmis: (x.status?.dataInterfaces ?? []).map((d) => d.portUUID ?? '') }))
          .filter((x) => x.server !== '' && !exclude.includes(x.server) && x.vmis.some((v) => members.has(v)));
      },
      serving: (n, what, exclude = [], timeoutMs = 180_000) => h.waitFor(async () => {
        const got = await g.servingNow(exclude);
        return got.length >= n ? got : undefined;
      }, { timeoutMs, intervalMs: 250, what }),
      pool: async (servers, lbAlgorithm) => {
        await h.apply('Pool', { metadata: { name: 'vs2-pool' }, spec: { cloudRef: h.cloudName, lbAlgorithm, servers: servers.map((s) => ({ ip: s.ip, port: 80, ...(s.enabled === false ? { enabled: false } : {}) })) } });
      },
      close: async () => {
        await h.stop();
        rmSync(stateRoot, { recursive: true, force: true });
      },
    };
    await applyGroup(h);
    await g.pool([{ ip: S1 }, { ip: S2 }], 'RoundRobin');
    await applyVS(h, { minSEs: ses, maxSEs: ses });
    await h.waitFor(async () => ((vip = (await vsStatus(h))?.vip?.[0]?.ipAddress ?? '') !== '' ? true : undefined), { timeoutMs: 120_000, intervalMs: 250, what: 'vs2 has a VIP' });
    await g.serving(ses, `vs2 served by ${ses} SEs`);
    await h.waitFor(async () => {
      const r = await runLoad(dp.client, { url: g.url, connections: 4, seconds: 5, maxRequests: 200, newConnections: true, timeoutSeconds: 1 });
      return r.failures === 0 && r.requests >= 200 ? true : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500, what: 'a clean run of 200 requests through the VIP' });
    return g;
  } catch (e) {
    await h.stop();
    rmSync(stateRoot, { recursive: true, force: true });
    throw e;
  }
}
