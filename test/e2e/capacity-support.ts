// The set-up the capacity and reservation tests share (capacity, reservation,
// deletion-reservation): a namespace on the shared cluster with a ServiceEngineGroup, Ready
// ServiceEngines and VirtualServices on a cloud that does not exist (no operator, no cloud: the
// VS controller's placement, claim and reservation functions run in the test's process), and the
// reads every step makes.
import { useCluster } from '../support/cluster.js';
import { createNamespace } from '../integration/fixtures/runtime-support.js';
import { KubeClient, collectionPath, objectPath } from '../../src/runtime/index.js';
import { checkInvariants, othersClaims, resourceOf, sePhase, type GroupObj, type SEObj, type VSObj } from '../../src/controllers/model/index.js';

export const GROUP = resourceOf('ServiceEngineGroup');
export const SE = resourceOf('ServiceEngine');
export const VS = resourceOf('VirtualService');
const api = (rt: { group: string; version: string }): string => `${rt.group}/${rt.version}`;

/** The group spec these tests use; each overrides what it tests. */
export const GROUP_SPEC = { cloudRef: 'nowhere', maxVSPerSE: 3, maxScaleoutPerVS: 2, minScaleoutPerVS: 1, maxSEs: 8, placement: 'Packed' };

export interface CapacityNamespace {
  client: KubeClient;
  ns: string;
  group(name: string, spec?: Record<string, unknown>): Promise<void>;
  /** An SE of the group, Ready unless told otherwise. */
  se(name: string, group: string, ready?: boolean): Promise<void>;
  /** A VS of group `g` with one VIP and port 80; `finalizers` as given. */
  vs(name: string, finalizers?: string[]): Promise<void>;
  list<T>(rt: typeof SE): Promise<T[]>;
  getVS(name: string): Promise<VSObj>;
  /** The capacity invariants over fresh lists (VSs first: a VS lists an SE only while it holds the claim). */
  snapshot(settled?: boolean): Promise<ReturnType<typeof checkInvariants>>;
}

export async function capacityNamespace(prefix: string): Promise<CapacityNamespace> {
  const cluster = await useCluster();
  const client = await KubeClient.create(cluster.kubeconfig);
  const ns = await createNamespace(client, prefix);
  const list = async <T>(rt: typeof SE): Promise<T[]> => (await client.get<{ items: T[] }>(collectionPath(rt, ns))).items;
  return {
    client, ns, list,
    async group(name, spec = {}) {
      await client.create(collectionPath(GROUP, ns), { apiVersion: api(GROUP), kind: 'ServiceEngineGroup', metadata: { name, namespace: ns }, spec: { ...GROUP_SPEC, ...spec } });
    },
    async se(name, group, ready = true) {
      await client.create(collectionPath(SE, ns), { apiVersion: api(SE), kind: 'ServiceEngine', metadata: { name, namespace: ns }, spec: { cloudRef: 'nowhere', seGroupRef: group } });
      if (!ready) return;
      await client.patch(objectPath(SE, { namespace: ns, name }, 'status'), {
        status: { conditions: [{ type: 'Ready', status: 'True', reason: 'Ready', message: 'test', lastTransitionTime: '2026-01-01T00:00:00Z' }] },
      }, 'merge');
    },
    async vs(name, finalizers) {
      await client.create(collectionPath(VS, ns), {
        apiVersion: api(VS), kind: 'VirtualService', metadata: { name, namespace: ns, ...(finalizers !== undefined ? { finalizers } : {}) },
        spec: { cloudRef: 'nowhere', poolRef: 'p', seGroupRef: 'g', vip: [{ vipID: '0', networkRef: 'n' }], services: [{ port: 80 }] },
      });
    },
    getVS: (name) => client.get<VSObj>(objectPath(VS, { namespace: ns, name })),
    async snapshot(settled = false) {
      const vss = await list<VSObj>(VS);
      const ses = await list<SEObj>(SE);
      return checkInvariants({ vss, ses, groups: await list<GroupObj>(GROUP) }, { settled });
    },
  };
}

/** The placement planner's candidates as the VS controller builds them: Ready, not full, with the others' claims. */
export const candidatesOf = (ses: readonly SEObj[], vsName: string, full: ReadonlySet<string>) => ses.map((se) => ({
  name: se.metadata.name, createdAt: se.metadata.creationTimestamp ?? '',
  healthy: sePhase(se).phase === 'Ready' && !full.has(se.metadata.name), booting: false, deleting: false,
  hostedVS: othersClaims(se, vsName),
}));
