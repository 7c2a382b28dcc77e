// Sharding by label (docs/scaling.md): two operator processes, `--watch-label-selector
// sharding.fluxcd.io/key=shard-a` and `=shard-b`, on one namespace, one cloud and one cluster ID.
// Each shard has its own Cloud, group, Pool and VSs, all labelled. Each operator reconciles only
// its shard's objects (its log never names the other shard's, an unlabelled VS is touched by
// neither, the SEs a group creates carry its shard label), the capacity invariants hold over the
// whole namespace, and each shard's orphan sweep — which sees the other shard's cloud objects
// under the same cluster ID, with owners missing from its caches — deletes none of them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness, type OperatorProcess } from './harness.js';
import { condition, VIP_SUBNET, type VS } from './vs-support.js';
import { checkInvariants, type GroupObj, type SEObj, type VSObj } from '../../src/controllers/model/index.js';
import type { KubeObject } from '../../src/runtime/index.js';

const KEY = 'sharding.fluxcd.io/key';
const SHARDS = ['shard-a', 'shard-b'] as const;
const VS_PER_SHARD = 3;
const MAX_VS_PER_SE = 2;

let h: Harness;
const ops = new Map<string, OperatorProcess>();
const cloudOf = (shard: string): string => `sharding-${shard}`;
const vsNames = (shard: string): string[] => Array.from({ length: VS_PER_SHARD }, (_, i) => `${shard}-vs-${i}`);

async function removeAll(): Promise<void> {
  for (const v of await h.list<KubeObject>('VirtualService')) await h.remove('VirtualService', v.metadata.name);
  await h.waitFor(async () => (await h.list<KubeObject>('VirtualService')).length === 0, { what: 'VirtualServices torn down', timeoutMs: 90_000 });
  for (const p of await h.list<KubeObject>('Pool')) await h.remove('Pool', p.metadata.name);
  for (const g of await h.list<KubeObject>('ServiceEngineGroup')) await h.remove('ServiceEngineGroup', g.metadata.name);
}

before(async () => {
  h = await startHarness({ name: 'sharding', noCloud: true, sim: { bootTimeMs: 300 } });
  for (const shard of SHARDS) {
    const base = h.cloudManifest();
    await h.apply('Cloud', { ...base, metadata: { name: cloudOf(shard), labels: { [KEY]: shard } } });
    // Sweeps every second: several run while the test watches the other shard's objects survive.
    ops.set(shard, h.startOperator(['--watch-label-selector', `${KEY}=${shard}`, '--orphan-sweep-period', '1']));
  }
  await removeAll();
});

after(async () => {
  if (h === undefined) return;
  await removeAll().catch((e: unknown) => console.error(`cleanup: ${(e as Error).message}`));
  await h.stop();
  for (const shard of SHARDS) await h.remove('Cloud', cloudOf(shard));
});

async function vs(name: string): Promise<VS | undefined> {
  return h.get<VS>('VirtualService', name);
}

test('two shards: each reconciles only its own objects, the invariants hold, no sweep deletes the other shard\'s', async () => {
  for (const shard of SHARDS) {
    const labels = { [KEY]: shard };
    await h.apply('ServiceEngineGroup', { metadata: { name: `${shard}-group`, labels }, spec: {
      cloudRef: cloudOf(shard), minScaleoutPerVS: 1, maxScaleoutPerVS: 2, maxSEs: 4, bufferSEs: 0, maxVSPerSE: MAX_VS_PER_SE,
    } });
    await h.apply('Pool', { metadata: { name: `${shard}-pool`, labels }, spec: { cloudRef: cloudOf(shard), servers: [{ ip: '20.0.0.3', port: 80 }] } });
    for (const name of vsNames(shard)) {
      await h.apply('VirtualService', { metadata: { name, labels }, spec: {
        cloudRef: cloudOf(shard), poolRef: `${shard}-pool`, seGroupRef: `${shard}-group`,
        vip: [{ vipID: '0', autoAllocateIP: true, subnetUUID: VIP_SUBNET }], services: [{ port: 80 }],
        scaleout: { ecmp: true, minSEs: 1, maxSEs: 2 },
      } });
    }
  }
  // In no shard: neither operator may touch it (no finalizer, no status, ever).
  await h.apply('VirtualService', { metadata: { name: 'unsharded-vs' }, spec: {
    cloudRef: cloudOf('shard-a'), poolRef: 'shard-a-pool', seGroupRef: 'shard-a-group',
    vip: [{ vipID: '0', autoAllocateIP: true, subnetUUID: VIP_SUBNET }], services: [{ port: 80 }],
  } });

  const all = SHARDS.flatMap(vsNames);
  await h.waitFor(async () => {
    for (const name of all) if (condition((await vs(name))?.status, 'Ready')?.status !== 'True') return false;
    return true;
  }, { what: `all ${all.length} sharded VSs Ready`, timeoutMs: 180_000, intervalMs: 250 });

  const ses = await h.list<SEObj>('ServiceEngine');
  const groups = await h.list<GroupObj>('ServiceEngineGroup');
  const vss = await h.list<VSObj>('VirtualService');
  const report = checkInvariants({ groups, ses, vss });
  assert.deepEqual(report.violations, [], 'the capacity invariants hold across both shards');
  assert.ok(report.maxVSPerSEObserved <= MAX_VS_PER_SE);
  for (const shard of SHARDS) {
    const mine = ses.filter((s) => s.spec.seGroupRef === `${shard}-group`);
    assert.ok(mine.length >= 2, `${shard}: ${VS_PER_SHARD} VSs at ${MAX_VS_PER_SE} per SE need ≥ 2 SEs (got ${mine.length})`);
    for (const se of mine) {
      assert.equal(se.metadata.labels?.[KEY], shard, `${se.metadata.name} carries its group's shard label`);
      assert.equal(se.spec.cloudRef, cloudOf(shard));
    }
    for (const name of vsNames(shard)) {
      const placed = (await vs(name))?.status?.serviceEngines ?? [];
      for (const p of placed) assert.ok(mine.some((s) => s.metadata.name === p.name), `${name} placed only on its shard's SEs`);
    }
  }
  const stray = await vs('unsharded-vs');
  // Only the CRD's default (observedGeneration 0): no operator ever wrote its status.
  assert.deepEqual(stray?.status ?? {}, { observedGeneration: 0 }, 'the unlabelled VS has no status written');
  assert.deepEqual(stray?.metadata.finalizers ?? [], [], 'and no finalizer');

  // Each operator's log names its own objects and never the other shard's.
  for (const [shard, op] of ops) {
    const other = SHARDS.find((s) => s !== shard) as string;
    const out = op.output();
    assert.ok(out.includes(`${shard}-vs-0`), `${shard}'s operator logged its own VS`);
    assert.equal(out.includes(`${other}-`), false, `${shard}'s operator never mentions ${other}'s objects`);
    assert.equal(out.includes('unsharded-vs'), false);
  }

  // Both shards share the cluster ID: each sweep sees the other's servers, ports and IPs, whose
  // owners its caches lack. Wait for ≥ 3 more sweeps by each; nothing of ours may go.
  const before = new Set((await h.ourObjects()).map((o) => o.uuid));
  assert.ok(before.size > 0);
  const sweeps = async (op: OperatorProcess): Promise<number> => {
    const lines = [...(await h.metrics(op)).matchAll(/^controller_runtime_reconcile_total\{[^}]*controller="orphan-sweep"[^}]*\} (\d+)$/gm)];
    return lines.reduce((n, m) => n + Number(m[1]), 0);
  };
  const start = new Map<string, number>();
  for (const [shard, op] of ops) start.set(shard, await sweeps(op));
  for (const [shard, op] of ops) {
    await h.waitFor(async () => (await sweeps(op)) >= (start.get(shard) ?? 0) + 3, { what: `3 orphan sweeps by ${shard}`, timeoutMs: 60_000, intervalMs: 250 });
  }
  const afterSweeps = new Set((await h.ourObjects()).map((o) => o.uuid));
  assert.deepEqual([...before].filter((u) => !afterSweeps.has(u)), [], 'no cloud object deleted by either shard\'s sweep');
  for (const op of ops.values()) assert.equal(op.output().includes('deleted orphaned cloud object'), false);
  for (const name of all) assert.equal(condition((await vs(name))?.status, 'Ready')?.status, 'True', `${name} still Ready`);
});
