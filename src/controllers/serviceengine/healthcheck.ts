// The SE's data-path probe: one Contrail service-health-check per SE, `lbop-<uid8>-hc`, attached
// to each of its data VMIs (cloud-api.md: virtual_machine_interface → service_health_check_refs;
// a non-service VMI may only refer to a `link-local` check). The vRouter runs it against the
// VMI's own address and withdraws the VMI from every ECMP set when it fails — traffic failover
// with no operator involved — and reports the result in the VMI's analytics UVE, which is the
// data-path signal judgeHeartbeat (model/repair.ts) needs to tell a partitioned SE from a dead one.
//
// What it probes: HTTP GET http://<the VMI's address>:8404/lbop-health, answered by the SE's own
// HAProxy (`se-agent --health-check-port`): it proves the proxy on that vNIC serves, which is
// more than a ping (the kernel answers a ping of a VM whose proxy is hung). Its timing is below
// (model/repair.ts's DATA_PATH_PROBE_WINDOW_MS is its worst case; measured in docs/se-repair.md).
//
// Planner pure (planHealthCheck), I/O in applyHealthCheck; the view holds the checks (owner tags
// in annotations) and the VMIs' refs, so steady state makes no cloud call.
import { KIND, objectName, stampAnnotations, type CloudView, type ContrailClient, type FqName, type Owner, type Ref, type VmiHealth } from '../../cloud/index.js';
import { isCloudError } from '../../cloud/index.js';
import type { DataPath } from '../model/index.js';

export const HEALTH_CHECK_PORT = 8404;
export const HEALTH_CHECK_PATH = '/lbop-health';

/** The check's properties (vnc_cfg.xsd ServiceHealthCheckType). */
export const HEALTH_CHECK_PROPERTIES = {
  enabled: true, health_check_type: 'link-local', monitor_type: 'HTTP', http_method: 'GET',
  // Contrail's link-local form: `local-ip` stands for the VMI's own address.
  url_path: `http://local-ip:${HEALTH_CHECK_PORT}${HEALTH_CHECK_PATH}`, expected_codes: '200',
  // 0.5 s apart, 0.5 s timeout (the *Usecs fields add to the whole seconds), 2 misses: a dead SE
  // is withdrawn 1–2 s after it stops answering, inside issue 13's ≤ 3 s.
  delay: 0, delayUsecs: 500_000, timeout: 0, timeoutUsecs: 500_000, max_retries: 2,
} as const;

export const healthCheckName = (seUID: string): string => objectName(seUID, 'hc');

export interface SeenCheck { uuid: string; name: string; attachedTo: string[] }
export interface SeenDataVMI { uuid: string; fqName: FqName; checks: string[] }

export type HealthCheckAction =
  | { kind: 'CreateHealthCheck'; name: string; parent: FqName }
  | { kind: 'AttachHealthCheck'; vmi: string; check: string }
  | { kind: 'DetachHealthCheck'; vmi: string; check: string }
  | { kind: 'DeleteHealthCheck'; check: string };

/**
 * want = the SE is kept (not being deleted): its check exists and every data VMI refers to it.
 * Otherwise (teardown) each check is detached from what still refers to it, then deleted. A
 * duplicate (two creates racing) is treated as an extra: detached and deleted.
 */
export function planHealthCheck(want: boolean, name: string, checks: readonly SeenCheck[], vmis: readonly SeenDataVMI[]): HealthCheckAction[] {
  const keep = want ? ([...checks].sort((a, b) => (a.name === name ? -1 : 0) - (b.name === name ? -1 : 0) || a.uuid.localeCompare(b.uuid))[0]) : undefined;
  const out: HealthCheckAction[] = [];
  for (const c of checks) {
    if (c === keep) continue;
    for (const v of c.attachedTo) out.push({ kind: 'DetachHealthCheck', vmi: v, check: c.uuid });
    out.push({ kind: 'DeleteHealthCheck', check: c.uuid });
  }
  if (!want) return out;
  if (keep === undefined) {
    // The project the SE's VMIs live in; a VMI only written through (no list yet) has no fq_name.
    const parent = vmis.find((v) => v.fqName.length === 3)?.fqName.slice(0, 2);
    if (parent !== undefined) out.push({ kind: 'CreateHealthCheck', name, parent });
    return out;
  }
  for (const v of vmis) if (!v.checks.includes(keep.uuid)) out.push({ kind: 'AttachHealthCheck', vmi: v.uuid, check: keep.uuid });
  return out;
}

const uuids = (refs: unknown): string[] => (Array.isArray(refs) ? (refs as Ref[]).flatMap((r) => (r.uuid === undefined ? [] : [r.uuid])) : []);

/** The SE's checks and data VMIs as the view shows them (pure over the view). */
export function observeHealthChecks(view: CloudView, uid: string, dataVMIs: readonly string[]): { checks: SeenCheck[]; vmis: SeenDataVMI[] } {
  const owned = view.ownedBy(uid);
  const checks = owned.filter((o) => o.kind === KIND.serviceHealthCheck).map((o) => {
    const obj = o.obj as { name?: string; display_name?: string; fq_name?: FqName; virtual_machine_interface_back_refs?: unknown };
    return { uuid: o.id, name: obj.display_name ?? obj.name ?? obj.fq_name?.[obj.fq_name.length - 1] ?? '', attachedTo: uuids(obj.virtual_machine_interface_back_refs) };
  });
  const vmis = dataVMIs.flatMap((id) => {
    const o = view.get(KIND.vmi, id);
    if (o === undefined) return [];
    const obj = o.obj as { fq_name?: FqName; service_health_check_refs?: unknown };
    return [{ uuid: id, fqName: obj.fq_name ?? [], checks: uuids(obj.service_health_check_refs) }];
  });
  return { checks, vmis };
}

/** Applies the plan; the view is told (write-through, then a fresh list). Says whether it wrote. */
export async function applyHealthCheck(contrail: ContrailClient, view: CloudView, owner: Owner, actions: readonly HealthCheckAction[]): Promise<boolean> {
  for (const a of actions) {
    switch (a.kind) {
      case 'CreateHealthCheck': {
        const fq = [...a.parent, a.name];
        try {
          const r = await contrail.create(KIND.serviceHealthCheck, {
            fq_name: fq, parent_type: 'project', display_name: a.name, annotations: stampAnnotations(owner),
            service_health_check_properties: { ...HEALTH_CHECK_PROPERTIES },
          });
          view.written(KIND.serviceHealthCheck, r.uuid, { uuid: r.uuid, fq_name: fq, display_name: a.name, virtual_machine_interface_back_refs: [] }, owner);
        } catch (e) {
          // Another reconcile (or a crash before the list) made it: the name is ours; adopt on the next list.
          if (!(isCloudError(e) && e.kind === 'Conflict')) throw e;
        }
        break;
      }
      case 'AttachHealthCheck':
      case 'DetachHealthCheck':
      {
        try {
          await contrail.refUpdate({ type: KIND.vmi, uuid: a.vmi, refType: KIND.serviceHealthCheck, refUuid: a.check, operation: a.kind === 'AttachHealthCheck' ? 'ADD' : 'DELETE' });
        } catch (e) {
          // A detach from a VMI already deleted: its ref went with it. (An attach to one is a real error.)
          if (!(a.kind === 'DetachHealthCheck' && isCloudError(e) && e.kind === 'NotFound')) throw e;
        }
        const cur = view.get(KIND.vmi, a.vmi);
        if (cur !== undefined) {
          const obj = cur.obj as { service_health_check_refs?: Ref[] };
          const rest = (obj.service_health_check_refs ?? []).filter((r) => r.uuid !== a.check);
          const refs = a.kind === 'AttachHealthCheck' ? [...rest, { to: [], uuid: a.check }] : rest;
          view.written(KIND.vmi, a.vmi, { ...obj, service_health_check_refs: refs }, cur.owner);
        }
        break;
      }
      case 'DeleteHealthCheck':
        try {
          await contrail.delete(KIND.serviceHealthCheck, a.check);
        } catch (e) {
          if (!(isCloudError(e) && e.kind === 'NotFound')) throw e;
        }
        view.deleted(KIND.serviceHealthCheck, a.check);
        break;
    }
  }
  if (actions.length > 0) {
    view.invalidate(KIND.serviceHealthCheck);
    view.invalidate(KIND.vmi);
  }
  return actions.length > 0;
}

/**
 * The data path from the VMIs' health as the vRouters report it (pure): Up when any data vNIC's
 * check passes (the SE still serves through it), Down when every reported one fails, Unknown when
 * none is reported (no check attached yet, no analytics, plain Neutron).
 */
export function dataPathOf(vmis: readonly FqName[], health: ReadonlyMap<string, VmiHealth>): DataPath {
  const reported = vmis.flatMap((fq) => {
    const h = health.get(fq.join(':'));
    return h === undefined ? [] : [{ fq, h }];
  });
  if (reported.length === 0) return { state: 'Unknown', reason: 'no data-path health-check report for the SE\'s data vNICs' };
  if (reported.some((r) => r.h.active)) return { state: 'Up' };
  const names = [...new Set(reported.flatMap((r) => r.h.checks.map((c) => c.name.split(':').pop() ?? c.name)))].sort();
  return { state: 'Down', reason: `health check ${names.join(', ') || '(unnamed)'} fails on ${reported.length}/${vmis.length} data vNIC(s)` };
}
