// Data vNICs end to end, on the SE controller's contract alone (contracts: operator-contracts.md
// §2–3): this test plays the VirtualService and Pool controllers by writing their status (the
// operator runs with --controllers without them). An SE assigned to a VS gets a data port per
// VIP network and pool server network, attached with os-interface; when the VS lets go of it,
// the ports are detached and deleted — but a port a VIP instance-ip still refers to is kept
// until that reference is gone.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { conditionsOf, startHarness, ADMIN, type Harness } from './harness.js';
import type { KubeObject } from '../../src/runtime/index.js';
import { kinds } from '../../src/api/index.js';
import { openCloud, stampAnnotations, type Cloud } from '../../src/cloud/index.js';

const VIP_NET = '02b846e6-cd68-4c84-b7ab-3709946ed28b';
const VIP_SUBNET = 'a834986a-385e-4616-9d9c-6b91cfaa51e0';
const SERVER_NET = '6f0c3b8e-2d4a-4b9c-8e1f-0a2b3c4d5e03';

type SE = KubeObject & {
  spec: { seGroupRef: string };
  status?: { dataInterfaces?: { networkUUID?: string; portUUID?: string; attached?: boolean; ipAddress?: string; macAddress?: string }[]; hostedVIPs?: unknown[] };
};

for (const mode of ['contrail', 'neutron'] as const) describe(`${mode} cloud`, () => {
  let h: Harness;
  let cloud: Cloud;
  before(async () => {
    h = await startHarness({ name: `se-vnics-${mode}`, mode });
    h.startOperator(['--controllers', 'cloud,serviceenginegroup,serviceengine']);
    cloud = openCloud({ name: 't', keystone: { authURL: `${h.sim.urls.keystone}/v3` }, credentials: { kind: 'password', username: ADMIN.username, password: ADMIN.password }, contrail: { apiURL: h.sim.urls.contrail } });
    await h.waitFor(async () => conditionsOf(await h.get('Cloud', h.cloudName))['Ready']?.status === 'True', { what: 'Cloud Ready', timeoutMs: 60_000 });
  });
  after(async () => {
    cloud?.close();
    await h?.stop();
  });

  const patchStatus = async (kind: 'Pool' | 'VirtualService', name: string, status: unknown): Promise<void> => {
    const k = kinds[kind];
    await h.client.patch(`/apis/${k.apiVersion}/namespaces/${h.namespace}/${k.plural}/${name}/status`, { status }, 'merge');
  };

  test('an SE gets a data vNIC per VIP and server network, keeps a referenced one, and drops them when released', async () => {
    await h.apply('ServiceEngineGroup', { metadata: { name: 'vnics' }, spec: { cloudRef: h.cloudName, bufferSEs: 1 } } as KubeObject);
    const se = await h.waitFor(async () => (await h.list<SE>('ServiceEngine')).find((s) => s.spec.seGroupRef === 'vnics' && conditionsOf(s)['Ready']?.status === 'True'), { what: 'SE Ready', timeoutMs: 60_000 });
    const seName = se.metadata.name;

    await h.apply('Pool', { metadata: { name: 'web' }, spec: { cloudRef: h.cloudName, servers: [{ ip: '20.0.0.3', port: 80 }] } } as KubeObject);
    await patchStatus('Pool', 'web', { servers: [{ ip: '20.0.0.3', port: 80, networkUUID: SERVER_NET, resolved: true }] });
    const vs = await h.apply('VirtualService', {
      metadata: { name: 'vs1' },
      spec: { cloudRef: h.cloudName, poolRef: 'web', seGroupRef: 'vnics', vip: [{ vipID: '0', autoAllocateIP: true, subnetUUID: VIP_SUBNET }], services: [{ port: 80 }] },
    } as KubeObject);
    await patchStatus('VirtualService', 'vs1', { serviceEngines: [{ name: seName }], vip: [{ vipID: '0', ipAddress: '19.1.1.77', networkRef: VIP_NET }] });

    const attached = await h.waitFor(async () => {
      const cur = await h.get<SE>('ServiceEngine', seName);
      const d = cur?.status?.dataInterfaces ?? [];
      // Addresses come from Nova's view of the server, read on the list after the attach.
      return d.length === 2 && d.every((x) => x.attached === true && x.ipAddress !== undefined) && conditionsOf(cur)['NetworksAttached']?.status === 'True' ? cur : undefined;
    }, { what: 'two data vNICs attached, with addresses', timeoutMs: 30_000 });
    const byNet = new Map((attached.status?.dataInterfaces ?? []).map((d) => [d.networkUUID, d]));
    assert.deepEqual([...byNet.keys()].sort(), [SERVER_NET, VIP_NET].sort());
    assert.match(byNet.get(VIP_NET)?.ipAddress ?? '', /^19\.1\.1\.\d+$/);
    assert.match(byNet.get(SERVER_NET)?.macAddress ?? '', /^[0-9a-f:]{17}$/);
    assert.deepEqual(attached.status?.hostedVIPs, [{ virtualService: 'vs1', vipID: '0', ipAddress: '19.1.1.77' }]);
    const ports = (await h.ourObjects()).filter((o) => o.api === 'neutron' && o.type === 'port' && o.owner['lbop.owner-uid'] === se.metadata.uid);
    assert.deepEqual(ports.map((p) => p.name).sort(), [`lbop-${se.metadata.uid?.replace(/-/g, '').slice(0, 8)}-data-02b846e6`, `lbop-${se.metadata.uid?.replace(/-/g, '').slice(0, 8)}-data-6f0c3b8e`, `lbop-${se.metadata.uid?.replace(/-/g, '').slice(0, 8)}-mgmt`].sort());
    const events = (await h.events()).filter((e) => e.regarding.name === seName);
    assert.equal(events.filter((e) => e.reason === 'VNICAdded').length, 2);

    // The VIP is placed on the VIP-network vNIC, as the VS controller does it: Contrail, a VIP
    // instance-ip referring to the VMI; plain Neutron, the VIP in the port's allowed-address-pairs.
    const vipPort = byNet.get(VIP_NET)?.portUUID ?? '';
    let unreference: () => Promise<void>;
    if (mode === 'contrail') {
      const contrail = cloud.contrail;
      assert.ok(contrail);
      const vn = await contrail.idToFqName(VIP_NET);
      const vmi = await contrail.idToFqName(vipPort);
      const iip = await contrail.create('instance-ip', {
        fq_name: [`lbop-test-vip-${Date.now()}`], instance_ip_secondary: true, subnet_uuid: VIP_SUBNET,
        virtual_network_refs: [{ to: vn.fq_name, uuid: VIP_NET }], virtual_machine_interface_refs: [{ to: vmi.fq_name, uuid: vipPort }],
        annotations: stampAnnotations({ clusterID: h.clusterID, kind: 'VirtualService', namespace: h.namespace, name: 'vs1', uid: vs.metadata.uid ?? '' }),
      });
      unreference = () => contrail.delete('instance-ip', iip.uuid);
    } else {
      const neutron = cloud.neutron({ name: 'admin' });
      await neutron.updatePort(vipPort, { allowed_address_pairs: [{ ip_address: '19.1.1.77' }] });
      unreference = async () => {
        await neutron.updatePort(vipPort, { allowed_address_pairs: [] });
      };
    }

    // The VS lets go of the SE: the server-network vNIC goes, the referenced VIP vNIC stays.
    await patchStatus('VirtualService', 'vs1', { serviceEngines: [], vip: [] });
    await h.waitFor(async () => {
      const d = (await h.get<SE>('ServiceEngine', seName))?.status?.dataInterfaces ?? [];
      return d.length === 1 && d[0]?.networkUUID === VIP_NET;
    }, { what: 'server-network vNIC removed, VIP vNIC kept', timeoutMs: 30_000 });
    // Well past another observation period, it is still there.
    await new Promise((r) => setTimeout(r, 6_000));
    assert.ok((await h.simObjects()).some((o) => o.uuid === vipPort), 'the referenced vNIC was not deleted');

    await unreference();
    await h.waitFor(async () => ((await h.get<SE>('ServiceEngine', seName))?.status?.dataInterfaces ?? []).length === 0, { what: 'VIP vNIC removed once unreferenced', timeoutMs: 30_000 });
    assert.ok(!(await h.simObjects()).some((o) => o.uuid === vipPort), 'port deleted');

    await h.remove('VirtualService', 'vs1');
    await h.remove('Pool', 'web');
    await h.remove('ServiceEngineGroup', 'vnics');
    await h.waitFor(async () => (await h.ourObjects()).length === 0, { what: 'everything gone', timeoutMs: 60_000 });
  });
});
