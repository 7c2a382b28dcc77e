// What the plain-Neutron data-plane tests share (neutron.test.ts, neutron-repair.test.ts): an
// ActiveStandby vs2 whose VIP's allowed-address pair sits on the active SE's data port alone, and
// the fabric's route to the VIP following it.
import { join } from 'node:path';
import { NetnsDataplane } from '../../src/sim/dataplane/dataplane.js';
import { runLoad, type LoadResult } from '../../src/sim/dataplane/loadgen.js';
import { type Harness } from '../e2e/harness.js';
import { vsStatus, VIP_NET } from '../e2e/vs-support.js';
import { Api } from '../dataplane/support.js';
import { showStat } from '../../src/agent/haproxy/socket.js';
import { vipFrontendTotals } from '../../src/agent/haproxy/stats.js';

export type SEObject = {
  metadata: { name: string; deletionTimestamp?: string };
  status?: { serverUUID?: string; dataInterfaces?: { networkUUID?: string; portUUID?: string }[]; conditions?: { type: string; status: string; reason: string; message?: string }[] };
};
interface Port { id: string; allowed_address_pairs?: { ip_address: string }[] }
export interface ActiveStandby { primary: SEObject; standby: SEObject; port: string }

export class NeutronVS {
  /** vs2's VIP once activeStandby() saw it. */
  vip = '';

  constructor(private readonly h: Harness, private readonly dp: NetnsDataplane, private readonly api: Api, private readonly stateRoot: string) {}

  /** New connections to the VIP; a request unanswered within timeoutSeconds counts as failed. */
  load(requests: number, seconds = 10, timeoutSeconds = 1): Promise<LoadResult> {
    return runLoad(this.dp.client, { url: `http://${this.vip}/`, connections: 4, seconds, maxRequests: requests, newConnections: true, timeoutSeconds });
  }

  /** Sessions the SE's HAProxy took on its VIP frontends. */
  async sessions(server: string): Promise<number> {
    return vipFrontendTotals(await showStat(join(this.stateRoot, server, 'stats.sock'))).sessions;
  }

  /** The data ports in the VIP network whose allowed-address pairs hold the VIP. */
  async holders(): Promise<string[]> {
    const { ports } = (await this.api.call(this.h.sim.urls.neutron, 'GET', `/v2.0/ports?network_id=${VIP_NET}`)) as { ports: Port[] };
    return ports.filter((p) => (p.allowed_address_pairs ?? []).some((x) => x.ip_address.replace(/\/32$/, '') === this.vip)).map((p) => p.id).sort();
  }

  fabricMembers(): string[] {
    return [...(this.dp.routeOf(`${this.vip}/32`)?.members ?? [])].sort();
  }

  /** vs2 Ready with a connected primary and standby, the pair on the primary's port and the fabric routing the VIP there. */
  activeStandby(what: string, notServer = ''): Promise<ActiveStandby> {
    const dataPort = (s: SEObject | undefined): string => s?.status?.dataInterfaces?.find((d) => d.networkUUID === VIP_NET)?.portUUID ?? '';
    return this.h.waitFor(async () => {
      const s = await vsStatus(this.h);
      const p = s?.serviceEngines?.find((x) => x.primary === true && x.connected === true)?.name;
      const sb = s?.serviceEngines?.find((x) => x.standby === true && x.connected === true)?.name;
      if (s?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True' || p === undefined || sb === undefined) return undefined;
      this.vip = s.vip?.[0]?.ipAddress ?? '';
      const list = await this.h.list<SEObject>('ServiceEngine');
      const primary = list.find((x) => x.metadata.name === p);
      const standby = list.find((x) => x.metadata.name === sb);
      if (primary === undefined || standby === undefined || primary.status?.serverUUID === notServer) return undefined;
      const port = dataPort(primary);
      await this.dp.settled();
      if ((await this.holders()).join() !== port || this.fabricMembers().join() !== port) return undefined;
      return { primary, standby, port };
    }, { timeoutMs: 180_000, intervalMs: 500, what });
  }
}
