// Plain-Neutron mode on the netns ground (issue 14 item 4): no Contrail API, the VIP is a Neutron
// port's address and reaches an SE by an allowed-address pair on its data port. In an
// ActiveStandby group the pair sits on the active SE's port alone (virtualservice/activeonly.ts),
// so the fabric's route to the VIP (the vRouter model's allowed-address-pair route: only a port
// bound to an ACTIVE server counts, the unbound VIP port never does) has that port as its one
// member: traffic goes through the active SE only. The active's Nova server deleted under load →
// the operator moves the pair to the standby, the fabric follows, traffic resumes; the time and
// the requests lost are counted (there is no Contrail health check on Neutron: the operator's
// move is the only failover, so requests are lost until it lands).
// Root only (network namespaces); otherwise skipped with one line.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerAgentKeys } from '../support/se-secrets.js';
import { NetnsDataplane } from '../../src/sim/dataplane/dataplane.js';
import { type LoadResult } from '../../src/sim/dataplane/loadgen.js';
import { type Harness } from '../e2e/harness.js';
import { applyGroup, applyPool, applyVS } from '../e2e/vs-support.js';
import { Api, skipReason } from '../dataplane/support.js';
import { agentDataplane, startDataplaneHarness } from './support.js';
import { NeutronVS, type ActiveStandby } from './neutron-support.js';
import { freePort } from '../support/net.js';

const skip = skipReason();
if (skip !== undefined) process.stdout.write(`e2e-dataplane neutron: ${skip}\n`);

const POOL_SERVER = '198.18.30.3';

describe('plain Neutron with real packets: the VIP route follows the allowed-address pair', { skip, timeout: 300_000 }, () => {
  let h: Harness;
  let dp: NetnsDataplane;
  let api: Api;
  const stateRoot = mkdtempSync(join(tmpdir(), 'lbop-e2e-neutron-'));
  let nvs: NeutronVS;

  before(async () => {
    dp = agentDataplane(stateRoot, [POOL_SERVER]);
    h = await startDataplaneHarness('e2e-dp-neutron', dp, 'neutron');
    api = await Api.login(h.sim);
    nvs = new NeutronVS(h, dp, api, stateRoot);
    h.startOperator(['--se-api-addr', `127.0.0.1:${await freePort()}`]);
  });

  after(async () => {
    await h?.stop();
    registerAgentKeys(stateRoot);
    rmSync(stateRoot, { recursive: true, force: true });
  });

  const load = (requests: number, seconds = 10): Promise<LoadResult> => nvs.load(requests, seconds);
  const sessions = (server: string): Promise<number> => nvs.sessions(server);
  const fabricMembers = (): string[] => nvs.fabricMembers();
  const activeStandby = (what: string, notServer = ''): Promise<ActiveStandby> => nvs.activeStandby(what, notServer);

  let first: ActiveStandby | undefined;

  it('ActiveStandby on Neutron: the pair on the active port, the fabric route on it alone, traffic through the active only', async () => {
    await applyGroup(h, 'default', { haMode: 'ActiveStandby', minScaleoutPerVS: 2 });
    await applyPool(h, 'vs2-pool', [{ ip: POOL_SERVER, port: 80 }]);
    await applyVS(h, { minSEs: 2 });
    first = await activeStandby('vs2 Ready on a primary and a standby, the pair and the route on the primary');
    assert.match(nvs.vip, /^198\.18\.20\.\d+$/);
    const p = first.primary.status?.serverUUID ?? '';
    const s = first.standby.status?.serverUUID ?? '';
    await h.waitFor(async () => {
      const r = await load(100, 5);
      return r.failures === 0 && r.requests >= 100 ? r : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500, what: 'a clean run through the active' });
    const [p0, s0] = [await sessions(p), await sessions(s)];
    const r = await load(300);
    const [p1, s1] = [await sessions(p), await sessions(s)];
    process.stdout.write(`e2e-dataplane neutron: ${r.requests} requests, ${r.failures} failed; sessions on the active ${p1 - p0}, on the standby ${s1 - s0}; fabric route ${nvs.vip}/32 → [${fabricMembers().join()}] = the pair holder\n`);
    assert.equal(r.failures, 0, JSON.stringify(r.errors));
    assert.deepEqual(r.perServer, { [POOL_SERVER]: r.requests });
    assert.ok(p1 - p0 >= 300, `the active took them (${p1 - p0})`);
    assert.equal(s1 - s0, 0, 'the standby took none');
  });

  it('the active\'s server deleted under load: the pair moves to the standby, the fabric follows, traffic resumes', async () => {
    assert.ok(first !== undefined);
    const victim = first.primary.status?.serverUUID ?? '';
    const standbyServer = first.standby.status?.serverUUID ?? '';
    const t0 = Date.now();
    await api.call(h.sim.urls.nova, 'DELETE', `/servers/${victim}`);
    let lost = 0;
    let requests = 0;
    let runs = 0;
    const runLog: string[] = [];
    // Runs of ≤ 2 s until one of 100 is clean and the route no longer names the dead port.
    const clean = await h.waitFor(async () => {
      const r = await load(100, 2);
      runs++;
      requests += r.requests;
      const bad = r.failures;
      lost += bad;
      runLog.push(`${r.requests} in ${r.seconds.toFixed(1)} s`);
      return bad === 0 && r.requests >= 100 && !fabricMembers().includes(first?.port ?? '') ? r : undefined;
    }, { timeoutMs: 120_000, intervalMs: 0, what: 'clean traffic after the active died' });
    const resumedMs = Date.now() - t0;
    const moved = await activeStandby('the pair moved off the dead SE, a new standby', victim);
    const movedMs = Date.now() - t0;
    const base = await sessions(moved.primary.status?.serverUUID ?? '');
    const r = await load(300);
    const took = (await sessions(moved.primary.status?.serverUUID ?? '')) - base;
    process.stdout.write(`e2e-dataplane neutron: active deleted → traffic clean again after ${resumedMs} ms (${lost} of ${requests} requests failed in ${runs} run(s) of ≤ 2 s: ${runLog.join(', ')}; a run short of 100 stalled on the move), pair on ${moved.primary.metadata.name}'s port and a new standby by ${movedMs} ms; ${r.requests} requests after, ${r.failures} failed\n`);
    assert.equal(moved.primary.status?.serverUUID, standbyServer, 'the standby became the active');
    assert.equal(clean.failures, 0);
    assert.equal(r.failures, 0, JSON.stringify(r.errors));
    assert.ok(took >= 300, `the new active took them (${took})`);
  });
});
