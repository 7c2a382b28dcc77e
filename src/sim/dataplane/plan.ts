// The pure half of the data plane: what the kernel should hold for a model snapshot (SE
// namespaces, one veth per data vNIC, one resilient nexthop group per routed prefix), and the
// ordered actions that take the applied state there. No I/O here; apply.ts runs the actions.
import type { ServerStatus } from '../compute.js';

export interface VnicWant {
  vmi: string;
  server: string;
  network: string;
  mac: string;
  /** Kernel address and prefix length of the VMI's first instance-ip, and its subnet's gateway. */
  address: string;
  prefixLen: number;
  gateway: string;
}

export interface ServerWant { id: string; name: string; status: ServerStatus }

/** A routed prefix in the fabric: the kernel prefix and the VMIs forwarding it, in model order. */
export interface RouteWant {
  prefix: string; network: string; members: string[];
  /**
   * Active-standby (vrouter.ts): every live VMI with its local_preference. The group then holds
   * only the highest preference among those not withdrawn — the standby's next hop enters it
   * when the active's health check fails, as the vRouter falls back to the next path.
   */
  candidates?: Array<{ vmi: string; preference: number }>;
}

/** The candidates of the highest preference, in model order. */
export function preferredMembers(c: ReadonlyArray<{ vmi: string; preference: number }>): string[] {
  if (c.length === 0) return [];
  const best = Math.max(...c.map((x) => x.preference));
  return c.filter((x) => x.preference === best).map((x) => x.vmi);
}

export interface DataplaneWant {
  servers: Map<string, ServerWant>;
  vnics: Map<string, VnicWant>;
  routes: Map<string, RouteWant>;
}

export type Action =
  | { kind: 'AddServer'; server: ServerWant }
  | { kind: 'AddVnic'; vnic: VnicWant }
  | { kind: 'SetRoute'; route: RouteWant }
  | { kind: 'DelRoute'; prefix: string }
  | { kind: 'DelVnic'; vmi: string }
  | { kind: 'DelServer'; id: string }
  | { kind: 'ServerState'; id: string; from: ServerStatus; to: ServerStatus };

const sameVnic = (a: VnicWant, b: VnicWant): boolean =>
  a.server === b.server && a.mac === b.mac && a.address === b.address && a.prefixLen === b.prefixLen && a.gateway === b.gateway;

/**
 * Actions from `applied` to `want`, in an order that never strands a packet on a missing device:
 * namespaces and vNICs first, then routes (group members replaced in place), then what left.
 * Members whose vNIC is not there (or is withdrawn by a health check) are left out of a group; a
 * prefix with no member becomes an unreachable route, as a vRouter drops what it cannot forward.
 */
export function planDataplane(applied: DataplaneWant, want: DataplaneWant, withdrawn: ReadonlySet<string> = new Set()): Action[] {
  const out: Action[] = [];
  for (const [id, s] of want.servers) if (!applied.servers.has(id)) out.push({ kind: 'AddServer', server: s });
  const changedVnic = new Set<string>();
  for (const [vmi, v] of want.vnics) {
    const had = applied.vnics.get(vmi);
    if (had !== undefined && !sameVnic(had, v)) changedVnic.add(vmi);
  }
  // A vNIC that changed (moved to another server, new address) is removed and made again.
  for (const vmi of changedVnic) out.push({ kind: 'DelVnic', vmi });
  for (const [vmi, v] of want.vnics) if (!applied.vnics.has(vmi) || changedVnic.has(vmi)) out.push({ kind: 'AddVnic', vnic: v });
  for (const [prefix, r] of want.routes) {
    // A withdrawn VMI keeps the route to its own address: the probe that may bring it back needs it.
    const usable = (m: string): boolean => want.vnics.has(m) && (!withdrawn.has(m) || `${want.vnics.get(m)?.address ?? ''}/32` === prefix);
    const members = r.candidates !== undefined ? preferredMembers(r.candidates.filter((c) => usable(c.vmi))) : r.members.filter(usable);
    const had = applied.routes.get(prefix);
    const touched = had !== undefined && had.members.some((m) => changedVnic.has(m));
    if (had === undefined || touched || had.members.join(',') !== members.join(',')) out.push({ kind: 'SetRoute', route: { ...r, members } });
  }
  for (const prefix of applied.routes.keys()) if (!want.routes.has(prefix)) out.push({ kind: 'DelRoute', prefix });
  for (const vmi of applied.vnics.keys()) if (!want.vnics.has(vmi)) out.push({ kind: 'DelVnic', vmi });
  for (const [id, s] of applied.servers) {
    const w = want.servers.get(id);
    if (w === undefined) out.push({ kind: 'DelServer', id });
    else if (w.status !== s.status) out.push({ kind: 'ServerState', id, from: s.status, to: w.status });
  }
  return out;
}

/** What SE processes do on a status change: run, freeze (a hung VM), or stop (powered off). */
export function processTransition(from: ServerStatus | undefined, to: ServerStatus): 'start' | 'freeze' | 'thaw' | 'stop' | 'none' {
  if (to === 'ACTIVE') return from === 'ERROR' ? 'thaw' : from === 'ACTIVE' ? 'none' : 'start';
  if (to === 'ERROR') return from === 'ACTIVE' ? 'freeze' : 'none';
  if (to === 'SHUTOFF') return from === 'ACTIVE' || from === 'ERROR' ? 'stop' : 'none';
  return 'none';
}
