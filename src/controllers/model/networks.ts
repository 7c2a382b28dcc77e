// The networks of a cloud as the Pool and VirtualService controllers see them, whatever the
// cloud speaks (Contrail virtual-networks or Neutron networks + subnets), and the tenancy rule:
// a namespace's project may use a network it owns or one that is shared (DESIGN.md §1).
import { cidrContainsIP } from '../../api/ip.js';
import type { CloudView } from '../../cloud/cloudview.js';
import type { VirtualNetwork } from '../../cloud/contrail.js';
import type { Network, Subnet } from '../../cloud/neutron.js';
import { KIND } from '../../cloud/viewsources.js';

export interface SubnetInfo { uuid: string; cidr: string }

export interface NetworkInfo {
  uuid: string;
  name: string;
  /** owning project, by name (Contrail fq_name[1]) and/or id (Neutron project_id, Contrail parent_uuid) */
  projectName?: string;
  projectId?: string;
  shared: boolean;
  external: boolean;
  subnets: SubnetInfo[];
  /** Contrail: fq_names of the network's floating-ip-pools (children) */
  floatingIpPools: string[][];
}

/** The project a namespace maps to (Cloud.spec.tenants): a name, an id, or both. */
export interface TenantProject { name?: string; id?: string }

/** Keystone ids and Contrail uuids name the same project with and without dashes. */
const normId = (s: string): string => s.replace(/-/g, '').toLowerCase();

export function ownsNetwork(p: TenantProject, n: NetworkInfo): boolean {
  if (p.id !== undefined && n.projectId !== undefined && normId(p.id) === normId(n.projectId)) return true;
  if (p.name !== undefined && n.projectName !== undefined && p.name === n.projectName) return true;
  // Cloud.spec.tenants[].project is "name or id": an id given as the name still matches.
  if (p.name !== undefined && n.projectId !== undefined && normId(p.name) === normId(n.projectId)) return true;
  return false;
}

export function mayUseNetwork(p: TenantProject, n: NetworkInfo): boolean {
  return ownsNetwork(p, n) || n.shared;
}

/** A network by UUID, else by name (preferring one the project may use when names repeat). */
export function findNetwork(ref: string, networks: readonly NetworkInfo[], p?: TenantProject): NetworkInfo | undefined {
  const byId = networks.find((n) => n.uuid === ref);
  if (byId !== undefined) return byId;
  const named = networks.filter((n) => n.name === ref);
  if (p !== undefined) {
    const usable = named.find((n) => ownsNetwork(p, n)) ?? named.find((n) => mayUseNetwork(p, n));
    if (usable !== undefined) return usable;
  }
  return named[0];
}

export function findSubnet(subnetUUID: string, networks: readonly NetworkInfo[]): { network: NetworkInfo; subnet: SubnetInfo } | undefined {
  for (const network of networks) {
    const subnet = network.subnets.find((s) => s.uuid === subnetUUID);
    if (subnet !== undefined) return { network, subnet };
  }
  return undefined;
}

export function subnetContaining(n: NetworkInfo, ip: string): SubnetInfo | undefined {
  return n.subnets.find((s) => cidrContainsIP(s.cidr, ip));
}

/** Reads the networks out of a CloudView (Contrail or Neutron kinds, whichever it holds). */
export function networksFromView(view: CloudView): NetworkInfo[] {
  const vns = view.list<VirtualNetwork>(KIND.virtualNetwork);
  if (vns.length > 0) return vns.map((o) => fromVirtualNetwork(o.obj));
  const subnets = view.list<Subnet>(KIND.subnet).map((o) => o.obj);
  return view.list<Network>(KIND.network).map((o) => fromNeutronNetwork(o.obj, subnets));
}

export function fromVirtualNetwork(vn: VirtualNetwork): NetworkInfo {
  const subnets: SubnetInfo[] = [];
  for (const ref of vn.network_ipam_refs ?? []) {
    for (const s of ref.attr?.ipam_subnets ?? []) {
      if (s.subnet_uuid !== undefined) subnets.push({ uuid: s.subnet_uuid, cidr: `${s.subnet.ip_prefix}/${s.subnet.ip_prefix_len}` });
    }
  }
  const pools = Array.isArray(vn['floating_ip_pools']) ? (vn['floating_ip_pools'] as { to?: string[] }[]) : [];
  return {
    uuid: vn.uuid,
    name: vn.fq_name[vn.fq_name.length - 1] ?? vn.uuid,
    ...(vn.fq_name.length >= 3 ? { projectName: vn.fq_name[1] as string } : {}),
    ...(vn.parent_uuid !== undefined ? { projectId: vn.parent_uuid } : {}),
    shared: vn.is_shared === true,
    external: vn.router_external === true,
    subnets,
    floatingIpPools: pools.flatMap((p) => (Array.isArray(p.to) ? [p.to] : [])),
  };
}

export function fromNeutronNetwork(n: Network, subnets: readonly Subnet[]): NetworkInfo {
  return {
    uuid: n.id,
    name: n.name,
    ...(n.project_id !== undefined ? { projectId: n.project_id } : {}),
    shared: n.shared === true,
    external: n['router:external'] === true,
    subnets: subnets.filter((s) => s.network_id === n.id).map((s) => ({ uuid: s.id, cidr: s.cidr })),
    floatingIpPools: [],
  };
}
