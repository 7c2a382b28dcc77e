// The operator end to end on REAL OpenStack (scripts/openstack-up.sh: Keystone, Neutron ML2,
// Nova with the fake driver, Placement, Glance) with a plain-Neutron Cloud (no `contrail`):
// Service Engines are real Nova servers, VIPs real Neutron ports, placement real
// allowed_address_pairs. Everything is checked through the OpenStack APIs themselves
// (./real.ts), by the owner tags the operator stamps. Runs inside `make test-openstack`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { conditionsOf, SECRETS_NAMESPACE, startHarness, type Harness, type OperatorProcess } from '../e2e/harness.js';
import { applyPool, condition, vsStatus, type VS } from '../e2e/vs-support.js';
import type { KubeObject } from '../../src/runtime/index.js';
import { openStackEnv } from './env.js';
import { keystone, RealCloud, type Port } from './real.js';

type SE = KubeObject & {
  spec: { seGroupRef: string };
  status?: {
    serverUUID?: string; state?: string; managementIP?: string; managementPortUUID?: string; fault?: string;
    dataInterfaces?: { networkUUID?: string; portUUID?: string; ipAddress?: string; attached?: boolean }[];
  };
};

const env = openStackEnv();
const os = new RealCloud(env);
const ids = (k: string): string => {
  const v = env.ids[k];
  if (v === undefined || v === null) throw new Error(`env.json has no id for ${k}; re-run make openstack-up`);
  return v;
};
const VIP_NET = ids('vip-net');
const VIP_SUBNET = ids('vip-subnet');
const BOOT_MS = 240_000; // real boots: seconds each, slower while the machine is busy

let h: Harness;
let op: OperatorProcess;

before(async () => {
  h = await startHarness({ name: 'os-e2e', mode: 'neutron', noCloud: true });
  await h.apply('Cloud', h.cloudManifest({
    keystone: { authURL: `${env.keystoneURL}/v3`, region: env.region, credentialsSecretRef: { name: 'os-e2e-credentials', namespace: SECRETS_NAMESPACE } },
    serviceEngine: { image: 'avi-se', flavor: 'm1.tiny', bootstrap: 'ConfigDrive' },
    floatingNetwork: 'public',
    // By name, as users write it: Neutron networks carry only the project's id, which the
    // operator learns from its token for that project.
    tenants: [{ namespace: h.namespace, project: 'demo' }],
  }));
  op = h.startOperator();
  await h.waitFor(async () => conditionsOf(await h.get('Cloud', h.cloudName))['Ready']?.status === 'True', { what: 'Cloud on real Keystone Ready', timeoutMs: 120_000 });
});

after(async () => {
  if (h === undefined) return;
  await h.stop();
  // Whatever a failed run left behind is removed by its tags, so the next run starts clean.
  const left = await os.ours(h.clusterID);
  await Promise.all(left.servers.map((s) => os.deleteServer(s.id)));
  await Promise.all(left.fips.map((f) => os.call('DELETE', `${env.neutronURL}/v2.0/floatingips/${f.id}`)));
  await h.waitFor(async () => (await os.ours(h.clusterID)).servers.length === 0, { what: 'leftover servers gone', timeoutMs: 60_000 }).catch(() => undefined);
  await Promise.all(left.ports.map((p) => os.call('DELETE', `${env.neutronURL}/v2.0/ports/${p.id}`)));
});

const sesOf = async (g: string): Promise<SE[]> => (await h.list<SE>('ServiceEngine')).filter((s) => s.spec.seGroupRef === g);
const readySEs = async (g: string): Promise<SE[]> => (await sesOf(g)).filter((s) => conditionsOf(s)['Ready']?.status === 'True');

async function applyGroup(spec: Record<string, unknown>): Promise<void> {
  await h.apply('ServiceEngineGroup', { metadata: { name: 'default' }, spec: { cloudRef: h.cloudName, minScaleoutPerVS: 1, maxScaleoutPerVS: 4, maxSEs: 8, bufferSEs: 0, ...spec } });
}

async function applyVS(minSEs: number, extra: Record<string, unknown> = {}): Promise<void> {
  await h.apply('VirtualService', {
    metadata: { name: 'vs2' },
    spec: {
      cloudRef: h.cloudName, poolRef: 'vs2-pool',
      vip: [{ vipID: '0', autoAllocateIP: true, subnetUUID: VIP_SUBNET }],
      services: [{ port: 80 }],
      scaleout: { ecmp: false, minSEs, maxSEs: 4 },
      ...extra,
    },
  });
}

/** SE data ports (through the Neutron API) whose allowed_address_pairs carry `ip`. */
async function pairHolders(ip: string): Promise<Port[]> {
  const ours = await os.ours(h.clusterID);
  return ours.ports.filter((p) => p.owner.kind === 'ServiceEngine' && p.network_id === VIP_NET && p.allowed_address_pairs.some((a) => a.ip_address === ip || a.ip_address === `${ip}/32`));
}

/** The VS Ready on exactly n programmed SEs, and exactly those SEs' VIP-network ports carrying the VIP. */
async function waitPlaced(n: number): Promise<{ ip: string; ses: string[]; holders: Port[] }> {
  return h.waitFor(async () => {
    const s = await vsStatus(h, 'vs2');
    const ip = s?.vip?.[0]?.ipAddress;
    if (ip === undefined || condition(s, 'Ready')?.status !== 'True' || s?.seSummary !== `${n}/${n}`) return undefined;
    const ses = (s.serviceEngines ?? []).filter((x) => x.cloudProgrammingDone === true).map((x) => x.name ?? '');
    if (ses.length !== n) return undefined;
    const holders = await pairHolders(ip);
    if (holders.length !== n) return undefined;
    // Each holder is the VIP-network data port of one of the programmed SEs.
    const want = new Set<string>();
    for (const name of ses) {
      const se = await h.get<SE>('ServiceEngine', name);
      const port = se?.status?.dataInterfaces?.find((d) => d.networkUUID === VIP_NET)?.portUUID;
      if (port === undefined) return undefined;
      want.add(port);
    }
    return holders.every((p) => want.has(p.id)) ? { ip, ses, holders } : undefined;
  }, { what: `vs2 Ready on ${n} SE(s) with ${n} allowed-address-pair holders`, timeoutMs: BOOT_MS, intervalMs: 500 });
}

/** No SE has two servers, no SE two ports on one network, no VIP two ports. */
async function assertNoDuplicates(): Promise<void> {
  const ours = await os.ours(h.clusterID);
  const count = (keys: string[]): string[] => keys.filter((k, i) => keys.indexOf(k) !== i);
  assert.deepEqual(count(ours.servers.map((s) => s.owner.uid)), [], 'one server per SE');
  assert.deepEqual(count(ours.ports.map((p) => `${p.owner.uid}/${p.network_id}`)), [], 'one port per owner and network');
}

test('a group with bufferSEs 2 → two real Nova servers ACTIVE, each with its management port, owner metadata and tags', async () => {
  await applyGroup({ bufferSEs: 2 });
  const ses = await h.waitFor(async () => {
    const r = await readySEs('default');
    return r.length >= 2 ? r : undefined;
  }, { what: '2 Ready SEs', timeoutMs: BOOT_MS });
  assert.equal((await sesOf('default')).length, 2, 'exactly bufferSEs SEs');
  const ours = await os.ours(h.clusterID);
  assert.equal(ours.servers.length, 2);
  for (const se of ses) {
    const st = se.status ?? {};
    const server = await os.server(st.serverUUID ?? '');
    assert.equal(server?.status, 'ACTIVE');
    assert.equal(server?.tenant_id, ids('project-demo'), 'booted in the namespace\'s project');
    const md = server?.metadata ?? {};
    assert.deepEqual([md['lbop.cluster-id'], md['lbop.owner-kind'], md['lbop.owner-namespace'], md['lbop.owner-name'], md['lbop.owner-uid']],
      [h.clusterID, 'ServiceEngine', h.namespace, se.metadata.name, se.metadata.uid]);
    const mgmt = await os.port(st.managementPortUUID ?? '');
    assert.ok(mgmt, 'management port exists');
    assert.equal(mgmt.network_id, ids('avi-mgmt'));
    assert.equal(mgmt.device_id, server?.id, 'bound to the server');
    assert.equal(mgmt.device_owner, 'compute:nova');
    // Two fake compute hosts: ML2's `test` driver binds on both, and marks ACTIVE only on host-ovs-filter-active.
    const host = (mgmt as Port & { 'binding:host_id'?: string })['binding:host_id'];
    assert.ok(host === 'host-ovs-filter-active' || host === 'host-ovs-no_filter', `bound on a compute host (${String(host)})`);
    assert.equal(mgmt.status, host === 'host-ovs-filter-active' ? 'ACTIVE' : 'DOWN', 'bound by ML2');
    assert.match(mgmt.name, /^lbop-[0-9a-f]{8}-mgmt$/);
    assert.equal(ours.ports.find((p) => p.id === mgmt.id)?.owner.name, se.metadata.name, 'tagged lbop: description');
    assert.equal(st.managementIP, mgmt.fixed_ips[0]?.ip_address);
  }
});

test('the seed-shaped VirtualService → VIP port in the VIP subnet, placement as allowed_address_pairs on the SE data ports', async () => {
  await applyPool(h, 'vs2-pool', [{ ip: '20.0.0.3', port: 80 }]);
  await applyVS(1);
  const { ip, holders } = await waitPlaced(1);
  const s = await vsStatus(h, 'vs2');
  const vip = s?.vip?.[0];
  assert.equal(vip?.subnetUUID, VIP_SUBNET);
  assert.equal(vip?.networkRef, VIP_NET);
  assert.equal(vip?.subnet, '19.1.1.0/24');
  const port = await os.port(vip?.portUUID ?? '');
  assert.ok(port, 'the VIP port exists in Neutron');
  assert.deepEqual(port.fixed_ips, [{ subnet_id: VIP_SUBNET, ip_address: ip }]);
  assert.equal(port.network_id, VIP_NET);
  const vsObj = await h.get<VS>('VirtualService', 'vs2');
  const tagged = (await os.ours(h.clusterID)).ports.find((p) => p.id === port.id);
  assert.equal(tagged?.owner.uid, vsObj?.metadata.uid);
  assert.equal(tagged?.owner.kind, 'VirtualService');
  // Neutron filled the MAC of the holder into the pair.
  const pair = holders[0]?.allowed_address_pairs.find((a) => a.ip_address.startsWith(ip));
  assert.match(pair?.mac_address ?? '', /^fa:16:3e:/);
  assert.equal(s?.operStatus?.state, 'OPER_UP');
  assert.equal(s?.percentSEsUp, 100);
  assert.equal(s?.serviceEngines?.filter((x) => x.primary === true).length, 1, 'one primary SE');
  assert.equal(s?.vip?.[0]?.numSEsAssigned, 1);
});

test('scale 1 → 3 → 2: the pairs follow at each step', async () => {
  await applyVS(3);
  const three = await waitPlaced(3);
  await applyVS(2);
  const two = await waitPlaced(2);
  assert.equal(two.ip, three.ip, 'the VIP address is kept');
  for (const name of two.ses) assert.ok(three.ses.includes(name), 'scale-in keeps SEs that were placed');
  await assertNoDuplicates();
});

test('an SE server deleted behind the operator\'s back → pulled out and replaced', async () => {
  const before2 = await waitPlaced(2);
  const victim = await h.get<SE>('ServiceEngine', before2.ses[0] ?? '');
  const gone = victim?.status?.serverUUID ?? '';
  assert.ok(gone !== '');
  await os.deleteServer(gone);
  const after2 = await h.waitFor(async () => {
    const p = await waitPlaced(2);
    for (const name of p.ses) {
      const se = await h.get<SE>('ServiceEngine', name);
      if (se?.status?.serverUUID === gone) return undefined;
    }
    return p;
  }, { what: 'vs2 back on 2 SEs without the deleted server', timeoutMs: BOOT_MS });
  assert.equal(after2.ip, before2.ip);
  assert.equal((await os.ours(h.clusterID)).servers.some((s) => s.id === gone), false);
  await assertNoDuplicates();
});

test('the operator SIGKILLed mid-convergence and restarted → no duplicate server or port', async () => {
  await applyVS(3);
  // Kill it while the VS is being placed on its third SE (the buffer SE it takes is attached and
  // its pairs written; a new buffer SE is booted).
  await h.waitFor(async () => (await vsStatus(h, 'vs2'))?.vip?.[0]?.numSEsRequested === 3 || undefined, { what: 'vs2 asks for 3 SEs', timeoutMs: 30_000, intervalMs: 50 });
  const atKill = await vsStatus(h, 'vs2');
  await op.kill();
  assert.notEqual(atKill?.seSummary, '3/3', 'killed before convergence');
  op = h.startOperator();
  await waitPlaced(3);
  await assertNoDuplicates();
  const ses = await sesOf('default');
  assert.equal((await os.ours(h.clusterID)).servers.length, ses.length, 'one server per ServiceEngine object');
});

test('a Neutron port quota set low for the project → OPER_RESOURCES with Neutron\'s own message', async () => {
  const demo = ids('project-demo');
  const used = (await os.ports(`project_id=${demo}`)).length;
  await os.setPortQuota(demo, used);
  try {
    await h.apply('VirtualService', {
      metadata: { name: 'vs-quota' },
      spec: { cloudRef: h.cloudName, poolRef: 'vs2-pool', vip: [{ vipID: '0', autoAllocateIP: true, subnetUUID: VIP_SUBNET }], services: [{ port: 81 }], scaleout: { ecmp: false, minSEs: 1, maxSEs: 1 } },
    });
    const s = await h.waitFor(async () => {
      const st = await vsStatus(h, 'vs-quota');
      return st?.operStatus?.state === 'OPER_RESOURCES' ? st : undefined;
    }, { what: 'vs-quota OPER_RESOURCES', timeoutMs: 60_000 });
    assert.match((s.operStatus?.reason ?? []).join(' '), /Quota exceeded for resources: \['port'\]/);
    assert.equal(condition(s, 'Ready')?.status, 'False');
  } finally {
    await os.setPortQuota(demo, -1);
  }
  await h.waitFor(async () => condition(await vsStatus(h, 'vs-quota'), 'VIPAllocated')?.status === 'True', { what: 'vs-quota recovers once the quota is lifted', timeoutMs: 60_000 });
});

test('a static VIP address already allocated → OPER_RESOURCES with Neutron\'s IpAddressAlreadyAllocated message', async () => {
  const taken = (await vsStatus(h, 'vs2'))?.vip?.[0]?.ipAddress ?? '';
  assert.match(taken, /^19\.1\.1\.\d+$/);
  await h.apply('VirtualService', {
    metadata: { name: 'vs-static' },
    spec: { cloudRef: h.cloudName, poolRef: 'vs2-pool', vip: [{ vipID: '0', autoAllocateIP: false, ipAddress: taken, subnetUUID: VIP_SUBNET }], services: [{ port: 82 }], scaleout: { ecmp: false, minSEs: 1, maxSEs: 1 } },
  });
  const s = await h.waitFor(async () => {
    const st = await vsStatus(h, 'vs-static');
    return st?.operStatus?.state === 'OPER_RESOURCES' ? st : undefined;
  }, { what: 'vs-static OPER_RESOURCES', timeoutMs: 60_000 });
  assert.equal(condition(s, 'VIPAllocated')?.reason, 'IPInUse');
  assert.match((s.operStatus?.reason ?? []).join(' '), new RegExp(`IP address ${taken.replace(/\./g, '\\.')} already allocated in subnet ${VIP_SUBNET}`));
  await h.remove('VirtualService', 'vs-static');
});

test('an exhausted subnet → OPER_RESOURCES with Neutron\'s IpAddressGenerationFailure message', async () => {
  const tiny = await os.tinySubnet(ids('project-demo'), `lbop-e2e-tiny-${h.clusterID}`);
  const tinyVS = (name: string): Promise<unknown> => h.apply('VirtualService', {
    metadata: { name },
    spec: { cloudRef: h.cloudName, poolRef: 'vs2-pool', vip: [{ vipID: '0', autoAllocateIP: true, subnetUUID: tiny.subnet }], services: [{ port: 83 }], scaleout: { ecmp: false, minSEs: 1, maxSEs: 1 } },
  });
  try {
    await tinyVS('vs-tiny-1');
    await h.waitFor(async () => (await vsStatus(h, 'vs-tiny-1'))?.vip?.[0]?.ipAddress === '192.168.77.4', { what: 'vs-tiny-1 has the only address', timeoutMs: 60_000 });
    await tinyVS('vs-tiny-2');
    const s = await h.waitFor(async () => {
      const st = await vsStatus(h, 'vs-tiny-2');
      return st?.operStatus?.state === 'OPER_RESOURCES' ? st : undefined;
    }, { what: 'vs-tiny-2 OPER_RESOURCES', timeoutMs: 60_000 });
    assert.equal(condition(s, 'VIPAllocated')?.reason, 'IPExhausted');
    assert.match((s.operStatus?.reason ?? []).join(' '), new RegExp(`No more IP addresses available on network ${tiny.network}`));
  } finally {
    for (const n of ['vs-tiny-1', 'vs-tiny-2']) await h.remove('VirtualService', n);
    await h.waitFor(async () => (await h.get('VirtualService', 'vs-tiny-1')) === undefined && (await h.get('VirtualService', 'vs-tiny-2')) === undefined, { what: 'tiny VSs gone', timeoutMs: 120_000 });
    await os.deleteNetwork(tiny.network);
  }
});

test('a Nova instances quota set low → the boot is refused and Nova\'s message reaches the events', async () => {
  const demo = ids('project-demo');
  await os.capInstancesAtCurrentUse(demo);
  try {
    await applyVS(4);
    // The earlier tests can leave the group with 4 or more SEs already (failed placements on the exhausted
    // subnet count toward the SEs a group boots), and then vs2 needs no boot. Asking for a buffer up to
    // maxSEs (8) makes the group boot one more whatever it holds now; the cap refuses that boot.
    assert.ok((await sesOf('default')).length < 8, 'the group has room for one more SE');
    await applyGroup({ bufferSEs: 8 });
    const ev = await h.waitFor(async () => (await h.events()).find((e) => e.reason === 'SECreationFailure' && /Quota exceeded for instances/.test(e.note)), { what: 'SECreationFailure with Nova\'s quota message', timeoutMs: 120_000 });
    assert.match(ev.note, /Quota exceeded for instances: Requested 1, but already used \d+ of \d+ instances/);
  } finally {
    await os.setInstanceQuota(demo, -1);
    await applyGroup({});
  }
  await waitPlaced(4);
  await assertNoDuplicates();
});

test('Keystone restarted mid-run → the operator goes on and converges', async () => {
  try {
    keystone('stop'); // inside the try: a stop that fails still leaves a Keystone for the tests after
    await applyVS(3);
    // Keystone stays down for a while: whatever the operator needs from it now fails.
    await new Promise((r) => setTimeout(r, 5_000));
  } finally {
    keystone('start');
  }
  await waitPlaced(3);
  assert.equal(op.child.exitCode, null, 'the operator is still running');
  await assertNoDuplicates();
});

test('VS and group deleted → no port, floating IP or server of ours left (listed by owner tags)', async () => {
  await h.remove('VirtualService', 'vs-quota');
  await h.remove('VirtualService', 'vs2');
  await h.waitFor(async () => (await h.get('VirtualService', 'vs2')) === undefined && (await h.get('VirtualService', 'vs-quota')) === undefined, { what: 'VSs gone', timeoutMs: 120_000 });
  await h.remove('Pool', 'vs2-pool');
  await h.remove('ServiceEngineGroup', 'default');
  await h.waitFor(async () => (await h.get('ServiceEngineGroup', 'default')) === undefined && (await sesOf('default')).length === 0, { what: 'group and SEs gone', timeoutMs: BOOT_MS });
  const left = await h.waitFor(async () => {
    const o = await os.ours(h.clusterID);
    return o.servers.length + o.ports.length + o.fips.length === 0 ? o : undefined;
  }, { what: 'nothing of ours left in Nova and Neutron', timeoutMs: 120_000 });
  assert.deepEqual(left, { servers: [], ports: [], fips: [] });
  for (const p of op.output().split('\n')) assert.ok(!p.includes(env.admin.password), 'no password in the operator output');
});
