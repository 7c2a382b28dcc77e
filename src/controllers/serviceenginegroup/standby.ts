// Active-standby that really is (haMode: ActiveStandby): which SE the vRouter forwards a VIP to.
//
// Contrail's primitive is the VMI's static local_preference (virtual_machine_interface_properties):
// the vRouter agent gives every route of the VMI that preference and the control node forwards to
// the highest, ECMP among equals. It is a property of the VMI, not of one address on it, and an
// SE's data VMI in a network carries the VIPs of every VS placed on that SE there — so a VMI cannot
// be "active for VS a, standby for VS b". The group resolves it by making the role a property of
// the SE, the same for every VS on it: SEs are ranked by age (creation time, then name — the order
// placement.ts already uses to name a VS's primary) and each SE's data VMIs get 200 − rank
// (PathPreference::HIGH for the oldest, never below 101 > LOW). For ANY set of SEs a VS is placed on,
// the highest preference is then its oldest SE, which is the primary its status reports; the
// vRouter falls back to the next one when that SE's server dies or its health check withdraws it,
// with no operator write on the data path. A replacement SE is the youngest, so it never preempts
// the SE that took over (as Avi's active/standby does not). When an older SE leaves, the younger
// ones move up: written oldest first, so at every step the order between them is unchanged.
//
// Why not a dedicated data VMI per (VS, SE): a Nova interface attachment and an address per VS per
// SE (and as many vNICs in the SE), where this costs one property write per SE when the group
// changes. The price: every VS of an ActiveStandby group is active-standby (the agent applies the
// VMI's preference to active-active addresses too, which would break their ECMP).
//
// Pure planner (planStandbyPreferences); the I/O is in standbyio.ts.
import type { GroupObj, SEPhase } from '../model/index.js';

/** haMode ActiveStandby (the CRD default is Shared). */
export const isActiveStandby = (g: Pick<GroupObj, 'spec'>): boolean => g.spec.haMode === 'ActiveStandby';

/** PathPreference::HIGH: the active SE. */
export const ACTIVE_PREFERENCE = 200;
/** Above PathPreference::LOW (100), what a VMI without a preference has: a standby still outranks it. */
export const LOWEST_STANDBY_PREFERENCE = 101;

export interface StandbyVMI { uuid: string; /** its local_preference now; undefined or 0 = unset */ preference: number | undefined }
export interface StandbySE { name: string; createdAt: string; phase: SEPhase; vmis: readonly StandbyVMI[] }
export interface PreferenceWrite { se: string; vmi: string; /** undefined: clear it (the group left ActiveStandby) */ preference: number | undefined }

const byAge = (a: StandbySE, b: StandbySE): number => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.name.localeCompare(b.name));
const isSet = (p: number | undefined): p is number => p !== undefined && p !== 0;

/** Each ranked SE's preference: the SEs that can still forward (not Failed or Deleting), by age. */
export function standbyRanks(ses: readonly StandbySE[]): Map<string, number> {
  const ranked = ses.filter((s) => s.phase !== 'Failed' && s.phase !== 'Deleting').sort(byAge);
  return new Map(ranked.map((s, i) => [s.name, Math.max(LOWEST_STANDBY_PREFERENCE, ACTIVE_PREFERENCE - i)]));
}

/**
 * The writes that bring every data VMI of the group to its SE's preference, oldest SE first (see
 * above); a Failed or Deleting SE's VMIs are left as they are (the vRouter no longer uses them).
 * Outside ActiveStandby, a preference we set earlier is cleared.
 */
export function planStandbyPreferences(activeStandby: boolean, ses: readonly StandbySE[]): PreferenceWrite[] {
  const out: PreferenceWrite[] = [];
  if (!activeStandby) {
    for (const s of ses) for (const v of s.vmis) if (isSet(v.preference)) out.push({ se: s.name, vmi: v.uuid, preference: undefined });
    return out;
  }
  const ranks = standbyRanks(ses);
  for (const s of [...ses].sort(byAge)) {
    const want = ranks.get(s.name);
    if (want === undefined) continue;
    for (const v of s.vmis) if (v.preference !== want) out.push({ se: s.name, vmi: v.uuid, preference: want });
  }
  return out;
}
