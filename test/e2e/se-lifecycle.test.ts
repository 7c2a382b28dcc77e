// Service Engines end to end (real kube-apiserver + simulator, operator as a child process):
// a group keeps its buffer SEs ACTIVE with tagged management ports, a failed boot is retried,
// a server that dies after ACTIVE is replaced, and deleting the group leaves nothing behind.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { conditionsOf, startHarness, type Harness, type SimObject } from './harness.js';
import type { KubeObject } from '../../src/runtime/index.js';

type SE = KubeObject & {
  spec: { seGroupRef: string };
  status?: { serverUUID?: string; state?: string; managementIP?: string; managementPortUUID?: string; fault?: string };
};

let h: Harness;
before(async () => {
  h = await startHarness({ name: 'se-life' });
  h.startOperator();
  await h.waitFor(async () => conditionsOf(await h.get('Cloud', h.cloudName))['Ready']?.status === 'True', { what: 'Cloud Ready', timeoutMs: 60_000 });
});
after(async () => h?.stop());

const group = (name: string, spec: Record<string, unknown>): KubeObject => ({
  metadata: { name }, spec: { cloudRef: h.cloudName, ...spec },
} as KubeObject);

const sesOf = async (g: string): Promise<SE[]> => (await h.list<SE>('ServiceEngine')).filter((s) => s.spec.seGroupRef === g);
const readySEs = async (g: string): Promise<SE[]> => (await sesOf(g)).filter((s) => conditionsOf(s)['Ready']?.status === 'True');

async function waitReady(g: string, n: number, timeoutMs = 60_000): Promise<SE[]> {
  return h.waitFor(async () => {
    const r = await readySEs(g);
    return r.length >= n ? r : undefined;
  }, { what: `${n} Ready SEs in ${g}`, timeoutMs });
}

const ownedBy = (objs: SimObject[], uid: string): SimObject[] => objs.filter((o) => o.owner['lbop.owner-uid'] === uid);

test('a group with bufferSEs 2: two SEs ACTIVE with tagged management ports and full status; deleting it removes everything', async () => {
  await h.apply('ServiceEngineGroup', group('buffer', { bufferSEs: 2 }));
  const ses = await waitReady('buffer', 2);
  assert.equal((await sesOf('buffer')).length, 2, 'exactly bufferSEs SEs');
  const objs = await h.ourObjects();
  for (const se of ses) {
    assert.match(se.metadata.name, /^buffer-se-[01]$/, 'SEs named by slot, 0..maxSEs-1');
    const owner = (se.metadata['ownerReferences'] as { kind: string; name: string; controller: boolean }[])[0];
    assert.deepEqual([owner?.kind, owner?.name, owner?.controller], ['ServiceEngineGroup', 'buffer', true]);
    const st = se.status ?? {};
    assert.equal(st.state, 'ACTIVE');
    assert.match(st.managementIP ?? '', /^10\.10\.10\.\d+$/);
    const mine = ownedBy(objs, se.metadata.uid ?? '');
    const servers = mine.filter((o) => o.api === 'nova' && o.type === 'server');
    assert.equal(servers.length, 1, 'one server per SE');
    assert.equal(servers[0]?.uuid, st.serverUUID);
    assert.equal(servers[0]?.status, 'ACTIVE');
    const ports = mine.filter((o) => o.api === 'neutron' && o.type === 'port');
    assert.equal(ports.length, 1, 'one management port per SE');
    assert.equal(ports[0]?.uuid, st.managementPortUUID);
    assert.match(ports[0]?.name ?? '', /^lbop-[0-9a-f]{8}-mgmt$/);
    for (const o of [...servers, ...ports]) {
      assert.equal(o.owner['lbop.cluster-id'], h.clusterID);
      assert.equal(o.owner['lbop.owner-kind'], 'ServiceEngine');
      assert.equal(o.owner['lbop.owner-namespace'], h.namespace);
      assert.equal(o.owner['lbop.owner-name'], se.metadata.name);
    }
    const c = conditionsOf(se);
    assert.equal(c['Booted']?.status, 'True');
    assert.equal(c['NetworksAttached']?.status, 'True');
  }
  const g = await h.get<KubeObject & { status?: { seCount?: number; readySECount?: number } }>('ServiceEngineGroup', 'buffer');
  await h.waitFor(async () => {
    const cur = await h.get<KubeObject & { status?: { seCount?: number; readySECount?: number } }>('ServiceEngineGroup', 'buffer');
    return cur?.status?.readySECount === 2 && cur.status.seCount === 2;
  }, { what: 'group status counts' });
  assert.ok(g);
  const events = await h.events();
  assert.equal(events.filter((e) => e.reason === 'SECreated').length >= 2, true, 'SECreated per SE');

  await h.remove('ServiceEngineGroup', 'buffer');
  await h.waitFor(async () => (await h.get('ServiceEngineGroup', 'buffer')) === undefined && (await sesOf('buffer')).length === 0, { what: 'group and SEs gone', timeoutMs: 60_000 });
  await h.waitFor(async () => (await h.ourObjects()).length === 0, { what: 'nothing of ours left in /sim/objects', timeoutMs: 30_000 });
});

test('a Nova boot failure: SECreationFailure, the server deleted, a retry succeeds, no leftovers', async () => {
  await h.simControl('POST', '/sim/boot-failures', { count: 1, message: 'No valid host was found. Exceeded max scheduling attempts 3 for instance' });
  await h.apply('ServiceEngineGroup', group('bootfail', { bufferSEs: 1 }));
  const ev = await h.waitFor(async () => (await h.events()).find((e) => e.reason === 'SECreationFailure'), { what: 'SECreationFailure event', timeoutMs: 30_000 });
  assert.match(ev.note, /No valid host was found/);
  const [se] = await waitReady('bootfail', 1);
  assert.ok(se);
  assert.equal((await sesOf('bootfail')).length, 1, 'the same SE retried, not replaced');
  const mine = ownedBy(await h.ourObjects(), se.metadata.uid ?? '');
  assert.equal(mine.filter((o) => o.type === 'server').length, 1, 'one server (the failed one deleted)');
  assert.equal(mine.filter((o) => o.api === 'neutron' && o.type === 'port').length, 1, 'one management port (kept across the retry)');
  assert.equal(se.status?.fault, undefined, 'fault cleared once ACTIVE');
  const metrics = await h.metrics(h.operators[0] as NonNullable<(typeof h.operators)[0]>);
  assert.match(metrics, new RegExp(`lbop_service_engine_boot_failures_total\\{cloud="${h.cloudName}"\\} [1-9]`));
  assert.match(metrics, /lbop_service_engine_boot_seconds_count\{cloud="se-life"\} [1-9]/);
  await h.remove('ServiceEngineGroup', 'bootfail');
  await h.waitFor(async () => (await h.ourObjects()).length === 0, { what: 'bootfail cleaned up', timeoutMs: 60_000 });
});

test('a server that goes ERROR after ACTIVE: the SE is not Ready within one observation period and a replacement boots', async () => {
  await h.apply('ServiceEngineGroup', group('failover', { bufferSEs: 1 }));
  const [first] = await waitReady('failover', 1);
  assert.ok(first?.status?.serverUUID);
  const t0 = Date.now();
  await h.simControl('POST', `/sim/servers/${first.status.serverUUID}/state`, { state: 'ERROR', message: 'hypervisor lost' });
  const failed = await h.waitFor(async () => {
    const se = await h.get<SE>('ServiceEngine', first.metadata.name);
    return se === undefined || conditionsOf(se)['Ready']?.status === 'False' ? (se ?? first) : undefined;
  }, { what: 'failed SE not Ready', timeoutMs: 15_000, intervalMs: 50 });
  const noticedMs = Date.now() - t0;
  assert.ok(noticedMs <= 5_000 + 1_500, `noticed in ${noticedMs} ms (period 5 s)`);
  assert.equal(conditionsOf(failed)['Ready']?.reason ?? 'ServerFailed', 'ServerFailed');
  const replacement = await h.waitFor(async () => (await readySEs('failover')).find((s) => s.metadata.name !== first.metadata.name), { what: 'replacement Ready', timeoutMs: 60_000 });
  assert.notEqual(replacement.status?.serverUUID, first.status.serverUUID);
  // The failed SE is retired once its replacement is Ready, and its server deleted.
  await h.waitFor(async () => (await h.get('ServiceEngine', first.metadata.name)) === undefined, { what: 'failed SE retired', timeoutMs: 60_000 });
  const servers = (await h.ourObjects()).filter((o) => o.type === 'server');
  assert.deepEqual(servers.map((s) => s.uuid), [replacement.status?.serverUUID]);
  await h.remove('ServiceEngineGroup', 'failover');
  await h.waitFor(async () => (await h.ourObjects()).length === 0, { what: 'failover cleaned up', timeoutMs: 60_000 });
});

test('scale-in: lowering bufferSEs retires an idle SE once seDeprovisionDelaySeconds has passed, and not before', async () => {
  await h.apply('ServiceEngineGroup', group('scalein', { bufferSEs: 2, seDeprovisionDelaySeconds: 6 }));
  const ready = await waitReady('scalein', 2);
  // The delay counts from when the operator first saw the SE idle: its creation, here.
  const created = Math.min(...ready.map((s) => Date.parse(String(s.metadata['creationTimestamp']))));
  await h.apply('ServiceEngineGroup', group('scalein', { bufferSEs: 1, seDeprovisionDelaySeconds: 6 }));
  await h.waitFor(async () => (await sesOf('scalein')).length === 1, { what: 'one SE retired', timeoutMs: 30_000, intervalMs: 50 });
  const after = Date.now() - created;
  assert.ok(after >= 6_000 - 1_000, `retired ${after} ms after creation (delay 6 s; creationTimestamp has 1 s resolution)`);
  assert.equal((await readySEs('scalein')).length, 1, 'the remaining SE stays Ready');
  await h.waitFor(async () => (await h.ourObjects()).filter((o) => o.type === 'server').length === 1, { what: "the retired SE's server deleted", timeoutMs: 30_000 });
  await h.waitFor(async () => {
    const cur = await h.get<KubeObject & { status?: { seCount?: number; idleSECount?: number } }>('ServiceEngineGroup', 'scalein');
    return cur?.status?.seCount === 1 && cur.status.idleSECount === 1;
  }, { what: 'group counts after scale-in' });
  await h.remove('ServiceEngineGroup', 'scalein');
  await h.waitFor(async () => (await h.ourObjects()).length === 0, { what: 'scalein cleaned up', timeoutMs: 60_000 });
});

test('a 500 on the boot request (outcome unknown): booted again only after a fresh list, one server', async () => {
  await h.simControl('POST', '/sim/faults', { api: 'nova', method: 'POST', route: '/v2.1/{project_id}/servers', status: 500, message: 'Unexpected API Error.', count: 1 });
  await h.apply('ServiceEngineGroup', group('unknown', { bufferSEs: 1 }));
  const [se] = await waitReady('unknown', 1);
  assert.ok(se);
  const mine = ownedBy(await h.ourObjects(), se.metadata.uid ?? '');
  assert.equal(mine.filter((o) => o.type === 'server').length, 1, 'one server');
  assert.match(h.operators.map((p) => p.output()).join('\n'), /Unexpected API Error/, 'the failure was logged with Nova\'s message');
  await h.remove('ServiceEngineGroup', 'unknown');
  await h.waitFor(async () => (await h.ourObjects()).length === 0, { what: 'unknown cleaned up', timeoutMs: 60_000 });
});
