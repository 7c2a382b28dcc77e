// Which SEs check a Pool, and what they say: read from the caches (the VirtualServices that use
// the pool, their status.serviceEngines) and the agent registry. The planner (health.ts) decides.
import { INDEX, type OperatorContext, type PoolObj, type SEChannel, type VSObj } from '../model/index.js';
import type { MemberState } from '../../seapi/index.js';
import type { SEReport } from './health.js';

export interface PoolReports {
  /** Some enabled VirtualService uses the pool. */
  inUse: boolean;
  /** One per SE carrying such a VS (programmed in its ECMP set; sorted by name). */
  reports: SEReport[];
}

const usesPool = (vs: VSObj): boolean => vs.spec.enabled !== false && vs.metadata.deletionTimestamp === undefined;

export function poolReports(ctx: OperatorContext, ch: SEChannel, pool: PoolObj): PoolReports {
  const ns = pool.metadata.namespace ?? '';
  const users = ctx.informers.virtualServices.store.byIndex(INDEX.vsByPool, `${ns}/${pool.metadata.name}`).filter(usesPool);
  const bySE = new Map<string, Map<string, MemberState>>();
  for (const vs of users) {
    for (const s of vs.status?.serviceEngines ?? []) {
      // Only SEs in the VS's ECMP set count: one still attaching its server-network vNIC (or not
      // yet programmed) checks from nowhere and would call every server DOWN.
      if (s.name === undefined || s.cloudProgrammingDone !== true) continue;
      const members = ch.poolMembers(`${ns}/${s.name}`, vs.metadata.name);
      const merged = bySE.get(s.name) ?? new Map();
      bySE.set(s.name, merged);
      // Two VSs on one SE share the pool: a member UP for either is UP on that SE.
      for (const [id, st] of members ?? []) if (merged.get(id)?.status !== 'UP') merged.set(id, st);
    }
  }
  const reports = [...bySE.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([se, members]) => ({ se, members: members.size > 0 ? members : undefined }));
  return { inUse: users.length > 0, reports };
}

/** The pools ("namespace/name") whose health an agent change may move. */
export function poolsOfSE(ctx: OperatorContext, seKey: string): string[] {
  const ns = seKey.slice(0, seKey.indexOf('/'));
  return [...new Set(ctx.informers.virtualServices.store.byIndex(INDEX.vsBySE, seKey).map((vs) => `${ns}/${vs.spec.poolRef}`))];
}

export function poolOfVS(ctx: OperatorContext, vsKey: string): string | undefined {
  const vs = ctx.informers.virtualServices.store.get(vsKey);
  return vs === undefined ? undefined : `${vs.metadata.namespace ?? ''}/${vs.spec.poolRef}`;
}
