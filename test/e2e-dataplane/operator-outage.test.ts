// The control plane gone while traffic flows (issue 14 item 4): the data path never needs the
// operator, so
//   - the operator SIGKILLed under load and restarted: 0 failed requests, every SE heartbeating to
//     the new process, and the restarted operator writes nothing to the cloud (the simulator's
//     request counts: every non-GET bar Keystone logins and analytics queries, from the kill);
//   - one SE's management link cut (its agent SIGSTOPped: no SE API call, no heartbeat; its
//     HAProxy keeps serving) for CUT_S seconds, past the default 60 s failure timeout: 0 failed
//     requests, the SE Partitioned (docs/se-repair.md), never replaced, Connected again on restore.
// Default timeouts (10 s heartbeat, 60 s failure). The cut is the 2 minutes (CUT_S = 120),
// twice the failure timeout; LBOP_DP_CUT_S=N shortens it for a quick local run. Root only (network namespaces); otherwise skipped with one line.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerAgentKeys } from '../support/se-secrets.js';
import { NetnsDataplane } from '../../src/sim/dataplane/dataplane.js';
import { runLoad, type LoadResult } from '../../src/sim/dataplane/loadgen.js';
import { conditionsOf, type Harness, type OperatorProcess } from '../e2e/harness.js';
import { applyGroup, applyPool, applyVS, vsStatus } from '../e2e/vs-support.js';
import { skipReason } from '../dataplane/support.js';
import { agentDataplane, startDataplaneHarness } from './support.js';
import { cloudQuiet, cloudWrites, lastHeartbeat, servedBy, writesSince, type SEObject } from './observe.js';
import { freePort } from '../support/net.js';

const skip = skipReason();
if (skip !== undefined) process.stdout.write(`e2e-dataplane operator-outage: ${skip}\n`);

const POOL_SERVER = '198.18.30.3';
const CUT_S = Number(process.env['LBOP_DP_CUT_S'] ?? 120);

describe('the operator gone under load: SIGKILL + restart, management link cut', { skip, timeout: 240_000 + CUT_S * 1000 }, () => {
  let h: Harness;
  let dp: NetnsDataplane;
  let op: OperatorProcess;
  let seApiAddr = '';
  const stateRoot = mkdtempSync(join(tmpdir(), 'lbop-e2e-outage-'));
  let vip = '';
  const frozen: string[] = [];

  before(async () => {
    dp = agentDataplane(stateRoot, [POOL_SERVER]);
    h = await startDataplaneHarness('e2e-dp-outage', dp);
    // The agents' user_data names this URL: a restarted operator must serve the same one.
    seApiAddr = `127.0.0.1:${await freePort()}`;
    op = h.startOperator(['--se-api-addr', seApiAddr]);
  });

  after(async () => {
    for (const id of frozen) dp?.thawSE(id);
    await h?.stop();
    registerAgentKeys(stateRoot);
    rmSync(stateRoot, { recursive: true, force: true });
  });

  const load = (requests: number, seconds: number): Promise<LoadResult> =>
    runLoad(dp.client, { url: `http://${vip}/`, connections: 4, seconds, maxRequests: requests, newConnections: true, timeoutSeconds: 1 });
  const ses = (): Promise<SEObject[]> => h.list<SEObject>('ServiceEngine');
  const cond = (s: SEObject | undefined, type: string): { status: string; reason: string } | undefined => conditionsOf(s as never)[type];

  it('2 SEs serve vs2', async () => {
    await applyGroup(h);
    await applyPool(h, 'vs2-pool', [{ ip: POOL_SERVER, port: 80 }]);
    await applyVS(h, { minSEs: 2 });
    await servedBy(h, 2, 'vs2 served by 2 SEs');
    vip = (await vsStatus(h))?.vip?.[0]?.ipAddress ?? '';
    assert.match(vip, /^198\.18\.20\.\d+$/);
    await h.waitFor(async () => {
      const r = await load(200, 5);
      return r.failures === 0 && r.requests >= 200 ? r : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500, what: 'a clean run of 200 requests' });
  });

  it('operator SIGKILLed under load and restarted: 0 failed, every SE re-synced, no cloud write', async () => {
    const before = await servedBy(h, 2, 'vs2 served by 2 SEs');
    // Past the first operator's own work: a quiet cloud before the kill.
    await cloudQuiet(h);
    const t0 = Date.now();
    const traffic = load(1_000_000, 20);
    await new Promise((r) => setTimeout(r, 5000));
    await op.kill();
    const killedAt = Date.now();
    const atKill = await cloudWrites(h);
    await new Promise((r) => setTimeout(r, 5000));
    op = h.startOperator(['--se-api-addr', seApiAddr]);
    const restartedAt = Date.now();
    // Re-synced: each SE's heartbeat accepted by the new operator.
    const resync = await h.waitFor(async () => {
      const beats = await Promise.all(before.map((s) => lastHeartbeat(h, op, s.metadata.name)));
      return beats.every((b) => b * 1000 >= restartedAt - 1000) ? Date.now() - restartedAt : undefined;
    }, { timeoutMs: 60_000, intervalMs: 250, what: 'every SE heartbeating to the restarted operator' });
    const r = await traffic;
    // Give the restarted operator time to do whatever it would (resync, repair, sweep: it starts at once) before counting.
    await servedBy(h, 2, 'vs2 served by 2 SEs after the restart');
    await new Promise((res) => setTimeout(res, 5_000));
    const writes = writesSince(atKill, await cloudWrites(h));
    const after = await ses();
    process.stdout.write(`e2e-dataplane operator-outage: SIGKILL at +${killedAt - t0} ms, restart at +${restartedAt - t0} ms; ${r.requests} requests over ${r.seconds.toFixed(1)} s, ${r.failures} failed ${JSON.stringify(r.errors)}; every SE heartbeating to the new operator ${resync} ms after its start; cloud writes by the restarted operator: ${writes.length === 0 ? 0 : writes.join(', ')}\n`);
    assert.equal(r.failures, 0, JSON.stringify(r.errors));
    assert.ok(r.requests > 1000 && t0 + r.seconds * 1000 > restartedAt + resync, `load ran through the outage and the re-sync (${r.requests} requests, ${r.seconds} s)`);
    // The count can see writes: the first operator's (servers, ports, health checks) are in it.
    assert.ok([...atKill.values()].reduce((a, b) => a + b, 0) > 0, 'the first operator\'s writes were counted');
    assert.deepEqual(writes, [], 'the restarted operator wrote nothing to the cloud');
    for (const s of before) {
      const now = after.find((x) => x.metadata.name === s.metadata.name);
      assert.equal(now?.status?.serverUUID, s.status?.serverUUID, `${s.metadata.name} kept its server`);
      assert.notEqual(cond(now, 'HeartbeatFailure')?.status, 'True', `${s.metadata.name} not marked failed`);
    }
    assert.ok(!(await h.events()).some((e) => e.reason === 'SEHeartbeatFailure'));
  });

  it(`one SE's management link cut for ${CUT_S} s: 0 failed, Partitioned, not replaced, Connected again`, async () => {
    const [victim] = await servedBy(h, 2, 'vs2 served by 2 SEs');
    const name = victim?.metadata.name ?? '';
    const server = victim?.status?.serverUUID ?? '';
    const t0 = Date.now();
    assert.ok(dp.freezeSE(server, 'agent'));
    frozen.push(server);
    let partitionedMs: number | undefined;
    let requests = 0;
    let failed = 0;
    const errors: string[] = [];
    while (Date.now() - t0 < CUT_S * 1000) {
      const r = await load(100, 10);
      requests += r.requests;
      failed += r.failures;
      if (r.failures > 0) errors.push(JSON.stringify(r.errors));
      const s = (await ses()).find((x) => x.metadata.name === name);
      if (partitionedMs === undefined && cond(s, 'Partitioned')?.status === 'True') partitionedMs = Date.now() - t0;
      assert.equal(s?.status?.serverUUID, server, `${name} not replaced`);
      assert.equal(s?.metadata.deletionTimestamp, undefined, `${name} not being deleted`);
      assert.notEqual(cond(s, 'HeartbeatFailure')?.status, 'True', `${name} not declared failed`);
    }
    const cutMs = Date.now() - t0;
    const entry = (await vsStatus(h))?.serviceEngines?.find((e) => e.name === name) as { partitioned?: boolean } | undefined;
    dp.thawSE(server);
    frozen.splice(frozen.indexOf(server), 1);
    const thawed = Date.now();
    await h.waitFor(async () => {
      const s = (await ses()).find((x) => x.metadata.name === name);
      return cond(s, 'AgentConnected')?.status === 'True' && cond(s, 'Partitioned')?.status === 'False' ? true : undefined;
    }, { timeoutMs: 60_000, intervalMs: 250, what: `${name} connected again` });
    const reconnectMs = Date.now() - thawed;
    const r = await load(200, 10);
    process.stdout.write(`e2e-dataplane operator-outage: management link cut ${Math.round(cutMs / 1000)} s → Partitioned after ${partitionedMs ?? '-'} ms; ${requests} requests during the cut, ${failed} failed; not replaced; connected again ${reconnectMs} ms after the restore; ${r.requests} requests after, ${r.failures} failed\n`);
    assert.equal(failed, 0, errors.join(' '));
    assert.ok(partitionedMs !== undefined, `${name} shown Partitioned during the cut`);
    assert.equal(entry?.partitioned, true, 'the VS shows the SE partitioned');
    const events = await h.events();
    assert.ok(events.some((e) => e.reason === 'SEPartitioned' && e.regarding.name === name));
    assert.ok(events.some((e) => e.reason === 'SEReconnected' && e.regarding.name === name));
    assert.ok(!events.some((e) => e.reason === 'SEHeartbeatFailure'));
    assert.equal(r.failures, 0);
  });
});
