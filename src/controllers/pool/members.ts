// What one SE's agent says about the members of one VirtualService's pool, read from the agent
// registry (the last heartbeat: in memory, never etcd). The VIP ids of a VS are
// "<namespace>/<name>/<vipID>" and the SE is in the VS's namespace; a VS with several VIPs has one
// pool, so its members are merged over the VIPs (a member UP on any VIP is UP on the SE).
import type { AgentRegistry, MemberState } from '../../seapi/index.js';

const RANK: Record<MemberState['status'], number> = { UP: 3, NO_MONITOR: 2, DOWN: 1, DISABLED: 0 };

/** undefined: the agent is not connected, or its last heartbeat carried no VIP of the VS. */
export function reportedMembers(agents: AgentRegistry, seKey: string, virtualService: string): ReadonlyMap<string, MemberState> | undefined {
  const rec = agents.get(seKey);
  if (rec === undefined || !agents.connected(seKey)) return undefined;
  const ns = seKey.slice(0, seKey.indexOf('/'));
  const prefix = `${ns}/${virtualService}/`;
  let out: Map<string, MemberState> | undefined;
  for (const [vipID, members] of rec.members) {
    if (!vipID.startsWith(prefix) || vipID.indexOf('/', prefix.length) !== -1) continue;
    out ??= new Map();
    for (const [id, st] of members) {
      const had = out.get(id);
      if (had === undefined || RANK[st.status] > RANK[had.status]) out.set(id, st);
    }
  }
  return out;
}
