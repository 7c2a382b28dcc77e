// Whether an SE's agent serves a virtual service now — the gate for joining the VIP's ECMP set
// and the meaning of serviceEngines[].connected: the agent heartbeats, the config it reports
// applied is the current one (version and hash) and carries the VS, and each of the VS's VIPs has
// a bound frontend (`some`, not `every`: a UDP port HAProxy 2.6 cannot serve is reported down
// for good). The applied version alone is not enough: HAProxy may have been reloaded
// with the VIP while a bind failed (the address not yet on the interface), and a next hop added
// then takes flows that nothing answers.
import type { AgentRecord } from './agents.js';
import type { SEConfig } from './protocol.js';

export function servesVirtualService(want: SEConfig | undefined, rec: AgentRecord | undefined, connected: boolean, vsName: string): boolean {
  if (want === undefined || rec === undefined || !connected) return false;
  if (rec.applied.version !== want.version || rec.applied.hash !== want.hash) return false;
  const ids = want.vips.filter((v) => v.virtualService.name === vsName).map((v) => v.id);
  if (ids.length === 0) return false;
  const reported = new Map(rec.last.vips.map((v) => [v.id, v]));
  return ids.every((id) => {
    const r = reported.get(id);
    return r !== undefined && r.listeners.some((l) => l.up);
  });
}
