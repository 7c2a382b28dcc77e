// Neutron request parsing: the `{"<resource>": {...}}` envelope, attribute type checks, and the
// mapping of VNC errors to the Contrail plugin's Neutron exception classes.
import { ApiError, type Request } from './http.js';
import { parseIPv4 } from './ip.js';
import type { PortSpec } from './ports.js';
import { isObject, VncError, type JsonObject } from './store.js';

export const bad = (msg: string, kind = 'HTTPBadRequest'): ApiError => new ApiError(400, msg, kind);
export const invalid = (msg: string): ApiError => new ApiError(400, `Invalid input for operation: ${msg}.`, 'InvalidInput');

export const PORT_ATTRS = ['name', 'network_id', 'fixed_ips', 'allowed_address_pairs', 'mac_address', 'device_owner', 'device_id',
  'port_security_enabled', 'security_groups', 'admin_state_up', 'description', 'tenant_id', 'project_id',
  'binding:host_id', 'binding:vnic_type', 'binding:profile', 'extra_dhcp_opts', 'tags'];
export const NETWORK_ATTRS = ['name', 'shared', 'router:external', 'port_security_enabled', 'admin_state_up', 'description',
  'tenant_id', 'project_id', 'mtu', 'availability_zone_hints', 'tags'];
export const SUBNET_ATTRS = ['name', 'network_id', 'cidr', 'ip_version', 'gateway_ip', 'allocation_pools', 'enable_dhcp',
  'dns_nameservers', 'host_routes', 'description', 'tenant_id', 'project_id', 'subnetpool_id', 'tags'];
export const FIP_ATTRS = ['floating_network_id', 'port_id', 'fixed_ip_address', 'floating_ip_address', 'subnet_id', 'description',
  'tenant_id', 'project_id', 'dns_name', 'dns_domain', 'tags'];

/** The `{"<resource>": {...}}` body, with Neutron's checks for a missing body and unknown attributes. */
export function resourceBody(req: Request, resource: string, allowed: string[]): JsonObject {
  const b = req.json();
  if (!isObject(b) || !isObject(b[resource])) throw bad(`Unable to find '${resource}' in request body`);
  const inner = b[resource] as JsonObject;
  const unknown = Object.keys(inner).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) throw bad(`Unrecognized attribute(s) '${unknown.join(', ')}'`);
  return inner;
}

/** neutron-lib's attribute validation failure: `Invalid input for <attr>. Reason: <why>.` */
export const attrError = (attr: string, why: string): ApiError => bad(`Invalid input for ${attr}. Reason: ${why}.`);

const shown = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

export function typed<T>(v: unknown, check: (x: unknown) => boolean, attr: string, what: string): T | undefined {
  if (v === undefined) return undefined;
  if (!check(v)) throw attrError(attr, `'${shown(v)}' is not ${what}`);
  return v as T;
}
export const optStr = (b: JsonObject, k: string): string | undefined => typed<string>(b[k], (x) => typeof x === 'string', k, 'a valid string');

/** neutron-lib convert_to_boolean: booleans, "true"/"false" in any case, 0 and 1. */
export function optBool(b: JsonObject, k: string): boolean | undefined {
  const v = b[k];
  if (v === undefined) return undefined;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && ['true', 'false'].includes(v.toLowerCase())) return v.toLowerCase() === 'true';
  if (v === 0 || v === 1) return v === 1;
  throw invalid(`'${shown(v)}' cannot be converted to boolean`);
}

export const isMac = (x: unknown): boolean => typeof x === 'string' && /^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(x);

export function parseFixedIps(v: unknown): PortSpec['fixedIps'] {
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw attrError('fixed_ips', `Invalid data format for fixed IP: '${shown(v)}'`);
  return v.map((f) => {
    if (!isObject(f)) throw attrError('fixed_ips', `Invalid data format for fixed IP: '${shown(f)}'`);
    const out: { subnetId?: string; ipAddress?: string } = {};
    if (f['subnet_id'] !== undefined) {
      if (typeof f['subnet_id'] !== 'string') throw attrError('fixed_ips', `'${shown(f['subnet_id'])}' is not a valid UUID`);
      out.subnetId = f['subnet_id'];
    }
    if (f['ip_address'] !== undefined) {
      if (parseIPv4(f['ip_address']) === undefined) throw attrError('fixed_ips', `'${shown(f['ip_address'])}' is not a valid IP address`);
      out.ipAddress = f['ip_address'] as string;
    }
    return out;
  });
}

export function parseAaps(v: unknown): PortSpec['allowedAddressPairs'] {
  if (v === undefined || v === null) return v === null ? [] : undefined;
  if (!Array.isArray(v)) throw bad(`Allowed address pairs must be a list.`, 'AllowedAddressPairsMissingIP');
  return v.map((p) => {
    if (!isObject(p) || typeof p['ip_address'] !== 'string') throw bad('AllowedAddressPair must contain ip_address', 'AllowedAddressPairsMissingIP');
    const [ip, len, extra] = p['ip_address'].split('/');
    if (parseIPv4(ip) === undefined || extra !== undefined || (len !== undefined && !/^\d+$/.test(len))) {
      throw attrError('allowed_address_pairs', `'${p['ip_address']}' is not a valid IP address`);
    }
    if (p['mac_address'] !== undefined && !isMac(p['mac_address'])) throw attrError('allowed_address_pairs', `'${shown(p['mac_address'])}' is not a valid MAC address`);
    return p['mac_address'] === undefined ? { ipAddress: p['ip_address'] } : { ipAddress: p['ip_address'], macAddress: p['mac_address'] as string };
  });
}

/** Maps VNC errors raised while building a port to the Contrail plugin's Neutron classes. */
export function portError(e: unknown, netId: string, spec: PortSpec): never {
  if (!(e instanceof VncError)) throw e;
  const ip = spec.fixedIps?.find((f) => f.ipAddress !== undefined)?.ipAddress ?? '';
  if (e.status === 409 && e.message === 'IP address already in use') {
    // Contrail plugin: IpAddressInUse (stock ML2 would say IpAddressAlreadyAllocated).
    throw new ApiError(409, `Unable to complete operation for network ${netId}. The IP address ${ip} is in use.`, 'IpAddressInUse');
  }
  if (e.status === 409 && e.message.startsWith('MAC address')) {
    throw new ApiError(409, `Unable to complete operation for network ${netId}. The mac address ${spec.macAddress ?? ''} is in use.`, 'MacAddressInUse');
  }
  if (e.status === 400 && e.message.includes('has invalid subnet')) throw invalid(`Subnet is not in network ${netId}`);
  if (e.status === 400 && e.message.endsWith('has exhausted subnet([])')) {
    throw new ApiError(400, `IP address ${ip} is not a valid IP for any of the subnets on the specified network.`, 'InvalidIpForNetwork');
  }
  if (e.status === 400 && e.message.includes('has exhausted subnet')) {
    throw new ApiError(409, `No more IP addresses available on network ${netId}.`, 'IpAddressGenerationFailure');
  }
  if (e.status === 400 && e.message.startsWith('Allowed address pairs')) {
    throw new ApiError(409, 'Port Security must be enabled in order to have allowed address pairs on a port.', 'AddressPairAndPortSecurityRequired');
  }
  throw new ApiError(e.status === 404 ? 404 : e.status === 409 ? 409 : 400, e.message, e.status === 409 ? 'Conflict' : e.status === 404 ? 'NotFound' : 'BadRequest');
}

