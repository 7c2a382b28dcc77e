// R4 (issue 19): the kube-apiserver goes away during convergence. N VSs are applied and, while
// the operator works on them, its apiserver is SIGKILLed. During the outage a second apiserver
// over the same etcd (the operator does not know it) takes spec changes — scale-outs changed, new
// VSs, one VS deleted — and etcd is compacted past everything the operator has seen, so its
// resumed watches must get 410 Gone and relist. Then the original apiserver is restarted on its
// port. Pass: the operator process never exits, it logged the outage and the 410 relists, every
// change made during the outage is applied (the new VSs converge at their scale-out, the changed
// ones at theirs, the deleted one is finalized), and the R1 audit holds (0 leaks, 0 duplicates,
// 0 IPs twice).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { startHarness, type Harness } from '../e2e/harness.js';
import { applyGroup, applyPool, applyVS, cleanNamespace, type VS } from '../e2e/vs-support.js';
import { kinds, type KindName } from '../../src/api/index.js';
import type { KubeClient, KubeObject } from '../../src/runtime/index.js';
import { compactEtcd } from '../integration/fixtures/runtime-support.js';
import { ControlPlane, type ApiserverProcess } from './apiserver.js';
import { audit, figures, size, sleep, waitConverged } from './support.js';

const COUNT = size('R4_VS', 30, 6);
const OUTAGE_S = size('R4_OUTAGE_S', 20, 8);
const names = Array.from({ length: COUNT }, (_, i) => `r4-${String(i).padStart(3, '0')}`);
const changed = names.slice(0, Math.max(1, Math.floor(COUNT / 3)));
const deleted = names[names.length - 1] as string;
const created = Array.from({ length: Math.max(1, Math.floor(COUNT / 6)) }, (_, i) => `r4-new-${i}`);

let h: Harness;
let side: ApiserverProcess | undefined;
let cp: ControlPlane | undefined;
const READY_PATH = `/apis/${kinds.VirtualService.apiVersion}/${kinds.VirtualService.plural}`;
before(async () => {
  h = await startHarness({ name: 'chaos-r4', sim: { bootTimeMs: 300 } });
  const op = h.startOperator();
  await cleanNamespace(h, 120_000);
  await op.stop();
  await applyGroup(h, 'default', { maxSEs: Math.max(4, Math.ceil(COUNT / 5)), maxVSPerSE: 10 });
  await applyPool(h);
});
after(async () => {
  await side?.kill();
  if (h === undefined) return;
  if (cp !== undefined && !cp.mainAlive()) await cp.start(cp.mainPort, true, READY_PATH);
  await cleanNamespace(h, 180_000).catch((e: unknown) => console.error(`cleanup: ${(e as Error).message}`));
  await h.stop();
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** The harness's server-side apply, through another apiserver's client. */
const applyVia = (client: KubeClient, namespace: string) => async <T extends KubeObject>(kind: KindName, obj: T): Promise<T> => {
  const k = kinds[kind];
  const body = { apiVersion: k.apiVersion, kind, ...obj, metadata: { ...obj.metadata, namespace } };
  return client.patch<T>(`/apis/${k.apiVersion}/namespaces/${namespace}/${k.plural}/${obj.metadata.name}`, body, 'apply', { query: { fieldManager: 'e2e', force: true } });
};

const count = (text: string, re: RegExp): number => text.split('\n').filter((l) => re.test(l)).length;

test(`R4: apiserver SIGKILLed for ${OUTAGE_S} s during convergence, changes and an etcd compaction meanwhile: all applied, nothing lost`, async () => {
  assert.notEqual(h.cluster.etcdURL, '', 'the cluster names its etcd (scripts/with-cluster.sh)');
  const op = h.startOperator();
  await h.waitFor(async () => /"message":"controller started"/.test(op.output()) || undefined, { what: 'the operator running its controllers', timeoutMs: 120_000 });
  for (const n of names) await applyVS(h, { vs: n });
  // Mid-way: the first VSs done, the rest in flight, and the operator's watches hold a
  // resourceVersion the outage will make stale.
  const readyAtKill = await h.waitFor(async () => {
    const ready = (await h.list<VS>('VirtualService')).filter((v) => v.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
    return ready > 0 ? ready : undefined;
  }, { what: 'a first VS Ready', timeoutMs: 120_000, intervalMs: 100 });
  cp = new ControlPlane(h.cluster);
  const tDown = Date.now();
  await cp.killMain();

  side = await cp.start(await freePort(), false, READY_PATH);
  const viaSide = { ...h, apply: applyVia(side.client, h.namespace) } as Harness;
  for (const n of changed) await applyVS(viaSide, { vs: n, minSEs: 2 });
  for (const n of created) await applyVS(viaSide, { vs: n });
  await side.client.delete(`/apis/${kinds.VirtualService.apiVersion}/namespaces/${h.namespace}/${kinds.VirtualService.plural}/${deleted}`);
  const compactedAt = await compactEtcd(h.cluster.etcdURL);
  await sleep(Math.max(0, tDown + OUTAGE_S * 1000 - Date.now()));
  const aliveThroughOutage = op.child.exitCode === null && op.child.signalCode === null;
  await side.kill();
  side = undefined;

  await cp.start(cp.mainPort, true, READY_PATH);
  const tUp = Date.now();
  const want = [...names.filter((n) => n !== deleted), ...created];
  const all = await waitConverged(h, want, 300_000);
  await h.waitFor(async () => (await h.get('VirtualService', deleted)) === undefined, { what: `${deleted} (deleted during the outage) finalized`, timeoutMs: 120_000 });
  const convergedS = (Date.now() - tUp) / 1000;
  const a = await audit(h, all);
  const scaled = all.filter((v) => changed.includes(v.metadata.name) && v.status?.seSummary === '2/2').length;
  const out = op.output();
  const relists = count(out, /resourceVersion too old; relisting/);
  const watchErrors = count(out, /list\/watch failed; retrying/);
  const stackTraces = count(out, /^\s+at .+\(.+:\d+:\d+\)$/);
  figures('R4', {
    vs: COUNT, readyAtKill, outageS: OUTAGE_S, changedDuringOutage: changed.length, createdDuringOutage: created.length, deletedDuringOutage: 1,
    compactedRevision: compactedAt, watchErrors, relists410: relists, operatorExited: aliveThroughOutage && op.child.exitCode === null ? 0 : 1,
    convergeAfterRestartS: convergedS.toFixed(1), leaked: a.leaked.length, duplicates: a.duplicates.length, ipsTwice: a.ipsTwice.length,
  });
  assert.ok(aliveThroughOutage, 'the operator did not exit during the outage');
  assert.equal(op.child.exitCode, null, 'the operator is still the same process');
  assert.ok(watchErrors > 0, 'the operator saw the outage (list/watch failed)');
  assert.ok(relists > 0, 'a resumed watch got 410 Gone and relisted');
  assert.equal(stackTraces, 0, 'no stack trace in the operator output');
  assert.equal(scaled, changed.length, 'every scale-out change made during the outage is applied');
  assert.deepEqual(a.leaked, [], 'no cloud object of a VS or SE that does not exist (the deleted VS released everything)');
  assert.deepEqual(a.duplicates, [], 'exactly one VIP port and one instance-ip per VS');
  assert.deepEqual(a.ipsTwice, [], 'no VIP address allocated twice');
});
