// Plain Neutron mode end to end (DESIGN.md §3.4), against the simulator's Neutron with a Cloud
// that has no Contrail endpoint: the VIP is an unbound Neutron port holding the address, and
// placing it on an SE adds the address to that SE data port's allowed_address_pairs, keeping
// the pairs other virtual services put there. Deleting a VS takes its pair off and its port away.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from './harness.js';
import { applySeed, applyVS, condition, vsStatus, VIP_NET, type VS, cleanNamespace } from './vs-support.js';
import type { KubeObject } from '../../src/runtime/index.js';

interface Port { id: string; name: string; network_id: string; fixed_ips: { ip_address: string }[]; allowed_address_pairs: { ip_address: string }[]; description?: string }

let h: Harness;
before(async () => {
  h = await startHarness({ name: 'neutron-vs', mode: 'neutron', sim: { bootTimeMs: 300 } });
  h.startOperator();
  await cleanNamespace(h);
});
after(async () => {
  if (h === undefined) return;
  await cleanNamespace(h).catch((e: unknown) => console.error(`cleanup: ${(e as Error).message}`));
  await h.stop();
});

async function ports(): Promise<Port[]> {
  const auth = await fetch(`${h.sim.urls.keystone}/v3/auth/tokens`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: 'admin-secret' } } }, scope: { project: { name: 'admin', domain: { id: 'default' } } } } }),
  });
  const token = auth.headers.get('x-subject-token') ?? '';
  const res = await fetch(`${h.sim.urls.neutron}/v2.0/ports?network_id=${VIP_NET}`, { headers: { 'x-auth-token': token } });
  return ((await res.json()) as { ports: Port[] }).ports;
}

const pairsOf = (p: Port | undefined): string[] => (p?.allowed_address_pairs ?? []).map((x) => x.ip_address.replace(/\/32$/, '')).sort();

async function sePort(se: string): Promise<string> {
  const obj = await h.get<KubeObject & { status?: { dataInterfaces?: { networkUUID?: string; portUUID?: string }[] } }>('ServiceEngine', se);
  return obj?.status?.dataInterfaces?.find((d) => d.networkUUID === VIP_NET)?.portUUID ?? '';
}

async function readyOn(name: string, n: number): Promise<NonNullable<VS['status']>> {
  return h.waitFor(async () => {
    const s = await vsStatus(h, name);
    return condition(s, 'Ready')?.status === 'True' && s?.seSummary === `${n}/${n}` ? s : undefined;
  }, { what: `${name} Ready on ${n}`, timeoutMs: 120_000, intervalMs: 250 });
}

test('VIP port + allowed-address-pair on the SE data port', async () => {
  await applySeed(h, { ecmp: false });
  const s = await readyOn('vs2', 1);
  const ip = s.vip?.[0]?.ipAddress ?? '';
  const all = await ports();
  const vip = all.find((p) => p.id === s.vip?.[0]?.portUUID);
  assert.ok(vip !== undefined, 'the VIP port exists');
  assert.match(vip.name, /^lbop-[0-9a-f]{8}-vip-0$/);
  assert.equal(vip.fixed_ips[0]?.ip_address, ip);
  assert.match(vip.description ?? '', /^lbop:\{/);
  const se = s.serviceEngines?.[0]?.name ?? '';
  const seID = await sePort(se);
  assert.ok(pairsOf(all.find((p) => p.id === seID)).includes(ip), 'the SE data port carries the VIP');
});

test('a second VS on the same SE: both pairs kept (read-modify-write); deleting one keeps the other', async () => {
  await applyVS(h, { vs: 'vs3', ecmp: false });
  const s3 = await readyOn('vs3', 1);
  const s2 = await vsStatus(h, 'vs2');
  const ip2 = s2?.vip?.[0]?.ipAddress ?? '';
  const ip3 = s3.vip?.[0]?.ipAddress ?? '';
  assert.notEqual(ip2, ip3);
  const se = s3.serviceEngines?.[0]?.name ?? '';
  assert.equal(se, s2?.serviceEngines?.[0]?.name, 'Packed: the same SE hosts both');
  const seID = await sePort(se);
  assert.deepEqual(pairsOf((await ports()).find((p) => p.id === seID)), [ip2, ip3].sort());

  const vs3 = await h.get<VS>('VirtualService', 'vs3');
  await h.remove('VirtualService', 'vs3');
  await h.waitFor(async () => (await h.get('VirtualService', 'vs3')) === undefined, { what: 'vs3 gone', timeoutMs: 60_000 });
  const after = await ports();
  assert.deepEqual(pairsOf(after.find((p) => p.id === seID)), [ip2], 'only vs3\'s pair was taken off');
  assert.equal(after.some((p) => p.id === vs3?.status?.vip?.[0]?.portUUID), false, 'vs3\'s VIP port is deleted');
});
