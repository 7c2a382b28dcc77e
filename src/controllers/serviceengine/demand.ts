// What an SE must carry, from the VSs placed on it and the ones it is still draining: the data
// networks its vNICs must reach (each VIP's network, each pool server's network) and the VIPs it
// hosts. Pure: the controller hands in the informers' objects (controller.ts demandOf).
import type { PoolObj, VSObj } from '../model/index.js';
import type { HostedVIP } from './status.js';

export interface SEDemand { networks: string[]; vips: HostedVIP[]; virtualServices: string[] }

/**
 * `hosting`: the VSs whose status lists the SE; `draining`: the VSs the SE is leaving but still
 * serves (a scale-in drain or its grace). A draining VS keeps its networks needed — its status no
 * longer lists the SE, yet the connections the SE still carries run over the pool-side vNIC;
 * detached under them, every one of them hung (measured: 33–58 failed requests at each drain's
 * start, docs/autoscale.md#scale-in) — but its VIPs are not counted as hosted (the VS controller
 * owns the VIP's withdrawal). It goes once the drain is done.
 */
export function seDemand(hosting: readonly VSObj[], draining: readonly VSObj[], poolOf: (vs: VSObj) => PoolObj | undefined): SEDemand {
  const networks = new Set<string>();
  const vips: HostedVIP[] = [];
  const networksOf = (vs: VSObj): void => {
    for (const v of vs.status?.vip ?? []) if (v.networkRef !== undefined && v.networkRef !== '') networks.add(v.networkRef);
    for (const s of poolOf(vs)?.status?.servers ?? []) if (s.networkUUID !== undefined && s.networkUUID !== '') networks.add(s.networkUUID);
  };
  for (const vs of hosting) {
    for (const v of vs.status?.vip ?? []) {
      if (v.vipID !== undefined) vips.push({ virtualService: vs.metadata.name, vipID: v.vipID, ...(v.ipAddress !== undefined ? { ipAddress: v.ipAddress } : {}) });
    }
    networksOf(vs);
  }
  for (const vs of draining) networksOf(vs);
  vips.sort((a, b) => a.virtualService.localeCompare(b.virtualService) || a.vipID.localeCompare(b.vipID));
  return { networks: [...networks].sort(), vips, virtualServices: hosting.map((vs) => vs.metadata.name).sort() };
}
