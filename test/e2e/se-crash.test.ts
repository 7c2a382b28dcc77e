// Crash safety end to end: the operator SIGKILLed while a Nova boot is in flight adopts the
// server after a restart instead of booting a second; the orphan sweep deletes our tagged objects
// whose owner is gone — and never an untagged object or another cluster's.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { conditionsOf, startHarness, ADMIN, type Harness } from './harness.js';
import type { KubeObject } from '../../src/runtime/index.js';
import { openCloud, ownerDescription, type Cloud } from '../../src/cloud/index.js';

type SE = KubeObject & { spec: { seGroupRef: string }; status?: { serverUUID?: string } };

let h: Harness;
let cloud: Cloud;
before(async () => {
  h = await startHarness({ name: 'se-crash' });
  cloud = openCloud({
    name: 'test', keystone: { authURL: `${h.sim.urls.keystone}/v3` },
    credentials: { kind: 'password', username: ADMIN.username, password: ADMIN.password },
  });
});
after(async () => {
  cloud?.close();
  await h?.stop();
});

const cloudReady = async (): Promise<boolean> => conditionsOf(await h.get('Cloud', h.cloudName))['Ready']?.status === 'True';

interface Stats { requests: { api: string; method: string; route: string; status: number; count: number }[] }
const serverCreates = async (): Promise<number> =>
  (await h.simControl<Stats>('GET', '/sim/stats')).requests
    .filter((r) => r.api === 'nova' && r.method === 'POST' && r.route === '/v2.1/{project_id}/servers' && r.status === 202)
    .reduce((n, r) => n + r.count, 0);

test('SIGKILL right after the Nova create is sent: after a restart the server is adopted, not duplicated', async () => {
  const first = h.startOperator();
  await h.waitFor(cloudReady, { what: 'Cloud Ready', timeoutMs: 60_000 });
  // Widen the window between "create sent" and "create answered" to 1.5 s.
  await h.simControl('POST', '/sim/faults', { api: 'nova', method: 'POST', route: '/v2.1/{project_id}/servers', latencyMs: 1500, count: 1 });
  const before = await serverCreates();
  await h.apply('ServiceEngineGroup', { metadata: { name: 'crash' }, spec: { cloudRef: h.cloudName, bufferSEs: 1 } } as KubeObject);
  await h.waitFor(async () => {
    const faults = (await h.simControl<{ faults: { fired: number }[] }>('GET', '/sim/faults')).faults;
    return faults.length === 0 || (faults[0]?.fired ?? 0) >= 1;
  }, { what: 'the boot request in flight', intervalMs: 20 });
  await first.kill();
  // The simulator finishes the create the dead operator never heard back about.
  await h.waitFor(async () => (await serverCreates()) === before + 1, { what: 'the server created', timeoutMs: 10_000 });
  assert.equal((await h.ourObjects()).filter((o) => o.type === 'server').length, 1);

  h.startOperator();
  const se = await h.waitFor(async () => {
    const ses = (await h.list<SE>('ServiceEngine')).filter((s) => s.spec.seGroupRef === 'crash');
    return ses.length === 1 && conditionsOf(ses[0])['Ready']?.status === 'True' ? ses[0] : undefined;
  }, { what: 'the SE Ready after restart', timeoutMs: 60_000 });
  const mine = (await h.ourObjects()).filter((o) => o.owner['lbop.owner-uid'] === se?.metadata.uid);
  const servers = mine.filter((o) => o.type === 'server');
  assert.equal(servers.length, 1, 'adopted, not duplicated');
  assert.equal(servers[0]?.uuid, se?.status?.serverUUID);
  assert.equal(mine.filter((o) => o.api === 'neutron' && o.type === 'port').length, 1, 'one management port');
  assert.equal(await serverCreates(), before + 1, 'no second boot request');
  await h.remove('ServiceEngineGroup', 'crash');
  await h.waitFor(async () => (await h.ourObjects()).length === 0, { what: 'crash group cleaned up', timeoutMs: 60_000 });
});

test('the orphan sweep deletes our objects whose owner is gone, and nothing else', async () => {
  const demo = { name: 'demo' };
  const neutron = cloud.neutron(demo);
  const mgmt = '6f0c3b8e-2d4a-4b9c-8e1f-0a2b3c4d5e01';
  const owner = (clusterID: string, uid: string): string =>
    ownerDescription({ clusterID, kind: 'ServiceEngine', namespace: h.namespace, name: 'long-gone', uid });
  const orphanPort = await neutron.createPort({ network_id: mgmt, name: 'lbop-deadbeef-mgmt', description: owner(h.clusterID, 'deadbeef-0000-4000-8000-000000000001') });
  const orphanServer = await cloud.nova(demo).createServer({
    name: 'lbop-deadbeef-se', imageRef: '3d2c1b0a-9f8e-4d7c-8b6a-5f4e3d2c1b0a', flavorRef: '2', networks: [{ port: orphanPort.id }],
    metadata: { 'lbop.cluster-id': h.clusterID, 'lbop.owner-kind': 'ServiceEngine', 'lbop.owner-namespace': h.namespace, 'lbop.owner-name': 'long-gone', 'lbop.owner-uid': 'deadbeef-0000-4000-8000-000000000001' },
  });
  const untagged = await neutron.createPort({ network_id: mgmt, name: 'lbop-cafecafe-mgmt', description: 'made by hand' });
  const otherCluster = await neutron.createPort({ network_id: mgmt, name: 'lbop-cafecafe-mgmt', description: owner('another-cluster', 'cafecafe-0000-4000-8000-000000000002') });
  try {
    // The sweep runs when the cloud connection becomes ready (here: a restart of the operator).
    await Promise.all(h.operators.map((p) => p.stop()));
    h.startOperator();
    await h.waitFor(async () => {
      const ids = new Set((await h.simObjects()).map((o) => o.uuid));
      return !ids.has(orphanPort.id) && !ids.has(orphanServer.id);
    }, { what: 'orphaned port and server deleted', timeoutMs: 30_000 });
    const ids = new Set((await h.simObjects()).map((o) => o.uuid));
    assert.ok(ids.has(untagged.id), 'an untagged port is never touched');
    assert.ok(ids.has(otherCluster.id), "another cluster's port is never touched");
    assert.match(h.operators.map((p) => p.output()).join('\n'), /deleted orphaned cloud object/);
    // And an Event on the Cloud (cluster-scoped: in `default`) naming what went and whose it was.
    const ev = await h.waitFor(async () => (await h.events('default')).find((e) => e.regarding.kind === 'Cloud' && e.regarding.name === h.cloudName && e.reason === 'OrphanDeleted'),
      { what: 'OrphanDeleted event', timeoutMs: 10_000 });
    assert.ok(ev.note.includes(orphanPort.id) && ev.note.includes(orphanServer.id) && ev.note.includes('long-gone'), ev.note);
  } finally {
    await neutron.deletePort(untagged.id).catch(() => undefined);
    await neutron.deletePort(otherCluster.id).catch(() => undefined);
  }
});
