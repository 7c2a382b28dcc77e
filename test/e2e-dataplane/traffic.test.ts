// End to end with real agents and real packets (issue 14 item 4, first slice): the simulator with
// the netns data plane runs `contrail-lb-operator se-agent` per SE (config drive, its own HAProxy
// in the SE's namespace), the operator serves the SE API on loopback, and a pool server answers in
// a namespace of its own. Requests from the client namespace to the VIP must be answered by the
// pool server through an SE; a scale-out to 3 SEs spreads new connections over all 3 (counted by
// each SE's own HAProxy); an SE deleted in Nova leaves traffic flowing on the others.
// Root only (network namespaces); otherwise skipped with one line.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerAgentKeys } from '../support/se-secrets.js';
import { NetnsDataplane } from '../../src/sim/dataplane/dataplane.js';
import { runLoad, type LoadResult } from '../../src/sim/dataplane/loadgen.js';
import { conditionsOf, type Harness, type OperatorProcess } from '../e2e/harness.js';
import { applyGroup, applyPool, applyVS, nextHops, vsStatus, type VS } from '../e2e/vs-support.js';
import { Api, skipReason } from '../dataplane/support.js';
import { agentDataplane, startDataplaneHarness } from './support.js';
import { showStat } from '../../src/agent/haproxy/socket.js';
import { vipFrontendTotals } from '../../src/agent/haproxy/stats.js';
import { freePort } from '../support/net.js';

const skip = skipReason();
if (skip !== undefined) process.stdout.write(`e2e-dataplane: ${skip}\n`);

const POOL_SERVER = '198.18.30.3';
type SEObject = { metadata: { name: string }; status?: { serverUUID?: string; agent?: { configVersion?: number }; conditions?: { type: string; status: string }[] } };

/** Sessions each SE's HAProxy took on its VIP frontends (`show stat`, column stot), by server id. */
async function frontendSessions(stateRoot: string, serverID: string): Promise<number> {
  return vipFrontendTotals(await showStat(join(stateRoot, serverID, 'stats.sock'))).sessions;
}

describe('traffic through the VIP: real SE agents, HAProxy and namespaces', { skip, timeout: 420_000 }, () => {
  let h: Harness;
  let dp: NetnsDataplane;
  let api: Api;
  let op: OperatorProcess;
  const stateRoot = mkdtempSync(join(tmpdir(), 'lbop-e2e-dp-'));
  let vip = '';

  before(async () => {
    dp = agentDataplane(stateRoot, [POOL_SERVER]);
    h = await startDataplaneHarness('e2e-dp-traffic', dp);
    api = await Api.login(h.sim);
    op = h.startOperator(['--se-api-addr', `127.0.0.1:${await freePort()}`]);
  });

  after(async () => {
    await h?.stop();
    registerAgentKeys(stateRoot); // the agents' private keys, for the final secret scan
    rmSync(stateRoot, { recursive: true, force: true });
  });

  const load = (requests: number, seconds = 20): Promise<LoadResult> =>
    runLoad(dp.client, { url: `http://${vip}/`, connections: requests === 1 ? 1 : 4, seconds, maxRequests: requests, newConnections: true, timeoutSeconds: 1 });

  const serving = async (n: number, what: string): Promise<SEObject[]> =>
    h.waitFor(async () => {
      const s = await vsStatus(h);
      const connected = (s?.serviceEngines ?? []).filter((e) => e.connected === true);
      if (s?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True' || connected.length < n) return undefined;
      const ses = await h.list<SEObject & VS>('ServiceEngine');
      return ses.filter((se) => connected.some((c) => c.name === se.metadata.name));
    }, { timeoutMs: 180_000, intervalMs: 500, what });

  it('vs2 becomes Ready (served) and the pool server answers through an SE', async () => {
    const started = Date.now();
    await applyGroup(h);
    await applyPool(h, 'vs2-pool', [{ ip: POOL_SERVER, port: 80 }]);
    await applyVS(h);
    const ses = await serving(1, 'vs2 Ready, served by 1 SE');
    const readyMs = Date.now() - started;
    const se = ses[0] as SEObject;
    assert.equal(conditionsOf(se as never)['AgentConnected']?.status, 'True');
    assert.ok((se.status?.agent?.configVersion ?? 0) >= 1, JSON.stringify(se.status?.agent));
    vip = (await vsStatus(h))?.vip?.[0]?.ipAddress ?? '';
    assert.match(vip, /^198\.18\.20\.\d+$/);
    const first = await h.waitFor(async () => {
      const r = await load(1, 1);
      return r.requests >= 1 && r.failures === 0 ? r : undefined;
    }, { timeoutMs: 30_000, intervalMs: 100, what: 'a first served request' });
    process.stdout.write(`e2e-dataplane: apply → Ready ${readyMs} ms, apply → first served request ${Date.now() - started} ms\n`);
    assert.deepEqual(Object.keys(first.perServer), [POOL_SERVER]);
    const r = await load(200);
    assert.equal(r.failures, 0, JSON.stringify(r.errors));
    // wrk stops each connection after the bound, so a few in flight may finish past it.
    assert.ok(r.requests >= 200 && r.requests <= 204, String(r.requests));
    assert.deepEqual(r.perServer, { [POOL_SERVER]: r.requests }, 'every response names the pool server');
    assert.ok(await frontendSessions(stateRoot, se.status?.serverUUID ?? '') >= 200, 'the SE\'s HAProxy carried them');
    // The heartbeat carries HAProxy's counts to the operator's analytics (docs/metrics-analytics.md).
    let seen = '';
    await h.waitFor(async () => {
      const text = await h.metrics(op);
      seen = text.split('\n').filter((l) => l.startsWith('lbop_vs_requests_total')).join('\n');
      const m = new RegExp(`^lbop_vs_requests_total\\{namespace="${h.namespace}",virtualservice="vs2",vip="0",se="${se.metadata.name}"\\} (\\d+)$`, 'm').exec(text);
      return m !== null && Number(m[1]) >= 200 ? true : undefined;
    }, { timeoutMs: 15_000, intervalMs: 500, what: 'lbop_vs_requests_total ≥ 200 for the SE' }).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}; /metrics had:\n${seen || '(no lbop_vs_requests_total)'}`);
    });
  });

  it('scaled to 3 SEs, new connections reach all 3', async () => {
    await applyVS(h, { minSEs: 3 });
    const ses = await serving(3, 'vs2 served by 3 SEs');
    const servers = ses.map((s) => s.status?.serverUUID ?? '');
    const before = await Promise.all(servers.map((id) => frontendSessions(stateRoot, id)));
    // New flows are spread by the fabric's L4 hash over the resilient group (rebalanced within ~1 s).
    const got = await h.waitFor(async () => {
      const r = await load(300);
      assert.equal(r.failures, 0, JSON.stringify(r.errors));
      const after = await Promise.all(servers.map((id) => frontendSessions(stateRoot, id)));
      const per = after.map((a, i) => a - (before[i] ?? 0));
      return per.every((n) => n > 0) ? per : undefined;
    }, { timeoutMs: 30_000, intervalMs: 500, what: 'sessions on every SE' });
    process.stdout.write(`e2e-dataplane: 3 SEs, new connections per SE ${got.join('/')}\n`);
    assert.equal(got.length, 3);
  });

  it('an SE deleted in Nova: traffic keeps flowing on the others', async () => {
    const ses = await serving(3, 'vs2 served by 3 SEs');
    const victim = ses[ses.length - 1]?.status?.serverUUID ?? '';
    const deletedAt = Date.now();
    await api.call(h.sim.urls.nova, 'DELETE', `/servers/${victim}`);
    const runs: LoadResult[] = [];
    // A clean run counts only once the deleted SE is out of the vRouter's next hops: right after
    // the DELETE the SE still serves, and a run then proves nothing.
    let gone = false;
    const r = await h.waitFor(async () => {
      const wasGone = gone;
      gone ||= !(await nextHops(h, vip)).includes(victim);
      const x = await load(200);
      runs.push(x);
      return wasGone && x.failures === 0 && x.requests >= 200 ? x : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500, what: 'traffic without failures after the SE is out of the next hops' });
    const failed = runs.reduce((n, x) => n + x.failures, 0);
    process.stdout.write(`e2e-dataplane: SE deleted → a clean run of 200 requests after ${Date.now() - deletedAt} ms; ${failed} failed request(s) in ${runs.length} run(s) before\n`);
    assert.deepEqual(r.perServer, { [POOL_SERVER]: r.requests });
  });
});
