// Failover and programming faults end to end: an SE whose server goes to ERROR leaves the VIP's
// ECMP set at once, the VS stays OPER_UP (Degraded) on the survivor, a replacement is placed and
// the primary moves to the oldest healthy SE; a fault injected on /ref-update turns a scale-out
// into OPER_DOWN with an IPAttachFailure event, and clearing it recovers; a dead SE leaves the
// ECMP set even while another decider holds the VS's placement reservation (withdraw.ts).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from './harness.js';
import { applySeed, applyVS, condition, eventReasons, nextHops, vsStatus, waitReadyWith, cleanNamespace } from './vs-support.js';
import type { KubeObject } from '../../src/runtime/index.js';
import { releaseReservation, reservationOf, takeReservation, type VSObj } from '../../src/controllers/model/index.js';

let h: Harness;
before(async () => {
  // Slow boots keep the degraded window open long enough to observe.
  h = await startHarness({ name: 'vs-failover', sim: { bootTimeMs: 4000 } });
  h.startOperator();
  await cleanNamespace(h);
});
after(async () => {
  if (h === undefined) return;
  await cleanNamespace(h).catch((e: unknown) => console.error(`cleanup: ${(e as Error).message}`));
  await h.stop();
});

const serverOf = async (se: string): Promise<string> =>
  (await h.get<KubeObject & { status?: { serverUUID?: string } }>('ServiceEngine', se))?.status?.serverUUID ?? '';

test('SE server ERROR: out of the ECMP set, OPER_UP Degraded, replaced, primary moves', async () => {
  await applySeed(h, { minSEs: 2 });
  const s = await waitReadyWith(h, 2, 'vs2', 180_000);
  const primary = s.serviceEngines?.find((x) => x.primary === true)?.name ?? '';
  const other = s.serviceEngines?.find((x) => x.primary !== true)?.name ?? '';
  const dead = await serverOf(primary);
  const survivor = await serverOf(other);
  const ip = s.vip?.[0]?.ipAddress ?? '';
  await h.simControl('POST', `/sim/servers/${dead}/state`, { state: 'ERROR', message: 'host failed' });

  const degraded = await h.waitFor(async () => {
    const st = await vsStatus(h);
    const programmed = (st?.serviceEngines ?? []).filter((x) => x.cloudProgrammingDone === true).map((x) => x.name);
    return !programmed.includes(primary) && condition(st, 'Degraded')?.status === 'True' ? st : undefined;
  }, { what: 'failed SE out of the set, Degraded', timeoutMs: 30_000, intervalMs: 100 });
  assert.equal(degraded.operStatus?.state, 'OPER_UP', 'no flap to DOWN while one SE carries the VIP');
  assert.equal(condition(degraded, 'Ready')?.status, 'True');
  assert.equal(degraded.percentSEsUp, 50);
  assert.equal(degraded.serviceEngines?.find((x) => x.primary === true)?.name, other, 'the primary moved to the oldest healthy SE');
  assert.deepEqual(await nextHops(h, ip), [survivor]);

  const healed = await waitReadyWith(h, 2, 'vs2', 180_000);
  const names = (healed.serviceEngines ?? []).map((x) => x.name);
  assert.equal(names.includes(primary), false, 'the failed SE is not placed again');
  assert.equal(healed.serviceEngines?.find((x) => x.primary === true)?.name, other);
  assert.equal((await nextHops(h, ip)).includes(dead), false);
});

test('fault on ref-update: OPER_DOWN + IPAttachFailure; recovery when cleared', async () => {
  await h.simControl('POST', '/sim/faults', { api: 'contrail', method: 'POST', route: '/ref-update', status: 500, message: 'injected vrouter programming failure', probability: 1 });
  try {
    await applyVS(h, { minSEs: 3 });
    const down = await h.waitFor(async () => {
      const st = await vsStatus(h);
      return st?.operStatus?.state === 'OPER_DOWN' ? st : undefined;
    }, { what: 'OPER_DOWN', timeoutMs: 120_000, intervalMs: 200 });
    assert.match((down.operStatus?.reason ?? []).join(' '), /injected vrouter programming failure/);
    assert.equal(condition(down, 'Placed')?.reason, 'ProgrammingFailed');
    await h.waitFor(async () => (await eventReasons(h, 'vs2')).includes('IPAttachFailure'), { what: 'IPAttachFailure event' });
    await h.waitFor(async () => (await eventReasons(h, 'vs2')).includes('VSDown'), { what: 'VSDown event' });
  } finally {
    await h.simControl('DELETE', '/sim/faults');
  }
  await waitReadyWith(h, 3, 'vs2', 180_000);
});

/** The SE data VMIs the VS's VIP instance-ips refer to, read from Contrail (what the fabric programs). */
async function vipRefs(vsUID: string): Promise<string[]> {
  const token = (await fetch(`${h.sim.urls.keystone}/v3/auth/tokens`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: 'admin-secret' } } }, scope: { project: { name: 'admin', domain: { id: 'default' } } } } }),
  })).headers.get('x-subject-token') ?? '';
  type IIP = { virtual_machine_interface_refs?: { uuid: string }[]; annotations?: { key_value_pair?: { key: string; value: string }[] } };
  const r = await fetch(`${h.sim.urls.contrail}/instance-ips?detail=true&fields=virtual_machine_interface_refs,annotations`, { headers: { 'x-auth-token': token } });
  const iips = ((await r.json()) as { 'instance-ips'?: { 'instance-ip': IIP }[] })['instance-ips']?.map((o) => o['instance-ip']) ?? [];
  return iips.filter((i) => i.annotations?.key_value_pair?.some((kv) => kv.key === 'lbop.owner-uid' && kv.value === vsUID) === true)
    .flatMap((i) => (i.virtual_machine_interface_refs ?? []).map((x) => x.uuid));
}

test('SE server ERROR while another decider holds the placement reservation: out of the ECMP set all the same', async () => {
  const s = await waitReadyWith(h, 3, 'vs2', 180_000);
  const victim = s.serviceEngines?.find((x) => x.primary !== true)?.name ?? '';
  const se = await h.get<KubeObject & { status?: { serverUUID?: string; dataInterfaces?: { portUUID?: string }[] } }>('ServiceEngine', victim);
  const dataVMIs = (se?.status?.dataInterfaces ?? []).flatMap((d) => (d.portUUID !== undefined ? [d.portUUID] : []));
  const vs = await h.get<VSObj & KubeObject>('VirtualService', 'vs2');
  const uid = vs?.metadata.uid ?? '';
  assert.ok(dataVMIs.length > 0, 'the SE has a data VMI');
  assert.ok((await vipRefs(uid)).some((r) => dataVMIs.includes(r)), 'the VIP refers to the SE before');
  // Another decider (an old leader mid-decision) holds the VS: no placement can be decided for 60 s.
  const io = { client: h.client, holder: 'e2e/another-decider', now: () => new Date() };
  const taken = await takeReservation(io, vs as VSObj);
  assert.equal(taken.kind, 'held');
  if (taken.kind !== 'held') return;
  try {
    await h.simControl('POST', `/sim/servers/${se?.status?.serverUUID ?? ''}/state`, { state: 'ERROR', message: 'host failed' });
    await h.waitFor(async () => !(await vipRefs(uid)).some((r) => dataVMIs.includes(r)), { what: 'the dead SE out of the VIP refs', timeoutMs: 20_000, intervalMs: 200 });
    const now = await h.get<VSObj & KubeObject>('VirtualService', 'vs2');
    assert.equal(reservationOf(now as VSObj)?.holder, 'e2e/another-decider', 'withdrawn while the other decider still held the VS');
    assert.ok((await vipRefs(uid)).length >= 2, 'the live SEs stay in the set');
  } finally {
    const cur = await h.get<VSObj & KubeObject>('VirtualService', 'vs2');
    if (cur !== undefined) await releaseReservation(io, cur as VSObj, taken.reservation);
  }
  const healed = await waitReadyWith(h, 3, 'vs2', 180_000);
  assert.equal((healed.serviceEngines ?? []).some((x) => x.name === victim), false, 'replaced once the reservation is released');
});
