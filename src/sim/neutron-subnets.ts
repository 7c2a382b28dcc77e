// The simulated Neutron subnets routes (cloud-api.md §5), over the VNC store.
import { ApiError, type Request, Router } from './http.js';
import type { Sim } from './context.js';
import { cidrString, parseCidr } from './ip.js';
import { SUBNET_ATTRS, bad, invalid, optBool, optStr, resourceBody } from './neutron-input.js';
import { networkView, subnetView } from './neutron-views.js';
import { type JsonObject, VncError, type VncObject, isObject } from './store.js';
import type { NeutronScope } from './neutron-scope.js';

export function subnetRoutes(r: Router, sim: Sim, n: NeutronScope): void {
  const store = sim.store;
  const { visible, getNetwork, listReply } = n;
  const getSubnet = (req: Request, id: string) => {
    const s = sim.ipam.bySubnetUuid.get(id);
    const vn = s === undefined ? undefined : store.get(s.vnUuid);
    if (s === undefined || vn === undefined || !visible(req, networkView(sim, vn), true)) throw new ApiError(404, `Subnet ${id} could not be found.`, 'SubnetNotFound');
    return { s, vn };
  };
  const ipamRefsWith = (vn: VncObject, edit: (subnets: unknown[]) => unknown[]): unknown[] => {
    const refs = (vn.refs['network_ipam_refs'] ?? []).map((x) => ({ to: x.to, uuid: x.uuid, attr: x.attr }));
    if (refs.length === 0) {
      const ipam = store.uuidByFq('network-ipam', ['default-domain', 'default-project', 'default-network-ipam']) as string;
      refs.push({ to: ['default-domain', 'default-project', 'default-network-ipam'], uuid: ipam, attr: { ipam_subnets: [] } });
    }
    const first = refs[0] as { attr: unknown };
    const attr = isObject(first.attr) ? first.attr : {};
    first.attr = { ...attr, ipam_subnets: edit(Array.isArray(attr['ipam_subnets']) ? [...attr['ipam_subnets']] : []) };
    return refs;
  };
  r.add('GET', '/v2.0/subnets', (req) => listReply(req, 'subnets', [...sim.ipam.bySubnetUuid.values()].filter((s) => store.get(s.vnUuid) !== undefined).map((s) => subnetView(sim, s)).filter((v) => {
    const vn = store.get(String(v['network_id'])) as VncObject;
    return visible(req, networkView(sim, vn), true);
  })));
  r.add('GET', '/v2.0/subnets/{id}', (req) => ({ status: 200, body: { subnet: subnetView(sim, getSubnet(req, req.params['id'] ?? '').s) } }));
  r.add('POST', '/v2.0/subnets', (req) => {
    const b = resourceBody(req, 'subnet', SUBNET_ATTRS);
    const netId = optStr(b, 'network_id');
    if (netId === undefined) throw bad("Failed to parse request. Required attribute 'network_id' not specified");
    const cidrStr = optStr(b, 'cidr');
    if (cidrStr === undefined) throw bad("Failed to parse request. Required attribute 'cidr' not specified");
    if (b['ip_version'] !== undefined && b['ip_version'] !== 4) throw invalid(`ip_version ${JSON.stringify(b['ip_version'])} is not supported by the simulator (IPv4 only)`);
    const cidr = parseCidr(cidrStr);
    if (cidr === undefined) throw invalid(`'${cidrStr}' is not a valid IP subnet`);
    const vn = getNetwork(req, netId);
    if (sim.ipam.subnetsOf(vn.uuid).some((s) => cidrString(s.cidr) === cidrString(cidr))) {
      throw invalid(`Requested subnet with cidr: ${cidrString(cidr)} for network: ${vn.uuid} overlaps with another subnet`);
    }
    const raw: JsonObject = { subnet: { ip_prefix: cidrStr.split('/')[0], ip_prefix_len: cidr.len }, subnet_name: optStr(b, 'name') ?? '', enable_dhcp: optBool(b, 'enable_dhcp') ?? true };
    if (b['gateway_ip'] !== undefined) raw['default_gateway'] = b['gateway_ip'] === null ? '0.0.0.0' : optStr(b, 'gateway_ip');
    if (b['allocation_pools'] !== undefined) raw['allocation_pools'] = b['allocation_pools'];
    if (b['dns_nameservers'] !== undefined) raw['dns_nameservers'] = b['dns_nameservers'];
    try {
      store.update('virtual-network', vn.uuid, { network_ipam_refs: ipamRefsWith(vn, (l) => [...l, raw]) });
    } catch (e) {
      if (e instanceof VncError) throw invalid(e.message);
      throw e;
    }
    const s = sim.ipam.subnetsOf(vn.uuid).find((x) => cidrString(x.cidr) === cidrString(cidr));
    return { status: 201, body: { subnet: subnetView(sim, s as NonNullable<typeof s>) } };
  });
  r.add('PUT', '/v2.0/subnets/{id}', (req) => {
    const { s } = getSubnet(req, req.params['id'] ?? '');
    const b = resourceBody(req, 'subnet', SUBNET_ATTRS);
    if (b['name'] !== undefined) s.raw['subnet_name'] = optStr(b, 'name');
    if (b['dns_nameservers'] !== undefined) s.raw['dns_nameservers'] = b['dns_nameservers'];
    if (b['enable_dhcp'] !== undefined) s.raw['enable_dhcp'] = optBool(b, 'enable_dhcp');
    sim.changed();
    return { status: 200, body: { subnet: subnetView(sim, s) } };
  });
  r.add('DELETE', '/v2.0/subnets/{id}', (req) => {
    const { s, vn } = getSubnet(req, req.params['id'] ?? '');
    if (s.alloc.usedCount > 0) throw new ApiError(409, `Unable to complete operation on subnet ${s.uuid}: One or more ports have an IP allocation from this subnet.`, 'SubnetInUse');
    store.update('virtual-network', vn.uuid, { network_ipam_refs: ipamRefsWith(vn, (l) => l.filter((x) => !(isObject(x) && x['subnet_uuid'] === s.uuid))) });
    return { status: 204 };
  });

}
