// The ServiceEngine controller. A reconcile reads like its story:
//   load desired  — the SE, its Cloud connection and project, the networks the VirtualServices
//                   placed on it need (their VIP networks and their pools' server networks);
//   observe       — the CloudView, by owner uid (adoption after a crash comes for free);
//   plan          — planServiceEngine (pure), re-planned after each applied step so one
//                   reconcile goes port → boot without waiting for a list;
//   apply         — through the clients (apply.ts), write-through to the view;
//   report        — status patched only when it changed; events SECreated, SECreationFailure,
//                   VNICAdded, VNICAdditionFailure.
// Waiting for ACTIVE is observation, not a loop: the view is asked to refresh soon and the SE is
// requeued; the view's change callback wakes it earlier. Steady state makes no cloud call.
import { isTrue, type ServiceEngineGroup } from '../../api/index.js';
import { isCloudError, KIND, type Owner } from '../../cloud/index.js';
import {
  addFinalizer, objectKey, removeFinalizer, specOrMetadataChanged, updateStatus,
  type ObjectRef, type ReconcileContext, type ReconcileResult,
} from '../../runtime/index.js';
import { INDEX, resourceOf, type OperatorContext, type SEObj } from '../operator.js';
import { applyAction, messageOf, userData, type ApplyEnv } from './apply.js';
import { observeSE, toObservation, type SESeen } from './observe.js';
import { planServiceEngine, type SEAction, type SEPlan } from './plan.js';
import { seMetrics, type SEMetrics } from './metrics.js';
import { summarizeSE, wasActive, type HostedVIP, type SEReport } from './status.js';

export const SE_FINALIZER = 'lb.contrail-operator.io/service-engine';
const SE = resourceOf('ServiceEngine');
/** How often a booting or deleting SE asks the view for a fresh list (the view caps it at 1/s). */
const OBSERVE_MS = 1_000;
const MAX_STEPS = 12;
const BOOT_BACKOFF_MS = 2_000;
const BOOT_BACKOFF_MAX_MS = 300_000;

interface BootFailures { count: number; retryAt: number; fault: string }

/**
 * A data vNIC is removed only on an observation listed AFTER it was found unneeded: a VIP
 * instance-ip or floating IP made a moment ago (not yet in the view) must keep it. Until then
 * the removal waits for one more list; the generation at the first decision is kept per SE.
 */
const REMOVALS = new Set<SEAction['kind']>(['DetachDataPort', 'DeleteDataPort']);
/**
 * Likewise a create whose outcome is unknown (a timeout, a 5xx: the object may exist) is not
 * sent again before a list taken after it: that list shows the object (adopted) or its absence.
 */
const CREATES = new Set<SEAction['kind']>(['CreateManagementPort', 'BootServer', 'CreateDataPort']);

/** What the controller remembers per SE (by uid) between reconciles; losing it is safe. */
interface Memory {
  metrics: SEMetrics;
  /** When the current boot request was sent (for the boot-time histogram). */
  bootSentAt: Map<string, number>;
  failures: Map<string, BootFailures>;
  removalsSince: Map<string, number>;
  uncertainSince: Map<string, number>;
}

export function installServiceEngineController(ctx: OperatorContext): void {
  const mem: Memory = {
    metrics: seMetrics(ctx.manager.registry), bootSentAt: new Map(), failures: new Map(), removalsSince: new Map(), uncertainSince: new Map(),
  };
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
      {
        informer: inf.pools,
        map: (pool) => inf.virtualServices.store.byIndex(INDEX.vsByPool, objectKey(pool)).flatMap((vs) => seKeysOfVS(vs)),
      },
    ],
    reconcile: (ref, rc) => reconcileSE(ctx, mem, ref, rc),
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

/** The data networks an SE needs, and the VIPs it hosts, from the VSs whose status lists it. */
export function demandOf(ctx: OperatorContext, se: SEObj): { networks: string[]; vips: HostedVIP[]; virtualServices: string[] } {
  const ns = se.metadata.namespace ?? '';
  const networks = new Set<string>();
  const vips: HostedVIP[] = [];
  const names: string[] = [];
  for (const vs of ctx.informers.virtualServices.store.byIndex(INDEX.vsBySE, objectKey(se))) {
    names.push(vs.metadata.name);
    for (const v of vs.status?.vip ?? []) {
      if (v.networkRef !== undefined && v.networkRef !== '') networks.add(v.networkRef);
      if (v.vipID !== undefined) vips.push({ virtualService: vs.metadata.name, vipID: v.vipID, ...(v.ipAddress !== undefined ? { ipAddress: v.ipAddress } : {}) });
    }
    const pool = ctx.informers.pools.store.get(`${ns}/${vs.spec.poolRef}`);
    for (const s of pool?.status?.servers ?? []) if (s.networkUUID !== undefined && s.networkUUID !== '') networks.add(s.networkUUID);
  }
  vips.sort((a, b) => a.virtualService.localeCompare(b.virtualService) || a.vipID.localeCompare(b.vipID));
  return { networks: [...networks].sort(), vips, virtualServices: names.sort() };
}

async function reconcileSE(ctx: OperatorContext, mem: Memory, ref: ObjectRef, rc: ReconcileContext): Promise<ReconcileResult> {
  const { failures, removalsSince, uncertainSince } = mem;
  let se = ctx.informers.serviceEngines.store.get(rc.key);
  if (se === undefined || !ctx.watches(se.metadata.namespace)) return {};
  const uid = se.metadata.uid ?? '';
  const deleting = se.metadata.deletionTimestamp !== undefined;
  if (deleting && !(se.metadata.finalizers ?? []).includes(SE_FINALIZER)) {
    failures.delete(uid);
    removalsSince.delete(uid);
    uncertainSince.delete(uid);
    mem.bootSentAt.delete(uid);
    return {};
  }
  const demand = demandOf(ctx, se);
  const report: SEReport = {
    generation: se.metadata.generation ?? 0, seen: undefined, plan: undefined, wasActive: wasActive(se.status?.conditions),
    hostedVIPs: demand.vips, virtualServices: demand.virtualServices, bootFault: failures.get(uid)?.fault, blocked: undefined,
  };
  const write = async (): Promise<void> => {
    const before = isTrue(se?.status?.conditions, 'Booted');
    const res = await updateStatus<SEObj>(ctx.client, SE, ref, { current: se as SEObj, mutate: (o) => summarizeSE((o.status ??= {}), report), signal: rc.signal });
    if (res.obj !== undefined && !before && isTrue(res.obj.status?.conditions, 'Booted')) {
      const sent = mem.bootSentAt.get(uid);
      if (sent !== undefined) mem.metrics.bootSeconds.observe({ cloud: se?.spec.cloudRef ?? '' }, (Date.now() - sent) / 1000);
      mem.bootSentAt.delete(uid);
      ctx.events.record(res.obj, 'Normal', 'SECreated', `Service Engine ${ref.name} is ACTIVE (server ${res.obj.status?.serverUUID ?? ''})`);
    }
  };

  // Desired: the cloud connection and the project this namespace may use.
  const conn = ctx.connections.get(se.spec.cloudRef);
  if (conn === undefined || !conn.ready || conn.resolved === undefined) {
    // The SE is unobservable, not known broken: a Ready SE keeps its status (and its place in
    // ECMP sets) rather than flapping on a credentials rotation or a Keystone hiccup.
    report.blocked = { reason: 'CloudNotReady', message: `Cloud ${se.spec.cloudRef} is not Ready` };
    if (!isTrue(se.status?.conditions, 'Ready')) await write();
    return { requeueAfterMs: 10_000 };
  }
  const project = conn.projectFor(ref.namespace ?? '') ?? (deleting ? conn.cloud.adminProject : undefined);
  if (project === undefined) {
    report.blocked = { reason: 'TenantNotAllowed', message: `namespace ${ref.namespace ?? ''} is not mapped to a project in Cloud ${conn.name}'s spec.tenants` };
    await write();
    return {}; // a Cloud change wakes it
  }
  if (!deleting) {
    se = (await addFinalizer<SEObj>(ctx.client, SE, se, SE_FINALIZER, rc.signal)) ?? se;
  }
  if (!conn.view.synced) return { requeueAfterMs: 500 };

  const group = ctx.informers.groups.store.get(`${ref.namespace ?? ''}/${se.spec.seGroupRef}`) as ServiceEngineGroup | undefined;
  const owner: Owner = { clusterID: ctx.clusterID, kind: 'ServiceEngine', namespace: ref.namespace ?? '', name: ref.name, uid };
  const env: ApplyEnv = {
    conn, project, owner, se, events: ctx.events,
    boot: {
      imageRef: imageFor(se, group, conn.spec.serviceEngine.image, conn.resolved.imageUUID),
      flavorRef: flavorFor(se, group, conn.spec.serviceEngine.flavor, conn.resolved.flavorID),
      configDrive: (conn.spec.serviceEngine.bootstrap ?? 'ConfigDrive') === 'ConfigDrive',
      userData: userData({ seName: ref.name, namespace: ref.namespace ?? '', cloud: conn.name, clusterID: ctx.clusterID }),
      ...(se.spec.availabilityZone !== undefined ? { availabilityZone: se.spec.availabilityZone } : {}),
    },
  };

  // Observe → plan → apply, until nothing is left to do now.
  let seen: SESeen = observeSE(conn.view, conn.mode, uid);
  let plan: SEPlan = planServiceEngine({ deleting, neededNetworks: demand.networks, wasActive: report.wasActive }, toObservation(seen));
  let backoffMs: number | undefined;
  let awaitingList = false;
  let wrote = false;
  try {
    for (let step = 0; step < MAX_STEPS; step++) {
      const extras = duplicates(seen);
      const actions: SEAction[] = [...extras, ...plan.actions];
      if (actions.length === 0) break;
      let progressed = false;
      for (const a of actions) {
        if (a.kind === 'RemoveFinalizer') {
          await removeFinalizer(ctx.client, SE, se, SE_FINALIZER, rc.signal);
          failures.delete(uid);
          rc.log.info('service engine torn down');
          return {};
        }
        if (a.kind === 'BootServer') {
          const f = failures.get(uid);
          if (f !== undefined && Date.now() < f.retryAt) {
            backoffMs = f.retryAt - Date.now();
            continue;
          }
        }
        if (!deleting && REMOVALS.has(a.kind)) {
          const since = removalsSince.get(uid) ?? conn.view.generation;
          removalsSince.set(uid, since);
          if (!conn.view.listedSince(since)) {
            awaitingList = true;
            continue;
          }
        }
        if (CREATES.has(a.kind)) {
          const since = uncertainSince.get(uid);
          if (since !== undefined && !conn.view.listedSince(since)) {
            awaitingList = true;
            continue;
          }
          uncertainSince.delete(uid);
        }
        if (a.kind === 'DeleteFailedBoot') recordBootFailure(ctx, mem, se, uid, a.fault, report);
        rc.log.debug('applying', { action: a.kind });
        try {
          if (a.kind === 'BootServer') mem.bootSentAt.set(uid, Date.now());
          await applyAction(env, a);
        } catch (e) {
          if (CREATES.has(a.kind) && outcomeUnknown(e)) uncertainSince.set(uid, conn.view.generation);
          throw e;
        }
        progressed = true;
        wrote = true;
      }
      if (!progressed) break;
      seen = observeSE(conn.view, conn.mode, uid);
      plan = planServiceEngine({ deleting, neededNetworks: demand.networks, wasActive: report.wasActive }, toObservation(seen));
    }
  } catch (e) {
    if (isCloudError(e) && plan.phase === 'Booting' && !deleting && seen.servers.length === 0 && seen.mgmt !== undefined) {
      // The boot request itself was refused (quota, image, scheduling): same story as a fault.
      recordBootFailure(ctx, mem, se, uid, messageOf(e), report);
    }
    report.seen = observeSE(conn.view, conn.mode, uid);
    report.plan = planServiceEngine({ deleting, neededNetworks: demand.networks, wasActive: report.wasActive }, toObservation(report.seen));
    await write().catch(() => undefined);
    throw e;
  }
  if (plan.phase === 'Ready' && seen.servers.length > 0) failures.delete(uid);
  if (!awaitingList && !plan.actions.some((a) => REMOVALS.has(a.kind))) removalsSince.delete(uid);
  report.seen = seen;
  report.plan = plan;
  report.bootFault = failures.get(uid)?.fault;
  await write();

  // Our writes are confirmed (and what they changed, e.g. a vNIC's address, read) on a list soon;
  // its change callback wakes this SE again.
  if (wrote) conn.view.invalidate(KIND.server);
  if (backoffMs !== undefined) return { requeueAfterMs: backoffMs };
  if (plan.phase === 'Ready' && plan.waiting && plan.actions.length === 0 && !awaitingList) {
    // Only waiting for a VirtualService to drop its reference to a vNIC: that shows up as a
    // change of the vNIC on the view's own period (which wakes us); no need to poll the cloud.
    return { requeueAfterMs: (conn.spec.resyncPeriodSeconds ?? 30) * 1000 };
  }
  if (plan.waiting || plan.actions.length > 0 || awaitingList) {
    // Something only observation will show done (a boot, a delete, a fresh list before a
    // removal): have the view list again soon.
    const server = seen.servers[0];
    if (server !== undefined) conn.view.invalidate(KIND.server, server.id);
    else conn.view.invalidate(KIND.server);
    return { requeueAfterMs: OBSERVE_MS };
  }
  return {};
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

function recordBootFailure(ctx: OperatorContext, mem: Memory, se: SEObj, uid: string, fault: string, report: SEReport): void {
  const failures = mem.failures;
  mem.metrics.bootFailures.inc({ cloud: se.spec.cloudRef });
  const prev = failures.get(uid);
  const count = (prev?.count ?? 0) + 1;
  const delay = Math.min(BOOT_BACKOFF_MAX_MS, BOOT_BACKOFF_MS * 2 ** (count - 1));
  failures.set(uid, { count, retryAt: Date.now() + delay, fault });
  report.bootFault = fault;
  ctx.events.record(se, 'Warning', 'SECreationFailure', `boot of Service Engine ${se.metadata.name} failed: ${fault}; retrying in ${Math.round(delay / 1000)} s`);
}

/** An SE/group override is a name or id; only the Cloud default was resolved to an id. */
function imageFor(se: SEObj, group: ServiceEngineGroup | undefined, cloudDefault: string, resolved: string): string {
  const want = se.spec.image ?? group?.spec.image;
  return want === undefined || want === cloudDefault ? resolved : want;
}

function flavorFor(se: SEObj, group: ServiceEngineGroup | undefined, cloudDefault: string, resolved: string): string {
  const want = se.spec.flavor ?? group?.spec.flavor;
  return want === undefined || want === cloudDefault ? resolved : want;
}
