// Spec changes converge end to end: a floating IP with the same ECMP refs as the VIP, a static
// VIP address changed (the new one placed before the old one is released, so the VIP always has
// a next hop), a VIP added and removed, `enabled` toggled, and the pool changed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from './harness.js';
import { applyGroup, applyPool, applyVS, condition, nextHops, vsStatus, waitReadyWith, VIP_SUBNET, type VS, cleanNamespace } from './vs-support.js';

const PUBLIC_NET = '6f0c3b8e-2d4a-4b9c-8e1f-0a2b3c4d5e05';
let h: Harness;
before(async () => {
  h = await startHarness({ name: 'vs-spec', sim: { bootTimeMs: 300 } });
  h.startOperator();
  await cleanNamespace(h);
  await applyGroup(h);
  await applyPool(h);
  await applyPool(h, 'other-pool', [{ ip: '20.0.0.9', port: 8080 }]);
});
after(async () => {
  if (h === undefined) return;
  await cleanNamespace(h).catch((e: unknown) => console.error(`cleanup: ${(e as Error).message}`));
  await h.stop();
});

const staticVip = (ip: string, extra: Record<string, unknown> = {}) => [{ vipID: '0', autoAllocateIP: false, ipAddress: ip, subnetUUID: VIP_SUBNET, ...extra }];

test('floating IP: allocated from the public pool, fixed to the VIP, ECMP over the same SEs', async () => {
  await applyVS(h, { minSEs: 2, vip: staticVip('19.1.1.10', { autoAllocateFloatingIP: true, floatingNetworkRef: 'public' }) });
  const s = await waitReadyWith(h, 2);
  const fip = await h.waitFor(async () => (await vsStatus(h))?.vip?.[0]?.floatingIP, { what: 'status.vip[0].floatingIP' });
  assert.match(fip, /^203\.0\.113\.\d+$/);
  const vipHops = await nextHops(h, '19.1.1.10');
  await h.waitFor(async () => JSON.stringify(await nextHops(h, fip, PUBLIC_NET)) === JSON.stringify(vipHops), { what: 'the FIP /32 has the VIP\'s next hops' });
  assert.equal(s.vip?.[0]?.ipAddress, '19.1.1.10');
});

test('static VIP address changed: new placed before old released', async () => {
  const seen: string[] = [];
  let watching = true;
  // Sample the routes while the change converges: at no moment may both addresses be unrouted.
  const sampler = (async () => {
    while (watching) {
      const [o, n] = await Promise.all([nextHops(h, '19.1.1.10'), nextHops(h, '19.1.1.11')]);
      seen.push(`${o.length}/${n.length}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  await applyVS(h, { minSEs: 2, vip: staticVip('19.1.1.11', { autoAllocateFloatingIP: true, floatingNetworkRef: 'public' }) });
  await h.waitFor(async () => {
    const st = await vsStatus(h);
    return st?.vip?.[0]?.ipAddress === '19.1.1.11' && condition(st, 'Ready')?.status === 'True' && (await nextHops(h, '19.1.1.10')).length === 0 &&
      (await nextHops(h, '19.1.1.11')).length === 2;
  }, { what: 'moved to 19.1.1.11, 19.1.1.10 released', timeoutMs: 60_000 });
  watching = false;
  await sampler;
  assert.equal(seen.includes('0/0'), false, `the VIP was never without a next hop: ${seen.join(' ')}`);
  const vs = await h.get<VS>('VirtualService', 'vs2');
  const iips = (await h.ourObjects()).filter((o) => o.owner['lbop.owner-uid'] === vs?.metadata.uid && o.type === 'instance-ip');
  assert.equal(iips.length, 1, 'the old instance-ip is deleted');
});

test('VIP added and removed', async () => {
  await applyVS(h, { minSEs: 2, vip: [...staticVip('19.1.1.11'), { vipID: '1', autoAllocateIP: true, subnetUUID: VIP_SUBNET }] });
  const two = await h.waitFor(async () => {
    const st = await vsStatus(h);
    return st?.vip?.length === 2 && st.vip[1]?.ipAddress !== undefined && condition(st, 'Ready')?.status === 'True' ? st : undefined;
  }, { what: 'two VIPs', timeoutMs: 60_000 });
  const second = two.vip?.[1]?.ipAddress ?? '';
  await h.waitFor(async () => (await nextHops(h, second)).length === 2, { what: 'second VIP on both SEs' });
  await applyVS(h, { minSEs: 2, vip: staticVip('19.1.1.11') });
  await h.waitFor(async () => (await vsStatus(h))?.vip?.length === 1 && (await nextHops(h, second)).length === 0, { what: 'second VIP gone', timeoutMs: 60_000 });
  const vs = await h.get<VS>('VirtualService', 'vs2');
  const mine = (await h.ourObjects()).filter((o) => o.owner['lbop.owner-uid'] === vs?.metadata.uid && o.api === 'contrail');
  assert.deepEqual(mine.map((o) => o.type).sort(), ['instance-ip', 'virtual-machine-interface'], 'VIP 1 torn down, floating IP released');
});

test('enabled toggled: OPER_DISABLED with no next hop, then back up', async () => {
  await applyVS(h, { minSEs: 2, vip: staticVip('19.1.1.11'), vsSpec: { enabled: false } });
  const off = await h.waitFor(async () => {
    const st = await vsStatus(h);
    return st?.operStatus?.state === 'OPER_DISABLED' && (await nextHops(h, '19.1.1.11')).length === 0 ? st : undefined;
  }, { what: 'OPER_DISABLED, drained', timeoutMs: 60_000 });
  assert.equal(off.vip?.[0]?.ipAddress, '19.1.1.11', 'a disabled VS keeps its VIP');
  assert.equal(condition(off, 'Ready')?.status, 'False');
  await applyVS(h, { minSEs: 2, vip: staticVip('19.1.1.11'), vsSpec: { enabled: true } });
  await waitReadyWith(h, 2);
});

test('pool changed: the VS follows, stays Ready', async () => {
  await applyVS(h, { minSEs: 2, pool: 'other-pool', vip: staticVip('19.1.1.11') });
  const s = await waitReadyWith(h, 2);
  assert.equal(s.observedGeneration, (await h.get<VS>('VirtualService', 'vs2'))?.metadata.generation);
});
