// The simulator's analytics VMI UVE (docs/se-repair.md): what ContrailClient.vmiHealth reads to
// tell a partitioned SE from a dead one. A VMI's health-check state comes from the data plane's
// prober (here set directly, as the prober does); a VMI nobody probes is absent from the answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { objectName, stampAnnotations, type Owner } from '../../src/cloud/index.js';
import type { Sim } from '../../src/sim/context.js';
import { simCloud, VIP_NET } from '../cloud/sim.js';

const owner: Owner = { clusterID: 'cluster-a', kind: 'ServiceEngine', namespace: 'demo', name: 'se-0', uid: '0123abcd-1111-2222-3333-444455556666' };

test('analytics UVE: health-check state per VMI, by fq_name; unprobed VMIs and unknown keys are absent', async () => {
  let inner: Sim | undefined;
  const { cloud, close } = await simCloud({}, { plugins: [{ start: async (sim) => { inner = sim; }, close: async () => undefined }] });
  try {
    const vnc = cloud.contrail;
    assert.ok(vnc !== undefined && inner !== undefined);
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
  } finally {
    await close();
  }
});
