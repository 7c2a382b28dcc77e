// The orphan sweep's part for Nova server groups (ServiceEngineGroup.antiAffinity). A group has
// no owner tags, only its name (cloud/owner.ts serverGroupName: SEG uid8 + cluster8), so it is
// a leak only when all of these hold: the name is ours in form and carries OUR cluster, no
// ServiceEngineGroup of this cluster has that uid8 or records the group's id, and it has no
// members (a member is a live server — its SE's own sweep goes first, the group next time).
import { isCloudError, isNotFound, parseServerGroupName, uid8, type ServerGroup } from '../../cloud/index.js';
import { collectionPath, type ReconcileContext } from '../../runtime/index.js';
import { resourceOf, type CloudConnection, type GroupObj, type OperatorContext } from '../model/index.js';

export interface KnownGroups {
  /** uid8 of every ServiceEngineGroup of this cluster. */
  uid8s: ReadonlySet<string>;
  /** status.serverGroupUUID of every ServiceEngineGroup. */
  recorded: ReadonlySet<string>;
}

/** The leaked server groups among those listed (pure). */
export function leakedServerGroups(groups: readonly ServerGroup[], clusterID: string, known: KnownGroups): ServerGroup[] {
  const ours = uid8(clusterID);
  return groups.filter((g) => {
    const n = parseServerGroupName(g.name);
    return n !== undefined && n.cluster8 === ours && !known.uid8s.has(n.uid8) && !known.recorded.has(g.id) && g.members.length === 0;
  });
}

export function knownGroups(groups: readonly GroupObj[]): KnownGroups {
  return {
    uid8s: new Set(groups.flatMap((g) => (g.metadata.uid === undefined ? [] : [uid8(g.metadata.uid)]))),
    recorded: new Set(groups.flatMap((g) => (g.status?.serverGroupUUID === undefined ? [] : [g.status.serverGroupUUID]))),
  };
}

/**
 * The groups the sweep may judge by: the informer cache when it holds every group of the
 * cluster; a shard or a namespace-restricted operator sees only part, so it asks the API server
 * for all of them (undefined when it may not: then server groups are not swept).
 */
async function allGroups(ctx: OperatorContext, signal: AbortSignal): Promise<GroupObj[] | undefined> {
  if (ctx.config.watchLabelSelector === undefined && ctx.config.namespaces.length === 0) return ctx.informers.groups.store.list();
  try {
    return (await ctx.client.get<{ items: GroupObj[] }>(collectionPath(resourceOf('ServiceEngineGroup')), { signal })).items;
  } catch {
    return undefined;
  }
}

/** Deletes leaked server groups of every project (admin list); returns how many could not be. */
export async function sweepServerGroups(ctx: OperatorContext, conn: CloudConnection, rc: ReconcileContext): Promise<number> {
  const groups = await allGroups(ctx, rc.signal);
  if (groups === undefined) {
    rc.log.debug('server groups not swept: cannot list every ServiceEngineGroup of the cluster');
    return 0;
  }
  const nova = conn.cloud.nova(conn.cloud.adminProject);
  let listed: ServerGroup[];
  try {
    listed = await nova.listServerGroups({ allProjects: true });
  } catch (e) {
    // A cloud without Nova's server groups (or a non-admin token): nothing we could have made.
    rc.log.warn('could not list server groups; next sweep retries', { cloud: conn.name, error: isCloudError(e) ? e.message : String(e) });
    return 0;
  }
  let failed = 0;
  for (const g of leakedServerGroups(listed, ctx.clusterID, knownGroups(groups))) {
    try {
      await nova.deleteServerGroup(g.id);
      rc.log.info('deleted orphaned cloud object', { cloud: conn.name, kind: 'server-group', id: g.id, name: g.name });
    } catch (e) {
      if (isNotFound(e)) continue;
      failed++;
      rc.log.warn('could not delete orphaned cloud object; next sweep retries', { cloud: conn.name, kind: 'server-group', id: g.id, error: isCloudError(e) ? e.message : String(e) });
    }
  }
  return failed;
}
