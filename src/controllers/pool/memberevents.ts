// Pool member health as Events on the Pool: the SE agents' heartbeats report each member's
// HAProxy check state (the SE API's agent registry, in memory only), and a member that goes DOWN
// or comes back UP is a MemberDown / MemberUp event naming the server, the SE that saw it and
// HAProxy's own check text. Per SE: each SE checks the servers itself, so a server down for
// one SE only (a network path) shows as one event, down everywhere as one per SE (the event
// recorder folds repeats into a series). Decided purely by memberEvent(); the install is the I/O.
import type { AgentChange } from '../../seapi/index.js';
import type { OperatorContext } from '../model/index.js';

export interface MemberEvent {
  /** The VirtualService the VIP belongs to: its Pool is what the event is about. */
  virtualService: { namespace: string; name: string };
  type: 'Normal' | 'Warning';
  reason: 'MemberDown' | 'MemberUp';
  note: string;
}

type MemberChange = Extract<AgentChange, { type: 'member' }>;

/** The event a member's change of state deserves, or undefined (first reports, unmonitored, disabled). */
export function memberEvent(c: MemberChange): MemberEvent | undefined {
  // VIP ids are "<namespace>/<virtualService>/<vipID>" (seapi/protocol.ts).
  const [namespace, name, vipID] = c.vipID.split('/');
  if (namespace === undefined || name === undefined || vipID === undefined) return undefined;
  const where = `as seen from Service Engine ${c.seKey} (VirtualService ${name}, VIP ${vipID})`;
  if (c.state.status === 'DOWN' && c.previous?.status !== 'DOWN') {
    return { virtualService: { namespace, name }, type: 'Warning', reason: 'MemberDown', note: `server ${c.memberID} is DOWN ${where}${c.state.reason !== undefined ? `: ${c.state.reason}` : ''}` };
  }
  if (c.state.status === 'UP' && c.previous?.status === 'DOWN') {
    return { virtualService: { namespace, name }, type: 'Normal', reason: 'MemberUp', note: `server ${c.memberID} is UP again ${where}` };
  }
  return undefined;
}

/** Records member events on the Pool of the VirtualService (both from the informer caches). */
export function installMemberEvents(ctx: OperatorContext): void {
  ctx.seChannel?.agents.onChange((c) => {
    if (c.type !== 'member') return;
    const e = memberEvent(c);
    if (e === undefined) return;
    const { namespace, name } = e.virtualService;
    const vs = ctx.informers.virtualServices.store.get(`${namespace}/${name}`);
    const pool = vs === undefined ? undefined : ctx.informers.pools.store.get(`${namespace}/${vs.spec.poolRef}`);
    if (pool !== undefined) ctx.events.record(pool, e.type, e.reason, e.note);
  });
}
