// The simulated Neutron ports routes (cloud-api.md §5), over the VNC store.
import { ApiError, type Request, Router } from './http.js';
import type { Sim } from './context.js';
import { PORT_ATTRS, attrError, bad, invalid, isMac, optBool, optStr, parseAaps, parseFixedIps, portError, resourceBody, typed } from './neutron-input.js';
import { portView } from './neutron-views.js';
import { type PortSpec, aapsToVnc, bindPort, createPort, deletePort, portIps } from './ports.js';
import { type JsonObject, VncError, type VncObject } from './store.js';
import type { NeutronScope } from './neutron-scope.js';

export function portRoutes(r: Router, sim: Sim, n: NeutronScope): void {
  const store = sim.store;
  const { isAdmin, visible, targetProject, getNetwork, getPort, checkRevision, listReply } = n;
  const allPorts = (req: Request): VncObject[] => {
    // Narrow by device_id / network_id through the back-ref index before building views.
    const dev = req.query.getAll('device_id');
    if (dev.length > 0 && !dev.includes('')) return dev.flatMap((d) => store.referrers(store.get(d)?.uuid ?? store.uuidByFq('virtual-machine', [d]) ?? '', 'virtual-machine-interface'));
    const net = req.query.getAll('network_id');
    if (net.length > 0) return net.flatMap((n) => store.referrers(n, 'virtual-machine-interface'));
    return [...(store.byType.get('virtual-machine-interface')?.values() ?? [])];
  };
  r.add('GET', '/v2.0/ports', (req) => listReply(req, 'ports', allPorts(req).map((v) => portView(sim, v, isAdmin(req))).filter((v) => visible(req, v))));
  r.add('GET', '/v2.0/ports/{id}', (req) => ({ status: 200, body: { port: portView(sim, getPort(req, req.params['id'] ?? ''), isAdmin(req)) } }));
  r.add('POST', '/v2.0/ports', (req) => {
    const b = resourceBody(req, 'port', PORT_ATTRS);
    const netId = optStr(b, 'network_id');
    if (netId === undefined) throw bad("Failed to parse request. Required attribute 'network_id' not specified");
    const project = targetProject(req, b);
    getNetwork(req, netId);
    const spec: PortSpec = { networkId: netId };
    const set = <K extends keyof PortSpec>(k: K, v: PortSpec[K] | undefined): void => {
      if (v !== undefined) spec[k] = v;
    };
    set('name', optStr(b, 'name'));
    set('fixedIps', parseFixedIps(b['fixed_ips']));
    set('allowedAddressPairs', parseAaps(b['allowed_address_pairs']));
    if (b['mac_address'] !== undefined && !isMac(b['mac_address'])) throw attrError('mac_address', `'${String(b['mac_address'])}' is not a valid MAC address`);
    set('macAddress', optStr(b, 'mac_address')?.toLowerCase());
    set('deviceOwner', optStr(b, 'device_owner'));
    set('deviceId', optStr(b, 'device_id'));
    set('portSecurityEnabled', optBool(b, 'port_security_enabled'));
    set('description', optStr(b, 'description'));
    optBool(b, 'admin_state_up');
    const sgs = typed<string[]>(b['security_groups'], (x) => Array.isArray(x) && x.every((s) => typeof s === 'string'), 'security_groups', 'a list of ids');
    if (sgs !== undefined) {
      for (const g of sgs) if (store.get(g)?.type !== 'security-group') throw new ApiError(404, `Security group ${g} does not exist`, 'SecurityGroupNotFound');
      spec.securityGroupIds = sgs;
    }
    if (spec.portSecurityEnabled === false && (spec.allowedAddressPairs?.length ?? 0) > 0) {
      throw new ApiError(409, 'Port Security must be enabled in order to have allowed address pairs on a port.', 'AddressPairAndPortSecurityRequired');
    }
    for (const f of spec.fixedIps ?? []) {
      if (f.subnetId !== undefined && sim.ipam.bySubnetUuid.get(f.subnetId)?.vnUuid !== netId) {
        throw invalid(`Failed to create port on network ${netId}, because fixed_ips included invalid subnet ${f.subnetId}`);
      }
    }
    let vmi: VncObject;
    try {
      vmi = createPort(sim, project, spec);
    } catch (e) {
      portError(e, netId, spec);
    }
    return { status: 201, body: { port: portView(sim, vmi, isAdmin(req)) } };
  });
  r.add('PUT', '/v2.0/ports/{id}', (req) => {
    const vmi = getPort(req, req.params['id'] ?? '');
    checkRevision(req, vmi);
    const b = resourceBody(req, 'port', PORT_ATTRS);
    if (b['network_id'] !== undefined && b['network_id'] !== vmi.refs['virtual_network_refs']?.[0]?.uuid) throw bad('Cannot update read-only attribute network_id');
    if (b['mac_address'] !== undefined && b['mac_address'] !== portView(sim, vmi)['mac_address']) throw bad('Cannot update read-only attribute mac_address');
    const fixed = parseFixedIps(b['fixed_ips']);
    if (fixed !== undefined) {
      const have = portIps(sim, vmi).map((i) => `${String(i.props['subnet_uuid'])}/${String(i.props['instance_ip_address'])}`).sort();
      const same = fixed.length === have.length && fixed.every((f) => have.some((h) => (f.ipAddress === undefined || h.endsWith(`/${f.ipAddress}`)) && (f.subnetId === undefined || h.startsWith(`${f.subnetId}/`))));
      if (!same) throw bad('Fixed ip cannot be updated on a port', 'BadRequest');
    }
    const upd: JsonObject = {};
    const aaps = parseAaps(b['allowed_address_pairs']);
    const ps = optBool(b, 'port_security_enabled');
    if (ps !== undefined) upd['port_security_enabled'] = ps;
    if (aaps !== undefined) upd['virtual_machine_interface_allowed_address_pairs'] = aapsToVnc(aaps, String(portView(sim, vmi)['mac_address']));
    const effectivePs = ps ?? vmi.props['port_security_enabled'] !== false;
    const effectiveAaps = aaps ?? (portView(sim, vmi)['allowed_address_pairs'] as unknown[]);
    if (!effectivePs && effectiveAaps.length > 0) {
      throw new ApiError(409, 'Port Security must be enabled in order to have allowed address pairs on a port.', 'AddressPairAndPortSecurityRequired');
    }
    if (b['name'] !== undefined) upd['display_name'] = optStr(b, 'name');
    if (b['description'] !== undefined) upd['id_perms'] = { description: optStr(b, 'description'), enable: true };
    if (b['security_groups'] !== undefined) {
      const sgs = typed<string[]>(b['security_groups'], (x) => Array.isArray(x) && x.every((s) => typeof s === 'string'), 'security_groups', 'a list of ids') ?? [];
      for (const g of sgs) if (store.get(g)?.type !== 'security-group') throw new ApiError(404, `Security group ${g} does not exist`, 'SecurityGroupNotFound');
      upd['security_group_refs'] = sgs.map((g) => ({ to: store.get(g)?.fq, uuid: g }));
    }
    const owner = optStr(b, 'device_owner');
    const device = optStr(b, 'device_id');
    optBool(b, 'admin_state_up');
    try {
      store.update('virtual-machine-interface', vmi.uuid, upd);
      if (device !== undefined) bindPort(sim, vmi, device, owner);
      else if (owner !== undefined) store.update('virtual-machine-interface', vmi.uuid, { virtual_machine_interface_device_owner: owner });
    } catch (e) {
      portError(e, vmi.refs['virtual_network_refs']?.[0]?.uuid ?? '', {} as PortSpec);
    }
    return { status: 200, body: { port: portView(sim, vmi, isAdmin(req)) } };
  });
  r.add('DELETE', '/v2.0/ports/{id}', (req) => {
    const vmi = getPort(req, req.params['id'] ?? '');
    checkRevision(req, vmi);
    try {
      deletePort(sim, vmi);
    } catch (e) {
      if (e instanceof VncError && e.status === 409) throw new ApiError(409, `Port ${vmi.uuid} cannot be deleted: ${e.message}`, 'PortInUse');
      throw e;
    }
    return { status: 204 };
  });

}
