// Floating IPs on a plain-Neutron cloud (issue 20 item 1), on the simulator: the floating IP is
// associated with the VIP port (Octavia's and Avi's AAP mode), so the router DNATs to the VIP
// address and whichever SE port carries it as an allowed-address pair answers. It is kept
// across failover (same id, same address, same port), and deleted when the spec drops it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from './harness.js';
import { applySeed, applyVS, cleanNamespace, condition, vsStatus, VIP_SUBNET, type VS } from './vs-support.js';

interface FIP { id: string; floating_ip_address: string; floating_network_id: string; port_id: string | null; fixed_ip_address: string | null; description?: string }
const PUBLIC = '6f0c3b8e-2d4a-4b9c-8e1f-0a2b3c4d5e05';

let h: Harness;
before(async () => {
  h = await startHarness({ name: 'neutron-fip', mode: 'neutron', sim: { bootTimeMs: 300 } });
  h.startOperator();
  await cleanNamespace(h);
});
after(async () => {
  if (h === undefined) return;
  await cleanNamespace(h).catch((e: unknown) => console.error(`cleanup: ${(e as Error).message}`));
  await h.stop();
});

async function fips(): Promise<FIP[]> {
  const auth = await fetch(`${h.sim.urls.keystone}/v3/auth/tokens`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: 'admin-secret' } } }, scope: { project: { name: 'admin', domain: { id: 'default' } } } } }),
  });
  const token = auth.headers.get('x-subject-token') ?? '';
  const res = await fetch(`${h.sim.urls.neutron}/v2.0/floatingips`, { headers: { 'x-auth-token': token } });
  return ((await res.json()) as { floatingips: FIP[] }).floatingips.filter((f) => (f.description ?? '').includes(h.clusterID));
}

async function readyOn(n: number, pred: (s: NonNullable<VS['status']>) => boolean = () => true): Promise<NonNullable<VS['status']>> {
  return h.waitFor(async () => {
    const s = await vsStatus(h, 'vs2');
    return condition(s, 'Ready')?.status === 'True' && s?.seSummary === `${n}/${n}` && pred(s) ? s : undefined;
  }, { what: `vs2 Ready on ${n}`, timeoutMs: 120_000, intervalMs: 250 });
}

const FLOATING = [{ vipID: '0', autoAllocateIP: true, subnetUUID: VIP_SUBNET, autoAllocateFloatingIP: true, floatingNetworkRef: 'public' }];

test('a floating IP on the VIP port: status.vip[].floatingIP, fixed to the VIP address, tagged ours', async () => {
  await applySeed(h, { ecmp: false, minSEs: 2, vip: FLOATING });
  const s = await readyOn(2, (x) => x.vip?.[0]?.floatingIP !== undefined);
  const v = s.vip?.[0];
  const mine = await fips();
  assert.equal(mine.length, 1);
  const f = mine[0] as FIP;
  assert.equal(f.floating_ip_address, v?.floatingIP);
  assert.match(f.floating_ip_address, /^203\.0\.113\.\d+$/);
  assert.equal(f.floating_network_id, PUBLIC);
  assert.equal(f.port_id, v?.portUUID, 'associated with the VIP port, not an SE port');
  assert.equal(f.fixed_ip_address, v?.ipAddress);
  assert.match(f.description ?? '', /^lbop:\{/);
});

test('failover keeps the floating IP: same id, address and port while the primary SE is replaced', async () => {
  const before = await vsStatus(h, 'vs2');
  const [f0] = await fips();
  const primary = before?.serviceEngines?.find((x) => x.primary === true)?.name ?? '';
  assert.notEqual(primary, '');
  await h.remove('ServiceEngine', primary);
  await readyOn(2, (x) => (x.serviceEngines ?? []).every((e) => e.name !== primary));
  const after = await fips();
  assert.deepEqual(after.map((f) => [f.id, f.floating_ip_address, f.port_id, f.fixed_ip_address]), [[f0?.id, f0?.floating_ip_address, f0?.port_id, f0?.fixed_ip_address]]);
  assert.equal((await vsStatus(h, 'vs2'))?.vip?.[0]?.floatingIP, f0?.floating_ip_address);
});

test('a static floating address; dropping the floating IP from the spec deletes it', async () => {
  await applyVS(h, { ecmp: false, minSEs: 2, vip: [{ ...FLOATING[0], autoAllocateFloatingIP: false }] });
  await h.waitFor(async () => ((await fips()).length === 0 ? true : undefined), { what: 'floating IP deleted', timeoutMs: 60_000 });
  // The status write follows the cloud delete: wait for it rather than read the status once.
  // (readyOn fails the test if status.vip[0].floatingIP is never cleared within its timeout.)
  await readyOn(2, (x) => x.vip?.[0]?.floatingIP === undefined);
  await applyVS(h, { ecmp: false, minSEs: 2, vip: [{ vipID: '0', autoAllocateIP: true, subnetUUID: VIP_SUBNET, floatingIP: '203.0.113.77', floatingNetworkRef: 'public' }] });
  const s = await readyOn(2, (x) => x.vip?.[0]?.floatingIP === '203.0.113.77');
  const [f] = await fips();
  assert.equal(f?.floating_ip_address, '203.0.113.77');
  assert.equal(f?.port_id, s.vip?.[0]?.portUUID);
});
