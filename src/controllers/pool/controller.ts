// The Pool controller: resolves every server to the tenant's network that contains it (or the
// stated networkRef) from the CloudView's networks, and reports it in status.servers[] and the
// Resolved condition. The SE controller gives SEs a data vNIC in each resolved network; the
// VirtualService controller is enqueued by the pool's status change (index vs-by-pool). With the
// SE API on it also reports each server's health as the SE agents hosting the pool see it
// (health.ts: operStatus, upCount, Ready, PoolMemberDown/Up events; reports.ts: who reports).
import { formatTime, setStatusCondition, type Condition } from '../../api/index.js';
import { updateStatus, type KubeObject, type ObjectRef, type ReconcileResult } from '../../runtime/index.js';
import { KIND } from '../../cloud/viewsources.js';
import { INDEX, resourceOf, vsOfVip, withKstatus, type OperatorContext, type PoolObj, type SEChannel, type VSObj } from '../model/index.js';
import { planPoolHealth, withHealth, type HealthPlan, type PoolMemberStatus } from './health.js';
import { poolOfVS, poolReports, poolsOfSE } from './reports.js';
import { networksFromView } from '../model/index.js';
import { resolvedCondition, resolveServers, statusServers } from './resolve.js';
import { withReadyFromResolved } from './ready.js';
import { tenantOf } from '../model/index.js';

const RT = resourceOf('Pool');
const WAIT_MS = 2_000;
const UNRESOLVED_RECHECK_MS = 30_000;
const NETWORK_KINDS = new Set<string>([KIND.virtualNetwork, KIND.network, KIND.subnet]);

export function installPoolController(ctx: OperatorContext): void {
  const pools = ctx.informers.pools;
  const announced: Announced = new Map();
  const controller = ctx.manager.controller<PoolObj>({
    name: 'pool',
    informer: pools,
    workers: ctx.config.workers,
    shouldEnqueueUpdate: (old, obj) => old.metadata.generation !== obj.metadata.generation,
    reconcile: (ref) => reconcile(ctx, ref, announced),
    // Which SEs check the pool follows the placement of the VSs using it (health.ts).
    ...(ctx.seChannel !== undefined ? { watches: [{ informer: ctx.informers.virtualServices, map: (o: KubeObject) => [`${o.metadata.namespace ?? ''}/${(o as VSObj).spec.poolRef}`] }] } : {}),
  });
  pools.addHandlers({ onDelete: (p) => announced.delete(`${p.metadata.namespace ?? ''}/${p.metadata.name}`) });
  // A member flipping on an SE, or an SE's agent connecting or going silent, moves member health.
  ctx.seChannel?.agents.onChange((c) => {
    const vs = c.type === 'member' ? vsOfVip(c.vipID) : undefined;
    const keys = c.type === 'connected' ? poolsOfSE(ctx, c.seKey) : vs !== undefined ? [poolOfVS(ctx, vs)] : [];
    for (const k of keys) if (k !== undefined) controller.enqueue(k);
  });
  const all = (cloud: string): void => { for (const k of pools.store.indexKeys(INDEX.poolByCloud, cloud)) controller.enqueue(k); };
  ctx.connections.onChange(all);
  // A network or subnet appeared, changed or went: resolutions may change.
  ctx.connections.onViewChange((cloud, changes) => { if (changes.some((c) => NETWORK_KINDS.has(c.kind))) all(cloud); });
}

/** Per pool: the member statuses its events last announced (a stale cache must not repeat one). */
type Announced = Map<string, Map<string, PoolMemberStatus | undefined>>;

async function reconcile(ctx: OperatorContext, ref: ObjectRef, announced: Announced): Promise<ReconcileResult> {
  const pool = ctx.informers.pools.store.get(`${ref.namespace ?? ''}/${ref.name}`);
  if (pool === undefined || !ctx.watches(pool.metadata.namespace) || pool.metadata.deletionTimestamp !== undefined) return {};
  const conn = ctx.connections.get(pool.spec.cloudRef);
  const g = pool.metadata.generation;
  const servers = pool.spec.servers ?? [];

  const write = async (mutate: (p: PoolObj) => void): Promise<void> => {
    const now = (): Date => ctx.clock.now();
    // Without the SE API nothing checks members: Ready mirrors Resolved (ready.ts).
    const withReady = ctx.seChannel === undefined ? withReadyFromResolved(mutate, now) : mutate;
    await updateStatus<PoolObj>(ctx.client, RT, pool.metadata, { current: pool, mutate: withKstatus('Pool', withReady, now) });
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
  const health = ctx.seChannel !== undefined ? planHealth(ctx, ctx.seChannel, pool, announced, resolutions.filter((r) => !r.resolved).length) : undefined;
  await write((p) => {
    const conditions: Condition[] = structuredClone(p.status?.conditions ?? []);
    setStatusCondition(conditions, resolvedCondition(resolutions, g), ctx.clock.now());
    if (health !== undefined) setStatusCondition(conditions, health.ready, ctx.clock.now());
    p.status = {
      ...(g !== undefined ? { observedGeneration: g } : {}),
      serverCount: servers.length,
      resolvedCount: resolutions.filter((r) => r.resolved).length,
      ...(health !== undefined ? { upCount: health.upCount } : {}),
      servers: health !== undefined ? withHealth(statusServers(resolutions), health, p.status?.servers, formatTime(ctx.clock.now())) : statusServers(resolutions),
      conditions,
    };
  });
  if (health !== undefined) {
    // Announced only once the status holds it: a failed write retries and announces then.
    for (const e of health.events) ctx.events.record(pool, e.type, e.reason, e.note);
    announced.set(`${pool.metadata.namespace ?? ''}/${pool.metadata.name}`, new Map(health.members.map((m) => [m.id, m.operStatus])));
  }
  // Every server resolved: converged (lbop_reconcile_converged_total, if the status write was a no-op).
  return resolutions.every((r) => r.resolved) ? { converged: true } : { requeueAfterMs: UNRESOLVED_RECHECK_MS };
}

function planHealth(ctx: OperatorContext, ch: SEChannel, pool: PoolObj, announced: Announced, unresolved: number): HealthPlan {
  const { inUse, reports } = poolReports(ctx, ch, pool);
  // After a start or a takeover nothing is in memory: the status says what was announced.
  const previous = announced.get(`${pool.metadata.namespace ?? ''}/${pool.metadata.name}`) ??
    new Map((pool.status?.servers ?? []).map((s) => [`${s.ip ?? ''}:${s.port ?? 0}`, s.operStatus]));
  return planPoolHealth({ servers: pool.spec.servers ?? [], inUse, unresolved, reports, previous, generation: pool.metadata.generation });
}
