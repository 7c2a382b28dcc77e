// Plain-Neutron active-standby (an ActiveStandby group, hamode.ts activeOnly): where the VIP's
// allowed-address pair goes (a pure planner).
//
// On Contrail the VIP's instance-ip refers to every placed SE's VMI and the vRouter forwards to
// the highest local_preference (serviceenginegroup/standby.ts). Plain Neutron has no such
// preference: an allowed-address pair only lets a port send from the address, and every SE whose
// port carries it may answer ARP for the VIP — the switch then sends traffic to whichever answered
// last, so a "standby" would take traffic. So the pair sits on ONE SE's port, the active one, and
// moves to a standby when the active fails (planVipRefs drops a failed SE's ref first, then the
// next SE's is added). The active is the first ready SE in the placement's order — the oldest, the
// same one Contrail's ranking makes active and the status names primary; a replacement SE is the
// youngest, so it never preempts the SE that took over.
//
// The standbys are ready (healthy, attached, agent serving) and need no write: they count as
// programmed, so the status shows a VS with a primary and its standbys fully up.
import { planVipRefs, type EcmpPlan, type SEDataVnic } from './ecmp.js';

export interface ActiveOnlyPlan extends EcmpPlan {
  /** the SE that carries the address after the actions, when any SE is ready */
  active: string | undefined;
  /** ready SEs without the address: they take over when the active fails */
  standby: string[];
}

export function planActiveOnlyRefs(assigned: readonly string[], vnics: readonly SEDataVnic[], currentRefs: readonly string[]): ActiveOnlyPlan {
  // Which SEs are ready, in the placement's order (planVipRefs keeps it).
  const ready = planVipRefs(assigned, vnics, currentRefs).programmed;
  const active = ready[0];
  const plan = planVipRefs(active === undefined ? [] : [active], vnics, currentRefs);
  // Off the other ready SEs after the active's pair is in (planVipRefs orders failed, added, drained).
  return { ...plan, programmed: ready, active, standby: ready.slice(1) };
}
