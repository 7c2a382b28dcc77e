// The Pool controller: resolves every server to the tenant's network that contains it (or the
// stated networkRef) from the CloudView's networks, and reports it in status.servers[] and the
// Resolved condition. The SE controller gives SEs a data vNIC in each resolved network; the
// VirtualService controller is enqueued by the pool's status change (index vs-by-pool).
import { setStatusCondition, type Condition } from '../../api/index.js';
import { updateStatus, type ObjectRef, type ReconcileResult } from '../../runtime/index.js';
import { KIND } from '../../cloud/viewsources.js';
import { INDEX, resourceOf, type OperatorContext, type PoolObj } from '../model/index.js';
import { networksFromView } from '../model/index.js';
import { resolvedCondition, resolveServers, statusServers } from './resolve.js';
import { tenantOf } from '../model/index.js';

const RT = resourceOf('Pool');
const WAIT_MS = 2_000;
const UNRESOLVED_RECHECK_MS = 30_000;
const NETWORK_KINDS = new Set<string>([KIND.virtualNetwork, KIND.network, KIND.subnet]);

export function installPoolController(ctx: OperatorContext): void {
  const pools = ctx.informers.pools;
  const controller = ctx.manager.controller<PoolObj>({
    name: 'pool',
    informer: pools,
    workers: ctx.config.workers,
    shouldEnqueueUpdate: (old, obj) => old.metadata.generation !== obj.metadata.generation,
    reconcile: (ref) => reconcile(ctx, ref),
  });
  const all = (cloud: string): void => { for (const k of pools.store.indexKeys(INDEX.poolByCloud, cloud)) controller.enqueue(k); };
  ctx.connections.onChange(all);
  // A network or subnet appeared, changed or went: resolutions may change.
  ctx.connections.onViewChange((cloud, changes) => { if (changes.some((c) => NETWORK_KINDS.has(c.kind))) all(cloud); });
}

async function reconcile(ctx: OperatorContext, ref: ObjectRef): Promise<ReconcileResult> {
  const pool = ctx.informers.pools.store.get(`${ref.namespace ?? ''}/${ref.name}`);
  if (pool === undefined || !ctx.watches(pool.metadata.namespace) || pool.metadata.deletionTimestamp !== undefined) return {};
  const conn = ctx.connections.get(pool.spec.cloudRef);
  const g = pool.metadata.generation;
  const servers = pool.spec.servers ?? [];

  const write = async (mutate: (p: PoolObj) => void): Promise<void> => {
    await updateStatus<PoolObj>(ctx.client, RT, pool.metadata, { current: pool, mutate });
  };
  const unresolved = async (reason: string, message: string): Promise<void> => {
    await write((p) => {
      const conditions: Condition[] = structuredClone(p.status?.conditions ?? []);
      setStatusCondition(conditions, { type: 'Resolved', status: 'False', reason, message, ...(g !== undefined ? { observedGeneration: g } : {}) }, ctx.clock.now());
      p.status = { ...p.status, ...(g !== undefined ? { observedGeneration: g } : {}), serverCount: servers.length, conditions };
    });
  };

  if (conn === undefined || !conn.ready || !conn.view.synced) {
    // A resolution already reported for this generation stays while the connection (re)opens —
    // a restart would otherwise flip every Pool to WaitingForCloud and back (two writes each).
    const resolved = pool.status?.conditions?.find((c) => c.type === 'Resolved');
    if (resolved !== undefined && resolved.reason !== 'WaitingForCloud' && pool.status?.observedGeneration === g) return { requeueAfterMs: WAIT_MS };
    await unresolved('WaitingForCloud', `waiting for Cloud ${pool.spec.cloudRef}`);
    return { requeueAfterMs: WAIT_MS };
  }
  const project = await tenantOf(conn, pool.metadata.namespace ?? '');
  if (project === undefined) {
    await unresolved('Forbidden', `namespace ${pool.metadata.namespace ?? ''} is not a tenant of Cloud ${conn.name}`);
    return {};
  }
  const resolutions = resolveServers(servers, networksFromView(conn.view), project);
  await write((p) => {
    const conditions: Condition[] = structuredClone(p.status?.conditions ?? []);
    setStatusCondition(conditions, resolvedCondition(resolutions, g), ctx.clock.now());
    p.status = {
      ...(g !== undefined ? { observedGeneration: g } : {}),
      serverCount: servers.length,
      resolvedCount: resolutions.filter((r) => r.resolved).length,
      servers: statusServers(resolutions),
      conditions,
    };
  });
  return resolutions.every((r) => r.resolved) ? {} : { requeueAfterMs: UNRESOLVED_RECHECK_MS };
}
