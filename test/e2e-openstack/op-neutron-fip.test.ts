// Floating IPs on REAL Neutron (issue 20 item 1) with a plain-Neutron Cloud: the floating IP
// is associated with the VIP port (vip-subnet sits on demo-router, whose gateway is `public`),
// fixed to the VIP address; it survives the failover of the active SE unchanged, and the VS's
// deletion deletes it. Checked through the Neutron API by owner tags. Runs in `make test-openstack`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { conditionsOf, SECRETS_NAMESPACE, startHarness, type Harness } from '../e2e/harness.js';
import { applyPool, condition, vsStatus, type VS } from '../e2e/vs-support.js';
import { openStackEnv } from './env.js';
import { RealCloud, type FloatingIP } from './real.js';

const env = openStackEnv();
const os = new RealCloud(env);
const BOOT_MS = 240_000;
const ids = (k: string): string => {
  const v = env.ids[k];
  if (v === undefined || v === null) throw new Error(`env.json has no id for ${k}; re-run make openstack-up`);
  return v;
};

let h: Harness;
before(async () => {
  h = await startHarness({ name: 'os-fip', mode: 'neutron', noCloud: true });
  await h.apply('Cloud', h.cloudManifest({
    keystone: { authURL: `${env.keystoneURL}/v3`, region: env.region, credentialsSecretRef: { name: 'os-fip-credentials', namespace: SECRETS_NAMESPACE } },
    serviceEngine: { image: 'avi-se', flavor: 'm1.tiny', bootstrap: 'ConfigDrive' },
    floatingNetwork: 'public',
    tenants: [{ namespace: h.namespace, project: 'demo' }],
  }));
  h.startOperator();
  await h.waitFor(async () => conditionsOf(await h.get('Cloud', h.cloudName))['Ready']?.status === 'True', { what: 'Cloud on real Keystone Ready', timeoutMs: 120_000 });
});

after(async () => {
  if (h === undefined) return;
  await h.stop();
  const left = await os.ours(h.clusterID);
  await Promise.all(left.fips.map((f) => os.call('DELETE', `${env.neutronURL}/v2.0/floatingips/${f.id}`)));
  await Promise.all(left.servers.map((s) => os.deleteServer(s.id)));
  await h.waitFor(async () => (await os.ours(h.clusterID)).servers.length === 0, { what: 'leftover servers gone', timeoutMs: 60_000 }).catch(() => undefined);
  await Promise.all(left.ports.map((p) => os.call('DELETE', `${env.neutronURL}/v2.0/ports/${p.id}`)));
});

const fips = async (): Promise<FloatingIP[]> => (await os.ours(h.clusterID)).fips;

async function readyOn(n: number, pred: (s: NonNullable<VS['status']>) => boolean = () => true): Promise<NonNullable<VS['status']>> {
  return h.waitFor(async () => {
    const s = await vsStatus(h, 'vsf');
    return condition(s, 'Ready')?.status === 'True' && s?.seSummary === `${n}/${n}` && pred(s) ? s : undefined;
  }, { what: `vsf Ready on ${n}`, timeoutMs: BOOT_MS, intervalMs: 500 });
}

test('real Neutron: a floating IP from public on the VIP port, fixed to the VIP address, tagged ours', async () => {
  await h.apply('ServiceEngineGroup', { metadata: { name: 'default' }, spec: { cloudRef: h.cloudName, maxSEs: 6, bufferSEs: 0 } });
  await applyPool(h, 'vsf-pool', [{ ip: '20.0.0.3', port: 80 }]);
  await h.apply('VirtualService', {
    metadata: { name: 'vsf' },
    spec: {
      cloudRef: h.cloudName, poolRef: 'vsf-pool',
      vip: [{ vipID: '0', autoAllocateIP: true, subnetUUID: ids('vip-subnet'), autoAllocateFloatingIP: true }],
      services: [{ port: 80 }], scaleout: { ecmp: false, minSEs: 2, maxSEs: 4 },
    },
  });
  const s = await readyOn(2, (x) => x.vip?.[0]?.floatingIP !== undefined);
  const mine = await fips();
  assert.equal(mine.length, 1);
  const f = mine[0] as FloatingIP & { floating_network_id?: string };
  assert.equal(f.floating_ip_address, s.vip?.[0]?.floatingIP);
  assert.equal(f.floating_network_id, ids('public'));
  assert.equal(f.port_id, s.vip?.[0]?.portUUID, 'on the VIP port');
  assert.equal(f.fixed_ip_address, s.vip?.[0]?.ipAddress);
});

test('real Neutron: the active SE fails over; the floating IP is the same object, address and port', async () => {
  const [f0] = await fips();
  const st = await vsStatus(h, 'vsf');
  const primary = st?.serviceEngines?.find((x) => x.primary === true)?.name ?? '';
  const se = await h.get<VS & { status?: { serverUUID?: string } }>('ServiceEngine', primary);
  // The active SE's VM dies under the operator (deleted in Nova): a real failover.
  await os.deleteServer(se?.status?.serverUUID ?? '');
  await readyOn(2, (x) => x.serviceEngines?.find((e) => e.primary === true)?.name !== primary);
  const now = await fips();
  assert.deepEqual(now.map((f) => [f.id, f.floating_ip_address, f.port_id, f.fixed_ip_address]), [[f0?.id, f0?.floating_ip_address, f0?.port_id, f0?.fixed_ip_address]]);
});

test('real Neutron: deleting the VS deletes its floating IP', async () => {
  await h.remove('VirtualService', 'vsf');
  await h.waitFor(async () => ((await h.get('VirtualService', 'vsf')) === undefined ? true : undefined), { what: 'vsf gone', timeoutMs: 120_000 });
  assert.deepEqual(await fips(), []);
  await h.remove('ServiceEngineGroup', 'default');
});
