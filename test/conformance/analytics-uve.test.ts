// The simulator's analytics VMI UVE (docs/se-repair.md): what ContrailClient.vmiHealth reads to
// tell a partitioned SE from a dead one. A VMI's health-check state comes from the data plane's
// prober (here set directly, as the prober does); a VMI nobody probes is absent from the answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { objectName, stampAnnotations, type Owner } from '../../src/cloud/index.js';
import type { Sim } from '../../src/sim/context.js';
import type { Cloud } from '../../src/cloud/index.js';
import { control, simCloud, VIP_NET } from '../cloud/sim.js';

const owner: Owner = { clusterID: 'cluster-a', kind: 'ServiceEngine', namespace: 'demo', name: 'se-0', uid: '0123abcd-1111-2222-3333-444455556666' };

/** Two VMIs with a probed health check (one up, one down) and one without; the UVEs asked for them. */
async function checkUVEs(cloud: Cloud, inner: Sim): Promise<void> {
  const vnc = cloud.contrail;
  assert.ok(vnc !== undefined);
  const vn = await vnc.read('virtual-network', VIP_NET);
  const mk = (role: string) => vnc.create('virtual-machine-interface', {
    fq_name: ['default-domain', 'demo', objectName(owner.uid, role)], parent_type: 'project',
    virtual_network_refs: [{ to: vn.fq_name, uuid: vn.uuid }], annotations: stampAnnotations(owner),
  });
  const [a, b, c] = [await mk('data-a'), await mk('data-b'), await mk('data-c')];
  const hc = await vnc.create('service-health-check', {
    fq_name: ['default-domain', 'demo', objectName(owner.uid, 'hc')], parent_type: 'project',
    service_health_check_properties: { enabled: true, health_check_type: 'link-local', monitor_type: 'HTTP', url_path: 'http://local-ip:8404/lbop-health' },
  });
  for (const v of [a, b]) await vnc.refUpdate({ type: 'virtual-machine-interface', uuid: v.uuid, refType: 'service-health-check', refUuid: hc.uuid, operation: 'ADD' });
  inner.healthChecks.set(a.uuid, { up: true, reason: 'probe ok', at: Date.now() });
  inner.healthChecks.set(b.uuid, { up: false, reason: 'timeout', at: Date.now() });
  const got = await vnc.vmiHealth([a.fq_name, b.fq_name, c.fq_name, ['default-domain', 'demo', 'no-such-vmi']]);
  assert.deepEqual([...got.keys()].sort(), [a.fq_name.join(':'), b.fq_name.join(':')].sort());
  assert.deepEqual(got.get(a.fq_name.join(':')), { active: true, checks: [{ name: hc.fq_name.join(':'), uuid: hc.uuid, status: 'Active' }] });
  assert.equal(got.get(b.fq_name.join(':'))?.active, false);
  assert.equal(got.get(b.fq_name.join(':'))?.checks[0]?.status, 'InActive');
  assert.equal((await vnc.vmiHealth([])).size, 0, 'nothing asked, nothing sent');
}

const recorder = (set: (sim: Sim) => void) => ({ plugins: [{ start: async (sim: Sim) => { set(sim); }, close: async () => undefined }] });

test('analytics UVE: health-check state per VMI, by fq_name; unprobed VMIs and unknown keys are absent', async () => {
  let inner: Sim | undefined;
  const { cloud, close } = await simCloud({}, recorder((s) => { inner = s; }));
  try {
    assert.ok(inner !== undefined);
    await checkUVEs(cloud, inner);
  } finally {
    await close();
  }
});

test('analytics on its own port (Cloud contrail.analyticsURL): the UVEs are asked there, not at the VNC API', async () => {
  let inner: Sim | undefined;
  const { sim, cloud, close } = await simCloud(
    (s) => ({ contrail: { apiURL: s.urls.contrail, analyticsURL: s.urls.analytics ?? '' } }),
    { separateAnalytics: true, ...recorder((s) => { inner = s; }) },
  );
  try {
    assert.ok(inner !== undefined);
    assert.match(sim.urls.analytics ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(sim.urls.analytics, sim.urls.contrail);
    await checkUVEs(cloud, inner);
    const stats = (await control(sim, 'GET', '/sim/stats')) as { requests: { api: string; route: string; status: number; count: number }[] };
    const uves = (api: string) => stats.requests.filter((r) => r.api === api && r.route === '/analytics/uves/virtual-machine-interface').reduce((n, r) => n + r.count, 0);
    assert.equal(uves('analytics'), 1, JSON.stringify(stats.requests.filter((r) => r.route.startsWith('/analytics'))));
    assert.equal(uves('contrail'), 0);
    // The VNC port has no analytics now, as in a deployment: the VNC base alone would fail.
    const res = await fetch(`${sim.urls.contrail}/analytics/uves/virtual-machine-interface`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 404);
  } finally {
    await close();
  }
});
