// maxSEs by construction: SE names are slots 0..maxSEs-1 (`<group>-se-<slot>`), so two group
// controllers that each decide, from their own caches, to create every missing SE can together
// create no more than maxSEs — the second create of a slot is a 409 AlreadyExists. Two operator
// processes without leader election both run the group controller (the second runs only that);
// the number of SEs is sampled until the group has settled and never exceeds maxSEs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from './harness.js';
import { cleanNamespace, applyGroup } from './vs-support.js';
import type { KubeObject } from '../../src/runtime/index.js';

const MAX_SES = 3;
let h: Harness;
before(async () => {
  h = await startHarness({ name: 'se-maxses', sim: { bootTimeMs: 300 } });
  const ops = [h.startOperator(), h.startOperator(['--controllers', 'serviceenginegroup'])];
  await cleanNamespace(h);
  // Both group controllers running (caches synced) before the group exists: both see it at once.
  for (const op of ops) {
    await h.waitFor(async () => (await h.metrics(op)).includes('controller_runtime_max_concurrent_reconciles{controller="serviceenginegroup"}'), { what: 'group controller started', timeoutMs: 60_000 });
  }
});
after(async () => {
  if (h === undefined) return;
  await cleanNamespace(h).catch((e: unknown) => console.error(`cleanup: ${(e as Error).message}`));
  await h.waitFor(async () => (await h.list<KubeObject>('ServiceEngine')).length === 0, { what: 'SEs gone', timeoutMs: 60_000 }).catch(() => undefined);
  await h.stop();
});

test('two group controllers racing to fill bufferSEs = maxSEs create exactly maxSEs SEs, named by slot', async () => {
  await applyGroup(h, 'race', { maxSEs: MAX_SES, bufferSEs: MAX_SES });
  let most = 0;
  let samples = 0;
  let last = '';
  const names = await h.waitFor(async () => {
    const ses = (await h.list<KubeObject & { spec: { seGroupRef: string } }>('ServiceEngine')).filter((s) => s.spec.seGroupRef === 'race');
    most = Math.max(most, ses.length);
    samples++;
    last = JSON.stringify(ses.map((s) => [s.metadata.name, (s as { status?: unknown }).status]));
    // Settled = maxSEs SEs each Ready by its own condition (the group's readySECount is written by both
    // racing group controllers and lagged past a minute once under heavy load).
    const ready = ses.filter((s) => ((s as { status?: { conditions?: Array<{ type: string; status: string }> } }).status?.conditions ?? [])
      .some((c) => c.type === 'Ready' && c.status === 'True')).length;
    return ready === MAX_SES && ses.length === MAX_SES ? ses.map((s) => s.metadata.name).sort() : undefined;
  }, { what: `${MAX_SES} SEs Ready`, timeoutMs: 120_000, intervalMs: 50 }).catch((e: unknown) => {
    throw new Error(`${(e as Error).message}; last seen: ${last}`);
  });
  assert.ok(most <= MAX_SES, `never more than maxSEs SEs while filling (most seen: ${most})`);
  assert.deepEqual(names, ['race-se-0', 'race-se-1', 'race-se-2']);
  // A few more samples after settling: no late extra creation either.
  for (let i = 0; i < 20; i++) {
    const n = (await h.list<KubeObject & { spec: { seGroupRef: string } }>('ServiceEngine')).filter((s) => s.spec.seGroupRef === 'race').length;
    most = Math.max(most, n);
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(samples > 1);
  assert.equal(most, MAX_SES, `never more than maxSEs SEs (most seen: ${most})`);
});
