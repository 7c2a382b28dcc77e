// Nova's interface attach answered nothing although it went through (issue 20, seen on real
// OpenStack under load: ETIMEDOUT, then the retry's 409 "Port … is still in use", and the
// operator detached, deleted and re-created a port that was fine). The simulator's `lostReply`
// fault runs the attach and resets the connection unanswered; the SE controller reads the port
// and, its device_id being this server, adopts it (serviceengine/attachadopt.ts): one data port,
// no detach, no port deleted, event VNICAdopted. And the longer road: the read after the lost
// reply fails too, so the attach is retried, Nova says 409 still in use, and the port is adopted
// then — still one port, no detach.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/runtime/index.js';
import { startHarness, type Harness } from './harness.js';
import { applySeed, cleanNamespace, VIP_NET, waitReadyWith } from './vs-support.js';

type SEObject = KubeObject & { status?: { serverUUID?: string; dataInterfaces?: { networkUUID?: string; portUUID?: string; attached?: boolean }[] } };
interface Row { api: string; method: string; route: string; status: number; count: number }
interface Port { id: string; device_id: string; network_id: string; description?: string }

const ATTACH = { api: 'nova', method: 'POST', route: '*', lostReply: true, count: 1 };

async function token(h: Harness): Promise<string> {
  const auth = await fetch(`${h.sim.urls.keystone}/v3/auth/tokens`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: 'admin-secret' } } }, scope: { project: { name: 'admin', domain: { id: 'default' } } } } }),
  });
  return auth.headers.get('x-subject-token') ?? '';
}

/** What the run did to interfaces and ports, from the simulator's request counts. */
async function writes(h: Harness): Promise<{ attachLost: number; attach409: number; detaches: number; portDeletes: number }> {
  const rows = (await h.simControl<{ requests: Row[] }>('GET', '/sim/stats')).requests;
  const sum = (f: (r: Row) => boolean): number => rows.filter(f).reduce((a, r) => a + r.count, 0);
  const attach = (r: Row): boolean => r.api === 'nova' && r.method === 'POST' && r.route.endsWith('/servers/{id}/os-interface');
  return {
    attachLost: sum((r) => attach(r) && r.status === 0),
    attach409: sum((r) => attach(r) && r.status === 409),
    detaches: sum((r) => r.api === 'nova' && r.method === 'DELETE' && r.route.includes('/os-interface/')),
    portDeletes: sum((r) => r.api === 'neutron' && r.method === 'DELETE' && r.route === '/v2.0/ports/{id}'),
  };
}

/** The SE's ports in the VIP network (owner-tagged by this cluster), and the SE. */
async function dataPorts(h: Harness, tok: string): Promise<{ se: SEObject; ports: Port[] }> {
  const [se] = await h.list<SEObject>('ServiceEngine');
  assert.ok(se !== undefined, 'one SE');
  const res = await fetch(`${h.sim.urls.neutron}/v2.0/ports?network_id=${VIP_NET}`, { headers: { 'x-auth-token': tok } });
  const ports = ((await res.json()) as { ports: Port[] }).ports.filter((p) => (p.description ?? '').includes(se.metadata.uid ?? '-'));
  return { se, ports };
}

for (const mode of ['contrail', 'neutron'] as const) describe(`${mode}: the attach's reply lost`, () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ name: `se-attach-lost-${mode}`, mode, sim: { bootTimeMs: 300 } });
    await h.simControl('POST', '/sim/stats/reset');
    // Only the attach: every other Nova POST (the boot) is answered.
    await h.simControl('POST', '/sim/faults', { ...ATTACH, route: '/v2.1/servers/{id}/os-interface' });
    await h.simControl('POST', '/sim/faults', { ...ATTACH, route: '/v2.1/{project_id}/servers/{id}/os-interface' });
    h.startOperator();
    await cleanNamespace(h);
  });
  after(async () => {
    if (h === undefined) return;
    await cleanNamespace(h).catch((e: unknown) => console.error(`cleanup: ${(e as Error).message}`));
    await h.stop();
  });

  test('the attach ran, its answer was lost: the port is adopted — one port, no detach, no delete', async () => {
    await applySeed(h, { minSEs: 1 });
    await waitReadyWith(h, 1);
    const w = await writes(h);
    assert.equal(w.attachLost, 1, 'the fault fired on the attach');
    assert.deepEqual([w.detaches, w.portDeletes, w.attach409], [0, 0, 0], 'adopted at once: nothing detached, deleted or re-sent');
    const { se, ports } = await dataPorts(h, await token(h));
    assert.equal(ports.length, 1, 'one data port, no leak');
    const nic = se.status?.dataInterfaces?.find((d) => d.networkUUID === VIP_NET);
    assert.equal(nic?.portUUID, ports[0]?.id);
    assert.equal(nic?.attached, true);
    assert.equal(ports[0]?.device_id, se.status?.serverUUID);
    const events = await h.events();
    assert.ok(events.some((e) => e.reason === 'VNICAdopted' && e.note.includes(ports[0]?.id ?? '-')), 'VNICAdopted names the port');
    assert.ok(!events.some((e) => e.reason === 'VNICAdditionFailure'));
  });
});

describe('contrail: the lost reply, then the read fails too: the retry meets 409 still in use and adopts', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ name: 'se-attach-409', sim: { bootTimeMs: 300 } });
    await h.simControl('POST', '/sim/stats/reset');
    await h.simControl('POST', '/sim/faults', { ...ATTACH, route: '/v2.1/servers/{id}/os-interface' });
    await h.simControl('POST', '/sim/faults', { ...ATTACH, route: '/v2.1/{project_id}/servers/{id}/os-interface' });
    // The adoption's GET of the port after the lost reply: one 500 (not retried), so the attach stands failed.
    await h.simControl('POST', '/sim/faults', { api: 'neutron', method: 'GET', route: '/v2.0/ports/{id}', status: 500, count: 1 });
    h.startOperator();
    await cleanNamespace(h);
  });
  after(async () => {
    if (h === undefined) return;
    await cleanNamespace(h).catch((e: unknown) => console.error(`cleanup: ${(e as Error).message}`));
    await h.stop();
  });

  test('VNICAdditionFailure once, then 409 still in use → adopted: one port, no detach, no delete', async () => {
    await applySeed(h, { minSEs: 1 });
    await waitReadyWith(h, 1);
    const w = await writes(h);
    assert.equal(w.attachLost, 1);
    assert.ok(w.attach409 >= 1, `the retry met 409 still in use (${w.attach409})`);
    assert.deepEqual([w.detaches, w.portDeletes], [0, 0]);
    const { se, ports } = await dataPorts(h, await token(h));
    assert.equal(ports.length, 1);
    assert.equal(se.status?.dataInterfaces?.find((d) => d.networkUUID === VIP_NET)?.portUUID, ports[0]?.id);
    const events = await h.events();
    assert.ok(events.some((e) => e.reason === 'VNICAdditionFailure'), 'the first attempt reported failed');
    assert.ok(events.some((e) => e.reason === 'VNICAdopted' && /still in use/.test(e.note)), 'adopted on the 409');
  });
});
