// The ServiceEngineGroup controller: owns the group's ServiceEngine objects. Story:
//   desired  — the group's policy and the scale-out the VirtualServices using it request;
//   observed — its SEs (informer cache, by index) and their phases from their status;
//   plan     — planGroup (pure): how many to create, which to retire, when to look again;
//   apply    — create SEs `<group>-se-<5 chars>` (ownerReferences to the group, controller=true),
//              delete retired ones (their own finalizer tears the VM down);
//   report   — counts and Ready, patched only when changed.
// A bare kube-apiserver has no garbage collector, and the operator must not depend on one being
// fast: deleting the group runs its finalizer, which deletes its SEs and waits for them to go.
import { setStatusCondition, type ServiceEngineGroupStatus } from '../../api/index.js';
import {
  addFinalizer, isConflict, isNotFound, parseLabelSelector, selectedLabels, objectKey, objectPath, removeFinalizer, specOrMetadataChanged, updateStatus, collectionPath,
  type ObjectRef, type ReconcileContext, type ReconcileResult,
} from '../../runtime/index.js';
import {
  claimsOf, DEFAULT_GROUP, groupSpec, INDEX, resourceOf, sePhase, withKstatus,
  type GroupObj, type OperatorContext, type SEObj, type VSObj,
} from '../model/index.js';
import { groupDemand, type GroupDemand } from './demand.js';
import { groupKeysForVSUpdate } from './vswatch.js';
import { planGroup, strandedSEs, type GroupPlan, type GroupPolicy, type GroupSE } from './plan.js';
import { ServerGroupMemory, syncServerGroup } from './servergroup.js';
import { scaleEvents } from './events.js';
import { gateMembers, reportRepairsHeld } from './repairs.js';
import { syncStandbyPreferences } from './standbyio.js';

export const GROUP_FINALIZER = 'lb.contrail-operator.io/service-engine-group';
const GROUP = resourceOf('ServiceEngineGroup');
const SE = resourceOf('ServiceEngine');

/**
 * `<group>-se-<slot>`, slot in 0..maxSEs-1: maxSEs holds by construction, not by a count that a
 * second creator (another worker, a replica with a stale cache) can race past — the API server
 * lets one object have a name, so a second create of the same slot is a 409 AlreadyExists.
 */
export function seName(group: string, slot: number): string {
  return `${group.slice(0, 240)}-se-${slot}`;
}

/** The free slots, lowest first: those of 0..maxSEs-1 whose name no SE (cached or just created) has. */
export function freeSlots(group: string, maxSEs: number, taken: ReadonlySet<string>): number[] {
  const out: number[] = [];
  for (let slot = 0; slot < maxSEs; slot++) if (!taken.has(seName(group, slot))) out.push(slot);
  return out;
}

export function policyOf(g: GroupObj): GroupPolicy {
  const s = groupSpec(g);
  return { maxSEs: s.maxSEs, bufferSEs: s.bufferSEs, maxVSPerSE: s.maxVSPerSE, seDeprovisionDelaySeconds: s.seDeprovisionDelaySeconds };
}

export function installGroupController(ctx: OperatorContext): void {
  /** When this process first saw each SE idle: the deprovision delay counts from there. */
  const idleSince = new Map<string, string>();
  /** SEs created but not yet in the cache (client-go's "expectations"): never create twice. */
  const pending = new Map<string, Set<string>>();
  const serverGroups = new ServerGroupMemory();
  const inf = ctx.informers;
  const groupOfSE = (se: SEObj): string[] => [`${se.metadata.namespace ?? ''}/${se.spec.seGroupRef}`];
  ctx.manager.controller<GroupObj>({
    name: 'serviceenginegroup',
    informer: inf.groups,
    workers: Math.min(ctx.config.workers, 4),
    shouldEnqueueUpdate: specOrMetadataChanged,
    watches: [
      { informer: inf.serviceEngines, map: (se) => groupOfSE(se as SEObj) },
      {
        informer: inf.virtualServices,
        map: (vs) => [`${vs.metadata.namespace ?? ''}/${(vs as { spec?: { seGroupRef?: string } }).spec?.seGroupRef ?? DEFAULT_GROUP}`],
        mapUpdate: (old, vs) => groupKeysForVSUpdate(old as VSObj, vs as VSObj), // only what the group reads (vswatch.ts)
      },
    ],
    reconcile: (ref, rc) => reconcileGroup(ctx, idleSince, pending, serverGroups, ref, rc),
  });
}

async function reconcileGroup(ctx: OperatorContext, idleSince: Map<string, string>, pending: Map<string, Set<string>>, serverGroups: ServerGroupMemory, ref: ObjectRef, rc: ReconcileContext): Promise<ReconcileResult> {
  let group = ctx.informers.groups.store.get(rc.key);
  if (group === undefined || !ctx.watches(ref.namespace)) return {};
  const ses = ctx.informers.serviceEngines.store.byIndex(INDEX.seByGroup, rc.key);

  if (group.metadata.deletionTimestamp !== undefined) {
    if (!(group.metadata.finalizers ?? []).includes(GROUP_FINALIZER)) return {};
    // Delete every SE of the group; their finalizers tear the VMs down. Done when all are gone.
    for (const se of ses) if (se.metadata.deletionTimestamp === undefined) await deleteSE(ctx, se, rc.signal);
    if (ses.length > 0) return { requeueAfterMs: 2_000 };
    const sg = await syncServerGroup(ctx, serverGroups, group, ses, ref, rc); // its Nova server group, last
    if (sg.requeueAfterMs !== undefined) return { requeueAfterMs: sg.requeueAfterMs };
    await removeFinalizer(ctx.client, GROUP, group, GROUP_FINALIZER, rc.signal);
    return {};
  }
  group = (await addFinalizer<GroupObj>(ctx.client, GROUP, group, GROUP_FINALIZER, rc.signal)) ?? group;
  // spec.antiAffinity: the Nova server group its SEs boot in (status.serverGroupUUID).
  const sg = await syncServerGroup(ctx, serverGroups, group, ses, ref, rc);
  group = sg.group;
  await syncStandbyPreferences(ctx, group, ses, rc); // haMode ActiveStandby: the SEs' local_preference (standby.ts)

  // Desired and observed.
  const now = ctx.clock.now();
  const g = group;
  const vss = ctx.informers.virtualServices.store.byIndex(INDEX.vsByGroup, rc.key);
  // Only placements a new SE could satisfy (demand.ts): a VS blocked on its VIP boots nothing.
  const demand = groupDemand(g, vss, ses);
  const members: GroupSE[] = ses.map((se) => {
    // Placed VSs are a subset of the SE's claims; an SE placed on before claims existed has none.
    const hostedVS = Math.max(claimsOf(se).size, ctx.informers.virtualServices.store.indexKeys(INDEX.vsBySE, objectKey(se)).length);
    const uid = se.metadata.uid ?? se.metadata.name;
    if (hostedVS > 0) idleSince.delete(uid);
    else if (!idleSince.has(uid)) idleSince.set(uid, now.toISOString());
    const since = hostedVS === 0 ? idleSince.get(uid) : undefined;
    return { name: se.metadata.name, createdAt: se.metadata.creationTimestamp ?? now.toISOString(), phase: sePhase(se).phase, hostedVS, ...(since !== undefined ? { idleSince: since } : {}) };
  });
  const expected = pending.get(rc.key) ?? new Set<string>();
  for (const se of ses) expected.delete(se.metadata.name);
  for (const name of expected) members.push({ name, createdAt: now.toISOString(), phase: 'Booting', hostedVS: 0 });

  // Heartbeat repairs pass the breaker and the in-flight cap (repairs.ts); held ones stay as they are.
  const gated = ctx.seChannel !== undefined ? gateMembers(ctx.seChannel.repair, ses, members) : undefined;
  const planned = gated?.members ?? members;
  const plan = planGroup(policyOf(group), planned, demand.requests, now, stranded(g, planned, demand));

  // Apply.
  const azs = group.spec.availabilityZones ?? [];
  const slots = freeSlots(group.metadata.name, policyOf(group).maxSEs, new Set([...ses.map((s) => s.metadata.name), ...expected]));
  let collided = false;
  const created: string[] = [];
  for (let i = 0; i < plan.create && i < slots.length; i++) {
    const az = azs.length > 0 ? azs[(ses.length + i) % azs.length] : undefined;
    const name = seName(group.metadata.name, slots[i] as number);
    try {
      await createSE(ctx, group, name, az, rc.signal);
    } catch (e) {
      // Another creator took the slot; our cache has not seen its SE yet. Plan again when it has.
      if (!isConflict(e)) throw e;
      rc.log.debug('service engine slot already taken', { se: name });
      collided = true;
      break;
    }
    expected.add(name);
    created.push(name);
  }
  if (expected.size > 0) pending.set(rc.key, expected);
  else pending.delete(rc.key);
  const retired: GroupPlan['retire'] = [];
  for (const r of plan.retire) {
    const se = ses.find((s) => s.metadata.name === r.name);
    if (se !== undefined) {
      rc.log.info('retiring service engine', { se: r.name, reason: r.reason });
      await deleteSE(ctx, se, rc.signal);
      retired.push(r);
    }
  }

  const size = members.filter((m) => m.phase !== 'Deleting').length;
  for (const e of scaleEvents(size, created, retired)) ctx.events.record(group, e.type, e.reason, e.note);

  // Report.
  const heldBefore = group.status?.conditions?.find((c) => c.type === 'RepairsHeld')?.status === 'True';
  const res = await updateStatus<GroupObj>(ctx.client, GROUP, ref, {
    current: group, signal: rc.signal,
    mutate: withKstatus<GroupObj>('ServiceEngineGroup', (o) => {
      const st = (o.status ??= {});
      summarizeGroup(st, o.metadata.generation ?? 0, planned, plan, now);
      if (gated !== undefined) reportRepairsHeld((st.conditions ??= []), gated.gate, o.metadata.generation ?? 0, now);
    }, () => now),
  });
  const heldNow = res.obj?.status?.conditions?.find((c) => c.type === 'RepairsHeld');
  if (!heldBefore && heldNow?.status === 'True' && res.obj !== undefined) ctx.events.record(res.obj, 'Warning', 'SERepairsHeld', heldNow.message);
  if (gated !== undefined && gated.gate.held.length > 0) rc.log.info('heartbeat repairs held', { held: gated.gate.held, breakerOpen: gated.gate.breakerOpen });
  if (collided) return { requeueAfterMs: 1_000 };
  const after = [plan.recheckAfterMs === undefined ? undefined : Math.max(1_000, plan.recheckAfterMs), sg.requeueAfterMs].filter((n): n is number => n !== undefined);
  if (after.length > 0) return { requeueAfterMs: Math.min(...after) };
  // No timer, no SE it waits to see created: converged (counted if nothing was written).
  return expected.size === 0 ? { converged: true } : {};
}

/** SEs a tight packing stranded placements for (see strandedSEs), from the SEs' claims. */
function stranded(g: GroupObj, members: readonly GroupSE[], demand: GroupDemand): number {
  const max = groupSpec(g).maxVSPerSE;
  const free = new Map(members.filter((m) => m.phase === 'Ready' || m.phase === 'Booting').map((m) => [m.name, Math.max(0, max - m.hostedVS)]));
  return strandedSEs(free, demand.wants, max);
}

/** Group status from its members and plan (pure). */
export function summarizeGroup(st: ServiceEngineGroupStatus, generation: number, members: readonly GroupSE[], plan: GroupPlan, now: Date): void {
  const present = members.filter((m) => m.phase !== 'Deleting');
  const ready = present.filter((m) => m.phase === 'Ready');
  st.observedGeneration = generation;
  st.seCount = present.length;
  st.readySECount = ready.length;
  st.idleSECount = ready.filter((m) => m.hostedVS === 0).length;
  st.conditions ??= [];
  const ok = ready.length >= plan.desired && plan.shortfall === 0;
  const message = plan.shortfall > 0
    ? `${plan.shortfall} more SE(s) needed than maxSEs allows`
    : `${ready.length}/${plan.desired} Service Engines ready`;
  setStatusCondition(st.conditions, {
    type: 'Ready', status: ok ? 'True' : 'False',
    reason: ok ? 'Ready' : plan.shortfall > 0 ? 'MaxSEsReached' : 'ScalingOut', message, observedGeneration: generation,
  }, now);
}

async function createSE(ctx: OperatorContext, g: GroupObj, name: string, availabilityZone: string | undefined, signal: AbortSignal): Promise<void> {
  const ns = g.metadata.namespace ?? '';
  const body = {
    apiVersion: SE_API_VERSION, kind: 'ServiceEngine',
    metadata: {
      name, namespace: ns,
      // The shard's labels too, or the SE would fall outside the group's shard (never seen, recreated).
      labels: { ...shardLabels(ctx, g), 'lb.contrail-operator.io/se-group': g.metadata.name.slice(0, 63) },
      ownerReferences: [{ apiVersion: SE_API_VERSION, kind: 'ServiceEngineGroup', name: g.metadata.name, uid: g.metadata.uid, controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      cloudRef: g.spec.cloudRef, seGroupRef: g.metadata.name,
      ...(g.spec.flavor !== undefined ? { flavor: g.spec.flavor } : {}),
      ...(g.spec.image !== undefined ? { image: g.spec.image } : {}),
      ...(availabilityZone !== undefined ? { availabilityZone } : {}),
    },
  };
  await ctx.client.create(collectionPath(SE, ns), body, { signal });
}

/** The group's labels for the keys --watch-label-selector reads (none unsharded). */
function shardLabels(ctx: OperatorContext, g: GroupObj): Record<string, string> {
  const sel = ctx.config.watchLabelSelector;
  return sel === undefined ? {} : selectedLabels(parseLabelSelector(sel), g.metadata.labels);
}

const SE_API_VERSION = `${SE.group}/${SE.version}`;

async function deleteSE(ctx: OperatorContext, se: SEObj, signal: AbortSignal): Promise<void> {
  try {
    await ctx.client.delete(objectPath(SE, { namespace: se.metadata.namespace ?? '', name: se.metadata.name }), { signal });
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}
