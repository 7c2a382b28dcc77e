// The address mode a VS's VIPs get: its own scaleout.ecmp, except in an ActiveStandby group,
// where every VIP is active-standby — the group ranks its SEs by local_preference on their data
// VMIs (serviceenginegroup/standby.ts), a preference the vRouter agent applies to every address
// on the VMI, so an active-active VIP sharing those VMIs would lose its ECMP anyway.
import { vsSpec, type CloudMode, type GroupObj, type VSObj } from '../model/index.js';

export function addressEcmp(vs: Pick<VSObj, 'spec'>, group: GroupObj | undefined): boolean {
  return vsSpec(vs).scaleout.ecmp && group?.spec.haMode !== 'ActiveStandby';
}

/**
 * Plain Neutron, ActiveStandby group: the VIP's allowed-address pair on the active SE's port alone
 * (activeonly.ts). Not for a Shared group's scaleout.ecmp false: there every placed SE keeps the
 * pair, as primary-SE flow distribution needs every SE to send from the VIP.
 */
export function activeOnly(mode: CloudMode, group: GroupObj | undefined): boolean {
  return mode !== 'contrail' && group?.spec.haMode === 'ActiveStandby';
}
