// Failover's first step: a dead Service Engine leaves every ECMP set before anything else is
// decided. Finding a replacement takes the placement reservation and a capacity claim (apiserver
// compare-and-swaps that contend when the dead SE's VSs all move at once — at 1000 VS, 50 VSs on
// one SE with 4 workers took 11–14 s to be all withdrawn when withdrawal waited for placement);
// removing a ref to a dead SE needs neither: it changes no Kubernetes object, so no capacity
// invariant (model/invariants.ts: status lists ⊆ claims ≤ maxVSPerSE) can be touched, and every
// decider agrees a dead SE carries no traffic, so no decision is being overridden. The reconcile
// that withdraws returns at once (requeued behind the other VSs the failure woke), so the whole
// failure is withdrawn before the first replacement is placed. Pure.
import { SERVER_DEAD_STATES, seReportedFailed, type SEObj } from '../model/index.js';
import type { ObservedFIP, ObservedIP, VipObservation } from './vip.js';

/**
 * The data VMIs (vmi uuid → SE name) of the SEs that are dead: reported Failed (server failed, or
 * the heartbeat repair's HeartbeatFailure), or whose server the CloudView shows in a dead state —
 * before the SE controller has written so, and after the group began deleting it (its Ready then
 * says Deleting). An SE deleted while its server runs (scale-in, retirement) is not dead: its VSs
 * drain it on the normal path (scalein.ts).
 */
export function deadDataVmis(ses: readonly SEObj[], serverStatus: (serverUUID: string) => string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const se of ses) {
    const reportedDead = seReportedFailed(se);
    const server = se.status?.serverUUID;
    const status = server !== undefined ? serverStatus(server) : undefined;
    // No "was it ACTIVE" test: only an SE that served carries refs, and once it failed its status
    // says Booted=False (ServerFailed) and, when its deletion begins, Ready=False (Deleting).
    if (!reportedDead && !(status !== undefined && SERVER_DEAD_STATES.has(status))) continue;
    for (const d of se.status?.dataInterfaces ?? []) if (d.portUUID !== undefined) out.set(d.portUUID, se.metadata.name);
  }
  return out;
}

export interface Withdrawal { on: 'ip' | 'fip'; obj: ObservedIP | ObservedFIP; vmiUUID: string; se: string }

/** Every ref of the VS's addresses and floating IPs to a dead SE's data VMI. */
export function planWithdrawals(seen: Pick<VipObservation, 'ips' | 'fips'>, dead: ReadonlyMap<string, string>): Withdrawal[] {
  if (dead.size === 0) return [];
  const out: Withdrawal[] = [];
  const of = (on: Withdrawal['on'], obj: ObservedIP | ObservedFIP): void => {
    for (const vmi of obj.vmiRefs) {
      const se = dead.get(vmi);
      if (se !== undefined) out.push({ on, obj, vmiUUID: vmi, se });
    }
  };
  for (const ip of seen.ips) of('ip', ip);
  for (const fip of seen.fips) of('fip', fip);
  return out;
}
