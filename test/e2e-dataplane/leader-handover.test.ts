// Leader handover under load (issue 14 item 4): two replicas with --leader-elect, each serving the
// SE API on its own loopback port, both ports in every SE's user_data (`--se-api-url` twice, in
// order). The leader is SIGKILLed while wrk sends new connections: the standby waits out the lease
// (15 s, the default: a killed leader releases nothing), takes over, the agents move to the next
// URL (the standby answered 503 Unavailable until then) and heartbeat there. Asserted: 0 failed
// requests, no SE marked failed or replaced, every SE heartbeating to the new leader within 15 s
// of its takeover, and the new leader writes nothing to the cloud.
// Root only (network namespaces); otherwise skipped with one line.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerAgentKeys } from '../support/se-secrets.js';
import { NetnsDataplane } from '../../src/sim/dataplane/dataplane.js';
import { runLoad } from '../../src/sim/dataplane/loadgen.js';
import { conditionsOf, type Harness, type OperatorProcess } from '../e2e/harness.js';
import { applyGroup, applyPool, applyVS, vsStatus } from '../e2e/vs-support.js';
import { skipReason } from '../dataplane/support.js';
import { agentDataplane, startDataplaneHarness } from './support.js';
import { cloudQuiet, cloudWrites, lastHeartbeat, servedBy, writesSince, type SEObject } from './observe.js';
import { freePort } from '../support/net.js';

const skip = skipReason();
if (skip !== undefined) process.stdout.write(`e2e-dataplane leader-handover: ${skip}\n`);

const POOL_SERVER = '198.18.30.3';

describe('leader handover under load: 0 failed, SEs re-synced to the new leader', { skip, timeout: 300_000 }, () => {
  let h: Harness;
  let dp: NetnsDataplane;
  const ops: OperatorProcess[] = [];
  const stateRoot = mkdtempSync(join(tmpdir(), 'lbop-e2e-handover-'));
  let vip = '';

  before(async () => {
    dp = agentDataplane(stateRoot, [POOL_SERVER]);
    h = await startDataplaneHarness('e2e-dp-handover', dp);
    const addrs = [`127.0.0.1:${await freePort()}`, `127.0.0.1:${await freePort()}`];
    const common = ['--leader-elect', '--lease-name', `lbop-${h.namespace}`, '--lease-namespace', 'lb-system', ...addrs.flatMap((a) => ['--se-api-url', `https://${a}`])];
    ops.push(h.startOperator(['--se-api-addr', addrs[0] ?? '', ...common]));
    await h.waitFor(async () => (/became leader/.test(ops[0]?.output() ?? '') ? true : undefined), { timeoutMs: 60_000, what: 'the first replica leads' });
    ops.push(h.startOperator(['--se-api-addr', addrs[1] ?? '', ...common]));
  });

  after(async () => {
    await h?.stop();
    registerAgentKeys(stateRoot);
    rmSync(stateRoot, { recursive: true, force: true });
  });

  it('the leader SIGKILLed under load: the standby takes over, 0 failed, every SE re-synced, no cloud write', async () => {
    const [leader, standby] = ops as [OperatorProcess, OperatorProcess];
    await applyGroup(h);
    await applyPool(h, 'vs2-pool', [{ ip: POOL_SERVER, port: 80 }]);
    await applyVS(h, { minSEs: 2 });
    const before = await servedBy(h, 2, 'vs2 served by 2 SEs');
    vip = (await vsStatus(h))?.vip?.[0]?.ipAddress ?? '';
    assert.match(vip, /^198\.18\.20\.\d+$/);
    assert.doesNotMatch(standby.output(), /became leader/, 'the second replica stands by');
    const load = (requests: number, seconds: number): ReturnType<typeof runLoad> =>
      runLoad(dp.client, { url: `http://${vip}/`, connections: 4, seconds, maxRequests: requests, newConnections: true, timeoutSeconds: 1 });
    await h.waitFor(async () => {
      const r = await load(200, 5);
      return r.failures === 0 && r.requests >= 200 ? r : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500, what: 'a clean run of 200 requests' });
    await cloudQuiet(h);

    const t0 = Date.now();
    const traffic = load(1_000_000, 25);
    await new Promise((r) => setTimeout(r, 3000));
    await leader.kill();
    const killedAt = Date.now();
    const atKill = await cloudWrites(h);
    await h.waitFor(async () => (/became leader/.test(standby.output()) ? true : undefined), { timeoutMs: 60_000, intervalMs: 100, what: 'the standby leads' });
    const tookOverAt = Date.now();
    const resyncMs = await h.waitFor(async () => {
      const beats = await Promise.all(before.map((s) => lastHeartbeat(h, standby, s.metadata.name)));
      return beats.every((b) => b * 1000 >= tookOverAt - 500) ? Date.now() - tookOverAt : undefined;
    }, { timeoutMs: 60_000, intervalMs: 250, what: 'every SE heartbeating to the new leader' });
    const r = await traffic;
    await servedBy(h, 2, 'vs2 served by 2 SEs after the handover');
    await new Promise((res) => setTimeout(res, 5_000));
    const writes = writesSince(atKill, await cloudWrites(h));
    const after = await h.list<SEObject>('ServiceEngine');
    process.stdout.write(`e2e-dataplane leader-handover: leader SIGKILLed at +${killedAt - t0} ms, standby leads ${tookOverAt - killedAt} ms later (the lease waited out), every SE heartbeating to it ${resyncMs} ms after; ${r.requests} requests over ${r.seconds.toFixed(1)} s, ${r.failures} failed ${JSON.stringify(r.errors)}; cloud writes by the new leader: ${writes.length === 0 ? 0 : writes.join(', ')}\n`);
    assert.equal(r.failures, 0, JSON.stringify(r.errors));
    assert.ok(r.requests > 1000 && t0 + r.seconds * 1000 > tookOverAt + resyncMs, `load ran through the handover and the re-sync (${r.requests} requests, ${r.seconds} s)`);
    assert.ok(resyncMs <= 15_000, `re-synced within 15 s of the takeover (${resyncMs} ms)`);
    assert.ok([...atKill.values()].reduce((a, b) => a + b, 0) > 0, 'the first leader\'s writes were counted');
    assert.deepEqual(writes, [], 'the new leader wrote nothing to the cloud');
    for (const s of before) {
      const now = after.find((x) => x.metadata.name === s.metadata.name);
      assert.equal(now?.status?.serverUUID, s.status?.serverUUID, `${s.metadata.name} kept its server`);
      assert.notEqual(conditionsOf(now as never)['HeartbeatFailure']?.status, 'True', `${s.metadata.name} not marked failed`);
    }
    assert.ok(!(await h.events()).some((e) => e.reason === 'SEHeartbeatFailure'));
  });
});
