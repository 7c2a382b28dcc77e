// VIP allocation, tenancy and teardown end to end (no Service Engine needed for these): the VIP
// port and its instance-ip with deterministic names and owner tags, a static address in use and
// an exhausted subnet reported with the cloud's words, a cross-tenant subnet refused with nothing
// created, and deletion leaving none of the VS's objects in the simulator.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from './harness.js';
import { applyGroup, applyPool, applyVS, condition, vsStatus, eventReasons, VIP_SUBNET, VIP_NET, type VS, cleanNamespace } from './vs-support.js';

let h: Harness;
before(async () => {
  // An SE that never boots keeps these VSs at the VIP stage: placement is other files' business.
  h = await startHarness({ name: 'vs-vip', sim: { bootTimeMs: 3_600_000 } });
  h.startOperator();
  await cleanNamespace(h);
  await applyGroup(h, 'default', { maxSEs: 1 });
  await applyPool(h);
});
after(async () => {
  if (h === undefined) return;
  await cleanNamespace(h).catch((e: unknown) => console.error(`cleanup: ${(e as Error).message}`));
  await h.stop();
});

test('auto-allocated VIP: port + secondary instance-ip with deterministic names, status.vip filled', async () => {
  await applyVS(h, { vs: 'auto' });
  const s = await h.waitFor(async () => {
    const st = await vsStatus(h, 'auto');
    return condition(st, 'VIPAllocated')?.status === 'True' ? st : undefined;
  }, { what: 'VIPAllocated', timeoutMs: 60_000 });
  const vip = s.vip?.[0];
  assert.equal(vip?.ipAddress, '19.1.1.252', 'Contrail allocates top-down');
  assert.equal(vip?.subnet, '19.1.1.0/24');
  assert.equal(vip?.subnetUUID, VIP_SUBNET);
  assert.equal(vip?.networkRef, VIP_NET);
  const vs = await h.get<VS>('VirtualService', 'auto');
  const uid8 = (vs?.metadata.uid ?? '').replace(/-/g, '').slice(0, 8);
  const ours = (await h.ourObjects()).filter((o) => o.owner['lbop.owner-uid'] === vs?.metadata.uid && o.api === 'contrail');
  assert.deepEqual(ours.map((o) => `${o.type}:${o.name ?? ''}`).sort(), [`instance-ip:lbop-${uid8}-vip-0`, `virtual-machine-interface:lbop-${uid8}-vip-0`]);
  assert.equal(vip?.portUUID, ours.find((o) => o.type === 'virtual-machine-interface')?.uuid);
  assert.ok(['OPER_INITIALIZING', 'OPER_RESOURCES'].includes(s.operStatus?.state ?? ''), `placing, got ${s.operStatus?.state}`);
  assert.equal(condition(s, 'Ready')?.status, 'False');
  assert.equal(vs?.metadata.finalizers?.includes('lb.contrail-operator.io/virtualservice'), true);
});

test('static VIP already in use: OPER_RESOURCES with the cloud\'s reason', async () => {
  await applyVS(h, { vs: 'static-a', vip: [{ vipID: '0', autoAllocateIP: false, ipAddress: '19.1.1.40', subnetUUID: VIP_SUBNET }] });
  await h.waitFor(async () => (await vsStatus(h, 'static-a'))?.vip?.[0]?.ipAddress === '19.1.1.40', { what: 'static-a allocated', timeoutMs: 60_000 });
  await applyVS(h, { vs: 'static-b', vip: [{ vipID: '0', autoAllocateIP: false, ipAddress: '19.1.1.40', subnetUUID: VIP_SUBNET }] });
  const s = await h.waitFor(async () => {
    const st = await vsStatus(h, 'static-b');
    return st?.operStatus?.state === 'OPER_RESOURCES' ? st : undefined;
  }, { what: 'static-b OPER_RESOURCES', timeoutMs: 60_000 });
  assert.match((s.operStatus?.reason ?? []).join(' '), /VIP 0: IP address already in use/);
  assert.equal(condition(s, 'VIPAllocated')?.reason, 'IPInUse');
  assert.equal(condition(s, 'Ready')?.status, 'False');
});

test('cross-tenant subnet: Placed=False Forbidden, event, nothing created', async () => {
  const subnet = await privateAdminSubnet(h);
  await applyVS(h, { vs: 'forbidden', vip: [{ vipID: '0', autoAllocateIP: true, subnetUUID: subnet }] });
  const s = await h.waitFor(async () => {
    const st = await vsStatus(h, 'forbidden');
    return condition(st, 'Placed')?.reason === 'Forbidden' ? st : undefined;
  }, { what: 'Placed=False Forbidden', timeoutMs: 60_000 });
  assert.equal(condition(s, 'Placed')?.status, 'False');
  assert.match(condition(s, 'Placed')?.message ?? '', /neither owned by nor shared/);
  const vs = await h.get<VS>('VirtualService', 'forbidden');
  assert.deepEqual((await h.ourObjects()).filter((o) => o.owner['lbop.owner-uid'] === vs?.metadata.uid), []);
  await h.waitFor(async () => (await eventReasons(h, 'forbidden')).includes('InitialPlacementFailed'), { what: 'InitialPlacementFailed event' });
});

test('exhausted subnet: OPER_RESOURCES with the allocator\'s message', async () => {
  const subnet = await tinyDemoSubnet(h);
  await applyVS(h, { vs: 'tiny-1', vip: [{ vipID: '0', autoAllocateIP: true, subnetUUID: subnet }] });
  await h.waitFor(async () => condition(await vsStatus(h, 'tiny-1'), 'VIPAllocated')?.status === 'True', { what: 'tiny-1 allocated', timeoutMs: 60_000 });
  await applyVS(h, { vs: 'tiny-2', vip: [{ vipID: '0', autoAllocateIP: true, subnetUUID: subnet }] });
  const s = await h.waitFor(async () => {
    const st = await vsStatus(h, 'tiny-2');
    return st?.operStatus?.state === 'OPER_RESOURCES' ? st : undefined;
  }, { what: 'tiny-2 OPER_RESOURCES', timeoutMs: 60_000 });
  assert.equal(condition(s, 'VIPAllocated')?.reason, 'IPExhausted');
  assert.match((s.operStatus?.reason ?? []).join(' '), /has exhausted subnet/);
});

test('deleting a VS removes every cloud object it owned, then the VS', async () => {
  const names = ['auto', 'static-a', 'static-b', 'forbidden', 'tiny-1', 'tiny-2'];
  const uids = new Set<string>();
  for (const n of names) uids.add((await h.get<VS>('VirtualService', n))?.metadata.uid ?? '');
  assert.ok((await h.ourObjects()).some((o) => uids.has(o.owner['lbop.owner-uid'] ?? '')), 'they own objects before');
  for (const n of names) await h.remove('VirtualService', n);
  await h.waitFor(async () => {
    for (const n of names) if (await h.get('VirtualService', n) !== undefined) return false;
    return true;
  }, { what: 'VSs gone', timeoutMs: 60_000 });
  const left = (await h.ourObjects()).filter((o) => uids.has(o.owner['lbop.owner-uid'] ?? ''));
  assert.deepEqual(left, []);
});

// --- cloud fixtures made through the simulator's own APIs (as an admin would) ---

async function adminToken(hh: Harness): Promise<string> {
  const res = await fetch(`${hh.sim.urls.keystone}/v3/auth/tokens`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: 'admin-secret' } } }, scope: { project: { name: 'admin', domain: { id: 'default' } } } } }),
  });
  return res.headers.get('x-subject-token') ?? '';
}

async function makeNetwork(hh: Harness, project: string, name: string, prefix: string, len: number, pool?: { start: string; end: string }): Promise<string> {
  const token = await adminToken(hh);
  const body = { 'virtual-network': {
    fq_name: ['default-domain', project, name], parent_type: 'project',
    network_ipam_refs: [{ to: ['default-domain', 'default-project', 'default-network-ipam'], attr: { ipam_subnets: [{ subnet: { ip_prefix: prefix, ip_prefix_len: len }, ...(pool !== undefined ? { allocation_pools: [pool] } : {}) }] } }],
  } };
  const created = await fetch(`${hh.sim.urls.contrail}/virtual-networks`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-auth-token': token }, body: JSON.stringify(body) });
  assert.equal(created.status, 200, await created.clone().text());
  const uuid = ((await created.json()) as { 'virtual-network': { uuid: string } })['virtual-network'].uuid;
  const vn = await fetch(`${hh.sim.urls.contrail}/virtual-network/${uuid}`, { headers: { 'x-auth-token': token } }).then((r) => r.json()) as { 'virtual-network': { network_ipam_refs: { attr: { ipam_subnets: { subnet_uuid: string }[] } }[] } };
  return vn['virtual-network'].network_ipam_refs[0]?.attr.ipam_subnets[0]?.subnet_uuid ?? '';
}

/** A subnet of a network that project admin owns and does not share. */
async function privateAdminSubnet(hh: Harness): Promise<string> { return makeNetwork(hh, 'admin', 'admin-private', '172.16.0.0', 24); }

/** A subnet of project demo whose allocation pool holds exactly one address. */
async function tinyDemoSubnet(hh: Harness): Promise<string> {
  return makeNetwork(hh, 'demo', 'tiny', '192.168.77.0', 29, { start: '192.168.77.4', end: '192.168.77.4' });
}
