// Data plane under control-channel loss and HAProxy deaths (issue 19), with real agents, HAProxy
// and packets, one VS on exactly ONE SE (every request crosses the SE under fault), and a paced
// client (test/chaos/procs/paced.ts: RATE requests a second, each a new connection, 1 s deadline)
// so that "requests lost" is a count comparable to rate × outage.
//   1. The SE's management path dropped for 2× the heartbeat timeout: the agents reach the SE
//      API through a relay (test/chaos/channel-proxy.ts, advertised with --se-api-url) that goes
//      silent — no RST, connections hang — then comes back; --se-failure-timeout is 1.5× the
//      heartbeat timeout, so the silence outlasts it. Pass: 0 requests lost (the data path never
//      depends on the channel), the operator saw the silence (AgentConnected=False), never
//      declared the SE failed nor replaced it, and the agent heartbeats again within its own
//      bound after the restore (one heartbeat request timeout + one interval).
//   2. HAProxy SIGKILLed (master and workers) K times: the agent restarts it from its last good
//      config at its next report tick. Pass: each time a new master, started by the agent, serves
//      within the budget (1.1 × heartbeat interval + HAPROXY_START_BUDGET_S); requests are lost
//      only inside those windows and at most rate × window; the agent never stopped heartbeating;
//      no failover (the one SE keeps its server, never HeartbeatFailure).
// Root only (network namespaces); otherwise skipped with one line.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../support/cluster.js';
import { registerAgentKeys } from '../support/se-secrets.js';
import { NODE, type NetnsDataplane } from '../../src/sim/dataplane/dataplane.js';
import { conditionsOf, type Harness, type OperatorProcess } from '../e2e/harness.js';
import { applyGroup, applyPool, applyVS, cleanNamespace, vsStatus } from '../e2e/vs-support.js';
import { skipReason } from '../dataplane/support.js';
import { agentDataplane, startDataplaneHarness } from '../e2e-dataplane/support.js';
import { ChannelRelay } from './channel-proxy.js';
import { figures, seeded, size, sleep } from './support.js';
import { freePort } from '../support/net.js';

const skip = skipReason();
if (skip !== undefined) process.stdout.write(`chaos dp-channel: ${skip}\n`);

const HEARTBEAT_TIMEOUT_S = size('DP_CHANNEL_HB_TIMEOUT_S', 10, 4);
/** The operator's default; the agent heartbeats every interval × 0.9–1.1. */
const HEARTBEAT_INTERVAL_S = 2;
const DROP_S = 2 * HEARTBEAT_TIMEOUT_S;
/**
 * Shorter than the drop on purpose: the agent stays silent past it, so only the verdict's
 * data-path check (silent but the vRouter's probe passes: Partitioned, kept) stands between the
 * outage and a replacement.
 */
const FAILURE_TIMEOUT_S = Math.ceil(1.5 * HEARTBEAT_TIMEOUT_S);
const HAPROXY_KILLS = size('DP_HAPROXY_KILLS', 5, 2);
const RATE = size('DP_RATE', 100, 100);
const REQUEST_TIMEOUT_MS = 1000;
/** The agent's heartbeat request timeout (src/agent/channel.ts): a heartbeat in flight at the restore may hang that long. */
const AGENT_REQUEST_TIMEOUT_S = 10;
/**
 * From the agent noticing the dead master to requests served again: `haproxy -c` of the last
 * good config, the master and its worker up, and the vRouter's health check (0.5 s apart) taking
 * the SE back into ECMP after it withdrew it.
 */
const HAPROXY_START_BUDGET_S = 3;
const RESTART_BUDGET_S = 1.1 * HEARTBEAT_INTERVAL_S + HAPROXY_START_BUDGET_S;
const POOL_SERVER = '198.18.30.3';

type SEObject = { metadata: { name: string }; status?: { serverUUID?: string; conditions?: { type: string; status: string; reason: string }[] } };

/** procs/paced.ts in the client namespace; stop() returns every request's [sentAt, outcome]. */
class PacedClient {
  private progress = { ok: 0, errors: 0, lastOkSentAt: 0 };
  private out = '';
  private constructor(private readonly p: ChildProcess) {
    p.stdout?.setEncoding('utf8').on('data', (d: string) => {
      this.out += d;
      const lines = this.out.split('\n');
      this.out = lines.pop() ?? '';
      for (const l of lines) if (l.startsWith('{"ok"')) this.progress = JSON.parse(l) as PacedClient['progress'];
        else if (l.startsWith('{"results"')) this.final = (JSON.parse(l) as { results: Array<[number, string]> }).results;
    });
  }

  private final: Array<[number, string]> | undefined;

  static async start(dp: NetnsDataplane, url: string): Promise<PacedClient> {
    const p = dp.netns.spawnIn(dp.client, [NODE, join(repoRoot, 'test/chaos/procs/paced.ts'), url, String(RATE), String(REQUEST_TIMEOUT_MS), `lbop-${dp.netns.run}-paced`]);
    p.stderr?.on('data', (b: Buffer) => process.stderr.write(b));
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('paced client not ready in 15 s')), 15_000);
      p.stdout?.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    return new PacedClient(p);
  }

  /** The send time of the newest request answered 200 so far. */
  lastOk(): number {
    return this.progress.lastOkSentAt;
  }

  async stop(): Promise<Array<[number, string]>> {
    const exited = new Promise((r) => this.p.once('exit', r));
    this.p.stdin?.end();
    await exited;
    if (this.final === undefined) throw new Error('the paced client printed no results');
    return this.final;
  }
}

/** Every change of the SE's repair conditions, sampled every 250 ms. */
class SETimeline {
  readonly samples: Array<{ at: number; ses: number; server: string; cond: Record<string, string> }> = [];
  private timer: NodeJS.Timeout | undefined;
  constructor(private readonly h: Harness) {}
  start(): void {
    this.timer = setInterval(() => {
      void this.h.list<SEObject>('ServiceEngine').then((list) => {
        const c = conditionsOf(list[0] as never);
        this.samples.push({
          at: Date.now(), ses: list.length, server: list[0]?.status?.serverUUID ?? '',
          cond: Object.fromEntries(['AgentConnected', 'Partitioned', 'HeartbeatFailure', 'Ready'].map((t) => [t, `${c[t]?.status ?? '-'}/${c[t]?.reason ?? ''}`])),
        });
      }).catch(() => undefined);
    }, 250);
  }
  stop(): void {
    clearInterval(this.timer);
  }
  between(from: number, to: number): SETimeline['samples'] {
    return this.samples.filter((s) => s.at >= from && s.at <= to);
  }
  first(from: number, pred: (c: Record<string, string>) => boolean): number | undefined {
    return this.samples.find((s) => s.at >= from && pred(s.cond))?.at;
  }
}

const alive = (pid: number): boolean => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
const parentOf = (pid: number): number => Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
const childrenOf = (pid: number): number[] => readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter((x) => x !== '').map(Number);
const cmdline = (pid: number): string => readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');

describe('data plane: the SE channel dropped, HAProxy SIGKILLed, under paced traffic', { skip, timeout: 600_000 }, () => {
  let h: Harness;
  let dp: NetnsDataplane;
  let op: OperatorProcess;
  let relay: ChannelRelay;
  let timeline: SETimeline;
  const stateRoot = mkdtempSync(join(tmpdir(), 'lbop-chaos-dpch-'));
  let serverID = '';
  let url = '';

  before(async () => {
    dp = agentDataplane(stateRoot, [POOL_SERVER]);
    h = await startDataplaneHarness('chaos-dp-channel', dp);
    const seApiPort = await freePort();
    relay = new ChannelRelay(seApiPort);
    const relayPort = await relay.listen();
    op = h.startOperator([
      '--se-api-addr', `127.0.0.1:${seApiPort}`, '--se-api-url', `https://127.0.0.1:${relayPort}`,
      '--se-heartbeat-timeout', String(HEARTBEAT_TIMEOUT_S), '--se-failure-timeout', String(FAILURE_TIMEOUT_S),
    ]);
    timeline = new SETimeline(h);
  });

  after(async () => {
    timeline?.stop();
    registerAgentKeys(stateRoot);
    if (h !== undefined) {
      await cleanNamespace(h, 120_000).catch((e: unknown) => console.error(`cleanup: ${(e as Error).message}`));
      await h.stop();
    }
    await relay?.close();
    rmSync(stateRoot, { recursive: true, force: true });
  });

  const heartbeats = async (): Promise<number> => (await h.metrics(op)).split('\n')
    .filter((l) => l.startsWith('lbop_se_api_requests_total{') && l.includes('path="/v1/heartbeat"') && l.includes('code="200"'))
    .reduce((n, l) => n + Number(l.split(' ').pop()), 0);

  it('one SE serves the VIP through the relayed channel', async () => {
    await applyGroup(h, 'default', { maxSEs: 1 });
    await applyPool(h, 'vs2-pool', [{ ip: POOL_SERVER, port: 80 }]);
    await applyVS(h, { minSEs: 1, maxSEs: 1 });
    const se = await h.waitFor(async () => {
      const s = await vsStatus(h);
      const connected = (s?.serviceEngines ?? []).filter((e) => e.connected === true);
      if (s?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True' || connected.length !== 1) return undefined;
      return (await h.list<SEObject>('ServiceEngine')).find((x) => x.metadata.name === connected[0]?.name);
    }, { timeoutMs: 180_000, intervalMs: 500, what: 'vs2 Ready, served by 1 connected SE' });
    serverID = se.status?.serverUUID ?? '';
    url = `http://${(await vsStatus(h))?.vip?.[0]?.ipAddress ?? ''}/`;
    assert.ok(relay.relayedConnections > 0, 'the agent reached the SE API through the relay');
    // The VIP answers (the first packets may race the health check's admission).
    const c = await PacedClient.start(dp, url);
    await h.waitFor(async () => c.lastOk() > 0 || undefined, { what: 'a first request served', timeoutMs: 30_000, intervalMs: 100 });
    await c.stop();
    timeline.start();
  });

  it(`the channel dropped for ${DROP_S} s (2× the heartbeat timeout): 0 requests lost, silence seen, no failover, the agent back`, async () => {
    assert.ok(serverID !== '', 'the first step found the SE');
    const client = await PacedClient.start(dp, url);
    await sleep(2000);
    const tDrop = Date.now();
    relay.drop();
    await sleep(DROP_S * 1000);
    const seen = await heartbeats();
    const tRestore = Date.now();
    relay.restore();
    await h.waitFor(async () => (await heartbeats()) > seen || undefined, { what: 'a heartbeat after the restore', timeoutMs: 60_000, intervalMs: 200 });
    const backS = (Date.now() - tRestore) / 1000;
    const tConnected = await h.waitFor(async () => timeline.first(tRestore, (c) => c['AgentConnected']?.startsWith('True') === true), { what: 'AgentConnected=True again', timeoutMs: 30_000, intervalMs: 250 });
    await sleep(2000);
    const results = await client.stop();
    const lost = results.filter(([, o]) => !o.startsWith('ok:'));
    const servers = [...new Set(results.filter(([, o]) => o.startsWith('ok:')).map(([, o]) => o.slice(3)))];
    const during = timeline.between(tDrop, tConnected);
    const silentAt = timeline.first(tDrop, (c) => c['AgentConnected']?.startsWith('False') === true);
    const partitionedAt = timeline.first(tDrop, (c) => c['Partitioned']?.startsWith('True') === true);
    const failed = during.filter((s) => s.cond['HeartbeatFailure']?.startsWith('True') === true || s.ses !== 1 || s.server !== serverID);
    const s = (t: number | undefined): string => (t === undefined ? '-' : ((t - tDrop) / 1000).toFixed(1));
    figures('dp-channel', {
      heartbeatTimeoutS: HEARTBEAT_TIMEOUT_S, dropS: DROP_S, rate: RATE, requests: results.length, lost: lost.length,
      agentConnectedFalseAtS: s(silentAt), partitionedAtS: s(partitionedAt), heartbeatAfterRestoreS: backS.toFixed(1),
      connectedAfterRestoreS: ((tConnected - tRestore) / 1000).toFixed(1), heldConnections: relay.heldConnections,
      seSamples: during.length, failover: failed.length,
    });
    assert.ok(results.length >= RATE * DROP_S * 0.8, `the client sent at its rate (${results.length} requests)`);
    assert.deepEqual(lost.slice(0, 5), [], `no request lost while the channel was down (${lost.length} lost)`);
    assert.deepEqual(servers, [POOL_SERVER], 'every response from the pool server');
    assert.ok(relay.heldConnections > 0, 'the agent kept trying during the drop (its connections went nowhere)');
    assert.ok(silentAt !== undefined && silentAt < tRestore + 1000, 'the operator saw the silence: AgentConnected=False during the drop');
    // Partitioned needs the heartbeat timeout, then the data-path read after the probe's settle
    // time (docs/se-repair.md): asserted when the drop leaves it 8 s for that.
    if (DROP_S >= HEARTBEAT_TIMEOUT_S + 8) assert.ok(partitionedAt !== undefined && partitionedAt < tRestore + 1000, 'Partitioned=True during the drop (silent agent, passing data path)');
    assert.deepEqual(failed.slice(0, 3), [], 'no failover: one SE, the same server, never HeartbeatFailure');
    const bound = AGENT_REQUEST_TIMEOUT_S + 1.1 * HEARTBEAT_INTERVAL_S + 1;
    assert.ok(backS <= bound, `the agent heartbeats again ${backS.toFixed(1)} s after the restore (bound ${bound} s: a hung request's timeout + one interval)`);
  });

  it(`HAProxy SIGKILLed ${HAPROXY_KILLS} times: the agent restarts it, requests lost only in the restart windows, no failover`, async () => {
    assert.ok(serverID !== '', 'the first step found the SE');
    const dir = join(stateRoot, serverID);
    const master = (): number => Number(readFileSync(join(dir, 'haproxy.pid'), 'utf8').trim().split('\n')[0]);
    const client = await PacedClient.start(dp, url);
    const rand = seeded(20261203);
    const tStart = Date.now();
    await sleep(2000);
    const kills: Array<{ at: number; restartedMs: number; servedMs: number; by: string }> = [];
    for (let k = 0; k < HAPROXY_KILLS; k++) {
      const old = master();
      assert.ok(alive(old), `HAProxy master ${old} runs before kill ${k + 1}`);
      const agent = parentOf(old);
      const victims = [old, ...childrenOf(old)];
      const at = Date.now();
      for (const pid of victims) process.kill(pid, 'SIGKILL');
      const fresh = await h.waitFor(async () => {
        const m = existsSync(join(dir, 'haproxy.pid')) ? master() : 0;
        return m !== old && m > 0 && alive(m) ? m : undefined;
      }, { what: `a new HAProxy master after kill ${k + 1}`, timeoutMs: 60_000, intervalMs: 50 });
      const restartedMs = Date.now() - at;
      await h.waitFor(async () => client.lastOk() > at || undefined, { what: `served again after kill ${k + 1}`, timeoutMs: 60_000, intervalMs: 50 });
      // By whom: the new master's parent is the same agent process that ran the old one.
      const by = parentOf(fresh) === agent && cmdline(agent).includes('se-agent') ? 'agent' : `pid ${parentOf(fresh)}: ${cmdline(parentOf(fresh)).slice(0, 80)}`;
      kills.push({ at, restartedMs, servedMs: client.lastOk() - at, by });
      await sleep(1500 + Math.floor(rand() * 1500));
    }
    const results = await client.stop();
    const tEnd = Date.now();
    const lost = results.filter(([, o]) => !o.startsWith('ok:'));
    // A kill's window: requests in flight at the kill (sent up to one deadline before) through the first one served again.
    const windows = kills.map((k) => ({ from: k.at - REQUEST_TIMEOUT_MS, to: k.at + k.servedMs }));
    const outside = lost.filter(([t]) => !windows.some((w) => t >= w.from && t <= w.to));
    const sentInWindows = results.filter(([t]) => windows.some((w) => t >= w.from && t <= w.to)).length;
    const errorKinds = Object.entries(lost.reduce<Record<string, number>>((m, [, o]) => ({ ...m, [o]: (m[o] ?? 0) + 1 }), {})).map(([k, v]) => `${k}:${v}`).join(',');
    const samples = timeline.between(tStart, tEnd);
    const failed = samples.filter((s) => s.cond['HeartbeatFailure']?.startsWith('True') === true || s.ses !== 1 || s.server !== serverID);
    const silent = samples.filter((s) => s.cond['AgentConnected']?.startsWith('False') === true);
    const lostBound = Math.ceil(RATE * HAPROXY_KILLS * (RESTART_BUDGET_S + REQUEST_TIMEOUT_MS / 1000));
    figures('dp-haproxy-kill', {
      kills: kills.length, rate: RATE, requests: results.length, lost: lost.length, lostBound, lostKinds: errorKinds || '-',
      lostOutsideWindows: outside.length, sentInWindows,
      restartMinS: (Math.min(...kills.map((k) => k.restartedMs)) / 1000).toFixed(2), restartMaxS: (Math.max(...kills.map((k) => k.restartedMs)) / 1000).toFixed(2),
      servedAgainMinS: (Math.min(...kills.map((k) => k.servedMs)) / 1000).toFixed(2), servedAgainMaxS: (Math.max(...kills.map((k) => k.servedMs)) / 1000).toFixed(2),
      budgetS: RESTART_BUDGET_S.toFixed(1), seSamples: samples.length, agentSilentSamples: silent.length, failover: failed.length,
    });
    assert.equal(kills.length, HAPROXY_KILLS);
    assert.deepEqual(kills.filter((k) => k.by !== 'agent').map((k) => k.by), [], 'every new master was started by the SE\'s agent');
    for (const [i, k] of kills.entries()) assert.ok(k.servedMs <= RESTART_BUDGET_S * 1000, `kill ${i + 1}: served again after ${(k.servedMs / 1000).toFixed(2)} s (budget ${RESTART_BUDGET_S.toFixed(1)} s)`);
    assert.ok(lost.length > 0, 'killing the only SE\'s HAProxy loses the requests in flight (else the fault did not bite)');
    assert.deepEqual(outside.slice(0, 5), [], `requests lost only inside a kill's window (${outside.length} outside)`);
    assert.ok(lost.length <= lostBound, `${lost.length} requests lost ≤ ${lostBound} (rate × kills × (budget + deadline))`);
    assert.deepEqual(silent.slice(0, 3), [], 'the agent kept heartbeating while HAProxy restarted');
    assert.deepEqual(failed.slice(0, 3), [], 'no failover: one SE, the same server, never HeartbeatFailure');
  });
});
