// ServiceEngineGroup.antiAffinity through a Nova server group (policy anti-affinity): one group
// per ServiceEngineGroup, in the project of its namespace (the scheduler hint must name a group
// of the booting project), recorded in status.serverGroupUUID. The SE controller boots with the
// hint `group=<uuid>` and waits while the group has none; Nova's scheduler does the rest, and a
// boot it cannot place (NoValidHost) is an ordinary boot failure with the scheduler's message.
//
// Nova server groups have no metadata or description, so ownership is in the name
// (serverGroupName in cloud/owner.ts: SEG uid8 and cluster8; the orphan sweep reads the same).
//
// Steady state makes no cloud call: the recorded group is trusted, and verified (GET, by listing
// the project's groups) once per Cloud resync period — a group deleted behind our back is then
// recreated, duplicates left by a crash between create and the status write are deleted, and SEs
// booted outside it (before antiAffinity was set) are reported once each.
import { isTrue, setStatusCondition, removeStatusCondition } from '../../api/index.js';
import { isCloudError, isNotFound, serverGroupName, type NovaClient, type ServerGroup } from '../../cloud/index.js';
import { updateStatus, type ObjectRef, type ReconcileContext } from '../../runtime/index.js';
import { cloudResyncMs, resourceOf, type GroupObj, type OperatorContext, type SEObj } from '../model/index.js';

const GROUP = resourceOf('ServiceEngineGroup');
export const ANTI_AFFINITY = 'AntiAffinity';

export interface FoundGroup { id: string; members: readonly string[] }

export interface ServerGroupPlan {
  /** The group the SEs boot in (undefined: none, or one is to be created). */
  keep: string | undefined;
  create: boolean;
  /** Ours but not kept: duplicates (a create whose answer was lost) or all of them when off. */
  remove: string[];
}

/**
 * What to do with the group's server groups (pure). `found`: ours by name in the project, in
 * the order Nova listed them. The recorded one is kept while it exists; else the one with the
 * most members is adopted (it holds the SEs already spread), else one is created.
 */
export function planServerGroup(want: boolean, recorded: string | undefined, found: readonly FoundGroup[]): ServerGroupPlan {
  if (!want) return { keep: undefined, create: false, remove: found.map((g) => g.id) };
  const kept = found.find((g) => g.id === recorded)
    ?? [...found].sort((a, b) => b.members.length - a.members.length)[0];
  if (kept === undefined) return { keep: undefined, create: true, remove: [] };
  return { keep: kept.id, create: false, remove: found.filter((g) => g !== kept && g.members.length === 0).map((g) => g.id) };
}

/**
 * Booted SEs of the group whose server is not a member of its server group (pure). Only booted
 * ones: a failed boot's server is deleted (and leaves the group) while its SE still names it.
 */
export function outsiders(ses: readonly SEObj[], members: readonly string[]): SEObj[] {
  const m = new Set(members);
  return ses.filter((se) => se.metadata.deletionTimestamp === undefined && isTrue(se.status?.conditions, 'Booted')
    && se.status?.serverUUID !== undefined && se.status.serverUUID !== '' && !m.has(se.status.serverUUID));
}

/** What the controller remembers between reconciles: when each group was last verified, whom it reported. */
export class ServerGroupMemory {
  private readonly verified = new Map<string, number>();
  private readonly reported = new Map<string, Set<string>>();

  /** Ms until the group is due for verification (0: now). */
  dueIn(uid: string, now: number, periodMs: number): number {
    const at = this.verified.get(uid);
    return at === undefined ? 0 : Math.max(0, at + periodMs - now);
  }

  checked(uid: string, now: number): void { this.verified.set(uid, now); }

  /** True the first time an SE is reported outside the group. */
  firstReport(uid: string, seUID: string): boolean {
    let s = this.reported.get(uid);
    if (s === undefined) this.reported.set(uid, (s = new Set()));
    if (s.has(seUID)) return false;
    s.add(seUID);
    return true;
  }

  forget(uid: string): void {
    this.verified.delete(uid);
    this.reported.delete(uid);
  }
}

export interface ServerGroupOutcome {
  group: GroupObj;
  /** Look again this soon (the Cloud is not ready, or the cloud refused). */
  requeueAfterMs?: number;
}

/**
 * Brings the group's server group to what spec.antiAffinity says (or, when the group is being
 * deleted, removes it). Returns the group as written; never throws for a cloud refusal — that
 * goes in the AntiAffinity condition, an event and a log line, and is retried.
 */
export async function syncServerGroup(ctx: OperatorContext, mem: ServerGroupMemory, group: GroupObj, ses: readonly SEObj[], ref: ObjectRef, rc: ReconcileContext): Promise<ServerGroupOutcome> {
  const uid = group.metadata.uid ?? '';
  const deleting = group.metadata.deletionTimestamp !== undefined;
  const want = group.spec.antiAffinity === true && !deleting;
  const recorded = group.status?.serverGroupUUID;
  const conn = ctx.connections.get(group.spec.cloudRef);
  if (deleting && group.spec.antiAffinity !== true && recorded === undefined) return { group };
  if (!want && recorded === undefined && !deleting) {
    return { group: await writeState(ctx, group, ref, rc, { uuid: undefined, condition: undefined }) };
  }
  if (conn === undefined || !conn.ready) {
    // Being deleted with its Cloud gone: nothing can reach the group any more; let go.
    if (deleting && conn === undefined) return { group };
    if (!want) return { group, requeueAfterMs: 10_000 };
    return {
      group: await writeState(ctx, group, ref, rc, { uuid: recorded, condition: { ok: false, reason: 'CloudNotReady', message: `Cloud ${group.spec.cloudRef} is not Ready` } }),
      requeueAfterMs: 10_000,
    };
  }
  const project = conn.projectFor(ref.namespace ?? '') ?? (deleting ? conn.cloud.adminProject : undefined);
  if (project === undefined) {
    const message = `namespace ${ref.namespace ?? ''} is not mapped to a project in Cloud ${conn.name}'s spec.tenants`;
    return { group: await writeState(ctx, group, ref, rc, { uuid: recorded, condition: want ? { ok: false, reason: 'TenantNotAllowed', message } : undefined }) };
  }
  const now = ctx.clock.now().getTime();
  const periodMs = cloudResyncMs(conn.spec);
  const dueIn = mem.dueIn(uid, now, periodMs);
  if (want && recorded !== undefined && dueIn > 0) return { group, requeueAfterMs: dueIn };

  const nova = conn.cloud.nova(project);
  const name = serverGroupName(uid, ctx.clusterID);
  try {
    const found = (await nova.listServerGroups()).filter((g) => g.name === name);
    const plan = planServerGroup(want, recorded, found);
    for (const id of plan.remove) await deleteGroup(nova, id);
    let keep: ServerGroup | undefined = found.find((g) => g.id === plan.keep);
    if (plan.create) {
      keep = await nova.createServerGroup(name, 'anti-affinity');
      rc.log.info('created server group', { serverGroup: keep.id, name });
      ctx.events.record(group, 'Normal', 'ServerGroupCreated', `Nova server group ${name} (${keep.id}, policy anti-affinity) created; new SEs boot in it`);
    }
    for (const id of plan.remove) {
      rc.log.info('deleted server group', { serverGroup: id, name });
      if (!deleting) ctx.events.record(group, 'Normal', 'ServerGroupDeleted', `Nova server group ${name} (${id}) deleted${want ? ' (a duplicate)' : ': antiAffinity is off'}`);
    }
    mem.checked(uid, now);
    if (keep !== undefined) reportOutsiders(ctx, mem, group, ses, keep);
    if (deleting) mem.forget(uid);
    const condition = want && keep !== undefined
      ? { ok: true, reason: 'ServerGroupReady', message: `SEs boot in Nova server group ${keep.id} (policy anti-affinity), ${keep.members.length} member(s)` }
      : undefined;
    const written = await writeState(ctx, group, ref, rc, { uuid: keep?.id, condition });
    return want ? { group: written, requeueAfterMs: periodMs } : { group: written };
  } catch (e) {
    if (!isCloudError(e)) throw e;
    const message = `nova ${e.op}: ${e.serverMessage}`;
    rc.log.warn('server group not brought to spec; retrying', { error: message, antiAffinity: want });
    ctx.events.record(group, 'Warning', 'ServerGroupFailure', `Nova server group ${name}: ${message}`);
    const st = want ? { uuid: recorded, condition: { ok: false, reason: 'ServerGroupFailed', message } } : { uuid: recorded, condition: undefined };
    // A group being deleted does not wait on a refusal that will not change (the sweep retries).
    if (deleting) return e.transient ? { group, requeueAfterMs: 5_000 } : { group };
    return { group: await writeState(ctx, group, ref, rc, st), requeueAfterMs: e.transient ? 5_000 : 30_000 };
  }
}

async function deleteGroup(nova: NovaClient, id: string): Promise<void> {
  try {
    await nova.deleteServerGroup(id);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}

function reportOutsiders(ctx: OperatorContext, mem: ServerGroupMemory, group: GroupObj, ses: readonly SEObj[], sg: ServerGroup): void {
  for (const se of outsiders(ses, sg.members)) {
    if (!mem.firstReport(group.metadata.uid ?? '', se.metadata.uid ?? se.metadata.name)) continue;
    ctx.events.record(se, 'Warning', 'SEOutsideServerGroup',
      `server ${se.status?.serverUUID ?? ''} of Service Engine ${se.metadata.name} is not in Nova server group ${sg.id} (booted before antiAffinity, or the group was recreated); Nova does not move servers into a group, so it may share a host until it is replaced`);
  }
}

interface State {
  uuid: string | undefined;
  condition: { ok: boolean; reason: string; message: string } | undefined;
}

async function writeState(ctx: OperatorContext, group: GroupObj, ref: ObjectRef, rc: ReconcileContext, s: State): Promise<GroupObj> {
  const res = await updateStatus<GroupObj>(ctx.client, GROUP, ref, {
    current: group, signal: rc.signal,
    mutate: (o) => {
      const st = (o.status ??= {});
      if (s.uuid !== undefined) st.serverGroupUUID = s.uuid;
      else delete st.serverGroupUUID;
      if (s.condition === undefined) {
        if (st.conditions !== undefined) removeStatusCondition(st.conditions, ANTI_AFFINITY);
      } else {
        st.conditions ??= [];
        setStatusCondition(st.conditions, {
          type: ANTI_AFFINITY, status: s.condition.ok ? 'True' : 'False', reason: s.condition.reason, message: s.condition.message,
          observedGeneration: o.metadata.generation ?? 0,
        }, ctx.clock.now());
      }
    },
  });
  return res.obj ?? group;
}
