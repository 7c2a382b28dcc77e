// ServiceEngineGroup.antiAffinity on REAL Nova (issue 20 item 3): scripts/openstack-up.sh runs
// two fake nova-compute hosts, so Nova's own ServerGroupAntiAffinityFilter decides. The group
// gets a real server group (policy anti-affinity) in the namespace's project; two SEs land on
// the two hosts; a third is refused by the scheduler (NoValidHost), shown on the SE and in the
// VS's Degraded condition; deleting the group deletes the server group; the orphan sweep
// deletes a leaked empty one of ours and nothing else. Runs inside `make test-openstack`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { conditionsOf, SECRETS_NAMESPACE, startHarness, type Harness } from '../e2e/harness.js';
import { applyPool, condition, vsStatus } from '../e2e/vs-support.js';
import type { KubeObject } from '../../src/runtime/index.js';
import { parseServerGroupName, serverGroupName, uid8 } from '../../src/cloud/index.js';
import { openStackEnv } from './env.js';
import { RealCloud } from './real.js';

type SE = KubeObject & { spec: { seGroupRef: string }; status?: { serverUUID?: string; fault?: string; conditions?: { type: string; status: string; reason: string; message: string }[] } };
type SEG = KubeObject & { status?: { serverGroupUUID?: string; conditions?: { type: string; status: string; reason: string; message: string }[] } };
interface RealGroup { id: string; name: string; policies?: string[]; members: string[]; project_id?: string }

const env = openStackEnv();
const os = new RealCloud(env);
const nova = env.novaURL ?? '';
const BOOT_MS = 240_000;
const ids = (k: string): string => {
  const v = env.ids[k];
  if (v === undefined || v === null) throw new Error(`env.json has no id for ${k}; re-run make openstack-up`);
  return v;
};

let h: Harness;
const made: string[] = [];

before(async () => {
  h = await startHarness({ name: 'os-aa', mode: 'neutron', noCloud: true });
  await h.apply('Cloud', h.cloudManifest({
    keystone: { authURL: `${env.keystoneURL}/v3`, region: env.region, credentialsSecretRef: { name: 'os-aa-credentials', namespace: SECRETS_NAMESPACE } },
    serviceEngine: { image: 'avi-se', flavor: 'm1.tiny', bootstrap: 'ConfigDrive' },
    tenants: [{ namespace: h.namespace, project: 'demo' }],
  }));
  h.startOperator(['--orphan-sweep-period', '5']);
  await h.waitFor(async () => conditionsOf(await h.get('Cloud', h.cloudName))['Ready']?.status === 'True', { what: 'Cloud on real Keystone Ready', timeoutMs: 120_000 });
});

after(async () => {
  if (h === undefined) return;
  for (const kind of ['VirtualService', 'ServiceEngineGroup', 'Pool'] as const) {
    for (const o of await h.list(kind).catch(() => [])) await h.remove(kind, o.metadata.name).catch(() => undefined);
  }
  await h.waitFor(async () => ((await h.list('ServiceEngine')).length === 0 ? true : undefined), { what: 'SEs gone', timeoutMs: 120_000 }).catch(() => undefined);
  await h.stop();
  const left = await os.ours(h.clusterID);
  await Promise.all(left.servers.map((s) => os.deleteServer(s.id)));
  await h.waitFor(async () => (await os.ours(h.clusterID)).servers.length === 0, { what: 'leftover servers gone', timeoutMs: 60_000 }).catch(() => undefined);
  await Promise.all(left.ports.map((p) => os.call('DELETE', `${env.neutronURL}/v2.0/ports/${p.id}`)));
  for (const g of await groups()) {
    if (made.includes(g.id) || parseServerGroupName(g.name)?.cluster8 === uid8(h.clusterID)) await os.call('DELETE', `${nova}/os-server-groups/${g.id}`);
  }
});

const groups = async (): Promise<RealGroup[]> => (await os.call<{ server_groups: RealGroup[] }>('GET', `${nova}/os-server-groups?all_projects=True`)).json.server_groups;
/** At the operator's microversion (project_id shows from 2.13). */
const group = async (id: string): Promise<RealGroup | undefined> => {
  const r = await os.call<{ server_group: RealGroup }>('GET', `${nova}/os-server-groups/${id}`, undefined, { 'OpenStack-API-Version': 'compute 2.37' });
  return r.status === 404 ? undefined : r.json.server_group;
};
const hostOf = async (server: string): Promise<string | undefined> => {
  const r = await os.call<{ server: Record<string, unknown> }>('GET', `${nova}/servers/${server}`);
  return r.json.server['OS-EXT-SRV-ATTR:host'] as string | undefined;
};
const groupSEs = async (): Promise<SE[]> => (await h.list<SE>('ServiceEngine')).filter((s) => s.spec.seGroupRef === 'spread');

async function applyVS(minSEs: number): Promise<void> {
  await h.apply('VirtualService', {
    metadata: { name: 'vsa' },
    spec: {
      cloudRef: h.cloudName, poolRef: 'vsa-pool', seGroupRef: 'spread',
      vip: [{ vipID: '0', autoAllocateIP: true, subnetUUID: ids('vip-subnet') }],
      services: [{ port: 80 }],
      scaleout: { ecmp: false, minSEs, maxSEs: 4 },
    },
  });
}

test('real Nova: one anti-affinity server group in the demo project, two SEs on two hosts, a third NoValidHost on the SE and the VS', async () => {
  await h.apply('ServiceEngineGroup', { metadata: { name: 'spread' }, spec: { cloudRef: h.cloudName, maxSEs: 8, bufferSEs: 0, antiAffinity: true } });
  await applyPool(h, 'vsa-pool', [{ ip: '20.0.0.3', port: 80 }]);
  await applyVS(2);
  const seg = await h.waitFor(async () => {
    const g = await h.get<SEG>('ServiceEngineGroup', 'spread');
    return g?.status?.serverGroupUUID !== undefined ? g : undefined;
  }, { what: 'status.serverGroupUUID', timeoutMs: 60_000 });
  const uuid = seg.status?.serverGroupUUID ?? '';
  const real = await group(uuid);
  assert.ok(real !== undefined, 'the server group exists in Nova');
  assert.equal(real.name, serverGroupName(seg.metadata.uid ?? '', h.clusterID));
  assert.deepEqual(real.policies, ['anti-affinity']);
  assert.equal(real.project_id, ids('project-demo'), 'in the namespace\'s project (the hint must name a group of the booting project)');
  assert.equal(condition(seg.status, 'AntiAffinity')?.status, 'True');

  await h.waitFor(async () => {
    const s = await vsStatus(h, 'vsa');
    return condition(s, 'Ready')?.status === 'True' && s?.seSummary === '2/2' ? s : undefined;
  }, { what: 'vsa Ready on 2 SEs', timeoutMs: BOOT_MS, intervalMs: 500 });
  const servers = (await groupSEs()).map((s) => s.status?.serverUUID ?? '').filter((x) => x !== '').sort();
  assert.equal(servers.length, 2);
  assert.deepEqual([...((await group(uuid))?.members ?? [])].sort(), servers, 'both SE servers are members');
  const hosts = await Promise.all(servers.map(hostOf));
  assert.deepEqual([...hosts].sort(), ['host-ovs-filter-active', 'host-ovs-no_filter'], 'one SE on each fake compute host');

  await applyVS(3);
  const third = await h.waitFor(async () => (await groupSEs()).find((s) => /No valid host was found/.test(s.status?.fault ?? '')), { what: 'an SE with NoValidHost', timeoutMs: BOOT_MS });
  assert.equal(condition(third.status, 'Booted')?.reason, 'BootFailed');
  const vs = await h.waitFor(async () => {
    const s = await vsStatus(h, 'vsa');
    return condition(s, 'Degraded')?.reason === 'SEBootFailed' ? s : undefined;
  }, { what: 'VS Degraded with the scheduler\'s message', timeoutMs: 60_000 });
  assert.equal(vs.operStatus?.state, 'OPER_UP');
  assert.match(condition(vs, 'Degraded')?.message ?? '', /^2 of 3 requested Service Engines are up; Service Engine \S+ cannot boot: No valid host was found/);
});

test('real Nova: deleting the group deletes its server group (after its SEs)', async () => {
  const uuid = (await h.get<SEG>('ServiceEngineGroup', 'spread'))?.status?.serverGroupUUID ?? '';
  assert.notEqual(uuid, '');
  await h.remove('VirtualService', 'vsa');
  await h.remove('ServiceEngineGroup', 'spread');
  await h.waitFor(async () => ((await h.get('ServiceEngineGroup', 'spread')) === undefined ? true : undefined), { what: 'group gone', timeoutMs: BOOT_MS });
  assert.equal(await group(uuid), undefined, 'server group deleted in Nova');
});

test('real Nova: the orphan sweep deletes a leaked empty server group of ours, not another cluster\'s or a foreign one', async () => {
  const mk = async (name: string): Promise<string> => {
    const r = await os.call<{ server_group: RealGroup }>('POST', `${nova}/os-server-groups`, { server_group: { name, policies: ['anti-affinity'] } });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    made.push(r.json.server_group.id);
    return r.json.server_group.id;
  };
  const leaked = await mk(serverGroupName('0badc0de-0000-4000-8000-000000000001', h.clusterID));
  const other = await mk(serverGroupName('0badc0de-0000-4000-8000-000000000001', 'another-cluster'));
  const foreign = await mk('web-anti-affinity');
  await h.waitFor(async () => ((await group(leaked)) === undefined ? true : undefined), { what: 'leaked group swept', timeoutMs: 60_000 });
  assert.ok((await group(other)) !== undefined && (await group(foreign)) !== undefined, 'only ours is swept');
});
