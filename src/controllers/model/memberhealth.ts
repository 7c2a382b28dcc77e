// Pool member health over the Service Engines that report it: pure, shared by the Pool
// controller (status.servers[].operStatus, upCount, Ready) and the VirtualService controller
// (NoMemberUp, MembersDown), each feeding the reports of the SEs it cares about.
//
// A member is UP when ANY SE that reports it sees it up: every SE runs its own checks from its own
// vantage point, and the fabric spreads clients over all of them, so a server one SE can reach is
// serving clients (each SE's HAProxy keeps its own traffic off what it sees down); one SE failing
// to reach it is that SE's path problem, not the server's — the member's serviceEngines[] shows
// which SE. It is DOWN only when every reporting SE says DOWN.
import type { MemberState } from '../../seapi/index.js';

export type PoolMemberStatus = 'UP' | 'DOWN' | 'NO_MONITOR' | 'DISABLED' | 'UNKNOWN';

/** What one SE says about the members of the pool: undefined when it is silent or reported no VIP of the pool. */
export interface SEReport {
  se: string;
  members: ReadonlyMap<string, MemberState> | undefined;
}

export interface SpecServer {
  ip: string;
  port: number;
  enabled?: boolean;
}

export interface MemberHealth {
  id: string;
  operStatus: PoolMemberStatus;
  operReason?: string;
  /** The SEs that report the member, with what each sees (sorted by name). */
  serviceEngines: { name: string; operStatus: PoolMemberStatus }[];
}

/** status.servers[].serviceEngines maxItems in crds/pool.yaml. */
export const MAX_SE_VIEWS = 64;

export const memberID = (s: { ip: string; port: number }): string => `${s.ip}:${s.port}`;

/** Counts as serving: checked UP, or not checked at all (no health monitor: HAProxy sends it traffic). */
export const isUp = (s: PoolMemberStatus | undefined): boolean => s === 'UP' || s === 'NO_MONITOR';

/** One member's status over the SEs that report it (any UP wins; DOWN only when all say DOWN). */
export function aggregateMember(s: SpecServer, reports: readonly SEReport[]): MemberHealth {
  const id = memberID(s);
  const seen = reports
    .flatMap((r) => {
      const st = r.members?.get(id);
      return st === undefined ? [] : [{ name: r.se, state: st }];
    })
    .sort((a, b) => a.name.localeCompare(b.name));
  // The CRD holds at most MAX_SE_VIEWS (a pool shared by several VSs may be on more SEs); the
  // status is judged over all of them.
  const serviceEngines = seen.slice(0, MAX_SE_VIEWS).map((x) => ({ name: x.name, operStatus: x.state.status as PoolMemberStatus }));
  if (s.enabled === false) return { id, operStatus: 'DISABLED', operReason: 'disabled in spec', serviceEngines };
  const has = (st: PoolMemberStatus): boolean => seen.some((x) => x.state.status === st);
  if (has('UP')) return { id, operStatus: 'UP', serviceEngines };
  if (has('NO_MONITOR')) return { id, operStatus: 'NO_MONITOR', operReason: 'the pool has no health monitor: assumed up', serviceEngines };
  const down = seen.filter((x) => x.state.status === 'DOWN');
  if (down.length > 0) {
    const why = down.map((x) => `${x.name}: ${x.state.reason ?? 'check failed'}`).slice(0, 3).join('; ');
    return { id, operStatus: 'DOWN', operReason: `down on every reporting Service Engine (${why})`, serviceEngines };
  }
  // Only DISABLED reports although the spec enables it: the SEs have not applied the change yet.
  const operReason = seen.length > 0 ? 'enabled in spec; the Service Engines have not applied it yet' : 'no Service Engine has reported it';
  return { id, operStatus: 'UNKNOWN', operReason, serviceEngines };
}

export interface MemberCounts {
  total: number;
  up: number;
  down: number;
  disabled: number;
  unknown: number;
  /** Members some SE reported (any status). */
  reported: number;
  /** ip:port of the DOWN members (first few), for messages. */
  downIDs: string[];
}

export function countMembers(members: readonly MemberHealth[]): MemberCounts {
  const c: MemberCounts = { total: members.length, up: 0, down: 0, disabled: 0, unknown: 0, reported: 0, downIDs: [] };
  for (const m of members) {
    if (isUp(m.operStatus)) c.up++;
    else if (m.operStatus === 'DOWN') {
      c.down++;
      if (c.downIDs.length < 5) c.downIDs.push(m.id);
    } else if (m.operStatus === 'DISABLED') c.disabled++;
    else c.unknown++;
    if (m.serviceEngines.length > 0) c.reported++;
  }
  return c;
}

/** The member counts of a pool as a set of SEs sees it (what a VirtualService shows). */
export function memberCounts(servers: readonly SpecServer[], reports: readonly SEReport[]): MemberCounts {
  return countMembers(servers.map((s) => aggregateMember(s, reports)));
}

/** The VirtualService ("namespace/name") a VIP id ("<namespace>/<name>/<vipID>") belongs to. */
export function vsOfVip(vipID: string): string | undefined {
  const parts = vipID.split('/');
  return parts.length === 3 ? `${parts[0] ?? ''}/${parts[1] ?? ''}` : undefined;
}
