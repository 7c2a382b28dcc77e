// Pool member health as a VirtualService shows it: the members as the VS's own SEs see them (their
// agents' HAProxy checks), turned into the oper state's NoMemberUp and the Degraded condition's
// MembersDown / MembersUnknown. Pure except vsMembers, which reads the caches and the registry.
import { memberCounts, type MemberCounts, type OperatorContext, type VSObj } from '../model/index.js';

/**
 * The VS's pool members over the SEs carrying it (healthy and programmed: an SE still attaching
 * its server-network vNIC would see every server DOWN); undefined without the SE API or the Pool.
 */
export function vsMembers(ctx: OperatorContext, vs: VSObj, ses: readonly { name: string; healthy: boolean; attached: boolean }[]): MemberCounts | undefined {
  const ch = ctx.seChannel;
  const ns = vs.metadata.namespace ?? '';
  const pool = ctx.informers.pools.store.get(`${ns}/${vs.spec.poolRef}`);
  if (ch === undefined || pool === undefined) return undefined;
  const reports = ses.filter((s) => s.healthy && s.attached).map((s) => ({ se: s.name, members: ch.poolMembers(`${ns}/${s.name}`, vs.metadata.name) }));
  return memberCounts(pool.spec.servers ?? [], reports);
}

export interface MemberVerdict {
  /** Set when no member can serve: the VS is OPER_DOWN with this message, Ready=False NoMemberUp. */
  down?: string;
  degraded?: { status: 'True' | 'Unknown'; reason: 'MembersDown' | 'MembersUnknown'; message: string };
}

export function memberVerdict(m: MemberCounts | undefined): MemberVerdict {
  if (m === undefined) return {};
  const downs = m.downIDs.join(', ') + (m.down > m.downIDs.length ? ', …' : '');
  if (m.total === 0) return { down: 'no pool server is up: the pool has no servers' };
  // Unknown members (not reported yet: a config in flight) may be up: not down on their account.
  if (m.up === 0 && m.unknown === 0) {
    return { down: m.down > 0 ? `no pool server is up (DOWN: ${downs}${m.disabled > 0 ? `; ${m.disabled} disabled` : ''})` : 'no pool server is up: all are disabled' };
  }
  if (m.down > 0) return { degraded: { status: 'True', reason: 'MembersDown', message: `${m.down} of ${m.total - m.disabled} enabled pool servers are DOWN: ${downs}` } };
  if (m.unknown > 0) {
    return { degraded: { status: 'Unknown', reason: 'MembersUnknown', message: m.reported === 0 ? 'no Service Engine has reported the pool servers yet' : `${m.unknown} pool servers not reported by any Service Engine yet` } };
  }
  return {};
}
