// The seed scenario end to end and ECMP scale-out: vs2 becomes Ready on one SE with its VIP's
// /32 forwarded by the vRouter to exactly that SE; scaled out to 3 the next hops grow to the 3
// SEs (ScaleOutComplete), scaled in to 2 the youngest is drained (ScaleInComplete) and the
// primary stays; deleting vs2 leaves none of its objects in the simulator.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from './harness.js';
import { applySeed, applyVS, condition, eventReasons, nextHops, vsStatus, waitReadyWith, VIP_SUBNET, type VS, type PoolObject, cleanNamespace } from './vs-support.js';

let h: Harness;
before(async () => {
  h = await startHarness({ name: 'vs-scale', sim: { bootTimeMs: 300 } });
  h.startOperator();
  await cleanNamespace(h);
});
after(async () => {
  if (h === undefined) return;
  await cleanNamespace(h).catch((e: unknown) => console.error(`cleanup: ${(e as Error).message}`));
  await h.stop();
});

test('seed: vs2 Ready on 1 SE, VIP 19.1.1.x with one ECMP next hop, pool resolved', async () => {
  await applySeed(h);
  const s = await waitReadyWith(h, 1);
  assert.equal(s.operStatus?.state, 'OPER_UP');
  assert.equal(s.percentSEsUp, 100);
  assert.equal(s.seSummary, '1/1');
  assert.match(s.vip?.[0]?.ipAddress ?? '', /^19\.1\.1\.\d+$/);
  assert.equal(s.vip?.[0]?.subnetUUID, VIP_SUBNET);
  assert.equal(s.serviceEngines?.[0]?.primary, true);
  for (const t of ['Ready', 'VIPAllocated', 'Placed']) assert.equal(condition(s, t)?.status, 'True', t);
  assert.equal(condition(s, 'Degraded')?.status, 'False');
  const pool = await h.get<PoolObject>('Pool', 'vs2-pool');
  assert.equal(condition(pool?.status, 'Resolved')?.status, 'True');
  assert.equal(pool?.status?.servers?.[0]?.networkUUID, '6f0c3b8e-2d4a-4b9c-8e1f-0a2b3c4d5e03');
  assert.ok((await eventReasons(h, 'vs2')).includes('VSUp'));
  assert.ok((await eventReasons(h, 'vs2')).includes('IPAttached'));
});

test('scale-out 1→3→2: next hops follow; primary kept; events', async () => {
  const one = await vsStatus(h, 'vs2');
  const primary = one?.serviceEngines?.find((x) => x.primary === true)?.name;
  await applyVS(h, { minSEs: 3 });
  const three = await waitReadyWith(h, 3, 'vs2', 180_000);
  assert.equal(three.serviceEngines?.find((x) => x.primary === true)?.name, primary, 'the oldest SE stays primary');
  assert.equal(three.serviceEngines?.every((x) => x.standby === false), true, 'ECMP: no standby');
  await h.waitFor(async () => (await eventReasons(h, 'vs2')).includes('ScaleOutComplete'), { what: 'ScaleOutComplete' });

  await applyVS(h, { minSEs: 2 });
  const two = await waitReadyWith(h, 2, 'vs2', 120_000);
  assert.equal(two.serviceEngines?.find((x) => x.primary === true)?.name, primary);
  assert.equal(condition(two, 'Degraded')?.status, 'False');
  const ip = two.vip?.[0]?.ipAddress ?? '';
  assert.equal((await nextHops(h, ip)).length, 2);
  await h.waitFor(async () => (await eventReasons(h, 'vs2')).includes('ScaleInComplete'), { what: 'ScaleInComplete' });
});

test('deleting vs2: its VIP objects are gone from the simulator', async () => {
  const vs = await h.get<VS>('VirtualService', 'vs2');
  const uid = vs?.metadata.uid ?? '';
  const ip = vs?.status?.vip?.[0]?.ipAddress ?? '';
  assert.ok((await h.ourObjects()).some((o) => o.owner['lbop.owner-uid'] === uid));
  await h.remove('VirtualService', 'vs2');
  await h.waitFor(async () => (await h.get('VirtualService', 'vs2')) === undefined, { what: 'vs2 gone', timeoutMs: 60_000 });
  assert.deepEqual((await h.ourObjects()).filter((o) => o.owner['lbop.owner-uid'] === uid), []);
  assert.deepEqual(await nextHops(h, ip), [], 'no route for the VIP any more');
});
