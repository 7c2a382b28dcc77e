// Two replicas with --leader-elect: only the leader reconciles (one set of SEs, one boot per SE);
// SIGTERM on the leader releases the Lease and the standby takes over at once and carries on.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { conditionsOf, startHarness, type Harness } from './harness.js';
import type { KubeObject } from '../../src/runtime/index.js';

type SE = KubeObject & { spec: { seGroupRef: string } };

let h: Harness;
before(async () => {
  h = await startHarness({ name: 'se-leader' });
});
after(async () => h?.stop());

const readyIn = async (g: string): Promise<number> =>
  (await h.list<SE>('ServiceEngine')).filter((s) => s.spec.seGroupRef === g && conditionsOf(s)['Ready']?.status === 'True').length;

test('only the leader reconciles; a SIGTERMed leader hands over to the standby', async () => {
  const args = ['--leader-elect', '--lease-name', `lbop-${h.namespace}`, '--lease-namespace', 'lb-system'];
  const a = h.startOperator(args);
  await h.waitFor(async () => /became leader/.test(a.output()), { what: 'first replica leads', timeoutMs: 30_000 });
  const b = h.startOperator(args);
  await h.waitFor(async () => conditionsOf(await h.get('Cloud', h.cloudName))['Ready']?.status === 'True', { what: 'Cloud Ready', timeoutMs: 60_000 });

  await h.apply('ServiceEngineGroup', { metadata: { name: 'lead' }, spec: { cloudRef: h.cloudName, bufferSEs: 2 } } as KubeObject);
  await h.waitFor(async () => (await readyIn('lead')) === 2, { what: 'two SEs Ready', timeoutMs: 60_000 });
  assert.equal((await h.list<SE>('ServiceEngine')).filter((s) => s.spec.seGroupRef === 'lead').length, 2, 'one set of SEs, not one per replica');
  assert.equal((await h.ourObjects()).filter((o) => o.type === 'server').length, 2, 'one server per SE');
  assert.doesNotMatch(b.output(), /became leader/, 'the standby did not lead');
  assert.doesNotMatch(b.output(), /controller started/, 'the standby ran no controller');

  const t0 = Date.now();
  assert.equal(await a.stop(), 0);
  await h.waitFor(async () => /became leader/.test(b.output()), { what: 'standby leads', timeoutMs: 30_000 });
  const handover = Date.now() - t0;
  assert.ok(handover < 10_000, `handover in ${handover} ms (the lease was released, not waited out)`);
  await h.apply('ServiceEngineGroup', { metadata: { name: 'lead' }, spec: { cloudRef: h.cloudName, bufferSEs: 3 } } as KubeObject);
  await h.waitFor(async () => (await readyIn('lead')) === 3, { what: 'the new leader scales out', timeoutMs: 60_000 });
  assert.equal((await h.ourObjects()).filter((o) => o.type === 'server').length, 3);
  await h.remove('ServiceEngineGroup', 'lead');
  await h.waitFor(async () => (await h.ourObjects()).length === 0, { what: 'cleaned up', timeoutMs: 60_000 });
});
