// The floating IP of an active-standby VS on Contrail follows the active SE (issue 20): the group
// ranks its SEs into their data VMIs' local_preference (serviceenginegroup/standby.ts); the
// floating IP refers to the same VMIs as the VIP's instance-ip, and the agent exports its route
// with the VMI's preference too, so the vRouter forwards the floating address to the same single
// SE as the VIP — never ECMP over the standby. The active fails → both move to the standby.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/runtime/index.js';
import { startHarness, type Harness } from './harness.js';
import { applyGroup, applyPool, applyVS, cleanNamespace, condition, nextHops, vsStatus, VIP_SUBNET } from './vs-support.js';

const PUBLIC = '6f0c3b8e-2d4a-4b9c-8e1f-0a2b3c4d5e05';
type SEObject = KubeObject & { status?: { serverUUID?: string } };

let h: Harness;
before(async () => {
  h = await startHarness({ name: 'contrail-fip-as', sim: { bootTimeMs: 300 } });
  h.startOperator();
  await cleanNamespace(h);
});
after(async () => {
  if (h === undefined) return;
  await cleanNamespace(h).catch((e: unknown) => console.error(`cleanup: ${(e as Error).message}`));
  await h.stop();
});

const serverOf = async (se: string): Promise<string> => (await h.get<SEObject>('ServiceEngine', se))?.status?.serverUUID ?? '';

let vip = '';
let fip = '';
let primary = '';
let standby = '';

test('an ActiveStandby VS with a floating IP: VIP and floating IP both routed to the active SE alone', async () => {
  await applyGroup(h, 'default', { haMode: 'ActiveStandby', minScaleoutPerVS: 2 });
  await applyPool(h);
  await applyVS(h, { minSEs: 2, ecmp: true, vip: [{ vipID: '0', autoAllocateIP: true, subnetUUID: VIP_SUBNET, autoAllocateFloatingIP: true, floatingNetworkRef: 'public' }] });
  const s = await h.waitFor(async () => {
    const st = await vsStatus(h);
    const ok = condition(st, 'Ready')?.status === 'True' && st?.seSummary === '2/2' && st.vip?.[0]?.floatingIP !== undefined;
    return ok ? st : undefined;
  }, { what: 'vs2 Ready 2/2 with a floating IP', timeoutMs: 120_000, intervalMs: 250 });
  vip = s?.vip?.[0]?.ipAddress ?? '';
  fip = s?.vip?.[0]?.floatingIP ?? '';
  primary = s?.serviceEngines?.find((x) => x.primary === true)?.name ?? '';
  standby = s?.serviceEngines?.find((x) => x.standby === true)?.name ?? '';
  const active = await serverOf(primary);
  assert.ok(active !== '' && standby !== '');
  // The preferences are written by the group controller: wait for the routes to settle on one SE.
  await h.waitFor(async () => ((await nextHops(h, vip)).join() === active && (await nextHops(h, fip, PUBLIC)).join() === active ? true : undefined),
    { what: 'VIP and floating IP routed to the active SE only', timeoutMs: 30_000, intervalMs: 250 });
});

test('the active fails: the VIP and its floating IP both move to the standby alone', async () => {
  const victim = await serverOf(primary);
  const next = await serverOf(standby);
  await h.simControl('POST', `/sim/servers/${victim}/state`, { state: 'ERROR', message: 'host failed' });
  await h.waitFor(async () => ((await nextHops(h, vip)).join() === next && (await nextHops(h, fip, PUBLIC)).join() === next ? true : undefined),
    { what: 'VIP and floating IP routed to the former standby only', timeoutMs: 30_000, intervalMs: 100 });
  // The replacement SE is the youngest: it joins as a standby and takes neither address.
  await h.waitFor(async () => {
    const st = await vsStatus(h);
    return st?.seSummary === '2/2' && st.serviceEngines?.find((x) => x.primary === true)?.name === standby && st.serviceEngines.every((x) => x.name !== primary) ? true : undefined;
  }, { what: 'vs2 2/2 again with the former standby primary', timeoutMs: 120_000, intervalMs: 250 });
  await new Promise((r) => setTimeout(r, 1500));
  assert.deepEqual([await nextHops(h, vip), await nextHops(h, fip, PUBLIC)], [[next], [next]]);
});
