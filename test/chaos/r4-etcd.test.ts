// R4, etcd (issue 19): etcd itself SIGKILLed during convergence, then restarted over the same
// data. The apiserver stays up: the operator's reads through to storage and all its writes fail
// or wait, and its reflectors' list/watch calls fail until etcd is back. During the outage the
// test submits spec changes (a third of the VSs scaled out to 2, a new VS, one VS deleted) the
// way a user or a GitOps tool would — each retried until the apiserver accepts it, which it can
// only once etcd answers again. Pass: every change is applied (changed VSs at 2/2, the new one
// Ready, the deleted one finalized), every VS applied before the kill is still there and Ready
// (nothing lost), the R1 audit holds (0 leaks, 0 duplicates, 0 IPs twice), the operator never
// exits — and its reflectors back off: per resource, the list+watch calls over the whole window
// (the reflector_*_total series) stay within what the 800 ms → 30 s doubling backoff allows for
// that long, not the hundreds a loop retrying at the apiserver's answer rate would make.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from '../e2e/harness.js';
import { applyGroup, applyPool, applyVS, cleanNamespace, type VS } from '../e2e/vs-support.js';
import { kinds } from '../../src/api/index.js';
import { Etcd } from './etcd.js';
import { backoffCallBound, callsBetween, reflectorCalls } from './reflectors.js';
import { audit, CI, figures, size, sleep, waitConverged } from './support.js';

const COUNT = size('R4E_VS', 30, 6);
const OUTAGE_S = size('R4E_OUTAGE_S', 20, 8);
// Full size only (npm run chaos): the CI subset keeps to its minutes.
const skip = CI && process.env['LBOP_CHAOS_R4E_VS'] === undefined ? 'full size only (npm run chaos)' : undefined;
if (skip !== undefined) process.stdout.write(`chaos R4-etcd: ${skip}\n`);
const names = Array.from({ length: COUNT }, (_, i) => `r4e-${String(i).padStart(3, '0')}`);
const changed = names.slice(0, Math.max(1, Math.floor(COUNT / 3)));
const deleted = names[names.length - 1] as string;
const created = 'r4e-new';

let h: Harness;
let etcd: Etcd | undefined;
before(async () => {
  if (skip !== undefined) return;
  h = await startHarness({ name: 'chaos-r4-etcd', sim: { bootTimeMs: 300 } });
  const op = h.startOperator();
  await cleanNamespace(h, 120_000);
  await op.stop();
  await applyGroup(h, 'default', { maxSEs: Math.max(4, Math.ceil(COUNT / 5)), maxVSPerSE: 10 });
  await applyPool(h);
});
after(async () => {
  if (h === undefined) return;
  if (etcd !== undefined && !etcd.alive()) await etcd.start();
  await cleanNamespace(h, 180_000).catch((e: unknown) => console.error(`cleanup: ${(e as Error).message}`));
  await h.stop();
});

/** Retries a write until the apiserver accepts it (as kubectl in a loop or a GitOps tool would); resolves with when it was accepted. */
async function untilAccepted(what: string, write: () => Promise<unknown>): Promise<number> {
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      await write();
      return Date.now();
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`${what}: not accepted in 300 s: ${(e as Error).message}`);
      await sleep(500);
    }
  }
}

test(`R4-etcd: etcd SIGKILLed for ${OUTAGE_S} s during convergence, changes submitted meanwhile: all applied, nothing lost, reflectors back off`, { skip }, async () => {
  const op = h.startOperator();
  await h.waitFor(async () => /"message":"controller started"/.test(op.output()) || undefined, { what: 'the operator running its controllers', timeoutMs: 120_000 });
  for (const n of names) await applyVS(h, { vs: n });
  const readyAtKill = await h.waitFor(async () => {
    const ready = (await h.list<VS>('VirtualService')).filter((v) => v.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
    return ready > 0 ? ready : undefined;
  }, { what: 'a first VS Ready', timeoutMs: 120_000, intervalMs: 100 });
  const uidsBefore = new Map((await h.list<VS>('VirtualService')).map((v) => [v.metadata.name, v.metadata.uid]));
  etcd = new Etcd(h.cluster);
  const before = await reflectorCalls(h, op);
  const tDown = Date.now();
  await etcd.kill();

  // Submitted during the outage; accepted when etcd answers again.
  const vsPath = (n: string): string => `/apis/${kinds.VirtualService.apiVersion}/namespaces/${h.namespace}/${kinds.VirtualService.plural}/${n}`;
  const submitted = [
    ...changed.map((n) => untilAccepted(`scale ${n}`, () => applyVS(h, { vs: n, minSEs: 2 }))),
    untilAccepted(`create ${created}`, () => applyVS(h, { vs: created })),
    untilAccepted(`delete ${deleted}`, () => h.client.delete(vsPath(deleted)).catch((e: unknown) => {
      // Accepted by an earlier attempt whose answer was lost.
      if ((e as { status?: number }).status !== 404) throw e;
    })),
  ];
  await sleep(Math.max(0, tDown + OUTAGE_S * 1000 - Date.now()));
  const duringOutage = await reflectorCalls(h, op);
  const aliveThroughOutage = op.child.exitCode === null && op.child.signalCode === null;
  await etcd.start();
  const tUp = Date.now();
  const accepted = await Promise.all(submitted);
  const want = [...names.filter((n) => n !== deleted), created];
  const all = await waitConverged(h, want, 300_000);
  await h.waitFor(async () => (await h.get('VirtualService', deleted)) === undefined, { what: `${deleted} (deleted during the outage) finalized`, timeoutMs: 120_000 });
  const convergedS = (Date.now() - tUp) / 1000;
  // A while of normal running after convergence: a reflector still looping would show here.
  await sleep(10_000);
  const end = await reflectorCalls(h, op);
  const windowMs = Date.now() - tDown;
  const a = await audit(h, all);
  const scaled = all.filter((v) => changed.includes(v.metadata.name) && v.status?.seSummary === '2/2').length;
  const lost = [...uidsBefore].filter(([n, uid]) => n !== deleted && all.find((v) => v.metadata.name === n)?.metadata.uid !== uid).map(([n]) => n);

  const outageCalls = callsBetween(before, duringOutage);
  const windowCalls = callsBetween(before, end);
  const bound = backoffCallBound(windowMs);
  const worst = windowCalls.reduce((w, x) => (x.calls > w.calls ? x : w), { resource: '-', calls: 0, errors: 0, gone: 0 });
  const out = op.output();
  const stackTraces = out.split('\n').filter((l) => /^\s+at .+\(.+:\d+:\d+\)$/.test(l)).length;
  figures('R4-etcd', {
    vs: COUNT, readyAtKill, outageS: OUTAGE_S, changedDuringOutage: changed.length, createdDuringOutage: 1, deletedDuringOutage: 1,
    acceptedAfterRestartMaxS: (Math.max(...accepted.map((t) => t - tUp)) / 1000).toFixed(1),
    convergeAfterRestartS: convergedS.toFixed(1), lost: lost.length, operatorExited: aliveThroughOutage && op.child.exitCode === null ? 0 : 1,
    resources: windowCalls.length, outageCallsTotal: outageCalls.reduce((n, x) => n + x.calls, 0), outageErrorsTotal: outageCalls.reduce((n, x) => n + x.errors, 0),
    windowS: (windowMs / 1000).toFixed(0), windowCallsTotal: windowCalls.reduce((n, x) => n + x.calls, 0), maxCallsPerResource: `${worst.calls}(${worst.resource})`,
    callBoundPerResource: bound, relists410: windowCalls.reduce((n, x) => n + x.gone, 0),
    leaked: a.leaked.length, duplicates: a.duplicates.length, ipsTwice: a.ipsTwice.length,
  });
  assert.ok(aliveThroughOutage, 'the operator did not exit during the outage');
  assert.equal(op.child.exitCode, null, 'the operator is still the same process');
  assert.equal(stackTraces, 0, 'no stack trace in the operator output');
  assert.ok(windowCalls.length >= 5, `the reflector series are served (${windowCalls.length} resources)`);
  assert.deepEqual(lost, [], 'every VS applied before the kill is still there (same uid)');
  assert.equal(scaled, changed.length, 'every scale-out change submitted during the outage is applied');
  assert.deepEqual(windowCalls.filter((x) => x.calls > bound), [], `no reflector looped: ≤ ${bound} list/watch calls per resource in ${(windowMs / 1000).toFixed(0)} s`);
  assert.deepEqual(a.leaked, [], 'no cloud object of a VS or SE that does not exist (the deleted VS released everything)');
  assert.deepEqual(a.duplicates, [], 'exactly one VIP port and one instance-ip per VS');
  assert.deepEqual(a.ipsTwice, [], 'no VIP address allocated twice');
});
