// R2 (issue 19): the simulator's fault mix on every API (5xx, 429 with Retry-After, hangs that drop
// the connection, slow answers) while N virtual services converge and M of them change. Then: all
// converge, 0 leaks, 0 duplicates, 0 IPs twice, and the cloud writes that took effect per VS stay
// within 1.5× those of the same scenario without faults (the minimum, measured first).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness } from '../e2e/harness.js';
import { applyGroup, applyPool, applyVS, cleanNamespace } from '../e2e/vs-support.js';
import { audit, cloudWrites, figures, seeded, size, waitConverged, type Audit } from './support.js';

const COUNT = size('R2_VS', 100, 24); // CI: 24, not 10: ten gave 1.00, 1.07, 1.45 against the 1.5 bound in three runs (too few VSs to average over)
const CHANGED = size('R2_CHANGED', 25, 6);
const names = Array.from({ length: COUNT }, (_, i) => `r2-${String(i).padStart(3, '0')}`);

/** The mix: ~10 % 5xx, ~3 % 429 + Retry-After, ~1 % hang-then-drop, ~1 % slow (0.2–2 s) — on every API. */
const MIX = [
  { api: '*', status: 500, probability: 0.05 },
  { api: '*', status: 503, retryAfter: 1, probability: 0.05 },
  { api: '*', status: 429, retryAfter: 1, probability: 0.03 },
  { api: '*', timeout: { hangMs: 1500 }, probability: 0.01 },
  { api: '*', latency: { minMs: 200, maxMs: 2000 }, probability: 0.01 },
];

interface Run { audit: Audit; writesOK: number; attempts: number; faultsFired: number; seconds: number }

async function scenario(name: string, faults: boolean): Promise<Run> {
  const h = await startHarness({ name, sim: { bootTimeMs: 300, seed: 19 } });
  try {
    const op = h.startOperator();
    await cleanNamespace(h, 120_000);
    await applyGroup(h, 'default', { maxSEs: Math.max(4, Math.ceil(COUNT / 8)), maxVSPerSE: 20 });
    await applyPool(h);
    await h.waitFor(async () => (await h.get('Pool', 'vs2-pool')) !== undefined, { what: 'pool' });
    await h.simControl('POST', '/sim/stats/reset');
    const t0 = Date.now();
    if (faults) await h.simControl('POST', '/sim/faults', MIX.map((f) => ({ ...f, durationMs: 600_000 })));
    for (const n of names) await applyVS(h, { vs: n });
    await waitConverged(h, names, 300_000);
    const rand = seeded(202612);
    const changed = [...names].sort(() => rand() - 0.5).slice(0, CHANGED);
    for (const n of changed) await applyVS(h, { vs: n, minSEs: 2 });
    const all = await waitConverged(h, names, 300_000);
    const seconds = (Date.now() - t0) / 1000;
    const fired = faults ? (await h.simControl<{ faults: { fired: number }[] }>('GET', '/sim/faults')).faults.reduce((a, f) => a + f.fired, 0) : 0;
    await h.simControl('DELETE', '/sim/faults');
    const w = await cloudWrites(h);
    const a = await audit(h, all);
    await cleanNamespace(h, 180_000).catch((e: unknown) => console.error(`cleanup: ${(e as Error).message}`));
    await op.stop();
    return { audit: a, writesOK: w.ok, attempts: w.attempts, faultsFired: fired, seconds };
  } finally {
    await h.stop();
  }
}

test(`R2: ${COUNT} VS converge, ${CHANGED} change, under the fault mix on every API: all converge, 0 leaks, writes/VS ≤ 1.5× the fault-free run`, async () => {
  const base = await scenario('chaos-r2-base', false);
  const run = await scenario('chaos-r2', true);
  const perVS = (x: number): string => (x / COUNT).toFixed(2);
  const ratio = run.writesOK / base.writesOK;
  figures('R2', {
    vs: COUNT, changed: CHANGED, faultsFired: run.faultsFired, faultFreeS: base.seconds.toFixed(1), faultedS: run.seconds.toFixed(1),
    writesPerVSFaultFree: perVS(base.writesOK), writesPerVSFaulted: perVS(run.writesOK), attemptsPerVSFaulted: perVS(run.attempts),
    writeRatio: ratio.toFixed(2), leaked: run.audit.leaked.length, duplicates: run.audit.duplicates.length, ipsTwice: run.audit.ipsTwice.length,
  });
  assert.ok(run.faultsFired > 0, 'faults fired');
  assert.deepEqual(base.audit.leaked, [], 'fault-free run: no leak');
  assert.deepEqual(run.audit.leaked, [], 'no cloud object of a VS or SE that does not exist');
  assert.deepEqual(run.audit.duplicates, [], 'exactly one VIP port and one instance-ip per VS');
  assert.deepEqual(run.audit.ipsTwice, [], 'no VIP address allocated twice');
  assert.ok(ratio <= 1.5, `writes that took effect per VS ${perVS(run.writesOK)} ≤ 1.5 × ${perVS(base.writesOK)}`);
});
