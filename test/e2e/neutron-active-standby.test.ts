// Active-standby on a plain-Neutron cloud (issue 20), on the simulator: Neutron has no route
// preference, so the VIP's allowed-address pair sits on the active SE's data port alone
// (virtualservice/activeonly.ts) — a pair on the standby too would let it answer ARP for the VIP
// and take traffic. The floating IP is on the VIP port, so it follows whichever SE holds the pair.
// The active's server fails → the pair moves to the standby (and only there), the floating IP is
// untouched; the replacement SE is the youngest and stands by without taking the pair back.
// Back in a Shared group, every placed SE carries the pair again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/runtime/index.js';
import { startHarness, type Harness } from './harness.js';
import { applyGroup, applyPool, applyVS, cleanNamespace, condition, vsStatus, VIP_NET, VIP_SUBNET, type VS } from './vs-support.js';

interface Port { id: string; allowed_address_pairs?: { ip_address: string }[] }
interface FIP { id: string; floating_ip_address: string; port_id: string | null; fixed_ip_address: string | null; description?: string }
type SEObject = KubeObject & { status?: { serverUUID?: string; dataInterfaces?: { networkUUID?: string; portUUID?: string }[] } };

let h: Harness;
let token = '';
before(async () => {
  h = await startHarness({ name: 'neutron-as', mode: 'neutron', sim: { bootTimeMs: 300 } });
  h.startOperator();
  await cleanNamespace(h);
  const auth = await fetch(`${h.sim.urls.keystone}/v3/auth/tokens`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: 'admin-secret' } } }, scope: { project: { name: 'admin', domain: { id: 'default' } } } } }),
  });
  token = auth.headers.get('x-subject-token') ?? '';
});
after(async () => {
  if (h === undefined) return;
  await cleanNamespace(h).catch((e: unknown) => console.error(`cleanup: ${(e as Error).message}`));
  await h.stop();
});

const neutron = async <T>(path: string): Promise<T> => (await (await fetch(`${h.sim.urls.neutron}/v2.0/${path}`, { headers: { 'x-auth-token': token } })).json()) as T;
/** The SE data ports in the VIP network whose allowed-address pairs hold `ip`. */
const holders = async (ip: string): Promise<string[]> =>
  (await neutron<{ ports: Port[] }>(`ports?network_id=${VIP_NET}`)).ports
    .filter((p) => (p.allowed_address_pairs ?? []).some((x) => x.ip_address.replace(/\/32$/, '') === ip)).map((p) => p.id).sort();
const fips = async (): Promise<FIP[]> => (await neutron<{ floatingips: FIP[] }>('floatingips')).floatingips.filter((f) => (f.description ?? '').includes(h.clusterID));
const se = async (name: string): Promise<SEObject | undefined> => h.get<SEObject>('ServiceEngine', name);
const dataPort = (s: SEObject | undefined): string => s?.status?.dataInterfaces?.find((d) => d.networkUUID === VIP_NET)?.portUUID ?? '';

/** vs2 Ready 2/2 with a primary and a standby (optionally: not `notPrimary`); returns their names. */
async function pair(what: string, pred: (primary: string, standby: string) => boolean = () => true): Promise<{ primary: string; standby: string; s: NonNullable<VS['status']> }> {
  return h.waitFor(async () => {
    const s = await vsStatus(h);
    const primary = s?.serviceEngines?.find((x) => x.primary === true)?.name;
    const standby = s?.serviceEngines?.find((x) => x.standby === true)?.name;
    if (s === undefined || condition(s, 'Ready')?.status !== 'True' || s.seSummary !== '2/2' || primary === undefined || standby === undefined) return undefined;
    return pred(primary, standby) ? { primary, standby, s } : undefined;
  }, { what, timeoutMs: 120_000, intervalMs: 250 });
}

let vip = '';
let primary = '';
let standby = '';
let fip0: FIP | undefined;

test('an ActiveStandby group on Neutron: the VIP pair on the primary SE port only, the floating IP on the VIP port', async () => {
  await applyGroup(h, 'default', { haMode: 'ActiveStandby', minScaleoutPerVS: 2 });
  await applyPool(h);
  await applyVS(h, { minSEs: 2, ecmp: true, vip: [{ vipID: '0', autoAllocateIP: true, subnetUUID: VIP_SUBNET, autoAllocateFloatingIP: true, floatingNetworkRef: 'public' }] });
  const p = await pair('vs2 Ready on a primary and a standby', () => true);
  ({ primary, standby } = p);
  vip = p.s.vip?.[0]?.ipAddress ?? '';
  assert.notEqual(vip, '');
  const [active, passive] = [dataPort(await se(primary)), dataPort(await se(standby))];
  assert.ok(active !== '' && passive !== '' && active !== passive);
  // Settled, not a moment: the pair stays on the primary alone (no later write adds the standby).
  await h.waitFor(async () => ((await holders(vip)).join() === active ? true : undefined), { what: 'the pair on the primary port only', timeoutMs: 30_000 });
  await new Promise((r) => setTimeout(r, 1500));
  assert.deepEqual(await holders(vip), [active], 'only the active port may answer for the VIP');
  assert.equal(p.s.serviceEngines?.every((x) => x.cloudProgrammingDone === true), true, 'the standby counts as programmed');
  const mine = await fips();
  assert.equal(mine.length, 1);
  fip0 = mine[0];
  assert.equal(fip0?.port_id, p.s.vip?.[0]?.portUUID, 'the floating IP is on the VIP port');
  assert.equal(fip0?.fixed_ip_address, vip);
});

test('the active fails: the pair moves to the standby only; the floating IP is untouched', async () => {
  const victim = (await se(primary))?.status?.serverUUID ?? '';
  const passive = dataPort(await se(standby));
  await h.simControl('POST', `/sim/servers/${victim}/state`, { state: 'ERROR', message: 'host failed' });
  await h.waitFor(async () => {
    const s = await vsStatus(h);
    return s?.serviceEngines?.find((x) => x.primary === true)?.name === standby && (await holders(vip)).join() === passive ? true : undefined;
  }, { what: 'the former standby is primary and holds the pair alone', timeoutMs: 60_000, intervalMs: 100 });
  const after = await fips();
  assert.deepEqual(after.map((f) => [f.id, f.floating_ip_address, f.port_id, f.fixed_ip_address]), [[fip0?.id, fip0?.floating_ip_address, fip0?.port_id, fip0?.fixed_ip_address]]);
});

test('the replacement stands by: it does not take the pair back', async () => {
  const p = await pair('vs2 Ready 2/2 again, the former standby primary', (a, b) => a === standby && b !== primary);
  const active = dataPort(await se(p.primary));
  const fresh = dataPort(await se(p.standby));
  await new Promise((r) => setTimeout(r, 1500));
  assert.deepEqual(await holders(vip), [active]);
  assert.notEqual(fresh, active);
  assert.equal((await fips())[0]?.port_id, fip0?.port_id);
});

test('the group back to Shared: the pair goes on every placed SE again (flow distribution needs each to send from the VIP)', async () => {
  await applyGroup(h, 'default', { haMode: 'Shared', minScaleoutPerVS: 2 });
  const s = await h.waitFor(async () => {
    const st = await vsStatus(h);
    return condition(st, 'Ready')?.status === 'True' && st?.seSummary === '2/2' ? st : undefined;
  }, { what: 'vs2 Ready 2/2 in a Shared group', timeoutMs: 60_000 });
  const ports = await Promise.all((s.serviceEngines ?? []).map(async (x) => dataPort(await se(x.name ?? ''))));
  await h.waitFor(async () => ((await holders(vip)).join() === [...ports].sort().join() ? true : undefined), { what: 'the pair on both SE ports', timeoutMs: 30_000 });
});
