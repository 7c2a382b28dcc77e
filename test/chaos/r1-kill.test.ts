// R1 (issue 19): N virtual services converge while the operator is SIGKILLed K times at seeded
// random points (spec changes between kills, so every round has work in flight). Then: all
// converge, 0 leaked cloud objects, 0 duplicates, 0 IPs twice, and the capacity invariants held in
// every sample taken throughout.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from '../e2e/harness.js';
import { applyGroup, applyPool, applyVS, cleanNamespace } from '../e2e/vs-support.js';
import { audit, figures, sampleInvariants, seeded, size, waitConverged } from './support.js';

const COUNT = size('R1_VS', 150, 12);
const KILLS = size('R1_KILLS', 40, 5);
const names = Array.from({ length: COUNT }, (_, i) => `r1-${String(i).padStart(3, '0')}`);

let h: Harness;
before(async () => {
  h = await startHarness({ name: 'chaos-r1', sim: { bootTimeMs: 300 } });
  const op = h.startOperator();
  await cleanNamespace(h, 120_000);
  await op.stop();
  await applyGroup(h, 'default', { maxSEs: Math.max(4, Math.ceil(COUNT / 10)), maxVSPerSE: 20 });
  await applyPool(h);
});
after(async () => {
  if (h === undefined) return;
  await cleanNamespace(h, 180_000).catch((e: unknown) => console.error(`cleanup: ${(e as Error).message}`));
  await h.stop();
});

test(`R1: ${COUNT} VS converge through ${KILLS} SIGKILLs: all converge, 0 leaks, 0 duplicates, 0 IPs twice, invariants hold`, async () => {
  const rand = seeded(20261202);
  const t0 = Date.now();
  const sampler = sampleInvariants(h);
  for (const n of names) await applyVS(h, { vs: n });
  let changes = 0;
  for (let round = 0; round < KILLS; round++) {
    for (let k = 0; k < Math.max(2, Math.ceil(COUNT / 10)); k++) {
      const n = names[Math.floor(rand() * COUNT)] as string;
      await applyVS(h, { vs: n, minSEs: rand() < 0.5 ? 1 : 2 });
      changes++;
    }
    const op = h.startOperator();
    await new Promise((r) => setTimeout(r, 300 + Math.floor(rand() * 3000)));
    await op.kill();
  }
  const tKills = Date.now();
  h.startOperator();
  const all = await waitConverged(h, names, 300_000);
  const tConverged = Date.now();
  const inv = await sampler.stop();
  const a = await audit(h, all);
  figures('R1', {
    vs: COUNT, sigkills: KILLS, specChanges: changes, killPhaseS: ((tKills - t0) / 1000).toFixed(1),
    convergeAfterLastKillS: ((tConverged - tKills) / 1000).toFixed(1), cloudObjects: a.cloudObjects,
    leaked: a.leaked.length, duplicates: a.duplicates.length, ipsTwice: a.ipsTwice.length,
    invariantSamples: inv.samples, invariantViolations: inv.violations.length,
  });
  assert.deepEqual(a.leaked, [], 'no cloud object of a VS or SE that does not exist');
  assert.deepEqual(a.duplicates, [], 'exactly one VIP port and one instance-ip per VS');
  assert.deepEqual(a.ipsTwice, [], 'no VIP address allocated twice');
  assert.ok(inv.samples > 0, 'the invariants were sampled');
  assert.deepEqual(inv.violations, [], 'the capacity invariants held in every sample');
});
