// The VirtualService controller (DESIGN.md §2, §3.2–§3.4). A reconcile reads like its story:
// load the VS and what it references (Cloud connection, Pool, group, SEs) → observe the cloud
// through the CloudView → plan (VIPs, placement, ECMP refs: pure planners) → apply through the
// cloud clients → report status (patched only when changed) and events. Deletion tears the VIPs
// down in order (refs → floating IP → instance-ip → VIP port) and then drops the finalizer.
import { addFinalizer, removeFinalizer, updateStatus, type ReconcileContext, type ReconcileResult, type ObjectRef } from '../../runtime/index.js';
import { isCloudError } from '../../cloud/errors.js';
import { KIND } from '../../cloud/viewsources.js';
import type { Owner } from '../../cloud/owner.js';
import type { CloudConnection } from '../cloud/connections.js';
import { DEFAULT_GROUP, INDEX, resourceOf, type GroupObj, type OperatorContext, type SEObj, type VSObj } from '../operator.js';
import { networksFromView } from '../pool/networks.js';
import { tenantOf } from '../pool/tenant.js';
import { dataVnics, observeContrail, observeNeutron, seFailed, seHealthy } from './observe.js';
import { planPlacement, requestedSEs, type PlacementPolicy, type SECandidate } from './placement.js';
import { program, teardown } from './program.js';
import { summarize, transitionEvents, type Problem, type SESummary } from './status.js';
import { planVips, resolveVip, type VipObservation, type VipTarget } from './vip.js';
import { ContrailVipWriter, NeutronVipWriter, type VipWriter } from './writers.js';

export const VS_FINALIZER = 'lb.contrail-operator.io/virtualservice';
const RT = resourceOf('VirtualService');
const WAIT_MS = 2_000;
const CONVERGING_MS = 5_000;
const RESOURCES_MS = 15_000;

const key = (ns: string, name: string): string => `${ns}/${name}`;
const NETWORK_KINDS = new Set<string>([KIND.virtualNetwork, KIND.network, KIND.subnet]);

export function installVirtualServiceController(ctx: OperatorContext): void {
  const { informers: inf, connections } = ctx;
  const byIndex = (index: string, value: string): string[] => inf.virtualServices.store.indexKeys(index, value);
  const controller = ctx.manager.controller<VSObj>({
    name: 'virtualservice',
    informer: inf.virtualServices,
    workers: ctx.config.workers,
    // Our own status writes need no reconcile; spec, deletion and finalizer changes do.
    shouldEnqueueUpdate: (old, obj) => old.metadata.generation !== obj.metadata.generation ||
      old.metadata.deletionTimestamp !== obj.metadata.deletionTimestamp ||
      JSON.stringify(old.metadata.finalizers) !== JSON.stringify(obj.metadata.finalizers),
    reconcile: (ref, rc) => reconcile(ctx, ref, rc),
    watches: [
      { informer: inf.pools, map: (p) => byIndex(INDEX.vsByPool, key(p.metadata.namespace ?? '', p.metadata.name)) },
      { informer: inf.groups, map: (g) => byIndex(INDEX.vsByGroup, key(g.metadata.namespace ?? '', g.metadata.name)) },
      {
        informer: inf.serviceEngines,
        map: (o) => {
          const se = o as SEObj;
          const ns = se.metadata.namespace ?? '';
          return [...new Set([...byIndex(INDEX.vsBySE, key(ns, se.metadata.name)), ...byIndex(INDEX.vsByGroup, key(ns, se.spec.seGroupRef))])];
        },
      },
    ],
  });
  connections.onChange((cloud) => { for (const k of byIndex(INDEX.vsByCloud, cloud)) controller.enqueue(k); });
  connections.onViewChange((cloud, changes) => {
    for (const c of changes) if (c.owner?.kind === 'VirtualService') controller.enqueue(key(c.owner.namespace, c.owner.name));
    // A network or subnet appeared or changed: VIPs waiting for one may resolve now.
    if (changes.some((c) => NETWORK_KINDS.has(c.kind))) for (const k of byIndex(INDEX.vsByCloud, cloud)) controller.enqueue(k);
  });
}

interface Loaded {
  vs: VSObj;
  conn: CloudConnection;
  owner: Owner;
  writer: VipWriter;
  seen: VipObservation;
}

async function reconcile(ctx: OperatorContext, ref: ObjectRef, rc: ReconcileContext): Promise<ReconcileResult> {
  let vs = ctx.informers.virtualServices.store.get(key(ref.namespace ?? '', ref.name));
  if (vs === undefined || !ctx.watches(vs.metadata.namespace)) return {};
  const ns = vs.metadata.namespace ?? '';
  const conn = ctx.connections.get(vs.spec.cloudRef);

  if (vs.metadata.deletionTimestamp !== undefined) return finalize(ctx, vs, conn, rc);
  if (!(vs.metadata.finalizers ?? []).includes(VS_FINALIZER)) {
    vs = await addFinalizer<VSObj>(ctx.client, RT, vs, VS_FINALIZER, rc.signal);
    if (vs === undefined) return {};
  }

  const report = async (problems: Problem[], extra: Partial<StatusInput> = {}): Promise<void> => {
    await writeStatus(ctx, vs as VSObj, { problems, ...extra });
  };
  if (conn === undefined || !conn.ready || !conn.view.synced) {
    // A status already written stays as it is: its serviceEngines[] is what keeps the SEs'
    // data vNICs in place while the cloud connection is (re)opened.
    if (vs.status?.operStatus === undefined) await report([], { waiting: `waiting for Cloud ${vs.spec.cloudRef}` });
    return { requeueAfterMs: WAIT_MS };
  }
  const project = await tenantOf(conn, ns);
  if (project === undefined) {
    await report([{ state: 'OPER_DOWN', condition: 'Placed', reason: 'Forbidden', message: `namespace ${ns} is not a tenant of Cloud ${conn.name}` }]);
    return {};
  }

  // Desired: every VIP resolved against the cloud's networks, with the tenancy rule.
  const networks = networksFromView(conn.view);
  const targets: VipTarget[] = [];
  const refusals: Problem[] = [];
  for (const vip of vs.spec.vip) {
    const r = resolveVip(vip, networks, project, { contrail: conn.mode === 'contrail', ...(conn.spec.floatingNetwork !== undefined ? { cloudFloatingNetwork: conn.spec.floatingNetwork } : {}) });
    if (r.target !== undefined) targets.push(r.target);
    else refusals.push({ state: 'OPER_DOWN', condition: 'Placed', reason: r.refusal.reason, message: r.refusal.message });
  }
  if (refusals.length > 0) {
    // Refused: nothing is created (and nothing torn down) until the spec or the cloud changes.
    // The event (InitialPlacementFailed) comes with the status transition.
    await report(refusals);
    return { requeueAfterMs: RESOURCES_MS * 2 };
  }

  const l = await load(ctx, vs, conn, project);
  const ecmp = vs.spec.scaleout?.ecmp === true;
  const vplan = planVips(vs.metadata.uid ?? '', targets, l.seen, ecmp);

  // Placement over the group's SEs.
  const group = ctx.informers.groups.store.get(key(ns, vs.spec.seGroupRef ?? DEFAULT_GROUP));
  if (group === undefined) {
    await report([{ state: 'OPER_DOWN', condition: 'Placed', reason: 'GroupNotFound', message: `ServiceEngineGroup ${vs.spec.seGroupRef ?? DEFAULT_GROUP} not found` }]);
    return { requeueAfterMs: RESOURCES_MS };
  }
  const ses = ctx.informers.serviceEngines.store.byIndex(INDEX.seByGroup, key(ns, group.metadata.name));
  const placement = place(ctx, vs, group, ses, l.seen);
  const enabled = vs.spec.enabled !== false;
  const assigned = enabled ? placement.assigned : [];
  const portKind = conn.mode === 'contrail' ? KIND.vmi : KIND.port;

  const result = await program({
    vips: vplan.vips, teardown: vplan.teardown, assigned, ecmp, writer: l.writer,
    vnics: (net) => dataVnics(ses, net, conn.view, portKind),
  });
  for (const e of result.events) ctx.events.record(vs, e.type, e.reason, e.note);

  const seSummaries: SESummary[] = assigned.map((name) => {
    const se = ses.find((s) => s.metadata.name === name);
    return { name, healthy: se !== undefined && seHealthy(se), attached: result.programmed.has(name) };
  });
  const next = await writeStatus(ctx, vs, {
    problems: result.problems, assigned: seSummaries, programmed: result.programmed, vips: result.vips,
    requested: placement.requested, shortfall: placement.shortfall, enabled, ecmp,
  });

  if (result.retry) throw new Error(result.problems.map((p) => p.message).join('; '));
  if (result.problems.length > 0) return { requeueAfterMs: RESOURCES_MS };
  const converged = next === 'OPER_DISABLED' || (result.programmed.size >= placement.requested && vplan.vips.every((v) => v.release.length === 0));
  rc.log.debug('virtual service reconciled', { state: next, programmed: result.programmed.size, requested: placement.requested });
  return converged ? {} : { requeueAfterMs: CONVERGING_MS };
}

async function load(ctx: OperatorContext, vs: VSObj, conn: CloudConnection, project: { name?: string; id?: string }): Promise<Loaded> {
  const uid = vs.metadata.uid ?? '';
  const owner: Owner = { clusterID: conn.clusterID, kind: 'VirtualService', namespace: vs.metadata.namespace ?? '', name: vs.metadata.name, uid };
  if (conn.mode === 'contrail' && conn.cloud.contrail !== undefined) {
    const projectFq = await projectFqName(conn, project);
    return { vs, conn, owner, writer: new ContrailVipWriter(conn.cloud.contrail, conn.view, owner, projectFq), seen: observeContrail(conn.view, uid) };
  }
  // Clients are keyed by the Cloud's own scope (name + domain, or id) of the tenant.
  const scope = conn.projectFor(vs.metadata.namespace ?? '') ?? conn.cloud.adminProject;
  const writer = new NeutronVipWriter(conn.cloud.neutron(scope), conn.cloud.neutron(conn.cloud.adminProject), conn.view, owner);
  return { vs, conn, owner, writer, seen: observeNeutron(conn.view, uid) };
}

const projectFqs = new Map<string, string[]>();

/** The tenant project's Contrail fq_name: by name directly, by id once through id-to-fqname. */
async function projectFqName(conn: CloudConnection, p: { name?: string; id?: string }): Promise<string[]> {
  if (p.name !== undefined) return ['default-domain', p.name];
  const id = p.id ?? '';
  const cached = projectFqs.get(`${conn.name}/${id}`);
  if (cached !== undefined) return cached;
  const dashed = id.length === 32 ? `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}` : id;
  const fq = (await (conn.cloud.contrail as NonNullable<typeof conn.cloud.contrail>).idToFqName(dashed)).fq_name;
  projectFqs.set(`${conn.name}/${id}`, fq);
  return fq;
}

function place(ctx: OperatorContext, vs: VSObj, group: GroupObj, ses: readonly SEObj[], seen: VipObservation) {
  const ns = vs.metadata.namespace ?? '';
  const self = key(ns, vs.metadata.name);
  const requested = requestedSEs(
    { minSEs: vs.spec.scaleout?.minSEs ?? 1, maxSEs: vs.spec.scaleout?.maxSEs ?? 4 },
    { minScaleoutPerVS: group.spec.minScaleoutPerVS ?? 1, maxScaleoutPerVS: group.spec.maxScaleoutPerVS ?? 4 },
  );
  const candidates: SECandidate[] = ses.map((se) => ({
    name: se.metadata.name,
    createdAt: se.metadata.creationTimestamp ?? '',
    healthy: seHealthy(se),
    booting: !seHealthy(se) && !seFailed(se) && se.metadata.deletionTimestamp === undefined,
    deleting: se.metadata.deletionTimestamp !== undefined,
    hostedVS: ctx.informers.virtualServices.store.indexKeys(INDEX.vsBySE, key(ns, se.metadata.name)).filter((k) => k !== self).length,
  }));
  // Current placement: what status says, plus any SE whose data port holds one of our refs
  // (the cloud is the ground truth when status was lost).
  const refs = new Set(seen.ips.flatMap((i) => i.vmiRefs));
  const holding = ses.filter((se) => (se.status?.dataInterfaces ?? []).some((d) => d.portUUID !== undefined && refs.has(d.portUUID))).map((se) => se.metadata.name);
  const current = [...new Set([...(vs.status?.serviceEngines ?? []).flatMap((s) => (s.name !== undefined ? [s.name] : [])), ...holding])];
  const plan = planPlacement({
    requested, current, candidates,
    maxVSPerSE: group.spec.maxVSPerSE ?? 10,
    policy: (group.spec.placement ?? 'Packed') as PlacementPolicy,
    groupHeadroom: Math.max(0, (group.spec.maxSEs ?? 10) - ses.length),
  });
  return { ...plan, requested };
}

interface StatusInput {
  problems: Problem[];
  waiting?: string;
  assigned?: SESummary[];
  programmed?: Set<string>;
  vips?: Parameters<typeof summarize>[0]['vips'];
  requested?: number;
  shortfall?: number;
  enabled?: boolean;
  ecmp?: boolean;
}

/** Summarizes, patches status only when it changed, and records the transition's events. */
async function writeStatus(ctx: OperatorContext, vs: VSObj, s: StatusInput): Promise<string | undefined> {
  const prev = vs.status;
  const next = summarize({
    generation: vs.metadata.generation,
    enabled: s.enabled ?? vs.spec.enabled !== false,
    ecmp: s.ecmp ?? vs.spec.scaleout?.ecmp === true,
    requested: s.requested ?? vs.spec.scaleout?.minSEs ?? 1,
    assigned: s.assigned ?? [],
    programmed: s.programmed ?? new Set(),
    vips: s.vips ?? vs.spec.vip.map((v) => ({ vipID: v.vipID, programmed: 0 })),
    shortfall: s.shortfall ?? 0,
    problems: s.problems,
    previous: prev,
    now: new Date(),
  });
  if (s.waiting !== undefined && next.operStatus !== undefined && next.operStatus.state === 'OPER_INITIALIZING') next.operStatus.reason = [s.waiting];
  await updateStatus<VSObj>(ctx.client, RT, vs.metadata, { current: vs, mutate: (o) => { o.status = next; } });
  for (const e of transitionEvents(prev, next)) ctx.events.record(vs, e.type, e.reason, e.note);
  return next.operStatus?.state;
}

async function finalize(ctx: OperatorContext, vs: VSObj, conn: CloudConnection | undefined, rc: ReconcileContext): Promise<ReconcileResult> {
  if (!(vs.metadata.finalizers ?? []).includes(VS_FINALIZER)) return {};
  if (conn === undefined || !conn.ready || !conn.view.synced) {
    if (ctx.informers.clouds.store.get(vs.spec.cloudRef) === undefined) {
      // The Cloud itself is gone: nothing can be torn down from here.
      ctx.events.record(vs, 'Warning', 'CloudGone', `Cloud ${vs.spec.cloudRef} no longer exists; VIP objects (if any) are left to the cloud's administrator`);
      await removeFinalizer(ctx.client, RT, vs, VS_FINALIZER, rc.signal);
      return {};
    }
    return { requeueAfterMs: WAIT_MS };
  }
  const project = (await tenantOf(conn, vs.metadata.namespace ?? '')) ?? conn.cloud.adminProject;
  const l = await load(ctx, vs, conn, project);
  const plan = planVips(vs.metadata.uid ?? '', [], l.seen, vs.spec.scaleout?.ecmp === true);
  try {
    await teardown(l.writer, plan.teardown);
  } catch (e) {
    const text = isCloudError(e) ? e.message : String(e);
    ctx.events.record(vs, 'Warning', 'TeardownFailed', text);
    throw e;
  }
  rc.log.info('virtual service torn down', { objects: plan.teardown.ips.length + plan.teardown.fips.length + plan.teardown.ports.length });
  await removeFinalizer(ctx.client, RT, vs, VS_FINALIZER, rc.signal);
  return {};
}
