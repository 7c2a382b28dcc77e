// Data plane under agent crashes (issue 19): real traffic with wrk from the client namespace to a
// VIP served by ONE SE (so every request crosses the SE whose agent dies), while that SE's agent
// is SIGKILLed K times and restarted each time by a supervisor (what systemd does on a real SE).
// Pass: HAProxy keeps serving — 0 failed requests over the whole run, the same HAProxy master
// before and after (each restarted agent logs that it adopted it), each restarted agent
// heartbeats to the operator again (its SE API counter), and the operator neither fails the SE
// over nor replaces it.
// Root only (network namespaces); otherwise skipped with one line.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../support/cluster.js';
import { registerAgentKeys } from '../support/se-secrets.js';
import { NetnsDataplane } from '../../src/sim/dataplane/dataplane.js';
import type { SeContext, SeRunner } from '../../src/sim/dataplane/runner.js';
import { runLoad, type LoadResult } from '../../src/sim/dataplane/loadgen.js';
import { startHarness, type Harness, type OperatorProcess } from '../e2e/harness.js';
import { applyGroup, applyPool, applyVS, cleanNamespace, vsStatus } from '../e2e/vs-support.js';
import { skipReason } from '../dataplane/support.js';
import { figures, seeded, size, sleep } from './support.js';
import { freePort } from '../support/net.js';

const skip = skipReason();
if (skip !== undefined) process.stdout.write(`chaos dp-agent-crash: ${skip}\n`);

const KILLS = size('DP_AGENT_KILLS', 10, 4);
const POOL_SERVER = '198.18.30.3';
type SEObject = { metadata: { name: string; namespace?: string }; status?: { serverUUID?: string; conditions?: { type: string; status: string; reason: string }[] } };

/**
 * One agent per SE, restarted 200 ms after the test SIGKILLs it (a supervisor's Restart=always).
 * The data plane gets the first process; the ones started later are this runner's to stop.
 */
class SupervisedAgents implements SeRunner {
  readonly current = new Map<string, ChildProcess>();
  /** Each agent process's log (JSON lines, info level). */
  readonly output = new Map<ChildProcess, string>();
  readonly starts = new Map<string, number>();
  private readonly killedByTest = new Set<ChildProcess>();
  private stopping = false;

  constructor(private readonly stateRoot: string) {}

  start(se: SeContext): ChildProcess[] {
    const spawnAgent = (): ChildProcess => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli.ts'), 'se-agent',
        '--config-drive', se.configDrive ?? '', '--netns', se.netns, '--state-dir', join(this.stateRoot, se.serverId), '--log-level', 'info'],
      { cwd: repoRoot, stdio: ['ignore', 'inherit', 'pipe'] });
      this.output.set(child, '');
      // The agent logs to stderr: kept to see what it did, and passed on as before.
      child.stderr?.on('data', (b: Buffer) => {
        this.output.set(child, (this.output.get(child) ?? '') + b.toString());
        process.stderr.write(b);
      });
      this.current.set(se.serverId, child);
      this.starts.set(se.serverId, (this.starts.get(se.serverId) ?? 0) + 1);
      child.once('exit', () => {
        if (this.stopping || !this.killedByTest.delete(child)) return;
        setTimeout(() => {
          if (!this.stopping) spawnAgent();
        }, 200);
      });
      return child;
    };
    return [spawnAgent()];
  }

  /** SIGKILLs the SE's agent (the supervisor restarts it); resolves once it is dead. */
  async kill(serverID: string): Promise<void> {
    const child = this.current.get(serverID);
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) throw new Error(`no live agent for ${serverID}`);
    this.killedByTest.add(child);
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
  }

  /** Stops every agent for good (SIGTERM: each stops its HAProxy). */
  async stopAll(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.current.values()].map(async (c) => {
      if (c.exitCode !== null || c.signalCode !== null) return;
      const gone = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      const t = setTimeout(() => c.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(t);
    }));
  }
}

describe('data plane: SE agent SIGKILLed repeatedly under real traffic', { skip, timeout: 420_000 }, () => {
  let h: Harness;
  let dp: NetnsDataplane;
  let op: OperatorProcess;
  const stateRoot = mkdtempSync(join(tmpdir(), 'lbop-chaos-dp-'));
  const agents = new SupervisedAgents(stateRoot);

  before(async () => {
    dp = new NetnsDataplane({ log: () => undefined, poolServers: [POOL_SERVER], runner: agents });
    h = await startHarness({ name: 'chaos-dp-agent', sim: { topology: join(repoRoot, 'test/e2e-dataplane/topology.yaml'), plugins: [dp], bootTimeMs: 200 } });
    op = h.startOperator(['--se-api-addr', `127.0.0.1:${await freePort()}`]);
  });

  after(async () => {
    await agents.stopAll();
    registerAgentKeys(stateRoot);
    if (h !== undefined) {
      await cleanNamespace(h, 120_000).catch((e: unknown) => console.error(`cleanup: ${(e as Error).message}`));
      await h.stop();
    }
    rmSync(stateRoot, { recursive: true, force: true });
  });

  it(`${KILLS} agent SIGKILLs under wrk traffic: 0 failed requests, HAProxy never restarted, no failover`, async () => {
    await applyGroup(h, 'default', { maxSEs: 1 });
    await applyPool(h, 'vs2-pool', [{ ip: POOL_SERVER, port: 80 }]);
    await applyVS(h, { minSEs: 1, maxSEs: 1 });
    const se = await h.waitFor(async () => {
      const s = await vsStatus(h);
      const connected = (s?.serviceEngines ?? []).filter((e) => e.connected === true);
      if (s?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True' || connected.length !== 1) return undefined;
      return (await h.list<SEObject & { spec: Record<string, unknown>; metadata: { name: string } }>('ServiceEngine')).find((x) => x.metadata.name === connected[0]?.name);
    }, { timeoutMs: 180_000, intervalMs: 500, what: 'vs2 Ready, served by 1 connected SE' });
    const serverID = se.status?.serverUUID ?? '';
    const vip = (await vsStatus(h))?.vip?.[0]?.ipAddress ?? '';
    const url = `http://${vip}/`;
    await h.waitFor(async () => {
      const r = await runLoad(dp.client, { url, connections: 1, seconds: 1, maxRequests: 1, newConnections: true, timeoutSeconds: 1 });
      return r.requests >= 1 && r.failures === 0 ? r : undefined;
    }, { timeoutMs: 30_000, intervalMs: 100, what: 'a first served request' });
    const masterPID = (): number => Number(readFileSync(join(stateRoot, serverID, 'haproxy.pid'), 'utf8').trim().split('\n')[0]);
    const masterBefore = masterPID();
    // A restarted agent is back when it has adopted the running HAProxy (its own log line).
    // …and talks to the operator again when the SE API counts a heartbeat after that (one SE: no other agent sends them).
    const heartbeats = async (): Promise<number> => (await h.metrics(op)).split('\n')
      .filter((l) => l.startsWith('lbop_se_api_requests_total{') && l.includes('path="/v1/heartbeat"') && l.includes('code="200"'))
      .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
    const adoptedBy = (killed: ChildProcess): boolean => {
      const now = agents.current.get(serverID);
      return now !== undefined && now !== killed && /"message":"adopted the running HAProxy master"/.test(agents.output.get(now) ?? '');
    };

    const rand = seeded(20261204);
    // wrk in 5 s runs back to back until the kills are done: how long a restart takes depends on
    // the machine's load, so the traffic window follows the kills, not a fixed duration.
    let loading = true;
    const runs: LoadResult[] = [];
    const loadLoop = (async () => {
      while (loading) runs.push(await runLoad(dp.client, { url, connections: 4, seconds: 5, maxRequests: 10_000_000, newConnections: true, timeoutSeconds: 2 }));
    })();
    const backMs: number[] = [];
    const adoptMs: number[] = [];
    await sleep(2000);
    for (let k = 0; k < KILLS; k++) {
      const killed = agents.current.get(serverID) as ChildProcess;
      const killedAt = Date.now();
      await agents.kill(serverID);
      await h.waitFor(async () => adoptedBy(killed) || undefined, { what: `restarted agent ${k + 1} adopts the running HAProxy`, timeoutMs: 60_000, intervalMs: 100 });
      adoptMs.push(Date.now() - killedAt);
      const seen = await heartbeats();
      await h.waitFor(async () => (await heartbeats()) > seen || undefined, { what: `restarted agent ${k + 1} heartbeats to the operator`, timeoutMs: 60_000, intervalMs: 200 });
      backMs.push(Date.now() - killedAt);
      await sleep(500 + Math.floor(rand() * 1500));
    }
    loading = false;
    await loadLoop;
    const r = {
      requests: runs.reduce((n, x) => n + x.requests, 0), failures: runs.reduce((n, x) => n + x.failures, 0),
      seconds: runs.reduce((n, x) => n + x.seconds, 0),
      errors: runs.map((x) => x.errors).filter((e) => Object.values(e).some((v) => v > 0)),
      servers: [...new Set(runs.flatMap((x) => Object.keys(x.perServer)))],
      p99ms: Math.max(...runs.map((x) => x.latencyUs.p99)) / 1000, maxms: Math.max(...runs.map((x) => x.latencyUs.max)) / 1000,
    };
    const kills = backMs.length;
    const masterAfter = masterPID();
    const ses = await h.list<SEObject>('ServiceEngine');
    const failedOver = ses.some((s) => (s.status?.conditions ?? []).some((c) => c.reason === 'ServerFailed')) || ses.length !== 1 || ses[0]?.status?.serverUUID !== serverID;
    figures('dp-agent-crash', {
      requests: r.requests, failed: r.failures, agentKills: kills, agentStarts: agents.starts.get(serverID) ?? 0,
      adoptedHAProxyMaxS: (Math.max(...adoptMs) / 1000).toFixed(1),
      heartbeatAgainMinS: (Math.min(...backMs) / 1000).toFixed(1), heartbeatAgainMaxS: (Math.max(...backMs) / 1000).toFixed(1),
      wrkRuns: runs.length, seconds: r.seconds.toFixed(1), rps: (r.requests / r.seconds).toFixed(0), worstP99ms: r.p99ms.toFixed(1), maxms: r.maxms.toFixed(1),
      haproxyMasterSame: masterAfter === masterBefore ? 1 : 0, failover: failedOver ? 1 : 0,
    });
    assert.equal(kills, KILLS);
    assert.equal(agents.starts.get(serverID), KILLS + 1, 'the agent was restarted after every kill');
    assert.ok(r.requests > 1000, `real traffic flowed (${r.requests} requests)`);
    assert.equal(r.failures, 0, `no request failed while the agent restarted: ${JSON.stringify(r.errors)}`);
    assert.deepEqual(r.servers, [POOL_SERVER], 'every response from the pool server');
    assert.equal(masterAfter, masterBefore, 'the same HAProxy master throughout: each restarted agent adopted it');
    assert.equal(failedOver, false, 'no failover: the one SE kept its server and was never marked failed');
  });
});
