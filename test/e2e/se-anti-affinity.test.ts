// ServiceEngineGroup.antiAffinity on the simulator (issue 20 item 3): the group gets one Nova
// server group (policy anti-affinity) recorded in its status, its SEs boot with the group hint
// and land on different compute hosts (the simulator has two), a third SE Nova cannot place
// shows the scheduler's NoValidHost on the SE and in the VS's Degraded condition, turning
// antiAffinity off deletes the server group, and the orphan sweep deletes a leaked one.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness, type SimObject } from './harness.js';
import { applyGroup, applySeed, applyVS, cleanNamespace, condition, vsStatus, waitReadyWith } from './vs-support.js';
import type { KubeObject } from '../../src/runtime/index.js';
import { serverGroupName } from '../../src/cloud/index.js';

type SE = KubeObject & { spec: { seGroupRef: string }; status?: { fault?: string; serverUUID?: string; conditions?: { type: string; status: string; reason: string; message: string }[] } };
type SEG = KubeObject & { status?: { serverGroupUUID?: string; conditions?: { type: string; status: string; reason: string; message: string }[] } };

const NO_VALID_HOST = /^No valid host was found/;
let h: Harness;
before(async () => {
  h = await startHarness({ name: 'se-anti-affinity' });
  // A short sweep period so the leaked-group case does not wait ten minutes.
  h.startOperator(['--orphan-sweep-period', '3']);
  await cleanNamespace(h);
});
after(async () => {
  if (h === undefined) return;
  await cleanNamespace(h).catch((e: unknown) => console.error(`cleanup: ${(e as Error).message}`));
  await h.stop();
});

const serverGroups = async (): Promise<SimObject[]> => h.simObjects({ api: 'nova', type: 'server-group' });
const servers = async (): Promise<Map<string, SimObject>> => new Map((await h.simObjects({ api: 'nova', type: 'server' })).map((s) => [s.uuid, s]));
const groupSEs = async (): Promise<SE[]> => (await h.list<SE>('ServiceEngine')).filter((s) => s.spec.seGroupRef === 'spread');

test('antiAffinity: one server group, two SEs on two hosts, a third refused with NoValidHost on the SE and the VS', async () => {
  await applySeed(h, { vs: 'vsa', pool: 'vsa-pool', group: 'spread', minSEs: 2, groupSpec: { antiAffinity: true } });
  const seg = await h.waitFor(async () => {
    const g = await h.get<SEG>('ServiceEngineGroup', 'spread');
    return g?.status?.serverGroupUUID !== undefined ? g : undefined;
  }, { what: 'status.serverGroupUUID' });
  const uuid = seg.status?.serverGroupUUID ?? '';
  assert.equal(condition(seg.status, 'AntiAffinity')?.status, 'True');
  const sg = (await serverGroups()).find((g) => g.uuid === uuid);
  assert.equal(sg?.name, serverGroupName(seg.metadata.uid ?? '', h.clusterID));
  assert.equal((sg as { policy?: string } | undefined)?.policy, 'anti-affinity');

  await waitReadyWith(h, 2, 'vsa');
  const ses = await groupSEs();
  const ids = ses.map((s) => s.status?.serverUUID ?? '').sort();
  assert.equal(ids.length, 2);
  const members = await h.waitFor(async () => {
    const m = (await serverGroups()).find((g) => g.uuid === uuid)?.members ?? [];
    return m.length === 2 ? [...m].sort() : undefined;
  }, { what: 'two members' });
  assert.deepEqual(members, ids, 'both SEs booted in the server group');
  const all = await servers();
  const hosts = ids.map((id) => all.get(id)?.host);
  assert.ok(hosts.every((x) => typeof x === 'string' && x !== ''), `hosts ${JSON.stringify(hosts)}`);
  assert.notEqual(hosts[0], hosts[1], 'the two SEs are on different hosts');

  // A third SE: the simulator has two hosts, so Nova's scheduler refuses it.
  await applyVS(h, { vs: 'vsa', pool: 'vsa-pool', group: 'spread', minSEs: 3 });
  const third = await h.waitFor(async () => (await groupSEs()).find((s) => NO_VALID_HOST.test(s.status?.fault ?? '')), { what: 'an SE with the NoValidHost fault', timeoutMs: 60_000 });
  assert.equal(condition(third.status, 'Booted')?.reason, 'BootFailed');
  const ev = await h.waitFor(async () => (await h.events()).find((e) => e.regarding.name === third.metadata.name && e.reason === 'SECreationFailure'), { what: 'SECreationFailure event' });
  assert.match(ev.note, /No valid host was found/);
  const vs = await h.waitFor(async () => {
    const st = await vsStatus(h, 'vsa');
    return condition(st, 'Degraded')?.reason === 'SEBootFailed' ? st : undefined;
  }, { what: 'VS Degraded with the boot fault', timeoutMs: 60_000 });
  assert.equal(vs.operStatus?.state, 'OPER_UP', 'still up on the two');
  assert.match(condition(vs, 'Degraded')?.message ?? '', new RegExp(`^2 of 3 requested Service Engines are up; Service Engine ${third.metadata.name} cannot boot: No valid host was found`));
});

test('antiAffinity off: the server group is deleted and the status forgets it; SEs stay', async () => {
  await applyVS(h, { vs: 'vsa', pool: 'vsa-pool', group: 'spread', minSEs: 2 });
  const before = (await h.get<SEG>('ServiceEngineGroup', 'spread'))?.status?.serverGroupUUID;
  assert.ok(before !== undefined);
  await applyGroup(h, 'spread', { antiAffinity: false });
  await h.waitFor(async () => ((await h.get<SEG>('ServiceEngineGroup', 'spread'))?.status?.serverGroupUUID === undefined ? true : undefined), { what: 'serverGroupUUID cleared' });
  await h.waitFor(async () => ((await serverGroups()).some((g) => g.uuid === before) ? undefined : true), { what: 'server group deleted' });
  assert.ok((await h.events()).some((e) => e.regarding.name === 'spread' && e.reason === 'ServerGroupDeleted'));
  assert.equal(condition((await h.get<SEG>('ServiceEngineGroup', 'spread'))?.status, 'AntiAffinity'), undefined);
  await waitReadyWith(h, 2, 'vsa');
});

test('orphan sweep: a leaked empty server group of ours is deleted; another cluster\'s and a foreign one are kept', async () => {
  const auth = await fetch(`${h.sim.urls.keystone}/v3/auth/tokens`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: 'admin-secret' } } }, scope: { project: { name: 'admin', domain: { id: 'default' } } } } }),
  });
  const token = auth.headers.get('x-subject-token') ?? '';
  const catalog = ((await auth.json()) as { token: { catalog: { type: string; endpoints: { interface: string; url: string }[] }[] } }).token.catalog;
  const nova = catalog.find((c) => c.type === 'compute')?.endpoints.find((e) => e.interface === 'public')?.url ?? '';
  const make = async (name: string): Promise<string> => {
    const r = await fetch(`${nova}/os-server-groups`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-auth-token': token }, body: JSON.stringify({ server_group: { name, policies: ['anti-affinity'] } }) });
    assert.equal(r.status, 200);
    return ((await r.json()) as { server_group: { id: string } }).server_group.id;
  };
  const leaked = await make(serverGroupName('0badc0de-0000-4000-8000-000000000001', h.clusterID));
  const otherCluster = await make(serverGroupName('0badc0de-0000-4000-8000-000000000001', 'somebody-else'));
  const foreign = await make('web-anti-affinity');
  await h.waitFor(async () => ((await serverGroups()).some((g) => g.uuid === leaked) ? undefined : true), { what: 'leaked group swept', timeoutMs: 30_000 });
  const left = new Set((await serverGroups()).map((g) => g.uuid));
  assert.ok(left.has(otherCluster) && left.has(foreign), 'only ours is swept');
  assert.ok(h.operators[0]?.output().includes('deleted orphaned cloud object'));
});
