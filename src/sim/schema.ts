// The subset of the VNC schema the simulator serves (cloud-api.md §2): parents, properties with
// their XSD classes (for "Bad property" validation), and ref fields. JSON names are the XSD names
// with '-' turned into '_'.
import { pyRepr } from './rand.js';

export type FieldType = 'str' | 'int' | 'bool' | 'any' | { enum: readonly string[] } | { cls: string } | { list: FieldType };

const ADDRESS_MODE = { enum: ['active-active', 'active-standby'] } as const;

export const CLASSES: Record<string, Record<string, FieldType>> = {
  KeyValuePairs: { key_value_pair: { list: { cls: 'KeyValuePair' } } },
  KeyValuePair: { key: 'str', value: 'str' },
  SubnetType: { ip_prefix: 'str', ip_prefix_len: 'int' },
  AllocationPoolType: { start: 'str', end: 'str', vrouter_specific_pool: 'bool' },
  IpamSubnetType: {
    subnet: { cls: 'SubnetType' }, default_gateway: 'str', dns_server_address: 'str', subnet_uuid: 'str',
    enable_dhcp: 'bool', dns_nameservers: { list: 'str' }, allocation_pools: { list: { cls: 'AllocationPoolType' } },
    addr_from_start: 'bool', dhcp_option_list: 'any', host_routes: 'any', subnet_name: 'str', alloc_unit: 'int',
    created: 'str', last_modified: 'str', subscriber_tag: 'str', vlan_tag: 'int', dhcp_relay_server: { list: 'str' },
  },
  VnSubnetsType: { ipam_subnets: { list: { cls: 'IpamSubnetType' } }, host_routes: 'any' },
  IpamSubnets: { subnets: { list: { cls: 'IpamSubnetType' } } },
  EcmpHashingIncludeFields: {
    hashing_configured: 'bool', source_ip: 'bool', destination_ip: 'bool', ip_protocol: 'bool',
    source_port: 'bool', destination_port: 'bool',
  },
  VirtualNetworkType: {
    allow_transit: 'bool', network_id: 'int', vxlan_network_identifier: 'int', forwarding_mode: 'str', rpf: 'str',
    mirror_destination: 'bool', max_flows: 'int',
  },
  MacAddressesType: { mac_address: { list: 'str' } },
  AllowedAddressPairs: { allowed_address_pair: { list: { cls: 'AllowedAddressPair' } } },
  AllowedAddressPair: { ip: { cls: 'SubnetType' }, mac: 'str', address_mode: ADDRESS_MODE },
  VirtualMachineInterfacePropertiesType: {
    service_interface_type: 'str', interface_mirror: 'any', local_preference: 'int', sub_interface_vlan_tag: 'int',
    max_flows: 'int',
  },
  LoadbalancerType: {
    status: 'str', provisioning_status: 'str', operating_status: 'str', vip_subnet_id: 'str', vip_address: 'str',
    admin_state: 'bool',
  },
  ServiceHealthCheckType: {
    enabled: 'bool', health_check_type: { enum: ['link-local', 'end-to-end', 'segment', 'vn-ip-list'] },
    monitor_type: { enum: ['PING', 'HTTP', 'BFD'] }, delay: 'int', delayUsecs: 'int', timeout: 'int',
    timeoutUsecs: 'int', max_retries: 'int', http_method: 'str', url_path: 'str', expected_codes: 'str',
    target_ip_all: 'bool', target_ip_list: { cls: 'IpAddressesType' },
  },
  IpAddressesType: { ip_address: { list: 'str' } },
  FloatingIpPoolSubnetType: { subnet_uuid: { list: 'str' } },
  PortMappings: { port_mappings: { list: { cls: 'PortMap' } } },
  PortMap: { protocol: 'str', src_port: 'int', dst_port: 'int' },
  IpamType: { ipam_method: 'str', ipam_dns_method: 'str', ipam_dns_server: 'any', dhcp_option_list: 'any', host_routes: 'any', cidr_block: 'any' },
};

export interface RefSpec {
  to: string; // referee type
  attr?: string; // link attr class; refs of such links must carry "attr"
}

export interface TypeSpec {
  parents: readonly string[]; // [] = config-root
  props: Record<string, FieldType>;
  refs: Record<string, RefSpec>; // keyed by the JSON field, e.g. network_ipam_refs
}

const COMMON: Record<string, FieldType> = {
  display_name: 'str',
  annotations: { cls: 'KeyValuePairs' },
  id_perms: 'any',
  perms2: 'any',
};

const ref = (to: string, attr?: string): RefSpec => (attr === undefined ? { to } : { to, attr });

export const TYPES: Record<string, TypeSpec> = {
  domain: { parents: [], props: {}, refs: {} },
  project: { parents: ['domain'], props: { quota: 'any', vxlan_routing: 'bool' }, refs: {} },
  'network-ipam': {
    parents: ['project'],
    props: {
      network_ipam_mgmt: { cls: 'IpamType' }, ipam_subnets: { cls: 'IpamSubnets' },
      ipam_subnet_method: { enum: ['user-defined-subnet', 'flat-subnet', 'auto-subnet'] },
    },
    refs: {},
  },
  'security-group': { parents: ['project'], props: { security_group_entries: 'any', security_group_id: 'int' }, refs: {} },
  'virtual-network': {
    parents: ['project'],
    props: {
      ecmp_hashing_include_fields: { cls: 'EcmpHashingIncludeFields' }, port_security_enabled: 'bool',
      router_external: 'bool', is_shared: 'bool',
      address_allocation_mode: {
        enum: ['user-defined-subnet-preferred', 'user-defined-subnet-only', 'flat-subnet-preferred', 'flat-subnet-only'],
      },
      virtual_network_properties: { cls: 'VirtualNetworkType' }, virtual_network_network_id: 'int',
      flood_unknown_unicast: 'bool', external_ipam: 'bool',
    },
    refs: { network_ipam_refs: ref('network-ipam', 'VnSubnetsType') },
  },
  'floating-ip-pool': {
    parents: ['virtual-network'],
    props: { floating_ip_pool_subnets: { cls: 'FloatingIpPoolSubnetType' } },
    refs: {},
  },
  'virtual-machine': { parents: [], props: { server_type: 'str' }, refs: {} },
  'virtual-machine-interface': {
    parents: ['project', 'virtual-machine', 'virtual-router'],
    props: {
      virtual_machine_interface_mac_addresses: { cls: 'MacAddressesType' },
      virtual_machine_interface_allowed_address_pairs: { cls: 'AllowedAddressPairs' },
      virtual_machine_interface_device_owner: 'str', port_security_enabled: 'bool',
      ecmp_hashing_include_fields: { cls: 'EcmpHashingIncludeFields' },
      virtual_machine_interface_bindings: { cls: 'KeyValuePairs' },
      virtual_machine_interface_properties: { cls: 'VirtualMachineInterfacePropertiesType' },
      virtual_machine_interface_disable_policy: 'bool', vlan_tag_based_bridge_domain: 'bool',
    },
    refs: {
      virtual_network_refs: ref('virtual-network'), virtual_machine_refs: ref('virtual-machine'),
      security_group_refs: ref('security-group'), service_health_check_refs: ref('service-health-check'),
      virtual_machine_interface_refs: ref('virtual-machine-interface'),
    },
  },
  'instance-ip': {
    parents: [],
    props: {
      instance_ip_address: 'str', instance_ip_family: { enum: ['v4', 'v6'] }, instance_ip_mode: ADDRESS_MODE,
      subnet_uuid: 'str', instance_ip_secondary: 'bool', service_instance_ip: 'bool', service_health_check_ip: 'bool',
      instance_ip_subnet: { cls: 'SubnetType' }, secondary_ip_tracking_ip: { cls: 'SubnetType' },
      instance_ip_local_ip: 'bool',
    },
    refs: {
      virtual_network_refs: ref('virtual-network'), virtual_machine_interface_refs: ref('virtual-machine-interface'),
      network_ipam_refs: ref('network-ipam'),
    },
  },
  'floating-ip': {
    parents: ['floating-ip-pool', 'instance-ip'],
    props: {
      floating_ip_address: 'str', floating_ip_fixed_ip_address: 'str', floating_ip_address_family: { enum: ['v4', 'v6'] },
      floating_ip_traffic_direction: { enum: ['ingress', 'egress', 'both'] },
      floating_ip_port_mappings: { cls: 'PortMappings' }, floating_ip_port_mappings_enable: 'bool',
      floating_ip_is_virtual_ip: 'bool',
    },
    refs: { virtual_machine_interface_refs: ref('virtual-machine-interface'), project_refs: ref('project') },
  },
  loadbalancer: {
    parents: ['project'],
    props: { loadbalancer_properties: { cls: 'LoadbalancerType' }, loadbalancer_provider: 'str' },
    refs: { virtual_machine_interface_refs: ref('virtual-machine-interface') },
  },
  'service-health-check': {
    parents: ['project'],
    props: { service_health_check_properties: { cls: 'ServiceHealthCheckType' } },
    refs: {},
  },
};

for (const spec of Object.values(TYPES)) Object.assign(spec.props, COMMON);

/** Child collections per parent type, in the JSON form `<child_type>s`. */
export const CHILD_TYPES: Record<string, string[]> = {};
for (const [t, spec] of Object.entries(TYPES)) {
  for (const p of spec.parents) (CHILD_TYPES[p] ??= []).push(t);
}

export const underscored = (t: string): string => t.replace(/-/g, '_');

/** Maps a collection name ("virtual-networks") to its type, and the JSON field of a ref. */
export const TYPE_BY_PLURAL = new Map(Object.keys(TYPES).map((t) => [`${t}s`, t]));

export class ValidationError extends Error {}

/**
 * Checks one property value against its XSD class, as the generated Python validators do, and
 * returns the value to store (integers are coerced from strings, SubnetType is left to the hooks).
 */
export function checkValue(t: FieldType, v: unknown, path: string): unknown {
  if (v === null || v === undefined) return null;
  if (t === 'any') return v;
  if (t === 'str') {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    throw new ValidationError(`${path} must be a string`);
  }
  if (t === 'int') {
    if (typeof v === 'number' && Number.isInteger(v)) return v;
    if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v);
    throw new ValidationError(`invalid literal for int() with base 10: ${pyRepr(v)}`);
  }
  if (t === 'bool') {
    if (typeof v === 'boolean') return v;
    throw new ValidationError(`${path} must be a bool`);
  }
  if ('enum' in t) {
    if (typeof v === 'string' && t.enum.includes(v)) return v;
    throw new ValidationError(`value must be one of ${pyRepr([...t.enum])}`);
  }
  if ('list' in t) {
    if (!Array.isArray(v)) throw new ValidationError(`${path} must be a list`);
    return v.map((x, i) => checkValue(t.list, x, `${path}[${i}]`));
  }
  const fields = CLASSES[t.cls];
  if (fields === undefined) return v;
  if (typeof v !== 'object' || Array.isArray(v)) throw new ValidationError(`${path} must be a ${t.cls} object`);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const ft = fields[k];
    if (ft === undefined) throw new ValidationError(`class ${t.cls} does not have field ${k}`);
    out[k] = checkValue(ft, x, `${path}.${k}`);
  }
  return out;
}
