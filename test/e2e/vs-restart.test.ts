// Crash safety: 20 virtual services converge while the operator is SIGKILLed at seeded random
// moments (10 rounds, with spec changes between rounds so every round has work in flight).
// Afterwards every VS is Ready, and the cloud holds exactly one VIP port and one instance-ip per
// VS (no duplicates), nothing tagged for a VS that does not exist (no leaks), and no address
// allocated twice.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from './harness.js';
import { applyGroup, applyPool, applyVS, condition, type VS, cleanNamespace } from './vs-support.js';
import { seeded } from '../support/seeded.js';

const COUNT = 20;
const ROUNDS = 10;
const names = Array.from({ length: COUNT }, (_, i) => `vs-${String(i).padStart(2, '0')}`);


let h: Harness;
before(async () => {
  h = await startHarness({ name: 'vs-restart', sim: { bootTimeMs: 500 } });
  const op = h.startOperator();
  await cleanNamespace(h);
  await op.stop();
  await applyGroup(h, 'default', { maxSEs: 8, maxVSPerSE: 10 });
  await applyPool(h);
});
after(async () => {
  if (h === undefined) return;
  await cleanNamespace(h).catch((e: unknown) => console.error(`cleanup: ${(e as Error).message}`));
  await h.stop();
});

test('SIGKILL at random points during convergence of 20 VS: all converge, no leak, no duplicate, no IP twice', async () => {
  const rand = seeded(20261124);
  for (const n of names) await applyVS(h, { vs: n });
  for (let round = 0; round < ROUNDS; round++) {
    // Work for this round: a few VSs change their scale-out.
    for (let k = 0; k < 4; k++) {
      const n = names[Math.floor(rand() * COUNT)] as string;
      await applyVS(h, { vs: n, minSEs: rand() < 0.5 ? 1 : 2 });
    }
    const op = h.startOperator();
    const killAfter = 500 + Math.floor(rand() * 4000);
    await new Promise((r) => setTimeout(r, killAfter));
    await op.kill();
  }
  h.startOperator();

  const all = await h.waitFor(async () => {
    const vss = await h.list<VS>('VirtualService');
    const mine = vss.filter((v) => names.includes(v.metadata.name));
    const ready = mine.filter((v) => condition(v.status, 'Ready')?.status === 'True' &&
      v.status?.observedGeneration === v.metadata.generation && v.status?.seSummary === `${(v.spec['scaleout'] as { minSEs: number }).minSEs}/${(v.spec['scaleout'] as { minSEs: number }).minSEs}`);
    return ready.length === COUNT ? mine : undefined;
  }, { what: `${COUNT} VS Ready at their requested scale-out`, timeoutMs: 240_000, intervalMs: 1000 });

  const uids = new Set(all.map((v) => v.metadata.uid ?? ''));
  const ours = await h.ourObjects();
  const vsOwned = ours.filter((o) => o.owner['lbop.owner-kind'] === 'VirtualService');
  assert.deepEqual(vsOwned.filter((o) => !uids.has(o.owner['lbop.owner-uid'] ?? '')).map((o) => `${o.type} ${o.name ?? ''}`), [], 'no object of a VS that does not exist');
  for (const v of all) {
    const of = vsOwned.filter((o) => o.owner['lbop.owner-uid'] === v.metadata.uid && o.api === 'contrail');
    assert.deepEqual(of.map((o) => o.type).sort(), ['instance-ip', 'virtual-machine-interface'], `${v.metadata.name}: exactly one VIP port and one instance-ip`);
  }
  const addresses = all.map((v) => v.status?.vip?.[0]?.ipAddress ?? '');
  assert.equal(new Set(addresses).size, COUNT, `no VIP address allocated twice: ${addresses.join(' ')}`);

  // Service Engines: every SE-owned object belongs to an existing SE.
  const ses = new Set((await h.list<VS>('ServiceEngine')).map((s) => s.metadata.uid ?? ''));
  const seOwned = ours.filter((o) => o.owner['lbop.owner-kind'] === 'ServiceEngine');
  assert.deepEqual(seOwned.filter((o) => !ses.has(o.owner['lbop.owner-uid'] ?? '')).map((o) => `${o.api} ${o.type} ${o.name ?? ''}`), [], 'no object of an SE that does not exist');
});
