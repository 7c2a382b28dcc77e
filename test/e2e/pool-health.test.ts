// Pool member health through the controllers, without root: the operator runs in this process
// with the SE API on (buildOperator, as inprocess.test.ts), the simulator boots the SEs, and the
// agents' heartbeats are handed to the operator's agent registry directly — the SE API's transport
// and the real agent are test/integration/seapi.test.ts's and test/e2e-dataplane's. What is checked
// here is what the user reads: Pool status.servers[] health over two SEs (any SE up → UP), upCount,
// Ready's reasons, PoolMemberDown/Up once per transition however many heartbeats repeat it, the VS
// Degraded (MembersDown) and OPER_DOWN (NoMemberUp), silent agents → NotChecked, unused → NotInUse.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { conditionsOf, startHarness, SECRETS_NAMESPACE, type Harness } from './harness.js';
import { applyGroup, applyVS, condition, vsStatus, type PoolObject } from './vs-support.js';
import { parseRunConfig } from '../../src/controllers/config.js';
import { buildOperator, type Operator } from '../../src/controllers/operator.js';
import { caFromPEM, createCA, defaultSEApiConfig, type AgentRegistry, type DesiredConfigs, type Heartbeat, type MemberOperStatus } from '../../src/seapi/index.js';
import type { PoolStatus } from '../../src/api/index.js';

const S1 = '20.0.0.3:80';
const S2 = '20.0.0.4:80';
const POOL = 'vs2-pool';
type Occurrence = { reason: string; note: string; regarding: { name: string; kind: string }; series?: { count: number } };

let h: Harness;
let op: Operator;
const stop = new AbortController();
let running: Promise<unknown>;

/** Fake agents: every 200 ms each SE reports the member states the test set for it. */
class Pump {
  states = new Map<string, Record<string, MemberOperStatus>>();
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  constructor(private readonly agents: AgentRegistry, private readonly ns: string, private readonly configs: DesiredConfigs) {}
  start(): void {
    this.timer = setInterval(() => this.beat(), 200);
  }
  stop(): void {
    clearInterval(this.timer);
  }
  beat(): void {
    for (const [se, members] of this.states) {
      // The agent applied whatever the operator wants of it (the ECMP join gate: it serves the VS).
      const want = this.configs.get(`${this.ns}/${se}`);
      const hb: Heartbeat = {
        bootID: `boot-${se}`, sequence: ++this.seq, sentAt: new Date().toISOString(), agentVersion: 'test', applied: { version: want?.version ?? 0, hash: want?.hash ?? '' },
        vips: [{
          id: `${this.ns}/vs2/0`, listeners: [{ port: 80, up: true }],
          members: Object.entries(members).map(([id, status]) => ({ id, status, ...(status === 'DOWN' ? { reason: 'Layer4 connection problem' } : {}), currentConnections: 0, totalConnections: 0 })),
          currentConnections: 0, totalConnections: 0, bytesIn: 0, bytesOut: 0, requests: 0, errors: { http4xx: 0, http5xx: 0, connection: 0 }, responseTimeMs: 0,
        }],
        se: { cpuPercent: 1, memoryBytes: 1 },
      };
      this.agents.accept(`${this.ns}/${se}`, `server-${se}`, hb);
    }
  }
}

before(async () => {
  h = await startHarness({ name: 'pool-health', sim: { bootTimeMs: 200 } });
  const config = parseRunConfig(['--namespace', h.namespace, '--cluster-id', h.clusterID, '--metrics-addr', '0', '--health-addr', '0',
    '--secrets-namespace', SECRETS_NAMESPACE], {});
  const made = await createCA('pool-health test CA');
  const seapi = {
    config: defaultSEApiConfig(SECRETS_NAMESPACE, { addr: { host: '127.0.0.1', port: 0 }, heartbeatTimeoutMs: 2_000 }),
    ca: await caFromPEM(made.certPem, made.keyPem),
  };
  op = buildOperator(config, { client: h.client, clusterID: h.clusterID, seapi });
  running = op.run(stop.signal);
});
after(async () => {
  stop.abort();
  await running?.catch(() => undefined);
  await h?.stop();
});

describe('pool member health through the controllers (fake agents, in-process operator)', { timeout: 240_000 }, () => {
  let pump: Pump;
  let ses: string[] = [];
  const poolStatus = async (): Promise<PoolStatus | undefined> => (await h.get<PoolObject>('Pool', POOL))?.status;
  const member = (s: PoolStatus | undefined, id: string) => s?.servers?.find((x) => `${x.ip ?? ''}:${x.port ?? 0}` === id);
  const poolUntil = (what: string, pred: (s: PoolStatus | undefined) => boolean, timeoutMs = 20_000): Promise<PoolStatus> =>
    h.waitFor(async () => {
      const s = await poolStatus();
      return pred(s) ? s : undefined;
    }, { timeoutMs, intervalMs: 100, what });
  const vsUntil = (what: string, pred: (s: Awaited<ReturnType<typeof vsStatus>>) => boolean) =>
    h.waitFor(async () => {
      const s = await vsStatus(h);
      return pred(s) ? s : undefined;
    }, { timeoutMs: 20_000, intervalMs: 100, what });
  /** Occurrences, not Event objects: a repeat of the same note is one Event with series.count 2. */
  const events = async (reason: string, id: string): Promise<number> =>
    (await h.events() as Occurrence[]).filter((e) => e.regarding.kind === 'Pool' && e.regarding.name === POOL && e.reason === reason && e.note.includes(id))
      .reduce((n, e) => n + (e.series?.count ?? 1), 0);
  const report = (se: string, s1: MemberOperStatus, s2: MemberOperStatus): void => {
    pump.states.set(se, { [S1]: s1, [S2]: s2 });
  };

  it('an unused pool is Ready (NotInUse); placed but unreported it is NotChecked', async () => {
    const agents = op.context.seChannel?.agents;
    assert.ok(agents !== undefined, 'the SE API is on');
    assert.ok(op.seConfigs !== undefined);
    pump = new Pump(agents, h.namespace, op.seConfigs);
    await h.waitFor(async () => conditionsOf(await h.get('Cloud', h.cloudName))['Ready']?.status === 'True', { what: 'Cloud Ready', timeoutMs: 60_000 });
    await h.apply('Pool', { metadata: { name: POOL }, spec: { cloudRef: h.cloudName, servers: [{ ip: '20.0.0.3', port: 80 }, { ip: '20.0.0.4', port: 80 }], healthMonitor: { type: 'TCP' } } });
    const unused = await poolUntil('Ready NotInUse', (s) => condition(s, 'Ready')?.reason === 'NotInUse');
    assert.equal(condition(unused, 'Ready')?.status, 'True');
    assert.deepEqual(unused.servers?.map((s) => s.operStatus), ['UNKNOWN', 'UNKNOWN']);
    assert.match(unused.servers?.[0]?.operReason ?? '', /no VirtualService uses the pool/);
    await applyGroup(h);
    await applyVS(h, { minSEs: 2 });
    // The agents heartbeat from placement on (an SE joins the ECMP set only once its agent serves
    // the VS), reporting the VIP with no member states yet: checks not run.
    pump.start();
    const placed = await h.waitFor(async () => {
      const s = await vsStatus(h);
      return (s?.serviceEngines ?? []).length === 2 ? s : undefined;
    }, { timeoutMs: 120_000, intervalMs: 250, what: 'vs2 placed on 2 SEs' });
    ses = (placed.serviceEngines ?? []).map((e) => e.name ?? '').sort();
    for (const se of ses) pump.states.set(se, {});
    await h.waitFor(async () => {
      const s = await vsStatus(h);
      return s?.operStatus?.state === 'OPER_UP' && (s.serviceEngines ?? []).filter((e) => e.cloudProgrammingDone === true).length === 2 ? s : undefined;
    }, { timeoutMs: 120_000, intervalMs: 250, what: 'vs2 OPER_UP on 2 SEs' });
    const unchecked = await poolUntil('Ready NotChecked', (s) => condition(s, 'Ready')?.reason === 'NotChecked');
    assert.equal(condition(unchecked, 'Ready')?.status, 'Unknown');
  });

  it('both SEs see both up: MembersUp, upCount 2, each SE listed', async () => {
    for (const se of ses) report(se, 'UP', 'UP');
    const s = await poolUntil('both UP', (x) => x?.upCount === 2);
    assert.deepEqual([condition(s, 'Ready')?.status, condition(s, 'Ready')?.reason], ['True', 'MembersUp']);
    assert.deepEqual(member(s, S1)?.serviceEngines, ses.map((name) => ({ name, operStatus: 'UP' })));
    const vs = await vsUntil('vs2 not Degraded', (x) => condition(x, 'Degraded')?.reason === 'AllUp');
    assert.equal(vs.operStatus?.state, 'OPER_UP');
  });

  it('one SE sees a server down, the other up: still UP (any SE up), no event', async () => {
    const [a, b] = ses as [string, string];
    report(a, 'UP', 'DOWN');
    report(b, 'UP', 'UP');
    const s = await poolUntil(`${a} sees ${S2} DOWN`, (x) => member(x, S2)?.serviceEngines?.find((e) => e.name === a)?.operStatus === 'DOWN');
    assert.equal(member(s, S2)?.operStatus, 'UP');
    assert.equal(s.upCount, 2);
    await new Promise((r) => setTimeout(r, 1_000)); // an event would have been sent by now
    assert.equal(await events('PoolMemberDown', S2), 0);
  });

  it('every SE sees it down: DOWN with the checks\' reason, one PoolMemberDown over many heartbeats, the VS Degraded', async () => {
    for (const se of ses) report(se, 'UP', 'DOWN');
    const s = await poolUntil(`${S2} DOWN`, (x) => member(x, S2)?.operStatus === 'DOWN');
    assert.match(member(s, S2)?.operReason ?? '', /Layer4 connection problem/);
    assert.equal(s.upCount, 1);
    assert.equal(condition(s, 'Ready')?.status, 'True');
    const vs = await vsUntil('vs2 Degraded MembersDown', (x) => condition(x, 'Degraded')?.reason === 'MembersDown');
    assert.equal(condition(vs, 'Degraded')?.status, 'True');
    assert.match(condition(vs, 'Degraded')?.message ?? '', /20\.0\.0\.4:80/);
    const downAt = member(s, S2)?.lastChangeTime;
    await new Promise((r) => setTimeout(r, 3_000)); // ~30 heartbeats saying the same
    assert.equal(await events('PoolMemberDown', S2), 1);
    assert.equal(member(await poolStatus(), S2)?.lastChangeTime, downAt, 'lastChangeTime moves only on a change');
  });

  it('none up: the VS OPER_DOWN (NoMemberUp), the Pool NoMemberUp; back up: PoolMemberUp each, OPER_UP', async () => {
    for (const se of ses) report(se, 'DOWN', 'DOWN');
    const down = await poolUntil('none up', (x) => x?.upCount === 0);
    assert.deepEqual([condition(down, 'Ready')?.status, condition(down, 'Ready')?.reason], ['False', 'NoMemberUp']);
    const vs = await vsUntil('vs2 OPER_DOWN', (x) => x?.operStatus?.state === 'OPER_DOWN');
    assert.equal(condition(vs, 'Ready')?.reason, 'NoMemberUp');
    assert.equal(condition(vs, 'Placed')?.status, 'True');
    for (const se of ses) report(se, 'UP', 'UP');
    await poolUntil('both UP again', (x) => x?.upCount === 2);
    await vsUntil('vs2 OPER_UP again', (x) => x?.operStatus?.state === 'OPER_UP' && condition(x, 'Degraded')?.status === 'False');
    await h.waitFor(async () => ((await events('PoolMemberUp', S1)) >= 1 && (await events('PoolMemberUp', S2)) >= 1 && (await events('PoolMemberDown', S1)) >= 1 ? true : undefined),
      { timeoutMs: 10_000, intervalMs: 200, what: 'PoolMemberUp for both, PoolMemberDown for S1' });
    await new Promise((r) => setTimeout(r, 2_000)); // more heartbeats saying the same
    for (const [reason, id] of [['PoolMemberUp', S1], ['PoolMemberUp', S2], ['PoolMemberDown', S1], ['PoolMemberDown', S2]] as const) {
      assert.equal(await events(reason, id), 1, `${reason} ${id} once`);
    }
  });

  it('agents silent: members UNKNOWN, Ready NotChecked, the VS MembersUnknown; the VS deleted: NotInUse', async () => {
    pump.stop();
    const s = await poolUntil('NotChecked after the heartbeat timeout', (x) => condition(x, 'Ready')?.reason === 'NotChecked');
    assert.deepEqual(s.servers?.map((x) => x.operStatus), ['UNKNOWN', 'UNKNOWN']);
    const vs = await vsUntil('vs2 MembersUnknown', (x) => condition(x, 'Degraded')?.reason === 'MembersUnknown');
    assert.equal(condition(vs, 'Degraded')?.status, 'Unknown');
    await h.remove('VirtualService', 'vs2');
    const unused = await poolUntil('NotInUse once the VS is gone', (x) => condition(x, 'Ready')?.reason === 'NotInUse', 60_000);
    assert.equal(condition(unused, 'Ready')?.status, 'True');
  });
});
