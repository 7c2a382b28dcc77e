// Neutron resources as views over Contrail objects (as the Contrail Neutron plugin renders them):
// network = virtual-network, subnet = ipam subnet, port = VMI + instance-ips, floatingip = floating-ip.
import type { Sim } from './context.js';
import { cidrString, formatIPv4 } from './ip.js';
import type { SubnetState } from './ipam.js';
import { deviceIdOf, portIps, portMac, tenantIdOf } from './ports.js';
import { isObject, type VncObject } from './store.js';

export const neutronTime = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19)}Z`;

function description(o: VncObject): string {
  const ip = o.props['id_perms'];
  return isObject(ip) && typeof ip['description'] === 'string' ? ip['description'] : '';
}

function common(o: VncObject, projectUuid: string | undefined): Record<string, unknown> {
  const tenant = tenantIdOf(projectUuid);
  return {
    tenant_id: tenant, project_id: tenant, description: description(o), created_at: neutronTime(o.created),
    updated_at: neutronTime(o.modified), revision_number: o.rev ?? 0, tags: [],
  };
}

export function networkView(sim: Sim, vn: VncObject): Record<string, unknown> {
  return {
    id: vn.uuid, name: vn.props['display_name'] ?? vn.fq[2], status: 'ACTIVE', admin_state_up: true,
    shared: vn.props['is_shared'] === true, 'router:external': vn.props['router_external'] === true,
    port_security_enabled: vn.props['port_security_enabled'] !== false, mtu: 1500,
    subnets: sim.ipam.subnetsOf(vn.uuid).map((s) => s.uuid), availability_zones: [], availability_zone_hints: [],
    ipv4_address_scope: null, ipv6_address_scope: null, is_default: false,
    ...common(vn, vn.parentUuid),
  };
}

export function subnetView(sim: Sim, s: SubnetState): Record<string, unknown> {
  const vn = sim.store.get(s.vnUuid) as VncObject;
  const raw = s.raw;
  const pools = Array.isArray(raw['allocation_pools']) && raw['allocation_pools'].length > 0
    ? (raw['allocation_pools'] as Array<Record<string, unknown>>).map((p) => ({ start: p['start'], end: p['end'] }))
    : [{ start: formatIPv4(s.cidr.network + 1), end: formatIPv4(s.cidr.network + s.cidr.size - 2) }];
  return {
    id: s.uuid, name: typeof raw['subnet_name'] === 'string' ? raw['subnet_name'] : '', network_id: s.vnUuid,
    cidr: cidrString(s.cidr), ip_version: 4, gateway_ip: s.gateway === undefined ? null : formatIPv4(s.gateway),
    allocation_pools: pools, enable_dhcp: raw['enable_dhcp'] !== false,
    dns_nameservers: Array.isArray(raw['dns_nameservers']) ? raw['dns_nameservers'] : [], host_routes: [],
    ipv6_ra_mode: null, ipv6_address_mode: null, subnetpool_id: null, service_types: [], ...common(vn, vn.parentUuid),
  };
}

export function portStatus(sim: Sim, vmi: VncObject): string {
  const vm = vmi.refs['virtual_machine_refs']?.[0]?.uuid;
  return vm !== undefined && sim.compute.servers.get(vm)?.status === 'ACTIVE' ? 'ACTIVE' : 'DOWN';
}

export function aapView(vmi: VncObject): Array<Record<string, unknown>> {
  const a = vmi.props['virtual_machine_interface_allowed_address_pairs'];
  const list = isObject(a) && Array.isArray(a['allowed_address_pair']) ? (a['allowed_address_pair'] as unknown[]) : [];
  return list.filter(isObject).map((p) => {
    const ip = isObject(p['ip']) ? p['ip'] : {};
    const len = ip['ip_prefix_len'];
    return {
      ip_address: len === 32 || len === undefined ? ip['ip_prefix'] : `${String(ip['ip_prefix'])}/${String(len)}`,
      mac_address: p['mac'] ?? portMac(vmi),
    };
  });
}

/** A port as Neutron shows it; the binding:* attributes only to admins (Neutron's policy). */
export function portView(sim: Sim, vmi: VncObject, admin = true): Record<string, unknown> {
  const vn = vmi.refs['virtual_network_refs']?.[0]?.uuid ?? '';
  const vm = vmi.refs['virtual_machine_refs']?.[0]?.uuid;
  const view: Record<string, unknown> = {
    id: vmi.uuid, name: vmi.props['display_name'] === vmi.uuid ? '' : (vmi.props['display_name'] ?? ''), network_id: vn,
    mac_address: portMac(vmi),
    fixed_ips: portIps(sim, vmi).map((iip) => ({ subnet_id: iip.props['subnet_uuid'], ip_address: iip.props['instance_ip_address'] })),
    allowed_address_pairs: aapView(vmi),
    device_id: deviceIdOf(sim, vmi),
    device_owner: vmi.props['virtual_machine_interface_device_owner'] ?? '',
    status: portStatus(sim, vmi), admin_state_up: true,
    port_security_enabled: vmi.props['port_security_enabled'] !== false,
    security_groups: (vmi.refs['security_group_refs'] ?? []).map((r) => r.uuid),
    'binding:vnic_type': 'normal', extra_dhcp_opts: [],
    ...common(vmi, vmi.parentUuid),
  };
  if (admin) {
    view['binding:host_id'] = vm !== undefined && sim.compute.servers.has(vm) ? 'sim-compute-1' : '';
    view['binding:vif_type'] = 'vrouter';
    view['binding:vif_details'] = {};
    view['binding:profile'] = {};
  }
  return view;
}

export function floatingIpView(sim: Sim, fip: VncObject): Record<string, unknown> {
  const pool = sim.store.get(fip.parentUuid ?? '');
  const vmi = fip.refs['virtual_machine_interface_refs']?.[0]?.uuid ?? null;
  const project = fip.refs['project_refs']?.[0]?.uuid;
  return {
    id: fip.uuid, floating_ip_address: fip.props['floating_ip_address'],
    floating_network_id: pool?.type === 'floating-ip-pool' ? pool.parentUuid : null,
    router_id: null, port_id: vmi, fixed_ip_address: vmi === null ? null : (fip.props['floating_ip_fixed_ip_address'] ?? null),
    status: vmi === null ? 'DOWN' : 'ACTIVE', port_details: null, ...common(fip, project),
  };
}
