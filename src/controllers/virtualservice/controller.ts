// The VirtualService controller (DESIGN.md §2, §3.2–§3.4). A reconcile reads like its story:
// load the VS and what it references (Cloud connection, Pool, group, SEs) → observe the cloud
// through the CloudView → plan (VIPs, placement, ECMP refs: pure planners) → apply through the
// cloud clients → report status (patched only when changed) and events. Deletion tears the VIPs
// down in order (refs → floating IP → instance-ip → VIP port) and then drops the finalizer.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { addFinalizer, isNotFound, objectPath, updateStatus, type ReconcileContext, type ReconcileResult, type ObjectRef } from '../../runtime/index.js';
import { isCloudError } from '../../cloud/errors.js';
import { KIND } from '../../cloud/viewsources.js';
import type { Owner } from '../../cloud/owner.js';
import {
  assertFresh, assertHeld, groupSpec, INDEX, networksFromView, othersClaims, releaseReservation, requestedSEsOf, resourceOf, sePhase, seUsable, Superseded, tenantOf, vsOfVip, vsSpec, withKstatus,
  type ClaimIO, type ReservationIO, type CloudConnection, type GroupObj, type OperatorContext, type SEObj, type TenantProject, type VSObj,
} from '../model/index.js';
import { bootFaultNote, bootFaultProblem } from './bootfaults.js';
import { gateOnAgents } from './ecmp.js';
import { withAutoscale } from '../../autoscale/status.js';
import { placeWithClaims, releaseUnplaced } from './capacity.js';
import { vipBlocked } from './vipfirst.js';
import { deadDataVmis, planWithdrawals } from './withdraw.js';
import { activeOnly, addressEcmp } from './hamode.js';
import { beginDeletion, removeFinalizerHeld } from './deletion.js';
import { vsKeysForGroupUpdate, vsKeysForSEChange, type SEWatchLookup } from './sewatch.js';
import { beginDecision, placedOn, placementSettled, type Decision } from './decision.js';
import { dataVnics, observeContrail, observeNeutron } from './observe.js';
import { planPlacement, type PlacementPlan, type SECandidate } from './placement.js';
import { program, teardown } from './program.js';
import { stepScaleIn, type ScaleInStep } from './scalein.js';
import { summarize, transitionEvents, type Problem, type SESummary } from './status.js';
import { vsMembers } from './members.js';
import type { MemberCounts } from '../model/index.js';
import { planVips, resolveVip, type VipObservation, type VipTarget } from './vip.js';
import { ContrailVipWriter, NeutronVipWriter, type VipWriter } from './writers.js';

export const VS_FINALIZER = 'lb.contrail-operator.io/virtualservice';
const RT = resourceOf('VirtualService');
const WAIT_MS = 2_000;
const CONVERGING_MS = 5_000;
const RESOURCES_MS = 15_000;

const key = (ns: string, name: string): string => `${ns}/${name}`;
const NETWORK_KINDS = new Set<string>([KIND.virtualNetwork, KIND.network, KIND.subnet]);

/**
 * Per installed controller (never module-global): project fq_names looked up by id, per Cloud;
 * this controller's identity as a placement decider (model/reservation.ts).
 */
interface VSState { projectFqs: Map<string, string[]>; holder: string }

export function installVirtualServiceController(ctx: OperatorContext): void {
  const { informers: inf, connections } = ctx;
  const state: VSState = { projectFqs: new Map(), holder: `${hostname()}/${process.pid}/${randomBytes(4).toString('hex')}` };
  const byIndex = (index: string, value: string): string[] => inf.virtualServices.store.indexKeys(index, value);
  const seLookup: SEWatchLookup = { listing: (se) => byIndex(INDEX.vsBySE, se), ofGroup: (g) => inf.virtualServices.store.byIndex(INDEX.vsByGroup, g), group: (g) => inf.groups.store.get(g) };
  const controller = ctx.manager.controller<VSObj>({
    name: 'virtualservice',
    informer: inf.virtualServices,
    workers: ctx.config.workers,
    // Our own status writes need no reconcile; spec, deletion and finalizer changes do.
    shouldEnqueueUpdate: (old, obj) => old.metadata.generation !== obj.metadata.generation ||
      old.metadata.deletionTimestamp !== obj.metadata.deletionTimestamp ||
      JSON.stringify(old.metadata.finalizers) !== JSON.stringify(obj.metadata.finalizers) ||
      old.status?.autoscale?.desiredSEs !== obj.status?.autoscale?.desiredSEs, // the autoscaler's count (controllers/autoscale)
    reconcile: (ref, rc) => reconcile(ctx, state, ref, rc),
    watches: [
      { informer: inf.pools, map: (p) => byIndex(INDEX.vsByPool, key(p.metadata.namespace ?? '', p.metadata.name)) },
      // Only the VSs whose outcome the change can move (sewatch.ts), not every VS of the group.
      {
        informer: inf.groups, map: (g) => byIndex(INDEX.vsByGroup, key(g.metadata.namespace ?? '', g.metadata.name)),
        mapUpdate: (old, g) => vsKeysForGroupUpdate(old as GroupObj, g as GroupObj, seLookup),
      },
      // An add or a delete is the SE against its absence, either way round.
      { informer: inf.serviceEngines, map: (se) => vsKeysForSEChange(undefined, se as SEObj, seLookup), mapUpdate: (old, se) => vsKeysForSEChange(old as SEObj, se as SEObj, seLookup) },
    ],
  });
  connections.onChange((cloud) => { for (const k of byIndex(INDEX.vsByCloud, cloud)) controller.enqueue(k); });
  // An agent connecting, going silent or applying a config changes what the VSs on it serve; a
  // member flipping, the VS whose VIP it is (members.ts).
  // A TLS Secret read, renewed or gone: the VS's Degraded condition follows (tlssecrets.ts).
  ctx.seChannel?.tls?.onChange((k) => controller.enqueue(k));
  ctx.seChannel?.agents.onChange((c) => {
    if (c.type !== 'member') for (const k of byIndex(INDEX.vsBySE, c.seKey)) controller.enqueue(k);
    else {
      const k = vsOfVip(c.vipID);
      if (k !== undefined) controller.enqueue(k);
    }
  });
  connections.onViewChange((cloud, changes) => {
    for (const c of changes) if (c.owner?.kind === 'VirtualService') controller.enqueue(key(c.owner.namespace, c.owner.name));
    // An SE's server changed (it may have died): the VSs on it withdraw at once (withdraw.ts),
    // without waiting for the SE controller's status write.
    for (const c of changes) if (c.kind === KIND.server && c.owner?.kind === 'ServiceEngine') for (const k of byIndex(INDEX.vsBySE, key(c.owner.namespace, c.owner.name))) controller.enqueue(k);
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

/** What the VS wants, resolved: or the outcome when it cannot be worked on now. */
interface Desired {
  conn: CloudConnection;
  targets: VipTarget[];
  l: Loaded;
  group: GroupObj;
  ses: SEObj[];
}

async function reconcile(ctx: OperatorContext, state: VSState, ref: ObjectRef, rc: ReconcileContext): Promise<ReconcileResult> {
  let vs = ctx.informers.virtualServices.store.get(key(ref.namespace ?? '', ref.name));
  if (vs === undefined || !ctx.watches(vs.metadata.namespace)) return {};
  if (vs.metadata.deletionTimestamp !== undefined) return finalize(ctx, state, vs, ctx.connections.get(vs.spec.cloudRef), rc);
  if (!(vs.metadata.finalizers ?? []).includes(VS_FINALIZER)) {
    vs = await addFinalizer<VSObj>(ctx.client, RT, vs, VS_FINALIZER, rc.signal);
    if (vs === undefined) return {};
  }
  const d = await loadDesired(ctx, state, vs);                             // desired + observed
  if ('outcome' in d) return d.outcome;
  if (await withdrawDead(vs, d, rc)) return { requeueAfterMs: 1 };        // failover first (withdraw.ts)
  const vplan = planVips(vs.metadata.uid ?? '', d.targets, d.l.seen, addressEcmp(vs, d.group)); // plan
  const placement = await place(ctx, state, vs, d.group, d.ses, d.l.seen, rc, vipBlocked(vs.status, vs.metadata.generation, vplan.vips) !== undefined);
  if ('outcome' in placement) return placement.outcome;
  try {
    return await apply(ctx, vs, d, vplan, placement, rc);
  } catch (e) {
    // Another decider (an old leader, a takeover after our reservation lapsed) owns this VS now.
    if (e instanceof Superseded) { rc.log.info('placement decision superseded', { by: e.by }); return { requeueAfterMs: WAIT_MS }; }
    throw e;
  } finally {
    if (placement.decision !== undefined) await releaseReservation(reservationIO(ctx, state, rc), placement.decision.vs, placement.decision.reservation);
  }
}

/**
 * Dead SEs' refs off every address of the VS, before any placement work: cloud writes only, no
 * reservation or claim (withdraw.ts). True when it withdrew something: the caller then requeues,
 * so every VS the failure woke withdraws before any of them places a replacement.
 */
async function withdrawDead(vs: VSObj, d: Desired, rc: ReconcileContext): Promise<boolean> {
  const view = d.conn.view;
  const dead = deadDataVmis(d.ses, (id) => view.get<{ status?: string }>(KIND.server, id)?.obj.status);
  const ws = planWithdrawals(d.l.seen, dead);
  if (ws.length === 0) return false;
  for (const w of ws) await d.l.writer.deleteRef(w.on, w.obj, w.vmiUUID);
  rc.log.info('dead service engines withdrawn from the ECMP sets', { vs: vs.metadata.name, ses: [...new Set(ws.map((w) => w.se))], refs: ws.length });
  return true;
}

/** Apply and report a placement (decided under the reservation when it changes anything). */
async function apply(ctx: OperatorContext, vs0: VSObj, d: Desired, vplan: ReturnType<typeof planVips>, placement: Placement, rc: ReconcileContext): Promise<ReconcileResult> {
  const vs = placement.decision?.vs ?? vs0;
  const spec = vsSpec(vs);
  const ecmp = addressEcmp(vs, d.group);
  const assigned = spec.enabled ? placement.assigned : [];
  const portKind = d.conn.mode === 'contrail' ? KIND.vmi : KIND.port;
  if (placement.decision !== undefined) assertFresh(key(vs.metadata.namespace ?? '', vs.metadata.name), placement.decision.reservation, ctx.clock.now());
  const drain = scaleInStep(ctx, vs, d, assigned);                         // scale-in drains (scalein.ts)
  const result = await program({                                          // apply
    vips: vplan.vips, teardown: vplan.teardown, assigned, ...(drain !== undefined ? { hold: drain.hold } : {}), ecmp, activeOnly: activeOnly(d.conn.mode, d.group), writer: d.l.writer,
    vnics: (net) => gateOnAgents(dataVnics(d.ses, net, d.conn.view, portKind), servesFn(ctx, vs)),
  });
  for (const e of [...(drain?.events ?? []), ...result.events]) ctx.events.record(vs, e.type, e.reason, e.note);
  if (drain !== undefined && !result.retry) for (const se of drain.withdraw) ctx.seChannel?.drains?.withdrawn(key(vs.metadata.namespace ?? '', vs.metadata.name), se, Date.now());
  const seSummaries: SESummary[] = assigned.map((name) => {
    const se = d.ses.find((s) => s.metadata.name === name);
    const ch = ctx.seChannel;
    return {
      name, healthy: se !== undefined && seUsable(se), attached: result.programmed.has(name),
      ...(ch !== undefined ? { serving: ch.serves(key(vs.metadata.namespace ?? '', name), vs.metadata.name) } : {}),
      ...(se?.status?.conditions?.some((c) => c.type === 'Partitioned' && c.status === 'True') === true ? { partitioned: true } : {}),
    };
  });
  // The SEs it waits for cannot boot: the cloud's reason, as OPER_RESOURCES (not a retry of ours).
  const bootProblem = spec.enabled ? bootFaultProblem({ ses: d.ses, assigned, waitingForSEs: placement.waitingForSEs }) : undefined;
  const next = await writeStatus(ctx, vs, {                               // report
    problems: bootProblem !== undefined ? [...result.problems, bootProblem] : result.problems, assigned: seSummaries, programmed: result.programmed, vips: result.vips,
    requested: placement.requested, shortfall: placement.shortfall, enabled: spec.enabled, ecmp,
    ...(spec.enabled && bootProblem === undefined ? { shortBecause: bootFaultNote({ ses: d.ses, waitingForSEs: placement.waitingForSEs }) } : {}),
    members: vsMembers(ctx, vs, seSummaries),
    ...tlsProblemOf(ctx, vs),
    ...(placement.decision !== undefined ? { fence: placement.decision } : {}),
  });
  if (result.retry) throw new Error(result.problems.map((p) => p.message).join('; '));
  // Refs off and status written: the SEs it left may take someone else now.
  const released = await releaseUnplaced(claimIO(ctx, vs, rc), claimant(vs), d.ses, assigned);
  if (released.length > 0 || placement.removed.length > 0) rc.log.debug('placement changed', { removed: placement.removed, released, primary: placement.primary });
  if (result.problems.length > 0) return { requeueAfterMs: RESOURCES_MS };
  const converged = next === 'OPER_DISABLED' || (result.programmed.size >= placement.requested && vplan.vips.every((v) => v.release.length === 0));
  rc.log.debug('virtual service reconciled', { state: next, programmed: result.programmed.size, requested: placement.requested, waitingForSEs: placement.waitingForSEs });
  const requeue = Math.min(converged ? Infinity : CONVERGING_MS, drain?.requeueMs ?? Infinity);
  // Converged and no drain to step: counted in lbop_reconcile_converged_total if nothing was written.
  return Number.isFinite(requeue) ? { requeueAfterMs: requeue } : { converged: true };
}

/**
 * The SE API on: the leaving SEs' drains stepped, with the group's drainTimeoutSeconds (0: no drain phase)
 * (scalein.ts). Timers run on the monotonic-enough wall clock of this process (Date.now, as the
 * agent registry's heartbeat times), never on the status clock tests may freeze.
 */
function scaleInStep(ctx: OperatorContext, vs: VSObj, d: Desired, assigned: readonly string[]): ScaleInStep | undefined {
  const drains = ctx.seChannel?.drains;
  const ch = ctx.seChannel;
  if (drains === undefined || ch === undefined) return undefined;
  const ns = vs.metadata.namespace ?? '';
  const vsKey = key(ns, vs.metadata.name);
  const drainMs = groupSpec(d.group).drainTimeoutSeconds * 1000;
  const refs = new Set(d.l.seen.ips.flatMap((i) => i.vmiRefs));
  const holding = d.ses.filter((se) => (se.status?.dataInterfaces ?? []).some((x) => x.portUUID !== undefined && refs.has(x.portUUID))).map((se) => se.metadata.name);
  const byName = new Map(d.ses.map((se) => [se.metadata.name, se]));
  return stepScaleIn({
    vsKey, drains, drainMs, serving: vsSpec(vs).enabled && assigned.length > 0, assigned, holding, now: Date.now(),
    usable: (se) => { const o = byName.get(se); return o !== undefined && seUsable(o) && o.metadata.deletionTimestamp === undefined && ch.agents.connected(key(ns, se)); },
    connections: (se) => {
      const rec = ch.agents.get(key(ns, se));
      if (rec === undefined) return { count: undefined, at: undefined };
      const prefix = `${ns}/${vs.metadata.name}/`;
      const vips = rec.last.vips.filter((v) => v.id.startsWith(prefix) && v.id.indexOf('/', prefix.length) === -1);
      return { count: vips.reduce((n, v) => n + v.currentConnections, 0), at: rec.lastHeartbeatAt };
    },
  });
}

/**
 * Desired: the Cloud connection, the tenant project, every VIP resolved against the cloud's
 * networks (with the tenancy rule), the group and its SEs; observed: what the cloud holds.
 */
async function loadDesired(ctx: OperatorContext, state: VSState, vs: VSObj): Promise<Desired | { outcome: ReconcileResult }> {
  const ns = vs.metadata.namespace ?? '';
  const conn = ctx.connections.get(vs.spec.cloudRef);
  const report = async (problems: Problem[], extra: Partial<StatusInput> = {}): Promise<void> => {
    await writeStatus(ctx, vs, { problems, ...extra });
  };
  if (conn === undefined || !conn.ready || !conn.view.synced) {
    // A status already written stays as it is: its serviceEngines[] is what keeps the SEs'
    // data vNICs in place while the cloud connection is (re)opened.
    if (vs.status?.operStatus === undefined) await report([], { waiting: `waiting for Cloud ${vs.spec.cloudRef}` });
    return { outcome: { requeueAfterMs: WAIT_MS } };
  }
  const project = await tenantOf(conn, ns);
  if (project === undefined) {
    await report([{ state: 'OPER_DOWN', condition: 'Placed', reason: 'Forbidden', message: `namespace ${ns} is not a tenant of Cloud ${conn.name}` }]);
    return { outcome: {} };
  }
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
    return { outcome: { requeueAfterMs: RESOURCES_MS * 2 } };
  }
  const l = await load(state, vs, conn, project);
  const groupName = vsSpec(vs).seGroupRef;
  const group = ctx.informers.groups.store.get(key(ns, groupName));
  if (group === undefined) {
    await report([{ state: 'OPER_DOWN', condition: 'Placed', reason: 'GroupNotFound', message: `ServiceEngineGroup ${groupName} not found` }]);
    return { outcome: { requeueAfterMs: RESOURCES_MS } };
  }
  const ses = ctx.informers.serviceEngines.store.byIndex(INDEX.seByGroup, key(ns, group.metadata.name));
  return { conn, targets, l, group, ses };
}

async function load(state: VSState, vs: VSObj, conn: CloudConnection, project: TenantProject): Promise<Loaded> {
  const uid = vs.metadata.uid ?? '';
  const owner: Owner = { clusterID: conn.clusterID, kind: 'VirtualService', namespace: vs.metadata.namespace ?? '', name: vs.metadata.name, uid };
  if (conn.mode === 'contrail' && conn.cloud.contrail !== undefined) {
    const projectFq = await projectFqName(state, conn, project);
    return { vs, conn, owner, writer: new ContrailVipWriter(conn.cloud.contrail, conn.view, owner, projectFq), seen: observeContrail(conn.view, uid) };
  }
  // Clients are keyed by the Cloud's own scope (name + domain, or id) of the tenant.
  const scope = conn.projectFor(vs.metadata.namespace ?? '') ?? conn.cloud.adminProject;
  const writer = new NeutronVipWriter(conn.cloud.neutron(scope), conn.cloud.neutron(conn.cloud.adminProject), conn.view, owner);
  return { vs, conn, owner, writer, seen: observeNeutron(conn.view, uid) };
}

/** The tenant project's Contrail fq_name: by name directly, by id once through id-to-fqname. */
async function projectFqName(state: VSState, conn: CloudConnection, p: TenantProject): Promise<string[]> {
  if (p.name !== undefined) return ['default-domain', p.name];
  const id = p.id ?? '';
  const cached = state.projectFqs.get(`${conn.name}/${id}`);
  if (cached !== undefined) return cached;
  const dashed = id.length === 32 ? `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}` : id;
  const fq = (await (conn.cloud.contrail as NonNullable<typeof conn.cloud.contrail>).idToFqName(dashed)).fq_name;
  state.projectFqs.set(`${conn.name}/${id}`, fq);
  return fq;
}

/** The ECMP join gate: an SE's agent serves the VS (absent without the SE API). */
const servesFn = (ctx: OperatorContext, vs: VSObj): ((se: string) => boolean) | undefined =>
  ctx.seChannel && ((se) => ctx.seChannel?.serves(key(vs.metadata.namespace ?? '', se), vs.metadata.name) === true);

const claimant = (vs: VSObj): { name: string; uid: string; group: string } => ({ name: vs.metadata.name, uid: vs.metadata.uid ?? '', group: vsSpec(vs).seGroupRef });

function claimIO(ctx: OperatorContext, vs: VSObj, rc: ReconcileContext): ClaimIO {
  const ns = vs.metadata.namespace ?? '';
  return {
    client: ctx.client, signal: rc.signal,
    // A fresh read: only a VS that is really gone (or was recreated) loses its claims.
    holderExists: async (name, uid) => {
      try {
        const o = await ctx.client.get<VSObj>(objectPath(RT, { namespace: ns, name }), { signal: rc.signal });
        return o.metadata.uid === uid;
      } catch (e) {
        if (isNotFound(e)) return false;
        throw e;
      }
    },
  };
}

type Placement = PlacementPlan & { requested: number; decision?: Decision };

function reservationIO(ctx: OperatorContext, state: VSState, rc: ReconcileContext): ReservationIO {
  return { client: ctx.client, holder: state.holder, now: () => ctx.clock.now(), signal: rc.signal };
}

/**
 * Which SEs host the VS: the pure plan; when it changes anything (decision.ts), decided again
 * under the VS's reservation from the fresh VS, each assigned SE's capacity claimed (capacity.ts).
 */
async function place(ctx: OperatorContext, state: VSState, vs: VSObj, group: GroupObj, ses: readonly SEObj[], seen: VipObservation, rc: ReconcileContext, noVip: boolean): Promise<Placement | { outcome: ReconcileResult }> {
  const ns = vs.metadata.namespace ?? '';
  const self = key(ns, vs.metadata.name);
  const g = groupSpec(group);
  const requested = requestedSEsOf(vs, group);
  // Current placement: what status says, plus any SE whose data port holds one of our refs
  // (the cloud is the ground truth when status was lost).
  const refs = new Set(seen.ips.flatMap((i) => i.vmiRefs));
  const holding = ses.filter((se) => (se.status?.dataInterfaces ?? []).some((d) => d.portUUID !== undefined && refs.has(d.portUUID))).map((se) => se.metadata.name);
  const planFor = (v: VSObj) => (full: ReadonlySet<string>): PlacementPlan => {
    const current = [...new Set([...placedOn(v), ...holding])];
    const candidates: SECandidate[] = ses.map((se) => {
      const phase = sePhase(se).phase;
      const lost = full.has(se.metadata.name);
      const placedByIndex = ctx.informers.virtualServices.store.indexKeys(INDEX.vsBySE, key(ns, se.metadata.name)).filter((k) => k !== self).length;
      return {
        name: se.metadata.name,
        createdAt: se.metadata.creationTimestamp ?? '',
        healthy: phase === 'Ready' && !lost,
        booting: phase === 'Booting' && !lost,
        deleting: phase === 'Deleting',
        // Claims are the truth; the index counts placements made before claims existed.
        hostedVS: Math.max(othersClaims(se, vs.metadata.name), placedByIndex),
      };
    });
    return planPlacement({ requested, current, candidates, maxVSPerSE: g.maxVSPerSE, policy: g.placement, groupHeadroom: Math.max(0, g.maxSEs - ses.length) });
  };
  const enabled = vsSpec(vs).enabled && !noVip; // vipfirst.ts: no address, no SE capacity taken
  const off = (p: PlacementPlan): PlacementPlan => ({ ...p, assigned: [], primary: undefined, ...(noVip ? { waitingForSEs: 0, shortfall: 0 } : {}) });
  const first = planFor(vs)(new Set());
  if (placementSettled(vs, enabled ? first.assigned : [], ses)) return { ...(enabled ? first : off(first)), requested };
  const begun = await beginDecision(reservationIO(ctx, state, rc), vs);
  if (begun.kind === 'gone') return { outcome: {} };
  if (begun.kind === 'busy') {
    rc.log.debug('placement reserved by another decider', { holder: begun.holder });
    return { outcome: { requeueAfterMs: Math.min(WAIT_MS, Math.max(100, begun.retryAfterMs)) } };
  }
  const decision = begun.decision;
  const planWithout = planFor(decision.vs);
  if (!enabled) return { ...off(planWithout(new Set())), requested, decision };
  const placed = await placeWithClaims(claimIO(ctx, vs, rc), { ...claimant(vs), nonce: decision.reservation.nonce }, g.maxVSPerSE, ses, planWithout);
  return { ...placed.plan, requested, decision };
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
  shortBecause?: string | undefined;
  members?: MemberCounts | undefined;
  tlsProblem?: { reason: string; message: string };
  /** a placement decided under the reservation: the write is fenced by it, and `vs` follows the write */
  fence?: Decision;
}

/** The VS's TLS Secret problem (enableSSL ports left out of its SEs' configs), for Degraded. */
function tlsProblemOf(ctx: OperatorContext, vs: VSObj): { tlsProblem?: { reason: string; message: string } } {
  const p = ctx.seChannel?.tls?.problemOf(key(vs.metadata.namespace ?? '', vs.metadata.name));
  return p !== undefined ? { tlsProblem: p } : {};
}

/** Summarizes, patches status only when it changed, and records the transition's events. */
async function writeStatus(ctx: OperatorContext, vs: VSObj, s: StatusInput): Promise<string | undefined> {
  const prev = vs.status;
  const next = summarize({
    generation: vs.metadata.generation,
    enabled: s.enabled ?? vsSpec(vs).enabled,
    ecmp: s.ecmp ?? vsSpec(vs).scaleout.ecmp,
    requested: s.requested ?? vsSpec(vs).scaleout.minSEs,
    assigned: s.assigned ?? [],
    programmed: s.programmed ?? new Set(),
    vips: s.vips ?? vs.spec.vip.map((v) => ({ vipID: v.vipID, programmed: 0 })),
    shortfall: s.shortfall ?? 0,
    problems: s.problems,
    previous: prev,
    now: ctx.clock.now(),
    ...(ctx.seChannel !== undefined ? { agents: true } : {}),
    ...(s.shortBecause !== undefined ? { shortBecause: s.shortBecause } : {}),
    ...(s.members !== undefined ? { members: s.members } : {}),
    ...(s.tlsProblem !== undefined ? { tlsProblem: s.tlsProblem } : {}),
  });
  if (s.waiting !== undefined && next.operStatus !== undefined && next.operStatus.state === 'OPER_INITIALIZING') next.operStatus.reason = [s.waiting];
  const fence = s.fence;
  const written = await updateStatus<VSObj>(ctx.client, RT, vs.metadata, {
    current: vs,
    mutate: withKstatus<VSObj>('VirtualService', (o) => {
      if (fence !== undefined) assertHeld(o, fence.reservation); // a 409 re-applies this on the fresh VS
      o.status = withAutoscale(next, o.status);
    }, () => ctx.clock.now()),
  });
  if (fence !== undefined && written.obj !== undefined) fence.vs = written.obj;
  for (const e of transitionEvents(prev, next)) ctx.events.record(vs, e.type, e.reason, e.note);
  return next.operStatus?.state;
}

async function finalize(ctx: OperatorContext, state: VSState, vs0: VSObj, conn: CloudConnection | undefined, rc: ReconcileContext): Promise<ReconcileResult> {
  if (!(vs0.metadata.finalizers ?? []).includes(VS_FINALIZER)) return {};
  const cloudGone = ctx.informers.clouds.store.get(vs0.spec.cloudRef) === undefined;
  const open = conn !== undefined && conn.ready && conn.view.synced ? conn : undefined;
  if (open === undefined && !cloudGone) return { requeueAfterMs: WAIT_MS };
  // Under the placement reservation (deletion.ts): no placement of this VS is in flight.
  const begun = await beginDeletion(reservationIO(ctx, state, rc), vs0);
  if (begun.kind === 'gone') return {};
  if (begun.kind === 'busy') {
    rc.log.debug('deletion waits for a placement in flight', { holder: begun.holder });
    return { requeueAfterMs: Math.min(WAIT_MS, Math.max(100, begun.retryAfterMs)) };
  }
  const { vs, reservation } = begun;
  const vsKey = key(vs.metadata.namespace ?? '', vs.metadata.name);
  let finished = false;
  try {
    if (open === undefined) {
      // The Cloud itself is gone: nothing can be torn down from here.
      ctx.events.record(vs, 'Warning', 'CloudGone', `Cloud ${vs.spec.cloudRef} no longer exists; VIP objects (if any) are left to the cloud's administrator`);
    } else {
      const project = (await tenantOf(open, vs.metadata.namespace ?? '')) ?? open.cloud.adminProject;
      const l = await load(state, vs, open, project);
      const plan = planVips(vs.metadata.uid ?? '', [], l.seen, vsSpec(vs).scaleout.ecmp);
      assertFresh(vsKey, reservation, ctx.clock.now());
      try {
        await teardown(l.writer, plan.teardown);
      } catch (e) {
        const text = isCloudError(e) ? e.message : String(e);
        ctx.events.record(vs, 'Warning', 'TeardownFailed', text);
        throw e;
      }
      rc.log.info('virtual service torn down', { objects: plan.teardown.ips.length + plan.teardown.fips.length + plan.teardown.ports.length });
    }
    await releaseAll(ctx, vs, rc);
    await removeFinalizerHeld(ctx.client, vs, reservation, VS_FINALIZER, rc.signal);
    finished = true;
    return {};
  } catch (e) {
    if (e instanceof Superseded) { rc.log.info('deletion superseded', { by: e.by }); return { requeueAfterMs: WAIT_MS }; }
    throw e;
  } finally {
    if (!finished) await releaseReservation(reservationIO(ctx, state, rc), vs, reservation);
  }
}

/** A deleted VS gives its SE slots back once its refs are gone (any SE of its namespace). */
async function releaseAll(ctx: OperatorContext, vs: VSObj, rc: ReconcileContext): Promise<void> {
  const ns = vs.metadata.namespace ?? '';
  const ses = ctx.informers.serviceEngines.store.list().filter((se) => (se.metadata.namespace ?? '') === ns);
  await releaseUnplaced(claimIO(ctx, vs, rc), claimant(vs), ses, []);
}
