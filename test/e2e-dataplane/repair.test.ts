// Heartbeat repair end to end (issue 13 §3, docs/se-repair.md) with real agents, HAProxy and
// packets: 3 SEs serve vs2 through the fabric's ECMP group, each data vNIC carrying the SE's
// Contrail service-health-check (the fabric's prober runs it against the SE's HAProxy). Faults
// Nova never sees (the servers stay ACTIVE):
//   - only the agent stopped (SIGSTOP): the control channel is lost, the data path serves →
//     Partitioned, never replaced, and requests keep flowing — through that SE too;
//   - the whole SE hung (agent + HAProxy): the probe withdraws it from ECMP in seconds (traffic
//     recovers with no operator), then after --se-failure-timeout it is replaced;
//   - two of three hung at once: more than the breaker allows → RepairsHeld, nobody replaced.
// Timeouts are shortened by flags (--se-heartbeat-timeout 4, --se-failure-timeout 20: an agent starting under load can take 15 s to first heartbeat) so the
// file runs in minutes; the defaults (10 s / 60 s) are the same code with other numbers.
// Root only (network namespaces); otherwise skipped with one line.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetnsDataplane } from '../../src/sim/dataplane/dataplane.js';
import { runLoad, type LoadResult } from '../../src/sim/dataplane/loadgen.js';
import { conditionsOf, type Harness, type OperatorProcess } from '../e2e/harness.js';
import { applyGroup, applyPool, applyVS, vsStatus, type VS } from '../e2e/vs-support.js';
import { Api, skipReason } from '../dataplane/support.js';
import { agentDataplane, startDataplaneHarness } from './support.js';
import { freePort } from '../support/net.js';

const skip = skipReason();
if (skip !== undefined) process.stdout.write(`e2e-dataplane repair: ${skip}\n`);

const POOL_SERVER = '198.18.30.3';
const HEARTBEAT_TIMEOUT_S = 4;
const FAILURE_TIMEOUT_S = 20;
type SEObject = { metadata: { name: string; uid: string; deletionTimestamp?: string }; status?: { serverUUID?: string; dataInterfaces?: { portUUID?: string }[]; conditions?: { type: string; status: string; reason: string }[] } };

/** Sessions an SE's HAProxy took on its VIP frontends (`show stat` stot of the fe:… rows). */
async function vipSessions(stateRoot: string, serverID: string): Promise<number> {
  const csv = await new Promise<string>((resolve, reject) => {
    const c = createConnection(join(stateRoot, serverID, 'stats.sock'));
    let out = '';
    c.setTimeout(3000, () => c.destroy(new Error('stats socket timeout')));
    c.on('connect', () => c.write('show stat\n'));
    c.on('data', (d) => (out += d.toString()));
    c.on('end', () => resolve(out));
    c.on('error', reject);
  });
  const lines = csv.split('\n');
  const header = (lines[0] ?? '').replace(/^# /, '').split(',');
  const [px, sv, stot] = ['pxname', 'svname', 'stot'].map((n) => header.indexOf(n));
  let total = 0;
  for (const l of lines.slice(1)) {
    const f = l.split(',');
    if (f[sv ?? -1] === 'FRONTEND' && (f[px ?? -1] ?? '').startsWith('fe:')) total += Number(f[stot ?? -1] ?? 0);
  }
  return total;
}

describe('SE heartbeat repair: dead → replaced, partitioned → kept, many at once → held', { skip, timeout: 600_000 }, () => {
  let h: Harness;
  let dp: NetnsDataplane;
  let api: Api;
  let op: OperatorProcess;
  const stateRoot = mkdtempSync(join(tmpdir(), 'lbop-e2e-repair-'));
  let vip = '';
  const frozen: string[] = [];
  /** Every change of an SE's repair state, seen by a 250 ms poller: `ms name server state`. */
  const timeline: Array<{ at: number; key: string; state: string }> = [];
  const last = new Map<string, string>();
  let polling: NodeJS.Timeout | undefined;
  const firstSeen = (key: string, re: RegExp, since: number): number | undefined => timeline.find((t) => t.key === key && t.at >= since && re.test(t.state))?.at;

  before(async () => {
    dp = agentDataplane(stateRoot, [POOL_SERVER]);
    h = await startDataplaneHarness('e2e-dp-repair', dp);
    api = await Api.login(h.sim);
    polling = setInterval(() => {
      void h.list<SEObject>('ServiceEngine').then((list) => {
        const present = new Set<string>();
        for (const x of list) {
          const key = `${x.metadata.name}/${x.status?.serverUUID ?? ''}`;
          present.add(key);
          const c = (t: string): string => `${t}=${(x.status?.conditions ?? []).find((y) => y.type === t)?.status ?? '-'}`;
          const state = [c('Ready'), c('AgentConnected'), c('Partitioned'), c('HeartbeatFailure'), x.metadata.deletionTimestamp !== undefined ? 'deleting' : ''].join(' ');
          if (last.get(key) !== state) timeline.push({ at: Date.now(), key, state });
          last.set(key, state);
        }
        for (const key of [...last.keys()]) if (!present.has(key)) { timeline.push({ at: Date.now(), key, state: 'gone' }); last.delete(key); }
      }).catch(() => undefined);
    }, 250);
    op = h.startOperator([
      '--se-api-addr', `127.0.0.1:${await freePort()}`,
      '--se-heartbeat-timeout', String(HEARTBEAT_TIMEOUT_S), '--se-failure-timeout', String(FAILURE_TIMEOUT_S),
      '--orphan-sweep-period', '10',
    ]);
  });

  after(async () => {
    clearInterval(polling);
    for (const id of frozen) dp?.thawSE(id);
    await h?.stop();
    rmSync(stateRoot, { recursive: true, force: true });
  });

  const load = (requests: number, seconds = 20): Promise<LoadResult> =>
    runLoad(dp.client, { url: `http://${vip}/`, connections: 4, seconds, maxRequests: requests, newConnections: true, timeoutSeconds: 1 });

  const ses = (): Promise<Array<SEObject & VS>> => h.list<SEObject & VS>('ServiceEngine');
  const se = async (name: string): Promise<SEObject | undefined> => (await ses()).find((s) => s.metadata.name === name);
  const cond = (s: SEObject | undefined, type: string): { status: string; reason: string } | undefined => conditionsOf(s as never)[type];

  /** vs2 Ready and served by n connected SEs; returns them. */
  const serving = async (n: number, what: string, exclude: readonly string[] = []): Promise<SEObject[]> =>
    h.waitFor(async () => {
      const s = await vsStatus(h);
      const connected = (s?.serviceEngines ?? []).filter((e) => e.connected === true && !exclude.includes(e.name ?? ''));
      if (s?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True' || connected.length < n) return undefined;
      return (await ses()).filter((x) => connected.some((c) => c.name === x.metadata.name));
    }, { timeoutMs: 180_000, intervalMs: 500, what });

  /** What a failed wait should show: the probes' transitions and every SE's repair conditions. */
  const diag = async (e: unknown): Promise<never> => {
    const list = await ses();
    const conds = list.map((s) => `${s.metadata.name} ${s.status?.serverUUID ?? ''}: ${(s.status?.conditions ?? []).map((c) => `${c.type}=${c.status}/${c.reason}`).join(' ')}`);
    const t0 = timeline[0]?.at ?? 0;
    const tl = timeline.map((t) => `+${t.at - t0} ${t.key} ${t.state}`).slice(-40).join('\n');
    const events = (await h.events()).map((x) => `${x.reason}:${x.regarding.name}`);
    throw new Error(`${(e as Error).message}\ntimeline:\n${tl}\nevents: ${events.slice(-30).join(' ')}\nprobe events: ${JSON.stringify(dp.probeEvents.slice(-20))}\nSEs:\n${conds.join('\n')}\noperator: ${op.output().split('\n').filter((l) => /error|warn/i.test(l)).slice(-15).join('\n')}`);
  };

  /** Load until a run of `requests` has no failure; the runs before it and the time it took. */
  const untilClean = async (requests: number, what: string): Promise<{ ms: number; failedBefore: number; runs: number; clean: LoadResult }> => {
    const t0 = Date.now();
    let failedBefore = 0;
    let runs = 0;
    const clean = await h.waitFor(async () => {
      const r = await load(requests, 5);
      // A request that timed out (in flight on the SE when it hung) is lost too.
      const lost = r.failures + r.errors.timeout;
      if (lost === 0 && r.requests >= requests) return r;
      failedBefore += lost;
      runs++;
      return undefined;
    }, { timeoutMs: 60_000, intervalMs: 100, what }).catch(diag);
    return { ms: Date.now() - t0, failedBefore, runs, clean };
  };

  it('3 SEs serve vs2 and every data vNIC carries its SE\'s lbop-<uid8>-hc health check', async () => {
    await applyGroup(h);
    await applyPool(h, 'vs2-pool', [{ ip: POOL_SERVER, port: 80 }]);
    await applyVS(h, { minSEs: 3 });
    const three = await serving(3, 'vs2 served by 3 SEs');
    vip = (await vsStatus(h))?.vip?.[0]?.ipAddress ?? '';
    assert.match(vip, /^198\.18\.20\.\d+$/);
    const checks = await h.waitFor(async () => {
      const list = (await api.call(h.sim.urls.contrail, 'GET', '/service-health-checks?detail=true&fields=virtual_machine_interface_back_refs')) as { 'service-health-checks': Array<{ 'service-health-check': { uuid: string; fq_name: string[]; virtual_machine_interface_back_refs?: { uuid: string }[] } }> };
      const byName = new Map(list['service-health-checks'].map((x) => [x['service-health-check'].fq_name.at(-1) ?? '', x['service-health-check']]));
      for (const s of three) {
        const hc = byName.get(`lbop-${s.metadata.uid.replace(/-/g, '').slice(0, 8)}-hc`);
        const vmis = (s.status?.dataInterfaces ?? []).map((d) => d.portUUID);
        if (hc === undefined || vmis.length === 0 || !vmis.every((v) => (hc.virtual_machine_interface_back_refs ?? []).some((r) => r.uuid === v))) return undefined;
      }
      return byName;
    }, { timeoutMs: 30_000, intervalMs: 500, what: 'a health check per SE on each of its data vNICs' }).catch(async (e: unknown) => {
      const list = await api.call(h.sim.urls.contrail, 'GET', '/service-health-checks?detail=true&fields=virtual_machine_interface_back_refs');
      const seen = (await ses()).map((s) => ({ name: s.metadata.name, uid: s.metadata.uid, data: s.status?.dataInterfaces }));
      throw new Error(`${(e as Error).message}\nchecks: ${JSON.stringify(list)}\nSEs: ${JSON.stringify(seen)}\noperator: ${op.output().split('\n').filter((l) => /error|warn/i.test(l)).slice(-20).join('\n')}`);
    });
    assert.ok(checks.size >= 3);
    const r = await untilClean(200, 'a clean run through 3 SEs');
    assert.deepEqual(r.clean.perServer, { [POOL_SERVER]: r.clean.requests });
  });

  it('a leaked health check (its SE gone) is deleted by the orphan sweep; live ones are kept', async () => {
    // As a crash between the check's create and the SE's deletion would leave it: our tags, an SE uid nobody has.
    const kv = (key: string, value: string): { key: string; value: string } => ({ key, value });
    const leaked = (await api.call(h.sim.urls.contrail, 'POST', '/service-health-checks', { 'service-health-check': {
      fq_name: ['default-domain', 'demo', 'lbop-deadbeef-hc'], parent_type: 'project',
      service_health_check_properties: { enabled: true, health_check_type: 'link-local', monitor_type: 'HTTP' },
      annotations: { key_value_pair: [kv('lbop.cluster-id', h.clusterID), kv('lbop.owner-kind', 'ServiceEngine'), kv('lbop.owner-namespace', h.namespace), kv('lbop.owner-name', 'gone-se'), kv('lbop.owner-uid', 'deadbeef-0000-4000-8000-000000000000')] },
    } })) as { 'service-health-check': { uuid: string } };
    const id = leaked['service-health-check'].uuid;
    const names = async (): Promise<string[]> => ((await api.call(h.sim.urls.contrail, 'GET', '/service-health-checks')) as { 'service-health-checks': Array<{ uuid: string; fq_name: string[] }> })['service-health-checks'].map((x) => `${x.uuid}/${x.fq_name.at(-1) ?? ''}`);
    await h.waitFor(async () => ((await names()).some((n) => n.startsWith(id)) ? undefined : true), { timeoutMs: 60_000, intervalMs: 1000, what: 'the leaked health check swept' });
    const left = await names();
    // Every Ready SE keeps its own (a booting one has none yet).
    for (const s of (await ses()).filter((x) => cond(x, 'Ready')?.status === 'True')) assert.ok(left.some((n) => n.endsWith(`lbop-${s.metadata.uid.replace(/-/g, '').slice(0, 8)}-hc`)), `${s.metadata.name}'s check is kept`);
  });

  it('only the agent stopped: Partitioned, not replaced, and the SE keeps serving', async () => {
    const [victim] = await serving(3, 'vs2 served by 3 SEs');
    const name = victim?.metadata.name ?? '';
    const server = victim?.status?.serverUUID ?? '';
    const sessionsBefore = await vipSessions(stateRoot, server);
    const t0 = Date.now();
    assert.ok(dp.freezeSE(server, 'agent'));
    frozen.push(server);
    await h.waitFor(async () => (cond(await se(name), 'Partitioned')?.status === 'True' ? true : undefined), { timeoutMs: 30_000, intervalMs: 250, what: `${name} Partitioned` });
    const detectedMs = Date.now() - t0;
    // Past the failure timeout, with margin: traffic never fails, and the partitioned SE carries some of it.
    let requests = 0;
    while (Date.now() - t0 < (FAILURE_TIMEOUT_S + 8) * 1000) {
      const r = await load(100, 10);
      assert.equal(r.failures, 0, `a request failed while ${name} was partitioned: ${JSON.stringify(r.errors)}`);
      requests += r.requests;
    }
    const carried = (await vipSessions(stateRoot, server)) - sessionsBefore;
    const now = await se(name);
    assert.equal(now?.status?.serverUUID, server, 'the partitioned SE was not replaced');
    assert.equal(now?.metadata.deletionTimestamp, undefined);
    assert.notEqual(cond(now, 'HeartbeatFailure')?.status, 'True');
    assert.equal(cond(now, 'Ready')?.status, 'True');
    assert.ok(carried > 0, `the partitioned SE's HAProxy kept taking connections (${carried})`);
    const entry = (await vsStatus(h))?.serviceEngines?.find((e) => e.name === name) as { partitioned?: boolean } | undefined;
    assert.equal(entry?.partitioned, true, 'the VS shows the SE as partitioned');
    const metrics = await h.metrics(op);
    assert.match(metrics, new RegExp(`^lbop_service_engine_partitioned\\{namespace="${h.namespace}",serviceengine="${name}"\\} 1$`, 'm'));
    assert.ok((await h.events()).some((e) => e.reason === 'SEPartitioned' && e.regarding.name === name));
    process.stdout.write(`e2e-dataplane repair: agent stopped → Partitioned in ${detectedMs} ms; ${requests} requests in ${Math.round((Date.now() - t0) / 1000)} s, 0 failed, ${carried} through the partitioned SE\n`);

    dp.thawSE(server);
    frozen.splice(frozen.indexOf(server), 1);
    await h.waitFor(async () => {
      const s = await se(name);
      return cond(s, 'AgentConnected')?.status === 'True' && cond(s, 'Partitioned')?.status === 'False' ? true : undefined;
    }, { timeoutMs: 30_000, intervalMs: 250, what: `${name} reconnected` });
    assert.ok((await h.events()).some((e) => e.reason === 'SEReconnected' && e.regarding.name === name));
  });

  it('the whole SE hung: out of ECMP in seconds, replaced after the failure timeout, traffic recovers', async () => {
    const three = await serving(3, 'vs2 served by 3 SEs');
    const victim = three[three.length - 1] as SEObject;
    const name = victim.metadata.name;
    const server = victim.status?.serverUUID ?? '';
    const t0 = Date.now();
    assert.ok(dp.freezeSE(server, 'all'));
    frozen.push(server);
    const recovered = await untilClean(50, 'traffic without failures with one SE hung');
    // The vRouter's detector: the fabric's prober saw the hung SE's data vNICs fail and withdrew them.
    const vnics = new Set((victim.status?.dataInterfaces ?? []).map((d) => d.portUUID));
    const withdrawnAt = await h.waitFor(async () => dp.probeEvents.find((e) => e.at >= t0 && !e.up && vnics.has(e.vmi))?.at, { timeoutMs: 30_000, intervalMs: 100, what: 'the hung SE withdrawn by its health check' }).catch(diag);
    const key = `${name}/${server}`;
    await h.waitFor(async () => (timeline.some((t) => t.key === key && t.state === 'gone') ? true : undefined), { timeoutMs: 120_000, intervalMs: 500, what: `${name} replaced and gone` }).catch(diag);
    const failedAt = firstSeen(key, /HeartbeatFailure=True/, t0);
    assert.ok(failedAt !== undefined, `${name} was declared HeartbeatFailure before it went (timeline)`);
    const failedMs = failedAt - t0;
    // Silence counts from the last heartbeat, at most one interval (2 s + 10 % jitter) before the freeze.
    assert.ok(failedMs >= FAILURE_TIMEOUT_S * 1000 - 2200, `not declared failed before the failure timeout (${failedMs} ms)`);
    assert.equal(firstSeen(key, /Partitioned=True/, t0), undefined, 'a hung SE (data path failing) is never called Partitioned');
    // Its health check went with it (after its VMIs).
    const hcName = `lbop-${victim.metadata.uid.replace(/-/g, '').slice(0, 8)}-hc`;
    const checks = (await api.call(h.sim.urls.contrail, 'GET', '/service-health-checks')) as { 'service-health-checks': Array<{ fq_name: string[] }> };
    assert.ok(!checks['service-health-checks'].some((c) => c.fq_name.at(-1) === hcName), `${hcName} deleted with its SE`);
    const replaced = await serving(3, 'vs2 served by 3 SEs again');
    const replacedMs = Date.now() - t0;
    frozen.splice(frozen.indexOf(server), 1);
    assert.ok(!replaced.some((s) => s.metadata.name === name && s.status?.serverUUID === server));
    assert.ok((await h.events()).some((e) => e.reason === 'SEHeartbeatFailure' && e.regarding.name === name));
    const after = await untilClean(200, 'a clean run after the repair');
    process.stdout.write(`e2e-dataplane repair: SE hung → withdrawn by its health check after ${withdrawnAt - t0} ms, first clean run of 50 requests ${recovered.ms} ms after the freeze (${recovered.failedBefore} request(s) failed or timed out in ${recovered.runs} run(s) of ≤ 5 s before it), `
      + `HeartbeatFailure at ${failedMs} ms, replaced and served by 3 SEs at ${replacedMs} ms; ${after.clean.requests} requests after, 0 failed\n`);
  });

  it('two of three hung at once: the breaker holds repairs (RepairsHeld), the third serves', async () => {
    const three = await serving(3, 'vs2 served by 3 SEs');
    const victims = three.slice(0, 2);
    const names = victims.map((v) => v.metadata.name);
    const t0 = Date.now();
    for (const v of victims) {
      assert.ok(dp.freezeSE(v.status?.serverUUID ?? '', 'all'));
      frozen.push(v.status?.serverUUID ?? '');
    }
    const recovered = await untilClean(200, 'traffic without failures on the one SE left');
    const group = await h.waitFor(async () => {
      const g = await h.get('ServiceEngineGroup', 'default');
      return conditionsOf(g)['RepairsHeld']?.status === 'True' ? g : undefined;
    }, { timeoutMs: 60_000, intervalMs: 250, what: 'RepairsHeld on the group' });
    assert.equal(conditionsOf(group)['RepairsHeld']?.reason, 'BreakerOpen');
    await h.waitFor(async () => {
      const list = await ses();
      return names.every((n) => cond(list.find((s) => s.metadata.name === n), 'HeartbeatFailure')?.status === 'True') ? true : undefined;
    }, { timeoutMs: 60_000, intervalMs: 250, what: 'both hung SEs declared failed' });
    // Held: a few more looks of the group controller, and still nobody deleted, nothing created.
    await new Promise((r) => setTimeout(r, 5_000));
    const list = await ses();
    assert.equal(list.length, 3, `no replacement SE created: ${list.map((s) => s.metadata.name).join(',')}`);
    for (const v of victims) {
      const s = list.find((x) => x.metadata.name === v.metadata.name);
      assert.equal(s?.metadata.deletionTimestamp, undefined, `${v.metadata.name} is not being deleted`);
      assert.equal(s?.status?.serverUUID, v.status?.serverUUID);
    }
    const r = await load(200, 10);
    assert.equal(r.failures, 0, JSON.stringify(r.errors));
    assert.ok((await h.events()).some((e) => e.reason === 'SERepairsHeld'));
    process.stdout.write(`e2e-dataplane repair: 2 of 3 hung → clean traffic after ${recovered.ms} ms, RepairsHeld, 0 replaced after ${Math.round((Date.now() - t0) / 1000)} s\n`);

    for (const v of victims) dp.thawSE(v.status?.serverUUID ?? '');
    frozen.length = 0;
    await h.waitFor(async () => {
      const g = await h.get('ServiceEngineGroup', 'default');
      const l = await ses();
      return conditionsOf(g)['RepairsHeld']?.status === 'False' && names.every((n) => cond(l.find((s) => s.metadata.name === n), 'HeartbeatFailure')?.status === 'False') ? true : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500, what: 'both back, repairs no longer held' });
    await serving(3, 'vs2 served by 3 SEs after the thaw');
  });
});
