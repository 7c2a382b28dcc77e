// Image and flavor by name as well as id (issue 20 item 5) and Cloud.status.lastSyncTime: a
// group overriding the flavor by name boots its SEs with that flavor's id; an unknown name is a
// boot failure naming it (on the SE, and OPER_RESOURCES on the VS); the Cloud says when the
// operator last listed the cloud.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from './harness.js';
import { applyGroup, applySeed, cleanNamespace, condition, vsStatus, waitReadyWith } from './vs-support.js';
import type { KubeObject } from '../../src/runtime/index.js';

type SE = KubeObject & { spec: { seGroupRef: string }; status?: { fault?: string; serverUUID?: string } };
type CloudObj = KubeObject & { status?: { lastSyncTime?: string } };

let h: Harness;
before(async () => {
  h = await startHarness({ name: 'se-bootrefs' });
  h.startOperator();
  await cleanNamespace(h);
});
after(async () => {
  if (h === undefined) return;
  await cleanNamespace(h).catch((e: unknown) => console.error(`cleanup: ${(e as Error).message}`));
  await h.stop();
});

async function adminNova(): Promise<{ get: (path: string) => Promise<Record<string, unknown>> }> {
  const auth = await fetch(`${h.sim.urls.keystone}/v3/auth/tokens`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: 'admin-secret' } } }, scope: { project: { name: 'admin', domain: { id: 'default' } } } } }),
  });
  const token = auth.headers.get('x-subject-token') ?? '';
  const catalog = ((await auth.json()) as { token: { catalog: { type: string; endpoints: { interface: string; url: string }[] }[] } }).token.catalog;
  const nova = catalog.find((c) => c.type === 'compute')?.endpoints.find((e) => e.interface === 'public')?.url ?? '';
  return { get: async (path) => (await (await fetch(`${nova}${path}`, { headers: { 'x-auth-token': token } })).json()) as Record<string, unknown> };
}

test('Cloud.status.lastSyncTime: set once the CloudView listed the cloud, a recent RFC 3339 time', async () => {
  const t0 = Date.now();
  const cloud = await h.waitFor(async () => {
    const c = await h.get<CloudObj>('Cloud', h.cloudName);
    return c?.status?.lastSyncTime !== undefined ? c : undefined;
  }, { what: 'lastSyncTime' });
  const at = Date.parse(cloud.status?.lastSyncTime ?? '');
  assert.match(cloud.status?.lastSyncTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.ok(at <= Date.now() && at > t0 - 60_000, `lastSyncTime ${cloud.status?.lastSyncTime}`);
});

test('a group flavor given by name boots its SEs with that flavor\'s id', async () => {
  await applySeed(h, { vs: 'vsf', pool: 'vsf-pool', group: 'large', groupSpec: { flavor: 'm1.large' } });
  await waitReadyWith(h, 1, 'vsf');
  const se = (await h.list<SE>('ServiceEngine')).find((s) => s.spec.seGroupRef === 'large');
  const server = (await (await adminNova()).get(`/servers/${se?.status?.serverUUID ?? ''}`))['server'] as { flavor?: { id?: string } };
  assert.equal(server.flavor?.id, '4', 'm1.large is flavor 4');
});

test('an unknown flavor name: the SE cannot boot and says which name, the VS goes OPER_RESOURCES; fixing the name boots it', async () => {
  await applySeed(h, { vs: 'vsn', pool: 'vsn-pool', group: 'typo', groupSpec: { flavor: 'm1.hueg' } });
  const st = await h.waitFor(async () => {
    const s = await vsStatus(h, 'vsn');
    return s?.operStatus?.state === 'OPER_RESOURCES' ? s : undefined;
  }, { what: 'vsn OPER_RESOURCES', timeoutMs: 60_000 });
  assert.match(st.operStatus?.reason?.[0] ?? '', /cannot boot: nova: flavor: none named or with id 'm1\.hueg'/);
  assert.equal(condition(st, 'Placed')?.reason, 'SEBootFailed');
  const se = (await h.list<SE>('ServiceEngine')).find((s) => s.spec.seGroupRef === 'typo');
  assert.match(se?.status?.fault ?? '', /flavor: none named or with id 'm1\.hueg'/);
  // The SE was created with the group's flavor; fix the group and the SE (its spec copies it).
  await applyGroup(h, 'typo', { flavor: 'm1.large' });
  if (se !== undefined) await h.apply('ServiceEngine', { metadata: { name: se.metadata.name }, spec: { ...se.spec, flavor: 'm1.large' } } as SE);
  const up = await waitReadyWith(h, 1, 'vsn', 120_000);
  assert.equal(up.operStatus?.state, 'OPER_UP');
});
