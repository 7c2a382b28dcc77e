// The autoscale controller (docs/autoscale.md): for each VirtualService with
// spec.scaleout.autoscale, every observation period it collects one sample per SE the VS is up
// on from the agents' last heartbeats, runs the pure HPA-style planner (src/autoscale/plan.ts)
// and writes status.autoscale — the planner's only memory, so a new leader carries on with the
// same scale-down window. The VirtualService controller places the VS on desiredSEs SEs
// (model/requested.ts) and the group controller boots them. Like every controller it runs on the
// leader only: the leader is the replica the heartbeats reach.
import { updateStatus, type ObjectRef, type ReconcileContext, type ReconcileResult } from '../../runtime/index.js';
import { DEFAULT_STABILIZATION_SECONDS, planAutoscale } from '../../autoscale/plan.js';
import { neutronHold } from '../../autoscale/status.js';
import { autoscaleStatusDiffers } from '../../autoscale/differs.js';
import { groupSpec, requestedSEs, resourceOf, vsSpec, type OperatorContext, type VSObj } from '../model/index.js';
import { collectSamples, rateKey, RateMemory } from './samples.js';
import type { AgentRecord } from '../../seapi/index.js';

const RT = resourceOf('VirtualService');
/** How often a VS's load is looked at (the HPA's --horizontal-pod-autoscaler-sync-period is 15 s;
 * SE boots take seconds here, and the agents heartbeat every 2 s). */
export const OBSERVATION_PERIOD_MS = 5_000;
/** A sample older than this many heartbeat periods is stale: the agent went quiet. */
const STALE_HEARTBEATS = 3;

export function installAutoscaleController(ctx: OperatorContext): void {
  const ch = ctx.seChannel;
  // Without the SE API there is no load to observe: nothing to install.
  if (ch === undefined) return;
  const rates = new RateMemory();
  ctx.manager.controller<VSObj>({
    name: 'autoscale',
    informer: ctx.informers.virtualServices,
    workers: 1,
    shouldEnqueueUpdate: (old, obj) => old.metadata.generation !== obj.metadata.generation,
    reconcile: (ref, rc) => reconcile(ctx, rates, ref, rc),
  });
}

async function reconcile(ctx: OperatorContext, rates: RateMemory, ref: ObjectRef, rc: ReconcileContext): Promise<ReconcileResult> {
  const ch = ctx.seChannel;
  const ns = ref.namespace ?? '';
  const vs = ctx.informers.virtualServices.store.get(`${ns}/${ref.name}`);
  if (ch === undefined || vs === undefined || !ctx.watches(vs.metadata.namespace) || vs.metadata.deletionTimestamp !== undefined) {
    rates.retain((k) => !k.endsWith(`|${ref.name}`) || !k.startsWith(`${ns}/`));
    return {};
  }
  const policy = vs.spec.scaleout?.autoscale;
  if (policy === undefined) {
    // Autoscale switched off: minSEs is the count again (the VS controller sees desiredSEs go).
    if (vs.status?.autoscale !== undefined) await updateStatus<VSObj>(ctx.client, RT, vs.metadata, { current: vs, signal: rc.signal, mutate: (o) => { if (o.status) delete o.status.autoscale; } });
    return {};
  }
  const spec = vsSpec(vs);
  const group = ctx.informers.groups.store.get(`${ns}/${spec.seGroupRef}`);
  if (group === undefined || !spec.enabled) return { requeueAfterMs: OBSERVATION_PERIOD_MS };
  const g = groupSpec(group);
  if (ctx.connections.get(vs.spec.cloudRef)?.mode === 'neutron') return holdOnNeutron(ctx, vs, requestedSEs(spec.scaleout, g), rc);
  const up = (vs.status?.serviceEngines ?? []).filter((s) => s.connected === true && s.cloudProgrammingDone === true && s.name !== undefined).map((s) => s.name as string);
  const samples = collectSamples({ metric: policy.metric, namespace: ns, virtualService: vs.metadata.name, ses: up, agent: (k) => ch.agents.get(k), rates });
  // What each reading was made of, for a debug look at how steady the metric is (docs/autoscale.md).
  if (rc.log.isDebugEnabled()) rc.log.debug('autoscale samples', { metric: policy.metric, samples: samples.map((s) => ({ se: s.se, value: s.value, ...readingOf(ch.agents.get(`${ns}/${s.se}`), ns, vs.metadata.name), ...(policy.metric === 'RequestsPerSecondPerSE' ? rates.reading(rateKey(`${ns}/${s.se}`, vs.metadata.name)) : {}) })) });
  const upKeys = new Set(up.map((se) => rateKey(`${ns}/${se}`, vs.metadata.name)));
  rates.retain((k) => !k.endsWith(`|${vs.metadata.name}`) || !k.startsWith(`${ns}/`) || upKeys.has(k));
  const plan = planAutoscale({
    policy,
    bounds: { minSEs: spec.scaleout.minSEs, maxSEs: spec.scaleout.maxSEs, minScaleoutPerVS: g.minScaleoutPerVS, maxScaleoutPerVS: g.maxScaleoutPerVS },
    current: vs.status?.autoscale?.desiredSEs ?? requestedSEs(spec.scaleout, g),
    samples,
    maxSampleAgeSeconds: (STALE_HEARTBEATS * ch.heartbeatIntervalMs) / 1000,
    previous: vs.status?.autoscale,
    now: ctx.clock.now(),
  });
  // Written only when it says something new (src/autoscale/differs.ts): not every 5 s per VS.
  if (autoscaleStatusDiffers(vs.status?.autoscale, plan.status, policy.scaleDownStabilizationSeconds ?? DEFAULT_STABILIZATION_SECONDS)) {
    await updateStatus<VSObj>(ctx.client, RT, vs.metadata, {
      current: vs, signal: rc.signal,
      mutate: (o) => { o.status = { ...(o.status ?? {}), autoscale: plan.status }; },
    });
  }
  for (const e of plan.events) ctx.events.record(vs, e.type, e.reason, e.note);
  if (plan.events.length > 0) rc.log.info('autoscale decision', { reason: plan.reason, desiredSEs: plan.desiredSEs, metric: policy.metric, current: plan.status.currentMetric, target: policy.target });
  return { requeueAfterMs: OBSERVATION_PERIOD_MS };
}

/** The heartbeat a sample was read from: its sequence, the agent's and our clock, the VS's request count. */
function readingOf(rec: AgentRecord | undefined, ns: string, vs: string): Record<string, unknown> {
  if (rec === undefined) return {};
  const requests = rec.last.vips.filter((v) => v.id.startsWith(`${ns}/${vs}/`)).reduce((n, v) => n + v.requests, 0);
  return { bootID: rec.bootID, sequence: rec.sequence, sentAt: rec.last.sentAt, receivedAt: new Date(rec.lastHeartbeatAt).toISOString(), requests };
}

/**
 * A plain-Neutron Cloud holds the VIP as an allowed address pair on one SE port at a time: more
 * SEs would carry nothing, so the count stays the plain one and status says why (docs/autoscale.md).
 */
async function holdOnNeutron(ctx: OperatorContext, vs: VSObj, plain: number, rc: ReconcileContext): Promise<ReconcileResult> {
  const autoscale = neutronHold(vs.spec.cloudRef, plain);
  await updateStatus<VSObj>(ctx.client, RT, vs.metadata, { current: vs, signal: rc.signal, mutate: (o) => { o.status = { ...(o.status ?? {}), autoscale }; } });
  return { requeueAfterMs: OBSERVATION_PERIOD_MS * 6 };
}
