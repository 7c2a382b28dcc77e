// The group boots SEs only for placements a new SE could satisfy (serviceenginegroup/demand.ts),
// and a VS without its VIP address takes no SE slot (virtualservice/vipfirst.ts): six VSs, one
// SE each (maxVSPerSE 1), all asking for the same static VIP address. One gets it and an SE; the
// other five are OPER_RESOURCES (IPInUse — the cloud's resources, as an exhausted subnet is), and
// no SE is booted for them — sampled from the moment they are applied, through several group
// reconciles. Before the fix the group booted one SE per VS, up to maxSEs (the VSs without an
// address took the SE slots, so the one with an address kept asking for another SE).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from './harness.js';
import { applyGroup, applyPool, applyVS, cleanNamespace, condition, vsStatus, VIP_SUBNET } from './vs-support.js';
import type { KubeObject } from '../../src/runtime/index.js';

type SE = KubeObject & { spec: { seGroupRef: string } };
const COUNT = 6;

let h: Harness;
before(async () => {
  h = await startHarness({ name: 'se-overboot' });
  h.startOperator();
  await cleanNamespace(h);
});
after(async () => {
  if (h === undefined) return;
  await cleanNamespace(h).catch((e: unknown) => console.error(`cleanup: ${(e as Error).message}`));
  await h.stop();
});

test('VSs whose VIP address cannot be had make the group boot no SE for them', async () => {
  await applyGroup(h, 'ob', { maxSEs: 8, maxVSPerSE: 1, maxScaleoutPerVS: 1, minScaleoutPerVS: 1, bufferSEs: 0 });
  await applyPool(h);
  const groupSEs = async (): Promise<number> => (await h.list<SE>('ServiceEngine')).filter((s) => s.spec.seGroupRef === 'ob').length;
  let most = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      most = Math.max(most, await groupSEs());
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  try {
    const names = Array.from({ length: COUNT }, (_, i) => `ob-${i}`);
    await Promise.all(names.map((vs) => applyVS(h, { vs, group: 'ob', minSEs: 1, maxSEs: 1, vip: [{ vipID: '0', autoAllocateIP: false, ipAddress: '19.1.1.61', subnetUUID: VIP_SUBNET }] })));
    let last: string[] = [];
    const states = await h.waitFor(async () => {
      const sts = await Promise.all(names.map((n) => vsStatus(h, n)));
      last = sts.map((s, i) => `${names[i]}: ${s?.operStatus?.state ?? '-'} ${(s?.operStatus?.reason ?? []).join('; ')}`);
      const up = sts.filter((s) => s?.operStatus?.state === 'OPER_UP').length;
      const exhausted = sts.filter((s) => s?.operStatus?.state === 'OPER_RESOURCES' && condition(s, 'VIPAllocated')?.reason === 'IPInUse').length;
      return up === 1 && exhausted === COUNT - 1 ? sts : undefined;
    }, { what: `1 VS up and ${COUNT - 1} IPInUse`, timeoutMs: 120_000, intervalMs: 250 }).catch(async (e: unknown) => {
      const ses = await h.list<SE & { status?: { conditions?: { type: string; status: string; reason: string }[] } }>('ServiceEngine');
      const seText = ses.map((x) => `${x.metadata.name} ${x.metadata.creationTimestamp ?? ''} ${x.metadata.annotations?.['lb.contrail-operator.io/vs-claims'] ?? ''} ${(x.status?.conditions ?? []).map((c) => `${c.type}=${c.status}/${c.reason}`).join(',')}`);
      throw new Error(`${(e as Error).message}; last seen: ${last.join(' | ')}; SEs at most ${most}: ${seText.join(' | ')}`);
    });
    assert.equal(states.length, COUNT);
    // Several group reconciles later (each VS status change enqueues the group): still one SE.
    await new Promise((r) => setTimeout(r, 8_000));
  } finally {
    sampling = false;
    await sampler;
  }
  assert.equal(most, 1, 'the group never had more SEs than the one placement an SE can satisfy');
  assert.equal(await groupSEs(), 1);
});
