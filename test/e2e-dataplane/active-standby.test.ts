// Active-standby that really is (issue 20 item 4), end to end with real packets: a group with
// haMode ActiveStandby ranks its SEs into their data VMIs' local_preference
// (serviceenginegroup/standby.ts), the vRouter model forwards the VIP to the highest only, and the
// netns fabric's nexthop group holds only the active's vNIC. Traffic is counted per SE by each
// SE's own HAProxy: all of it on the active; the active hung (agent, HAProxy, its whole namespace
// frozen; Nova still says ACTIVE) → its health check withdraws it and the fabric falls back to the
// standby: all traffic there, the requests lost on the way counted; then the operator declares the
// hung SE failed and the VS's status names the former standby as its primary.
// Root only (network namespaces); otherwise skipped with one line.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerAgentKeys } from '../support/se-secrets.js';
import type { NetnsDataplane } from '../../src/sim/dataplane/dataplane.js';
import { runLoad, type LoadResult } from '../../src/sim/dataplane/loadgen.js';
import type { Harness } from '../e2e/harness.js';
import { applyGroup, applyPool, applyVS, nextHops, vsStatus, type VS } from '../e2e/vs-support.js';
import { skipReason } from '../dataplane/support.js';
import { agentDataplane, startDataplaneHarness } from './support.js';
import { showStat } from '../../src/agent/haproxy/socket.js';
import { vipFrontendTotals } from '../../src/agent/haproxy/stats.js';
import { freePort } from '../support/net.js';

const skip = skipReason();
if (skip !== undefined) process.stdout.write(`e2e-dataplane: ${skip}\n`);

const POOL_SERVER = '198.18.30.3';
const VIP_NET = '02b846e6-cd68-4c84-b7ab-3709946ed28b';
type SEObject = { metadata: { name: string }; status?: { serverUUID?: string; dataInterfaces?: { portUUID?: string; networkUUID?: string }[] } };

describe('active-standby: traffic only on the active SE, then only on the standby', { skip, timeout: 420_000 }, () => {
  let h: Harness;
  let dp: NetnsDataplane;
  const stateRoot = mkdtempSync(join(tmpdir(), 'lbop-e2e-dp-as-'));
  const frozen: string[] = [];
  let vip = '';

  before(async () => {
    dp = agentDataplane(stateRoot, [POOL_SERVER]);
    h = await startDataplaneHarness('e2e-dp-active-standby', dp);
    h.startOperator(['--se-api-addr', `127.0.0.1:${await freePort()}`, '--se-heartbeat-timeout', '6', '--se-failure-timeout', '15']);
  });

  after(async () => {
    for (const id of frozen) dp?.thawSE(id);
    await h?.stop();
    registerAgentKeys(stateRoot);
    rmSync(stateRoot, { recursive: true, force: true });
  });

  /** Sessions an SE's HAProxy took on its VIP frontends (`show stat` stot). */
  const sessions = async (server: string): Promise<number> => vipFrontendTotals(await showStat(join(stateRoot, server, 'stats.sock'))).sessions;
  const load = (requests: number, seconds = 10): Promise<LoadResult> =>
    runLoad(dp.client, { url: `http://${vip}/`, connections: 4, seconds, maxRequests: requests, newConnections: true, timeoutSeconds: 1 });
  const vipVmi = (se: SEObject): string => (se.status?.dataInterfaces ?? []).find((d) => d.networkUUID === VIP_NET)?.portUUID ?? '';

  /** vs2 Ready with its primary and standby both connected; returns [active, standby] as status names them. */
  const pair = async (what: string, notPrimary?: string): Promise<[SEObject, SEObject]> => h.waitFor(async () => {
    const s = await vsStatus(h);
    const list = s?.serviceEngines ?? [];
    const primary = list.find((e) => e.primary === true && e.connected === true);
    const standby = list.find((e) => e.standby === true && e.connected === true);
    if (s?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True' || primary === undefined || standby === undefined || primary.name === notPrimary) return undefined;
    const ses = await h.list<SEObject & VS>('ServiceEngine');
    const a = ses.find((x) => x.metadata.name === primary.name);
    const b = ses.find((x) => x.metadata.name === standby.name);
    return a !== undefined && b !== undefined && vipVmi(a) !== '' && vipVmi(b) !== '' ? [a, b] as [SEObject, SEObject] : undefined;
  }, { timeoutMs: 240_000, intervalMs: 500, what });

  /** The vRouter's next hops for the VIP and the fabric's kernel group agree on exactly `se`. */
  const forwardsTo = (se: SEObject, what: string): Promise<void> => h.waitFor(async () => {
    const hops = await nextHops(h, vip);
    const kernel = dp.routeOf(`${vip}/32`)?.members ?? [];
    return hops.join() === (se.status?.serverUUID ?? '') && kernel.join() === vipVmi(se) ? true : undefined;
  }, { timeoutMs: 30_000, intervalMs: 250, what }).then(() => undefined);

  let active: SEObject;
  let standby: SEObject;

  it('an ActiveStandby group: two SEs, the VIP active-standby even with scaleout.ecmp, routed to the primary alone', async () => {
    await applyGroup(h, 'default', { haMode: 'ActiveStandby', minScaleoutPerVS: 2 });
    await applyPool(h, 'vs2-pool', [{ ip: POOL_SERVER, port: 80 }]);
    await applyVS(h, { minSEs: 2, ecmp: true });
    [active, standby] = await pair('vs2 Ready on a primary and a standby SE');
    vip = (await vsStatus(h))?.vip?.[0]?.ipAddress ?? '';
    assert.match(vip, /^198\.18\.20\.\d+$/);
    await forwardsTo(active, 'the VIP routed to the active SE only (vRouter and kernel)');
    const routes = await h.simControl<{ networks: { uuid: string; routes: { prefix: string; ecmp: boolean; candidates?: { server_id: string; local_preference: number | null }[] }[] }[] }>('GET', `/sim/routes?network=${VIP_NET}`);
    const route = routes.networks[0]?.routes.find((r) => r.prefix === `${vip}/32`);
    assert.equal(route?.ecmp, false);
    const prefs = new Map((route?.candidates ?? []).map((c) => [c.server_id, c.local_preference]));
    assert.deepEqual([prefs.get(active.status?.serverUUID ?? ''), prefs.get(standby.status?.serverUUID ?? '')], [200, 199], 'HIGH on the active, lower on the standby');
    assert.ok((await h.events()).some((e) => e.reason === 'SEActive' && e.note.includes(active.metadata.name)));
  });

  it('all traffic on the active SE, none on the standby', async () => {
    const [a0, s0] = await Promise.all([sessions(active.status?.serverUUID ?? ''), sessions(standby.status?.serverUUID ?? '')]);
    const r = await load(300);
    assert.equal(r.failures, 0, JSON.stringify(r.errors));
    assert.deepEqual(r.perServer, { [POOL_SERVER]: r.requests });
    const [a1, s1] = await Promise.all([sessions(active.status?.serverUUID ?? ''), sessions(standby.status?.serverUUID ?? '')]);
    process.stdout.write(`e2e-dataplane active-standby: ${r.requests} requests → active ${a1 - a0} sessions, standby ${s1 - s0}\n`);
    assert.ok(a1 - a0 >= r.requests, `the active took them all (${a1 - a0} of ${r.requests})`);
    assert.equal(s1 - s0, 0, 'the standby took none');
  });

  it('the active hung: the standby takes all traffic (requests lost counted), then the status names it primary', async () => {
    const victim = active.status?.serverUUID ?? '';
    const s0 = await sessions(standby.status?.serverUUID ?? '');
    const t0 = Date.now();
    assert.ok(dp.freezeSE(victim, 'all'));
    frozen.push(victim);
    let lost = 0;
    let runs = 0;
    const clean = await h.waitFor(async () => {
      const r = await load(50, 5);
      const bad = r.failures + r.errors.timeout;
      if (bad === 0 && r.requests >= 50 && (dp.routeOf(`${vip}/32`)?.members ?? []).join() === vipVmi(standby)) return r;
      lost += bad;
      runs++;
      return undefined;
    }, { timeoutMs: 60_000, intervalMs: 100, what: 'clean traffic through the standby' });
    const cleanMs = Date.now() - t0;
    const r = await load(200);
    assert.equal(r.failures + r.errors.timeout, 0, JSON.stringify(r.errors));
    const s1 = await sessions(standby.status?.serverUUID ?? '');
    assert.ok(s1 - s0 >= clean.requests + r.requests, `the standby took every request after the failover (${s1 - s0} ≥ ${clean.requests + r.requests})`);
    // The operator's view follows: the hung SE fails its heartbeats, leaves, the standby is primary.
    const [now] = await pair('the former standby is the primary', active.metadata.name);
    const statusMs = Date.now() - t0;
    assert.equal(now.metadata.name, standby.metadata.name);
    await forwardsTo(now, 'the VIP still routed to the new primary alone');
    process.stdout.write(`e2e-dataplane active-standby: active hung → first clean run on the standby after ${cleanMs} ms, ${lost} request(s) lost in ${runs} run(s) before; `
      + `status primary = former standby after ${statusMs} ms; ${r.requests} requests after, 0 failed, all on the standby\n`);
  });
});
