// Which SE data VMIs the VIP's instance-ip (and its floating IP) must refer to: a pure planner
// (DESIGN.md §3.2). An SE joins the ECMP set only once it is healthy and its data vNIC in the VIP
// network is attached — and, with the SE API on, once its agent reports the VS's current config
// applied with its listeners up (`joinable`): a next hop added before that takes the flows the
// fabric hashes to it while nothing listens on the VIP there, and those requests fail. An SE
// already in the set stays while a newer config rolls out. Refs to SEs that failed go first
// (failover), then new refs are added, then scale-in refs are removed (drain), so the VIP never
// loses every next hop needlessly.

export interface SEDataVnic {
  se: string;
  /** the SE's data VMI (Neutron port) in the VIP network, when it exists */
  vmiUUID: string | undefined;
  /** that vNIC is attached to the SE's server */
  attached: boolean;
  healthy: boolean;
  /** may join the set now (the agent serves the VS); absent: no agent gate (SE API off) */
  joinable?: boolean;
}

export type RefAction =
  | { op: 'ADD'; vmiUUID: string; se: string }
  | { op: 'DELETE'; vmiUUID: string; reason: 'failed' | 'scale-in' | 'unknown' };

export interface EcmpPlan {
  actions: RefAction[];
  /** SEs whose ref is in place once the actions are applied (cloudProgrammingDone) */
  programmed: string[];
}

export function planVipRefs(assigned: readonly string[], vnics: readonly SEDataVnic[], currentRefs: readonly string[]): EcmpPlan {
  const bySE = new Map(vnics.map((v) => [v.se, v]));
  const byVMI = new Map(vnics.filter((v) => v.vmiUUID !== undefined).map((v) => [v.vmiUUID!, v]));
  const current = new Set(currentRefs);

  const ready = assigned
    .map((se) => bySE.get(se))
    .filter((v): v is SEDataVnic & { vmiUUID: string } => v !== undefined && v.healthy && v.attached && v.vmiUUID !== undefined &&
      (v.joinable !== false || current.has(v.vmiUUID)));
  const desired = new Set(ready.map((v) => v.vmiUUID));

  const failed: RefAction[] = [];
  const drained: RefAction[] = [];
  for (const vmi of currentRefs) {
    if (desired.has(vmi)) continue;
    const owner = byVMI.get(vmi);
    if (owner === undefined) failed.push({ op: 'DELETE', vmiUUID: vmi, reason: 'unknown' });
    else if (!owner.healthy) failed.push({ op: 'DELETE', vmiUUID: vmi, reason: 'failed' });
    else drained.push({ op: 'DELETE', vmiUUID: vmi, reason: 'scale-in' });
  }
  const added: RefAction[] = ready.filter((v) => !current.has(v.vmiUUID)).map((v) => ({ op: 'ADD', vmiUUID: v.vmiUUID, se: v.se }));

  return { actions: [...failed, ...added, ...drained], programmed: ready.map((v) => v.se) };
}

/** With the SE API on, each vNIC's SE may join only once `serves(se)` (its agent serves the VS). */
export function gateOnAgents(vnics: SEDataVnic[], serves: ((se: string) => boolean) | undefined): SEDataVnic[] {
  return serves === undefined ? vnics : vnics.map((v) => ({ ...v, joinable: serves(v.se) }));
}
