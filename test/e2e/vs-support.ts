// Helpers for the VirtualService e2e tests: the seed objects (DESIGN.md §1), status readers and
// the vRouter's view of a VIP (`/sim/routes`).
import type { KubeObject } from '../../src/runtime/index.js';
import type { VirtualServiceStatus, PoolStatus } from '../../src/api/index.js';
import type { Harness } from './harness.js';

export const VIP_NET = '02b846e6-cd68-4c84-b7ab-3709946ed28b';
export const VIP_SUBNET = 'a834986a-385e-4616-9d9c-6b91cfaa51e0';

export type VS = KubeObject & { spec: Record<string, unknown>; status?: VirtualServiceStatus };
export type PoolObject = KubeObject & { status?: PoolStatus };

export interface SeedOptions {
  vs?: string;
  pool?: string;
  group?: string;
  minSEs?: number;
  maxSEs?: number;
  ecmp?: boolean;
  vip?: Record<string, unknown>[];
  groupSpec?: Record<string, unknown>;
  vsSpec?: Record<string, unknown>;
}

export async function applyGroup(h: Harness, name = 'default', spec: Record<string, unknown> = {}): Promise<void> {
  await h.apply('ServiceEngineGroup', { metadata: { name }, spec: { cloudRef: h.cloudName, minScaleoutPerVS: 1, maxScaleoutPerVS: 4, maxSEs: 10, bufferSEs: 0, ...spec } });
}

export async function applyPool(h: Harness, name = 'vs2-pool', servers: Record<string, unknown>[] = [{ ip: '20.0.0.3', port: 80 }]): Promise<void> {
  await h.apply('Pool', { metadata: { name }, spec: { cloudRef: h.cloudName, servers, lbAlgorithm: 'LeastConnections' } });
}

export async function applyVS(h: Harness, o: SeedOptions = {}): Promise<void> {
  await h.apply('VirtualService', {
    metadata: { name: o.vs ?? 'vs2' },
    spec: {
      cloudRef: h.cloudName, poolRef: o.pool ?? 'vs2-pool', ...(o.group !== undefined ? { seGroupRef: o.group } : {}),
      vip: o.vip ?? [{ vipID: '0', autoAllocateIP: true, subnetUUID: VIP_SUBNET }],
      services: [{ port: 80 }],
      scaleout: { ecmp: o.ecmp ?? true, minSEs: o.minSEs ?? 1, maxSEs: o.maxSEs ?? 4 },
      ...o.vsSpec,
    },
  });
}

/** The seed scenario: the default group, Pool vs2-pool (20.0.0.3:80) and VirtualService vs2. */
export async function applySeed(h: Harness, o: SeedOptions = {}): Promise<void> {
  await applyGroup(h, o.group ?? 'default', o.groupSpec);
  await applyPool(h, o.pool ?? 'vs2-pool');
  await applyVS(h, o);
}

export async function vsStatus(h: Harness, name = 'vs2'): Promise<VirtualServiceStatus | undefined> {
  return (await h.get<VS>('VirtualService', name))?.status;
}

export function condition(s: { conditions?: { type: string; status: string; reason: string; message: string }[] } | undefined, type: string) {
  return s?.conditions?.find((c) => c.type === type);
}

/** Next hops (Nova server ids) the vRouter has for a VIP /32 in a network. */
export async function nextHops(h: Harness, ip: string, network = VIP_NET): Promise<string[]> {
  const r = await h.simControl<{ networks: { uuid: string; routes: { prefix: string; nexthops: { server_id: string }[] }[] }[] }>('GET', `/sim/routes?network=${network}`);
  const route = r.networks.find((n) => n.uuid === network)?.routes.find((x) => x.prefix === `${ip}/32`);
  return (route?.nexthops ?? []).map((n) => n.server_id).sort();
}

/** The Nova server ids of the SEs a status lists as programmed (cloudProgrammingDone). */
export async function programmedServerIDs(h: Harness, s: VirtualServiceStatus | undefined): Promise<string[]> {
  const out: string[] = [];
  for (const x of s?.serviceEngines ?? []) {
    if (x.cloudProgrammingDone !== true || x.name === undefined) continue;
    const se = await h.get<KubeObject & { status?: { serverUUID?: string } }>('ServiceEngine', x.name);
    if (se?.status?.serverUUID !== undefined) out.push(se.status.serverUUID);
  }
  return out.sort();
}

/** Waits until the VS is Ready with `n` programmed SEs and the vRouter agrees; returns the status. */
export async function waitReadyWith(h: Harness, n: number, name = 'vs2', timeoutMs = 120_000): Promise<VirtualServiceStatus> {
  return h.waitFor(async () => {
    const vs = await h.get<VS>('VirtualService', name);
    const s = vs?.status;
    const ip = s?.vip?.[0]?.ipAddress;
    // Computed from the current spec, not an earlier one.
    if (s?.observedGeneration !== vs?.metadata.generation) return undefined;
    if (condition(s, 'Ready')?.status !== 'True' || ip === undefined) return undefined;
    const programmed = (s?.serviceEngines ?? []).filter((x) => x.cloudProgrammingDone === true);
    if (programmed.length !== n || s?.seSummary !== `${n}/${n}`) return undefined;
    // The vRouter must forward the VIP to exactly the placed, healthy SEs.
    const hops = await nextHops(h, ip);
    const placed = await programmedServerIDs(h, s);
    return hops.length === n && JSON.stringify(hops) === JSON.stringify(placed) ? s : undefined;
  }, { what: `${name} Ready on ${n} SE(s) with ${n} ECMP next hops`, timeoutMs, intervalMs: 250 });
}

export async function eventReasons(h: Harness, name: string): Promise<string[]> {
  return (await h.events()).filter((e) => e.regarding.name === name && e.regarding.kind === 'VirtualService').map((e) => e.reason);
}

/**
 * Deletes this namespace's VirtualServices (waiting until the operator has torn their VIPs
 * down), then its Pools and groups. Used before (leftovers of an earlier run in a reused
 * cluster) and after each file, with the operator running. SEs are the groups' business.
 */
export async function cleanNamespace(h: Harness, timeoutMs = 60_000): Promise<void> {
  for (const v of await h.list<KubeObject>('VirtualService')) await h.remove('VirtualService', v.metadata.name);
  await h.waitFor(async () => (await h.list<KubeObject>('VirtualService')).length === 0, { what: 'VirtualServices torn down', timeoutMs });
  for (const p of await h.list<KubeObject>('Pool')) await h.remove('Pool', p.metadata.name);
  for (const g of await h.list<KubeObject>('ServiceEngineGroup')) await h.remove('ServiceEngineGroup', g.metadata.name);
}
