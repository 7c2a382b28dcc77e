// The orphan sweep, one per Cloud: when its connection becomes ready and then every
// --orphan-sweep-period, cloud objects tagged with this cluster ID whose owner no longer exists
// (by uid, in the informer caches) are deleted in dependency order (select.ts decides; this
// file only does). It runs as a controller keyed by Cloud name, so only the leader sweeps and
// the caches are synced before it starts.
import { isCloudError, isNotFound, KIND, type Owner } from '../../cloud/index.js';
import { isNotFound as isKubeNotFound, objectPath, type KubeObject, type ObjectRef, type ReconcileContext, type ReconcileResult } from '../../runtime/index.js';
import type { KindName } from '../../api/index.js';
import { resourceOf, type CloudConnection } from '../model/index.js';
import type { OperatorContext } from '../model/index.js';
import { ownerLiveness, selectOrphans, type Tagged } from './select.js';
import { sweepServerGroups } from './servergroups.js';
import { sweepEvents } from './events.js';

export function installOrphanSweep(ctx: OperatorContext): void {
  const controller = ctx.manager.controller({
    name: 'orphan-sweep',
    informer: ctx.informers.clouds,
    workers: 1,
    shouldEnqueueUpdate: () => false,
    reconcile: (ref, rc) => sweep(ctx, ref, rc),
  });
  ctx.connections.onChange((cloud) => controller.enqueue(cloud));
}

async function sweep(ctx: OperatorContext, ref: ObjectRef, rc: ReconcileContext): Promise<ReconcileResult> {
  const conn = ctx.connections.get(ref.name);
  if (conn === undefined || !conn.ready) return {}; // the connection's change wakes us
  if (!conn.view.synced) return { requeueAfterMs: 1_000 };
  // A list that started now: nothing we deleted or created a moment ago is misread.
  await conn.view.refresh();

  const inf = ctx.informers;
  const uids = (objs: KubeObject[]): Set<string> => new Set(objs.flatMap((o) => (o.metadata.uid === undefined ? [] : [o.metadata.uid])));
  const byKind = new Map<string, Set<string>>([
    ['Cloud', uids(inf.clouds.store.list())],
    ['ServiceEngineGroup', uids(inf.groups.store.list())],
    ['ServiceEngine', uids(inf.serviceEngines.store.list())],
    ['VirtualService', uids(inf.virtualServices.store.list())],
    ['Pool', uids(inf.pools.store.list())],
  ]);
  const alive = ownerLiveness(byKind, (ns) => ctx.watches(ns), new Set(['Cloud']));
  const kinds = [KIND.floatingIp, KIND.neutronFloatingIp, KIND.instanceIp, KIND.server, KIND.vmi, KIND.port, KIND.serviceHealthCheck];
  const items: Tagged[] = kinds.flatMap((k) => conn.view.list(k).map((o) => ({ kind: k, id: o.id, owner: o.owner, obj: o.obj })));
  const selected = selectOrphans(items, ctx.clusterID, alive);
  // A shard's caches hold only its own objects: another shard's owner (same cluster ID) is
  // missing from them too. Before deleting, ask the API server whether the owner is really gone.
  const orphans = ctx.config.watchLabelSelector === undefined ? selected : await confirmedGone(ctx, selected, rc.signal);

  const deleted: Tagged[] = [];
  const failures: (Tagged & { error: string })[] = [];
  for (const o of orphans) {
    try {
      await deleteObject(conn, o);
      conn.view.deleted(o.kind, o.id);
      deleted.push(o);
      rc.log.info('deleted orphaned cloud object', { cloud: conn.name, kind: o.kind, id: o.id, ownerKind: o.owner?.kind, owner: ownerText(o.owner) });
    } catch (e) {
      const error = isCloudError(e) ? e.message : String(e);
      failures.push({ ...o, error });
      rc.log.warn('could not delete orphaned cloud object; next sweep retries', { cloud: conn.name, kind: o.kind, id: o.id, error });
    }
  }
  let failed = failures.length;
  // Nova server groups (antiAffinity) carry no tags: swept by name, after their members' servers.
  failed += await sweepServerGroups(ctx, conn, rc);
  if (orphans.length > 0) rc.log.info('orphan sweep done', { cloud: conn.name, deleted: deleted.length, failed });
  const cloud = inf.clouds.store.get(ref.name);
  if (cloud !== undefined) for (const e of sweepEvents(deleted, failures)) ctx.events.record(cloud, e.type, e.reason, e.note);
  // Dependents whose deletion failed (e.g. a port still bound) are retried soon, not in 10 min.
  return { requeueAfterMs: failed > 0 ? Math.min(ctx.config.orphanSweepPeriodMs, 10_000) : ctx.config.orphanSweepPeriodMs };
}

/** The orphans whose owner the API server does not have (404, or the name now has another uid). */
async function confirmedGone(ctx: OperatorContext, orphans: readonly Tagged[], signal: AbortSignal): Promise<Tagged[]> {
  const verdict = new Map<string, boolean>();
  const gone = async (o: Owner): Promise<boolean> => {
    let v = verdict.get(o.uid);
    if (v !== undefined) return v;
    const rt = resourceOf(o.kind as KindName);
    try {
      const cur = await ctx.client.get<KubeObject>(objectPath(rt, { namespace: o.namespace, name: o.name }), { signal });
      v = cur.metadata.uid !== o.uid;
    } catch (e) {
      if (!isKubeNotFound(e)) throw e;
      v = true;
    }
    verdict.set(o.uid, v);
    return v;
  };
  const out: Tagged[] = [];
  for (const o of orphans) if (o.owner !== undefined && await gone(o.owner)) out.push(o);
  return out;
}

function ownerText(o: Owner | undefined): string {
  return o === undefined ? '' : `${o.namespace}/${o.name} (${o.uid})`;
}

async function deleteObject(conn: CloudConnection, o: Tagged): Promise<void> {
  const admin = conn.cloud.adminProject;
  try {
    switch (o.kind) {
      case KIND.floatingIp:
      case KIND.instanceIp:
      case KIND.serviceHealthCheck:
        await conn.cloud.contrail?.delete(o.kind, o.id);
        return;
      case KIND.neutronFloatingIp:
        await conn.cloud.neutron(admin).deleteFloatingIP(o.id);
        return;
      case KIND.server: {
        const tenant = (o.obj as { tenant_id?: string }).tenant_id;
        await conn.cloud.nova(tenant !== undefined ? { id: tenant } : admin).deleteServer(o.id);
        return;
      }
      case KIND.vmi:
      case KIND.port:
        // Through Neutron for both: it also removes the port's own instance-ips on Contrail.
        await conn.cloud.neutron(admin).deletePort(o.id);
        return;
    }
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}
