// The ServiceEngine controller. A reconcile reads like its story, one function per step:
//   load desired  — the SE, its Cloud connection and project, the networks the VirtualServices
//                   placed on it need (their VIP networks and their pools' server networks);
//   observe       — the CloudView, by owner uid (adoption after a crash comes for free);
//   plan          — planServiceEngine (pure), re-planned after each applied step so one
//                   reconcile goes port → boot without waiting for a list;
//   apply         — through the clients (apply.ts), write-through to the view;
//   report        — status patched only when it changed; events SECreated, SECreationFailure,
//                   VNICAdded, VNICAdditionFailure; then when to look again.
// What it remembers between reconciles (backoff, waits for a fresh list) is in memory.ts.
// Waiting for ACTIVE is observation, not a loop: the view is asked to refresh soon and the SE is
// requeued; the view's change callback wakes it earlier. Steady state makes no cloud call.
import { findCondition, isTrue, type ServiceEngineGroup } from '../../api/index.js';
import { isCloudError, KIND, type Owner } from '../../cloud/index.js';
import {
  addFinalizer, objectKey, removeFinalizer, specOrMetadataChanged, updateStatus,
  type ObjectRef, type ReconcileContext, type ReconcileResult,
} from '../../runtime/index.js';
import {
  bootstrapUserData, cloudBootstrap, cloudResyncMs, INDEX, resourceOf, sePhase, SE_REASON, withKstatus,
  type CloudConnection, type OperatorContext, type SEChannel, type SEObj,
} from '../model/index.js';
import { applyAction, faultOf, messageOf, userData, type ApplyEnv, type SEBootstrapping } from './apply.js';
import { seDemand, type SEDemand } from './demand.js';
import { CREATES, REMOVALS, SEMemory } from './memory.js';
import { seMetrics } from './metrics.js';
import { observeSE, toObservation, type SESeen } from './observe.js';
import { planServiceEngine, type SEAction, type SEDesire, type SEPlan } from './plan.js';
import { serverGroupGate } from './servergroup.js';
import { summarizeSE, type AgentView, type SEReport } from './status.js';
import { repairEvents, repairRecheckMs, repairStep, syncHealthCheck, type PeerSE } from './repair.js';

export const SE_FINALIZER = 'lb.contrail-operator.io/service-engine';
const SE = resourceOf('ServiceEngine');
/** How often a booting or deleting SE asks the view for a fresh list (the view caps it at 1/s). */
const OBSERVE_MS = 1_000;
const MAX_STEPS = 12;

export function installServiceEngineController(ctx: OperatorContext): void {
  const mem = new SEMemory(seMetrics(ctx.manager.registry), () => ctx.clock.now().getTime());
  const inf = ctx.informers;
  const seKeysOfVS = (vs: { metadata: { namespace?: string }; status?: { serviceEngines?: { name?: string }[] } }): string[] =>
    (vs.status?.serviceEngines ?? []).flatMap((s) => (s.name === undefined ? [] : [`${vs.metadata.namespace ?? ''}/${s.name}`]));
  const controller = ctx.manager.controller<SEObj>({
    name: 'serviceengine',
    informer: inf.serviceEngines,
    workers: ctx.config.workers,
    shouldEnqueueUpdate: specOrMetadataChanged,
    watches: [
      { informer: inf.virtualServices, map: (vs) => seKeysOfVS(vs as never) },
      // A group's new server group releases its SEs waiting to boot in it (servergroup.ts).
      { informer: inf.groups, map: (g) => inf.serviceEngines.store.byIndex(INDEX.seByGroup, objectKey(g)).filter((se) => se.status?.serverUUID === undefined).map(objectKey) },
      {
        informer: inf.pools,
        map: (pool) => inf.virtualServices.store.byIndex(INDEX.vsByPool, objectKey(pool)).flatMap((vs) => seKeysOfVS(vs)),
      },
    ],
    reconcile: (ref, rc) => reconcileSE(ctx, mem, ref, rc),
  });
  // Connected flips and applied-version changes are status changes; plain heartbeats are not.
  ctx.seChannel?.agents.onChange((c) => {
    if (c.type !== 'member') controller.enqueue(c.seKey);
  });
  ctx.connections.onChange((cloud) => {
    for (const k of inf.serviceEngines.store.indexKeys(INDEX.seByCloud, cloud)) controller.enqueue(k);
  });
  ctx.connections.onViewChange((_cloud, changes) => {
    for (const c of changes) {
      if (c.owner?.kind === 'ServiceEngine' && c.owner.clusterID === ctx.clusterID) controller.enqueue(`${c.owner.namespace}/${c.owner.name}`);
    }
  });
}

/** The registry's record of the SE's agent, as the status reports it. */
function agentView(ch: SEChannel, seKey: string): AgentView {
  const rec = ch.agents.get(seKey);
  const connectivity = ch.agents.state(seKey);
  if (rec === undefined) return { connectivity };
  return {
    connectivity, version: rec.agentVersion, configVersion: rec.applied.version, lastHeartbeatAt: rec.lastHeartbeatAt,
    ...(rec.applied.rejected !== undefined ? { rejected: { version: rec.applied.rejected.version, error: rec.applied.rejected.error } } : {}),
  };
}

/** The data networks an SE needs and the VIPs it hosts: the VSs whose status lists it, and those it still drains (seDemand). */
export function demandOf(ctx: OperatorContext, se: SEObj): SEDemand {
  const ns = se.metadata.namespace ?? '';
  const hosting = ctx.informers.virtualServices.store.byIndex(INDEX.vsBySE, objectKey(se));
  const draining = [...ctx.seChannel?.drains?.onSE(objectKey(se)) ?? []]
    .filter((name) => !hosting.some((x) => x.metadata.name === name))
    .flatMap((name) => ctx.informers.virtualServices.store.get(`${ns}/${name}`) ?? []);
  return seDemand(hosting, draining, (vs) => ctx.informers.pools.store.get(`${ns}/${vs.spec.poolRef}`));
}

/** Everything one reconcile works from, once the SE is known observable. */
interface Desired {
  se: SEObj;
  ref: ObjectRef;
  uid: string;
  conn: CloudConnection;
  want: SEDesire;
  env: ApplyEnv;
  /** The report being built; its seen/plan are filled in by the steps. */
  report: SEReport;
}

/** What observe → plan → apply left behind. */
interface Run {
  seen: SESeen;
  plan: SEPlan;
  backoffMs: number | undefined;
  awaitingList: boolean;
  wrote: boolean;
  tornDown: boolean;
}

async function reconcileSE(ctx: OperatorContext, mem: SEMemory, ref: ObjectRef, rc: ReconcileContext): Promise<ReconcileResult> {
  const cached = ctx.informers.serviceEngines.store.get(rc.key);
  if (cached === undefined || !ctx.watches(cached.metadata.namespace)) return {};
  const deleting = cached.metadata.deletionTimestamp !== undefined;
  if (deleting && !(cached.metadata.finalizers ?? []).includes(SE_FINALIZER)) {
    mem.forget(cached.metadata.uid ?? '');
    return {};
  }
  const d = await loadDesired(ctx, mem, cached, ref, rc);       // 1. desired
  if ('requeue' in d) return d.requeue;
  const run = await converge(ctx, mem, d, rc);                   // 2-4. observe → plan → apply
  if (run.tornDown) return {};
  const recheck = await judge(ctx, d, run, rc);                  // 4½. heartbeat repair (repair.ts)
  await report(ctx, mem, d, run, rc);                            // 5. report
  const next = nextLook(d.conn, run);
  // A heartbeat recheck of a converged SE is only a later look: it stays converged.
  return recheck === undefined || (next.requeueAfterMs !== undefined && next.requeueAfterMs <= recheck) ? next : { ...next, requeueAfterMs: recheck };
}

/** A Ready SE with the SE API on: its data-path check kept in place and its agent judged. */
async function judge(ctx: OperatorContext, d: Desired, run: Run, rc: ReconcileContext): Promise<number | undefined> {
  const ch = ctx.seChannel;
  if (ch === undefined || d.want.deleting || run.plan.phase !== 'Ready' || d.report.agent === undefined) return undefined;
  const booted = findCondition(d.se.status?.conditions, 'Booted');
  const history = {
    bootedAt: booted?.status === 'True' ? Date.parse(booted.lastTransitionTime) : undefined,
    heardBefore: d.se.status?.agent?.lastHeartbeatTime !== undefined,
    declaredFailed: isTrue(d.se.status?.conditions, 'HeartbeatFailure'),
  };
  // Plain Neutron's witnesses are picked among the namespace's other SEs (read only while silent).
  const peers = (): PeerSE[] => ctx.informers.serviceEngines.store.list()
    .filter((o) => o.metadata.namespace === d.se.metadata.namespace && o.metadata.deletionTimestamp === undefined)
    .map((o) => ({ key: `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`, networks: ((o as SEObj).status?.dataInterfaces ?? []).flatMap((x) => (x.networkUUID !== undefined ? [x.networkUUID] : [])) }));
  const { verdict, wrote } = await repairStep(ch, d.conn, d.env.owner, rc.key, run.seen, history, ctx.clock.now().getTime(), peers);
  if (wrote) run.wrote = true;
  d.report.agent.repair = { verdict, policy: ch.repair };
  return repairRecheckMs(ch.repair, verdict);
}

/**
 * Desired: the Cloud connection, the project this namespace may use, the networks the VSs placed
 * on the SE need, and how to boot it. An SE that cannot be worked on now says why (status) and
 * when to look again.
 */
async function loadDesired(ctx: OperatorContext, mem: SEMemory, cached: SEObj, ref: ObjectRef, rc: ReconcileContext): Promise<Desired | { requeue: ReconcileResult }> {
  const uid = cached.metadata.uid ?? '';
  const deleting = cached.metadata.deletionTimestamp !== undefined;
  const demand = demandOf(ctx, cached);
  const health = sePhase(cached);
  const report: SEReport = {
    generation: cached.metadata.generation ?? 0, seen: undefined, plan: undefined, wasActive: health.wasActive, now: ctx.clock.now(),
    hostedVIPs: demand.vips, virtualServices: demand.virtualServices, bootFault: mem.fault(uid), blocked: undefined,
    ...(ctx.seChannel !== undefined ? { agent: agentView(ctx.seChannel, rc.key) } : {}),
  };
  const conn = ctx.connections.get(cached.spec.cloudRef);
  if (conn === undefined || !conn.ready || conn.resolved === undefined) {
    // The SE is unobservable, not known broken: a Ready SE keeps its status (and its place in
    // ECMP sets) rather than flapping on a credentials rotation or a Keystone hiccup.
    report.blocked = { reason: SE_REASON.CloudNotReady, message: `Cloud ${cached.spec.cloudRef} is not Ready` };
    if (!isTrue(cached.status?.conditions, 'Ready')) await writeStatus(ctx, mem, cached, ref, report, rc);
    return { requeue: { requeueAfterMs: 10_000 } };
  }
  const project = conn.projectFor(ref.namespace ?? '') ?? (deleting ? conn.cloud.adminProject : undefined);
  if (project === undefined) {
    report.blocked = { reason: SE_REASON.TenantNotAllowed, message: `namespace ${ref.namespace ?? ''} is not mapped to a project in Cloud ${conn.name}'s spec.tenants` };
    await writeStatus(ctx, mem, cached, ref, report, rc);
    return { requeue: {} }; // a Cloud change wakes it
  }
  const se = deleting ? cached : (await addFinalizer<SEObj>(ctx.client, SE, cached, SE_FINALIZER, rc.signal)) ?? cached;
  if (!conn.view.synced) return { requeue: { requeueAfterMs: 500 } };
  const group = ctx.informers.groups.store.get(`${ref.namespace ?? ''}/${se.spec.seGroupRef}`) as ServiceEngineGroup | undefined;
  const sg = serverGroupGate(group);
  if (!sg.go && !deleting && observeSE(conn.view, conn.mode, uid).servers.length === 0) {
    report.blocked = { reason: SE_REASON.ServerGroupPending, message: sg.message };
    await writeStatus(ctx, mem, se, ref, report, rc);
    // The group's status change wakes it, but the group may have recorded its server group a
    // moment before this SE reached the cache (no wake then): look again soon; it costs no call.
    return { requeue: { requeueAfterMs: 2_000 } };
  }
  const want: SEDesire = { deleting, neededNetworks: demand.networks, wasActive: health.wasActive };
  return { se, ref, uid, conn, want, env: applyEnv(ctx, mem, se, ref, conn, project), report };
}

function applyEnv(ctx: OperatorContext, mem: SEMemory, se: SEObj, ref: ObjectRef, conn: CloudConnection, project: ApplyEnv['project']): ApplyEnv {
  const group = ctx.informers.groups.store.get(`${ref.namespace ?? ''}/${se.spec.seGroupRef}`) as ServiceEngineGroup | undefined;
  const sg = serverGroupGate(group);
  const owner: Owner = { clusterID: ctx.clusterID, kind: 'ServiceEngine', namespace: ref.namespace ?? '', name: ref.name, uid: se.metadata.uid ?? '' };
  const ch = ctx.seChannel;
  const seRef = { namespace: ref.namespace ?? '', name: ref.name, uid: se.metadata.uid ?? '' };
  const bootstrap: SEBootstrapping | undefined = ch === undefined ? undefined : {
    mint: () => ch.tokens.mintBootstrapToken(seRef),
    userData: (token) => bootstrapUserData(ch, seRef, token),
    bind: (serverID) => ch.tokens.bindBootstrapToken(seRef, serverID),
  };
  return {
    conn, project, owner, se, events: ctx.events, now: () => ctx.clock.now(),
    boot: {
      // An SE/group override is a name or an id; resolved only when a boot needs it.
      refs: () => mem.bootRefs.resolve(conn, conn.cloud.keystone.session(project), { image: se.spec.image ?? group?.spec.image, flavor: se.spec.flavor ?? group?.spec.flavor }),
      // The token travels only on the config drive (user_data), never through Nova metadata.
      configDrive: ch !== undefined || cloudBootstrap(conn.spec) === 'ConfigDrive',
      userData: userData({ seName: ref.name, namespace: ref.namespace ?? '', cloud: conn.name, clusterID: ctx.clusterID }),
      ...(bootstrap !== undefined ? { bootstrap } : {}),
      ...(se.spec.availabilityZone !== undefined ? { availabilityZone: se.spec.availabilityZone } : {}),
      ...(sg.go && sg.hint !== undefined ? { serverGroup: sg.hint } : {}),
    },
  };
}

/** Observe → plan → apply, re-planning after each step, until nothing is left to do now. */
async function converge(ctx: OperatorContext, mem: SEMemory, d: Desired, rc: ReconcileContext): Promise<Run> {
  const observe = (): { seen: SESeen; plan: SEPlan } => {
    const seen = observeSE(d.conn.view, d.conn.mode, d.uid);
    return { seen, plan: planServiceEngine(d.want, toObservation(seen)) };
  };
  let { seen, plan } = observe();
  const run: Run = { seen, plan, backoffMs: undefined, awaitingList: false, wrote: false, tornDown: false };
  try {
    for (let step = 0; step < MAX_STEPS; step++) {
      const actions: SEAction[] = [...duplicates(seen), ...plan.actions];
      if (actions.length === 0) break;
      const progressed = await applyStep(ctx, mem, d, actions, run, rc);
      if (run.tornDown || !progressed) break;
      ({ seen, plan } = observe());
    }
  } catch (e) {
    if (isCloudError(e) && plan.phase === 'Booting' && !d.want.deleting && seen.servers.length === 0 && seen.mgmt !== undefined) {
      // The boot request itself was refused (quota, image, scheduling): same story as a fault.
      recordBootFailure(ctx, mem, d, messageOf(e));
    }
    ({ seen: d.report.seen, plan: d.report.plan } = observe());
    await writeStatus(ctx, mem, d.se, d.ref, d.report, rc).catch(() => undefined);
    throw e;
  }
  return { ...run, seen, plan };
}

/** Applies the actions that may go now; says whether any did. */
async function applyStep(ctx: OperatorContext, mem: SEMemory, d: Desired, actions: readonly SEAction[], run: Run, rc: ReconcileContext): Promise<boolean> {
  let progressed = false;
  for (const a of actions) {
    if (a.kind === 'RemoveFinalizer') {
      // The data-path check goes last: its VMIs are gone, so nothing refers to it any more.
      await syncHealthCheck(d.conn, d.env.owner, undefined, false);
      await removeFinalizer(ctx.client, SE, d.se, SE_FINALIZER, rc.signal);
      mem.booted(d.uid);
      rc.log.info('service engine torn down');
      mem.metrics.partitioned.remove({ namespace: d.ref.namespace ?? '', serviceengine: d.ref.name });
      run.tornDown = true;
      return true;
    }
    const gate = mem.gate(d.uid, a, d.conn.view, d.want.deleting);
    if (!gate.go) {
      if ('backoffMs' in gate) run.backoffMs = gate.backoffMs;
      else run.awaitingList = true;
      continue;
    }
    if (a.kind === 'DeleteFailedBoot') recordBootFailure(ctx, mem, d, a.faultMissing === true ? await faultOf(d.env, a.serverUUID, a.fault) : a.fault);
    rc.log.debug('applying', { action: a.kind });
    mem.sending(d.uid, a);
    try {
      await applyAction(d.env, a);
    } catch (e) {
      if (CREATES.has(a.kind) && outcomeUnknown(e)) mem.uncertain(d.uid, d.conn.view);
      throw e;
    }
    progressed = true;
    run.wrote = true;
  }
  return progressed;
}

/** Report: what the cloud shows and what is being done, patched only when it changed. */
async function report(ctx: OperatorContext, mem: SEMemory, d: Desired, run: Run, rc: ReconcileContext): Promise<void> {
  if (run.plan.phase === 'Ready' && run.seen.servers.length > 0) mem.booted(d.uid);
  if (!run.awaitingList && !run.plan.actions.some((a) => REMOVALS.has(a.kind))) mem.removalsSettled(d.uid);
  d.report.seen = run.seen;
  d.report.plan = run.plan;
  d.report.bootFault = mem.fault(d.uid);
  await writeStatus(ctx, mem, d.se, d.ref, d.report, rc);
}

async function writeStatus(ctx: OperatorContext, mem: SEMemory, se: SEObj, ref: ObjectRef, r: SEReport, rc: ReconcileContext): Promise<void> {
  const before = isTrue(se.status?.conditions, 'Booted');
  const beforeConds = structuredClone(se.status?.conditions);
  const res = await updateStatus<SEObj>(ctx.client, SE, ref, { current: se, mutate: withKstatus<SEObj>('ServiceEngine', (o) => summarizeSE((o.status ??= {}), r), () => r.now), signal: rc.signal });
  if (res.obj !== undefined) {
    for (const ev of repairEvents(ref.name, beforeConds, res.obj.status?.conditions)) ctx.events.record(res.obj, ev.type, ev.reason, ev.message);
    mem.metrics.partitioned.set({ namespace: ref.namespace ?? '', serviceengine: ref.name }, isTrue(res.obj.status?.conditions, 'Partitioned') ? 1 : 0);
  }
  if (res.obj !== undefined && !before && isTrue(res.obj.status?.conditions, 'Booted')) {
    mem.observeBoot(se.metadata.uid ?? '', se.spec.cloudRef);
    ctx.events.record(res.obj, 'Normal', 'SECreated', `Service Engine ${ref.name} is ACTIVE (server ${res.obj.status?.serverUUID ?? ''})`);
  }
}

/** When to look again: our writes are confirmed (and what they changed read) on a list soon. */
function nextLook(conn: CloudConnection, run: Run): ReconcileResult {
  if (run.wrote) conn.view.invalidate(KIND.server);
  if (run.backoffMs !== undefined) return { requeueAfterMs: run.backoffMs };
  const { plan, seen } = run;
  if (plan.phase === 'Ready' && plan.waiting && plan.actions.length === 0 && !run.awaitingList) {
    // Only waiting for a VirtualService to drop its reference to a vNIC: that shows up as a
    // change of the vNIC on the view's own period (which wakes us); no need to poll the cloud.
    return { requeueAfterMs: cloudResyncMs(conn.spec) };
  }
  if (plan.waiting || plan.actions.length > 0 || run.awaitingList) {
    // Something only observation will show done (a boot, a delete, a fresh list before a
    // removal): have the view list again soon.
    const server = seen.servers[0];
    if (server !== undefined) conn.view.invalidate(KIND.server, server.id);
    else conn.view.invalidate(KIND.server);
    return { requeueAfterMs: OBSERVE_MS };
  }
  // Nothing to do and nothing to wait for (lbop_reconcile_converged_total, if nothing was written).
  return { converged: true };
}

/** A failed write that may still have happened: no HTTP answer, or a server-side error. */
function outcomeUnknown(e: unknown): boolean {
  if (!isCloudError(e)) return true;
  return e.kind === 'Unavailable' && (e.status === undefined || e.status >= 500);
}

/** Extra servers or management ports (a duplicate boot): delete all but the adopted one. */
function duplicates(seen: SESeen): SEAction[] {
  const out: SEAction[] = seen.servers.slice(1).map((s) => ({ kind: 'DeleteServer', serverUUID: s.id }) as SEAction);
  for (const p of seen.extraMgmt) if (p.attachedTo === undefined) out.push({ kind: 'DeleteManagementPort', portUUID: p.uuid });
  return out;
}

function recordBootFailure(ctx: OperatorContext, mem: SEMemory, d: Desired, fault: string): void {
  const delay = mem.bootFailed(d.uid, d.se.spec.cloudRef, fault);
  d.report.bootFault = fault;
  ctx.events.record(d.se, 'Warning', 'SECreationFailure', `boot of Service Engine ${d.se.metadata.name} failed: ${fault}; retrying in ${Math.round(delay / 1000)} s`);
}
