// Applying a virtual service's plan to the cloud, one step of convergence: VIP objects first,
// then the ECMP refs of the assigned SEs (failed refs out, new refs in, scale-in refs drained),
// then earlier addresses released once the new one is placed, then removed VIPs torn down.
// Typed cloud errors become Problems (OPER_RESOURCES for exhaustion and "in use", OPER_DOWN for
// the rest); the caller reports them and retries.
import { Conflict, IPExhausted, QuotaExceeded, isCloudError } from '../../cloud/errors.js';
import { planActiveOnlyRefs } from './activeonly.js';
import { planVipRefs, type SEDataVnic } from './ecmp.js';
import type { Problem, VipSummary } from './status.js';
import { mayRelease, type ObservedFIP, type ObservedIP, type VipPlan, type VipTeardown } from './vip.js';
import type { VipWriter } from './writers.js';

export interface ProgramEvent { type: 'Normal' | 'Warning'; reason: string; note: string }

export interface ProgramResult {
  vips: VipSummary[];
  /** SEs whose refs are in place on every VIP */
  programmed: Set<string>;
  problems: Problem[];
  events: ProgramEvent[];
  /** a write failed in a way worth retrying with backoff */
  retry: boolean;
}

export interface ProgramInput {
  vips: readonly VipPlan[];
  teardown: VipTeardown;
  /** SEs the VS is placed on after this step (none when disabled) */
  assigned: readonly string[];
  /** SEs the VS is leaving whose refs stay for now: drained while still in the set (scalein.ts) */
  hold?: readonly string[];
  /** per VIP network: each SE's data vNIC there */
  vnics: (networkUUID: string) => SEDataVnic[];
  ecmp: boolean;
  /** the address may sit on one SE only, the active (plain Neutron, not ECMP: activeonly.ts) */
  activeOnly?: boolean;
  writer: VipWriter;
}

/** A cloud error as the status shows it. */
export function problemFrom(e: unknown, vipID: string, condition: Problem['condition']): Problem {
  if (e instanceof IPExhausted) return { state: 'OPER_RESOURCES', condition: 'VIPAllocated', reason: 'IPExhausted', message: `VIP ${vipID}: ${e.serverMessage}` };
  if (e instanceof QuotaExceeded) return { state: 'OPER_RESOURCES', condition, reason: 'QuotaExceeded', message: `VIP ${vipID}: ${e.serverMessage}` };
  if (e instanceof Conflict && e.conflict === 'InUse') return { state: 'OPER_RESOURCES', condition, reason: 'IPInUse', message: `VIP ${vipID}: ${e.serverMessage}` };
  const text = isCloudError(e) ? e.message : e instanceof Error ? e.message : String(e);
  return { state: 'OPER_DOWN', condition, reason: 'ProgrammingFailed', message: `VIP ${vipID}: ${text}` };
}

const transient = (p: Problem): boolean => p.state === 'OPER_DOWN';

export async function program(i: ProgramInput): Promise<ProgramResult> {
  const out: ProgramResult = { vips: [], programmed: new Set(i.assigned), problems: [], events: [], retry: false };
  const fail = (p: Problem): void => { out.problems.push(p); if (transient(p)) out.retry = true; };

  for (const v of i.vips) {
    const id = v.target.vipID;
    const summary: VipSummary = { vipID: id, subnet: v.target.cidr, subnetUUID: v.target.subnetUUID, networkRef: v.target.networkUUID, programmed: 0 };
    out.vips.push(summary);
    let ip: ObservedIP | undefined;
    let fip: ObservedFIP | undefined;
    try {
      const port = await i.writer.ensurePort(v);
      ip = await i.writer.ensureIP(v, port, i.ecmp);
      summary.portUUID = port?.uuid ?? ip.uuid;
      if (ip.address !== undefined) summary.ipAddress = ip.address;
      if (v.setMode !== undefined) await i.writer.setMode(ip, i.ecmp);
      fip = await i.writer.ensureFIP(v, ip);
      // The plan says where the floating IP must point; only an address allocated just now is
      // unknown to it (and then the floating IP follows it too).
      const fixTo = v.fipFixTo ?? (v.ip === undefined ? ip.address : undefined);
      if (fip !== undefined && fixTo !== undefined && fip.fixedAddress !== fixTo) await i.writer.fixFIP(fip, fixTo);
      if (fip?.address !== undefined) summary.floatingIP = fip.address;
    } catch (e) {
      fail(problemFrom(e, id, 'VIPAllocated'));
      out.programmed.clear();
      continue;
    }

    const vnics = i.vnics(v.target.networkUUID);
    const ownPort = new Set([summary.portUUID]);
    const placed = await applyRefs('ip', ip, i, vnics, ownPort, id, out, fail);
    if (fip !== undefined) await applyRefs('fip', fip, i, vnics, ownPort, id, out, fail);
    summary.programmed = [...placed].filter((se) => !(i.hold ?? []).includes(se)).length;
    for (const se of [...out.programmed]) if (!placed.has(se)) out.programmed.delete(se);

    // New placed before old released (a static address changed).
    const ready = planVipRefs(i.assigned, vnics, []).programmed.length;
    if (v.release.length > 0 && mayRelease(placed.size, ready)) {
      for (const old of v.release) {
        try {
          for (const vmi of old.vmiRefs) if (!ownPort.has(vmi)) await i.writer.deleteRef('ip', old, vmi);
          await i.writer.deleteIP(old);
        } catch (e) { fail(problemFrom(e, id, 'VIPAllocated')); }
      }
    }
  }
  if (i.vips.length === 0) out.programmed.clear();

  try { await teardown(i.writer, i.teardown); } catch (e) { fail(problemFrom(e, 'removed', 'VIPAllocated')); }
  return out;
}

/** Brings one address object's SE refs to the plan; returns the SEs whose ref is in place. */
async function applyRefs(
  on: 'ip' | 'fip', obj: ObservedIP | ObservedFIP, i: ProgramInput, vnics: SEDataVnic[], ownPort: Set<string | undefined>,
  vipID: string, out: ProgramResult, fail: (p: Problem) => void,
): Promise<Set<string>> {
  const current = obj.vmiRefs.filter((r) => !ownPort.has(r));
  // A held SE (draining) keeps its ref: planned as if still assigned. It holds a ref, so in
  // active-only mode it is the active: first, so the address pair stays on it until the drain ends.
  const hold = i.hold ?? [];
  const plan = i.activeOnly === true
    ? planActiveOnlyRefs([...hold, ...i.assigned], vnics, current)
    : { ...planVipRefs([...i.assigned, ...hold], vnics, current), standby: [] };
  const bySE = new Map(vnics.filter((x) => x.vmiUUID !== undefined).map((x) => [x.vmiUUID as string, x.se]));
  const placed = new Set(current.flatMap((r) => { const se = bySE.get(r); return se !== undefined && plan.programmed.includes(se) ? [se] : []; }));
  // Ready standbys carry nothing and need no write (activeonly.ts).
  for (const se of plan.standby) placed.add(se);
  for (const a of plan.actions) {
    try {
      if (a.op === 'ADD') {
        await i.writer.addRef(on, obj, a.vmiUUID);
        placed.add(a.se);
        if (on === 'ip') out.events.push({ type: 'Normal', reason: 'IPAttached', note: `VIP ${vipID} (${obj.address ?? '?'}) placed on Service Engine ${a.se}` });
      } else {
        await i.writer.deleteRef(on, obj, a.vmiUUID);
      }
    } catch (e) {
      const p = problemFrom(e, vipID, 'Placed');
      fail(p);
      if (a.op === 'ADD') out.events.push({ type: 'Warning', reason: 'IPAttachFailure', note: `VIP ${vipID} (${obj.address ?? '?'}) on Service Engine ${a.se}: ${p.message}` });
      break;
    }
  }
  return placed;
}

/** Ordered teardown (DESIGN.md §2.6): refs off (drain), then floating IPs, addresses, VIP ports. */
export async function teardown(w: VipWriter, t: VipTeardown): Promise<void> {
  const ports = new Set(t.ports.map((p) => p.uuid));
  for (const ip of t.ips) for (const vmi of ip.vmiRefs) if (!ports.has(vmi)) await w.deleteRef('ip', ip, vmi);
  for (const fip of t.fips) for (const vmi of fip.vmiRefs) await w.deleteRef('fip', fip, vmi);
  for (const fip of t.fips) await w.deleteFIP(fip);
  for (const ip of t.ips) await w.deleteIP(ip);
  for (const port of t.ports) await w.deletePort(port);
}
