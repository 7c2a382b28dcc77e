// `show stat` CSV → the protocol's per-VIP reports. Pure.
// Member status: MAINT (config `disabled` or `set server … state maint`) → DISABLED; "no check" →
// NO_MONITOR; DOWN, "DOWN n/m" (going up) → DOWN; UP, "UP n/m" (going down), NOLB, DRAIN → UP (a
// draining server still serves its connections). A member HAProxy does not list (a worker just
// reloaded, the stats socket not answering) → NO_MONITOR when unmonitored, DISABLED when disabled,
// else the status last reported for it, else left out of the report: calling it DOWN would tell
// the operator a server failed when only the sample did (a PoolMemberDown for nothing).
import type { MemberOperStatus, MemberReport, VipReport } from '../../seapi/protocol.js';
import type { RenderedVip } from './render.js';

export type StatRow = Record<string, string>;

export function parseShowStat(csv: string): StatRow[] {
  const lines = csv.split('\n').filter((l) => l.trim() !== '');
  const head = lines.shift();
  if (head === undefined || !head.startsWith('# ')) return [];
  const cols = head.slice(2).split(',');
  return lines.map((line) => {
    const cells = line.split(',');
    const row: StatRow = {};
    cols.forEach((c, i) => {
      if (c !== '' && c !== '-') row[c] = cells[i] ?? '';
    });
    return row;
  });
}

const num = (row: StatRow | undefined, col: string): number => {
  const v = Number(row?.[col] ?? '');
  return Number.isFinite(v) ? v : 0;
};

/** Sessions and requests over every VIP frontend of one HAProxy (`fe:` names, see render.ts). */
export interface FrontendTotals { sessions: number; requests: number }

/**
 * What one SE's HAProxy carried for all its VIPs: the per-SE count a demo or a traffic test reads
 * from the stats socket (the agent's idle and stats frontends are not VIP traffic).
 */
export function vipFrontendTotals(rows: StatRow[]): FrontendTotals {
  let sessions = 0;
  let requests = 0;
  for (const r of rows) {
    if (r['svname'] !== 'FRONTEND' || !(r['pxname'] ?? '').startsWith('fe:')) continue;
    sessions += num(r, 'stot');
    requests += num(r, 'req_tot');
  }
  return { sessions, requests };
}

export function memberStatus(status: string): MemberOperStatus {
  if (status.startsWith('MAINT')) return 'DISABLED';
  if (status === 'no check') return 'NO_MONITOR';
  if (status.startsWith('DOWN')) return 'DOWN';
  return 'UP';
}

/** Key of a member's last reported status: "<vipID>|<memberID>". */
export const memberKey = (vipID: string, memberID: string): string => `${vipID}|${memberID}`;

export function vipReports(vips: RenderedVip[], rows: StatRow[], last: ReadonlyMap<string, MemberOperStatus> = new Map()): VipReport[] {
  const byKey = new Map(rows.map((r) => [`${r['pxname']}/${r['svname']}`, r]));
  return vips.map((vip) => {
    const frontendNames = [...new Set(vip.frontends.map((f) => f.name))];
    const fronts = frontendNames.map((n) => byKey.get(`${n}/FRONTEND`));
    const backs = vip.backends.map((b) => byKey.get(`${b}/BACKEND`));
    const sum = (rs: (StatRow | undefined)[], col: string): number => rs.reduce((n, r) => n + num(r, col), 0);
    const members = new Map<string, MemberReport>();
    for (const s of vip.servers) {
      const row = byKey.get(`${s.backend}/${s.server}`);
      const seen = members.get(s.memberID);
      if (seen !== undefined) {
        // The same member in the tcp and http backends: one report, connections summed.
        seen.currentConnections += num(row, 'scur');
        seen.totalConnections += num(row, 'stot');
        continue;
      }
      const status: MemberOperStatus | undefined =
        row === undefined ? (!s.enabled ? 'DISABLED' : vip.monitored ? last.get(memberKey(vip.id, s.memberID)) : 'NO_MONITOR') : memberStatus(row['status'] ?? '');
      if (status === undefined) continue;
      const report: MemberReport = {
        id: s.memberID,
        status,
        currentConnections: num(row, 'scur'),
        totalConnections: num(row, 'stot'),
      };
      const desc = row?.['check_desc'] ?? row?.['last_chk'] ?? '';
      if (status === 'DOWN' && desc !== '') report.reason = desc;
      members.set(s.memberID, report);
    }
    const listeners = [
      ...vip.frontends.map((f) => ({ port: f.port, up: byKey.get(`${f.name}/FRONTEND`)?.['status'] === 'OPEN' })),
      ...vip.unservedPorts.map((port) => ({ port, up: false })),
    ];
    const rtimes = backs.filter((b) => b !== undefined).map((b) => num(b, 'rtime'));
    return {
      id: vip.id,
      listeners,
      members: [...members.values()],
      currentConnections: sum(fronts, 'scur'),
      totalConnections: sum(fronts, 'stot'),
      bytesIn: sum(fronts, 'bin'),
      bytesOut: sum(fronts, 'bout'),
      // HTTP frontends count requests; a TCP one's req_tot stays 0 (or empty): its sessions are its requests (docs/metrics-analytics.md).
      requests: fronts.reduce((n, f) => n + (f?.['mode'] === 'tcp' || f?.['req_tot'] === undefined || f['req_tot'] === '' ? num(f, 'stot') : num(f, 'req_tot')), 0),
      errors: {
        http4xx: sum(fronts, 'hrsp_4xx'),
        http5xx: sum(fronts, 'hrsp_5xx'),
        connection: sum(backs, 'econ') + sum(fronts, 'ereq'),
      },
      responseTimeMs: rtimes.length === 0 ? 0 : Math.max(...rtimes),
    };
  });
}
