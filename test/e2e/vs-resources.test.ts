// A VS whose SEs cannot boot (issue 20 item 2): Nova refusing the boot (quota, 403) or the
// scheduler failing it (NoValidHost, server ERROR) turns the VS OPER_RESOURCES with the cloud's
// own message on operStatus, Placed and Ready, an InitialPlacementFailed event, the fault on the
// SE; when the cause goes the SE boots on its next retry and the VS comes up.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from './harness.js';
import { applySeed, cleanNamespace, condition, vsStatus, waitReadyWith } from './vs-support.js';
import type { KubeObject } from '../../src/runtime/index.js';

type SE = KubeObject & { spec: { seGroupRef: string }; status?: { fault?: string } };

let h: Harness;
before(async () => {
  h = await startHarness({ name: 'vs-resources' });
  h.startOperator();
  await cleanNamespace(h);
});
after(async () => {
  if (h === undefined) return;
  await h.simControl('DELETE', '/sim/faults').catch(() => undefined);
  await cleanNamespace(h).catch((e: unknown) => console.error(`cleanup: ${(e as Error).message}`));
  await h.stop();
});

const QUOTA = 'Quota exceeded for instances: Requested 1, but already used 10 of 10 instances';

async function waitResources(vs: string, message: RegExp): Promise<NonNullable<Awaited<ReturnType<typeof vsStatus>>>> {
  return h.waitFor(async () => {
    const st = await vsStatus(h, vs);
    return st?.operStatus?.state === 'OPER_RESOURCES' && (st.operStatus.reason ?? []).some((r) => message.test(r)) ? st : undefined;
  }, { what: `${vs} OPER_RESOURCES matching ${message}`, timeoutMs: 60_000, intervalMs: 200 });
}

test('Nova quota refuses the boot: OPER_RESOURCES with Nova\'s message, an event, recovery once the quota allows', async () => {
  await h.simControl('POST', '/sim/faults', { api: 'nova', method: 'POST', route: '/v2.1/{project_id}/servers', status: 403, message: QUOTA, probability: 1 });
  await applySeed(h, { vs: 'vsq', pool: 'vsq-pool', group: 'quota' });
  const st = await waitResources('vsq', /Quota exceeded for instances/);
  assert.match(st.operStatus?.reason?.[0] ?? '', /^Service Engine \S+ cannot boot: nova: Quota exceeded for instances/);
  assert.equal(condition(st, 'Placed')?.reason, 'SEBootFailed');
  assert.equal(condition(st, 'Ready')?.reason, 'OperResources');
  assert.match(condition(st, 'Ready')?.message ?? '', /Quota exceeded/);
  const ev = await h.waitFor(async () => (await h.events()).find((e) => e.regarding.kind === 'VirtualService' && e.regarding.name === 'vsq' && e.reason === 'InitialPlacementFailed'), { what: 'InitialPlacementFailed event' });
  assert.match(ev.note, /Quota exceeded for instances/);
  const ses = (await h.list<SE>('ServiceEngine')).filter((s) => s.spec.seGroupRef === 'quota');
  assert.ok(ses.some((s) => /Quota exceeded/.test(s.status?.fault ?? '')), 'the SE shows the fault');

  await h.simControl('DELETE', '/sim/faults');
  const up = await waitReadyWith(h, 1, 'vsq', 120_000);
  assert.equal(up.operStatus?.state, 'OPER_UP');
  assert.equal(condition(up, 'Placed')?.status, 'True');
  assert.ok((await h.events()).some((e) => e.regarding.name === 'vsq' && e.reason === 'VSUp'), 'VSUp once recovered');
});

test('NoValidHost (server ERROR at boot): OPER_RESOURCES with the scheduler\'s message, then up when a host is found', async () => {
  await h.simControl('POST', '/sim/boot-failures', { count: 2, message: 'No valid host was found. There are not enough hosts available.' });
  await applySeed(h, { vs: 'vsh', pool: 'vsh-pool', group: 'nohost' });
  const st = await waitResources('vsh', /No valid host was found/);
  assert.equal(condition(st, 'Placed')?.reason, 'SEBootFailed');
  // The two failures used up, the next retry boots.
  const up = await waitReadyWith(h, 1, 'vsh', 120_000);
  assert.equal(up.operStatus?.state, 'OPER_UP');
});
