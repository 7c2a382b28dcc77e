// The middle tier: the operator's reconcilers run in this process (buildOperator, no child
// process) against the in-process simulator and a real kube-apiserver, with an injected clock —
// the way controller-runtime's envtest suites test reconcilers. Every status time the controllers
// write comes from that clock, so a test can reason about times without waiting for them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { conditionsOf, startHarness, SECRETS_NAMESPACE, type Harness } from './harness.js';
import { parseRunConfig } from '../../src/controllers/config.js';
import { buildOperator, type Operator } from '../../src/controllers/operator.js';
import type { KubeObject } from '../../src/runtime/index.js';

/** A status clock stopped at a moment no real clock shows today. */
const FROZEN = new Date('2031-05-06T07:08:09Z');
const FROZEN_TEXT = '2031-05-06T07:08:09Z';

let h: Harness;
let op: Operator;
const stop = new AbortController();
let running: Promise<unknown>;

before(async () => {
  h = await startHarness({ name: 'inproc', sim: { bootTimeMs: 300 } });
  const config = parseRunConfig(['--namespace', h.namespace, '--cluster-id', h.clusterID, '--metrics-addr', '0', '--health-addr', '0',
    '--secrets-namespace', SECRETS_NAMESPACE], {});
  op = buildOperator(config, { client: h.client, clusterID: h.clusterID, clock: { now: () => new Date(FROZEN) } });
  running = op.run(stop.signal);
});
after(async () => {
  stop.abort();
  await running?.catch(() => undefined);
  await h?.stop();
});

test('in-process reconcilers: Cloud Ready, a buffer SE booted and Ready, every condition stamped by the injected clock', async () => {
  await h.waitFor(async () => conditionsOf(await h.get('Cloud', h.cloudName))['Ready']?.status === 'True', { what: 'Cloud Ready', timeoutMs: 60_000 });
  await h.apply('ServiceEngineGroup', { metadata: { name: 'inproc' }, spec: { cloudRef: h.cloudName, bufferSEs: 1 } } as KubeObject);
  const se = await h.waitFor(async () => (await h.list<KubeObject>('ServiceEngine')).find((s) => conditionsOf(s)['Ready']?.status === 'True'),
    { what: 'a Ready SE', timeoutMs: 60_000 });
  const group = await h.waitFor(async () => {
    const g = await h.get('ServiceEngineGroup', 'inproc');
    return conditionsOf(g)['Ready']?.status === 'True' ? g : undefined;
  }, { what: 'group Ready', timeoutMs: 30_000 });
  const cloud = await h.get('Cloud', h.cloudName);
  for (const [what, obj] of [['ServiceEngine', se], ['ServiceEngineGroup', group], ['Cloud', cloud]] as const) {
    const conds = (obj?.['status'] as { conditions?: { type: string; lastTransitionTime: string }[] } | undefined)?.conditions ?? [];
    assert.ok(conds.length > 0, `${what} has conditions`);
    for (const c of conds) assert.equal(c.lastTransitionTime, FROZEN_TEXT, `${what} condition ${c.type} is stamped by the injected clock`);
  }
  await h.remove('ServiceEngineGroup', 'inproc');
  await h.waitFor(async () => (await h.list<KubeObject>('ServiceEngine')).length === 0, { what: 'SEs gone', timeoutMs: 60_000 });
});
