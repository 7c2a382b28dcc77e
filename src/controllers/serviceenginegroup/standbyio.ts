// The I/O half of standby.ts: reads the group's data VMIs' local_preference from the CloudView,
// writes what planStandbyPreferences says (one VMI PUT each, written through to the view), and
// tells which SE became the active one. Contrail only: a plain-Neutron cloud has no preference
// (there the VIP's allowed-address pair sits on the primary SE's port alone, virtualservice/activeonly.ts).
import { isCloudError, KIND } from '../../cloud/index.js';
import type { ReconcileContext } from '../../runtime/index.js';
import { sePhase, type GroupObj, type OperatorContext, type SEObj } from '../model/index.js';
import { ACTIVE_PREFERENCE, isActiveStandby, planStandbyPreferences, type StandbySE } from './standby.js';

type VmiObj = { virtual_machine_interface_properties?: Record<string, unknown> };

const preferenceOf = (o: VmiObj | undefined): number | undefined => {
  const v = o?.virtual_machine_interface_properties?.['local_preference'];
  return typeof v === 'number' ? v : undefined;
};

/** Brings the group's data VMIs to their SE's preference; returns how many it wrote. */
export async function syncStandbyPreferences(ctx: OperatorContext, group: GroupObj, ses: readonly SEObj[], rc: ReconcileContext): Promise<number> {
  const conn = ctx.connections.get(group.spec.cloudRef);
  const contrail = conn?.cloud.contrail;
  if (conn === undefined || conn.mode !== 'contrail' || contrail === undefined || !conn.ready || !conn.view.synced) return 0;
  const seen: StandbySE[] = ses.map((se) => ({
    name: se.metadata.name,
    createdAt: se.metadata.creationTimestamp ?? '',
    phase: sePhase(se).phase,
    vmis: (se.status?.dataInterfaces ?? []).flatMap((d) => {
      const o = d.portUUID === undefined ? undefined : conn.view.get<VmiObj>(KIND.vmi, d.portUUID);
      return o === undefined ? [] : [{ uuid: o.id, preference: preferenceOf(o.obj) }];
    }),
  }));
  const writes = planStandbyPreferences(isActiveStandby(group), seen);
  const promoted = new Set<string>();
  for (const w of writes) {
    const cur = conn.view.get<VmiObj>(KIND.vmi, w.vmi);
    if (cur === undefined) continue;
    // The whole property object is PUT: keep what else it holds. 0 is Contrail's "unset".
    const props = { ...(cur.obj.virtual_machine_interface_properties ?? {}), local_preference: w.preference ?? 0 };
    try {
      await contrail.update(KIND.vmi, w.vmi, { virtual_machine_interface_properties: props });
    } catch (e) {
      // A data port deleted meanwhile (scale-in): the next list shows what is left.
      if (isCloudError(e) && e.kind === 'NotFound') { conn.view.invalidate(KIND.vmi); continue; }
      const text = isCloudError(e) ? e.message : String(e);
      ctx.events.record(group, 'Warning', 'SEPreferenceFailure', `Service Engine ${w.se}: setting local_preference ${w.preference ?? 0} on VMI ${w.vmi}: ${text}`);
      throw e;
    }
    conn.view.written(KIND.vmi, w.vmi, { ...cur.obj, virtual_machine_interface_properties: props }, cur.owner);
    if (w.preference === ACTIVE_PREFERENCE) promoted.add(w.se);
  }
  for (const se of promoted) {
    ctx.events.record(group, 'Normal', 'SEActive', `Service Engine ${se} is the active SE (its data vNICs have local_preference ${ACTIVE_PREFERENCE}); the others stand by`);
  }
  if (writes.length > 0) rc.log.info('active-standby preferences written', { writes: writes.length, active: [...promoted] });
  return writes.length;
}
