// The model side: a snapshot of what the simulator holds (Nova servers, their data vNICs, the
// vRouter's routes), renumbered into kernel addresses. The management network is left out: the
// management plane stays on loopback in the root namespace.
import type { Sim } from '../context.js';
import { formatIPv4 } from '../ip.js';
import { portIps, portMac } from '../ports.js';
import { computeRoutes } from '../vrouter.js';
import type { DataplaneWant, RouteWant, VnicWant } from './plan.js';
import type { Renumbering } from './renumber.js';

export interface ModelOptions {
  /** Network names or uuids never wired into namespaces (default: names matching /mgmt|management/i). */
  managementNetworks?: readonly string[];
}

export function isManagementNetwork(opts: ModelOptions, uuid: string, name: string): boolean {
  if (opts.managementNetworks !== undefined) return opts.managementNetworks.includes(uuid) || opts.managementNetworks.includes(name);
  return /mgmt|management/i.test(name);
}

export function snapshotModel(sim: Sim, map: Renumbering, opts: ModelOptions = {}): DataplaneWant {
  const want: DataplaneWant = { servers: new Map(), vnics: new Map(), routes: new Map() };
  const mgmt = new Set<string>();
  for (const vn of sim.store.byType.get('virtual-network')?.values() ?? []) {
    if (isManagementNetwork(opts, vn.uuid, String(vn.props['display_name'] ?? vn.fq[2]))) mgmt.add(vn.uuid);
  }
  for (const s of sim.compute.servers.values()) {
    want.servers.set(s.id, { id: s.id, name: s.name, status: s.status });
    for (const vmi of sim.compute.portsOf(s)) {
      const network = vmi.refs['virtual_network_refs']?.[0]?.uuid;
      if (network === undefined || mgmt.has(network)) continue;
      const iip = portIps(sim, vmi)[0];
      const address = iip?.props['instance_ip_address'];
      if (typeof address !== 'string') continue;
      const subnet = sim.ipam.subnetsOf(network).find((x) => x.uuid === iip?.props['subnet_uuid']);
      if (subnet === undefined) continue;
      const gw = subnet.gateway ?? subnet.cidr.network + subnet.cidr.size - 2;
      const v: VnicWant = {
        vmi: vmi.uuid, server: s.id, network, mac: portMac(vmi), address: map.kernelOf(address),
        prefixLen: subnet.cidr.len, gateway: map.kernelOf(formatIPv4(gw)),
      };
      want.vnics.set(vmi.uuid, v);
    }
  }
  // Every prefix of /sim/routes becomes a fabric route, a VMI's own address included (its
  // one-member group is how the fabric reaches the VMI, as the vRouter's route to a running port).
  for (const net of computeRoutes(sim)) {
    if (mgmt.has(net.uuid)) continue;
    for (const r of net.routes) {
      const route: RouteWant = { prefix: map.kernelPrefix(r.prefix), network: net.uuid, members: r.nexthops.map((h) => h.vmi) };
      want.routes.set(route.prefix, route);
    }
  }
  return want;
}
