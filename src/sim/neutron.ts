// Neutron v2.0 under the Contrail plugin (cloud-api.md §5): networks, subnets, ports and
// floating IPs over the VNC store, with the NeutronError envelope and the plugin's error classes.
import { ApiError, Router, type Reply, type Request } from './http.js';
import type { Sim } from './context.js';
import { cidrString, parseCidr, parseIPv4 } from './ip.js';
import {
  attrError, bad, FIP_ATTRS, invalid, isMac, NETWORK_ATTRS, optBool, optStr, parseAaps, parseFixedIps, PORT_ATTRS, portError,
  resourceBody, SUBNET_ATTRS, typed,
} from './neutron-input.js';
import { floatingIpView, networkView, portView, subnetView } from './neutron-views.js';
import { aapsToVnc, bindPort, createPort, deletePort, ensureProject, portIps, tenantIdOf, type PortSpec } from './ports.js';
import { isObject, VncError, type JsonObject, type VncObject } from './store.js';

const STATUS_CLASS: Record<number, string> = {
  400: 'BadRequest', 403: 'NotAuthorized', 404: 'NotFound', 405: 'HTTPMethodNotAllowed', 409: 'Conflict',
  413: 'HTTPRequestEntityTooLarge', 429: 'OverQuota', 500: 'InternalServerError', 503: 'ServiceUnavailable',
};

export function neutronErrorReply(err: ApiError): Reply {
  if (err.status === 401) return { status: 401, headers: err.headers, body: { error: { code: 401, title: 'Unauthorized', message: err.message } } };
  const type = err.kind ?? STATUS_CLASS[err.status] ?? 'NeutronException';
  return { status: err.status, headers: err.headers, body: { NeutronError: { type, message: err.message, detail: '' } } };
}

export function neutronRouter(sim: Sim): Router {
  const store = sim.store;
  const isAdmin = (req: Request): boolean => req.token !== undefined && sim.identity.isAdmin(req.token);
  const callerTenant = (req: Request): string => req.token?.project?.id ?? '';
  const visible = (req: Request, view: Record<string, unknown>, sharedOk = false): boolean =>
    isAdmin(req) || view['tenant_id'] === callerTenant(req) || (sharedOk && (view['shared'] === true || view['router:external'] === true));
  const targetProject = (req: Request, b: JsonObject): VncObject => {
    const t = optStr(b, 'project_id') ?? optStr(b, 'tenant_id');
    if (t !== undefined && t !== callerTenant(req) && !isAdmin(req)) throw new ApiError(403, 'Not authorized.', 'HTTPForbidden');
    return ensureProject(sim, t ?? callerTenant(req));
  };
  const getNetwork = (req: Request, id: string): VncObject => {
    const vn = store.get(id);
    if (vn?.type !== 'virtual-network' || !visible(req, networkView(sim, vn), true)) throw new ApiError(404, `Network ${id} could not be found.`, 'NetworkNotFound');
    return vn;
  };
  const getPort = (req: Request, id: string): VncObject => {
    const vmi = store.get(id);
    if (vmi?.type !== 'virtual-machine-interface' || !visible(req, { tenant_id: tenantIdOf(vmi.parentUuid) })) {
      throw new ApiError(404, `Port ${id} could not be found.`, 'PortNotFound');
    }
    return vmi;
  };
  const getFip = (req: Request, id: string): VncObject => {
    const f = store.get(id);
    if (f?.type !== 'floating-ip' || !visible(req, { tenant_id: tenantIdOf(f.refs['project_refs']?.[0]?.uuid) })) {
      throw new ApiError(404, `Floating IP ${id} could not be found`, 'FloatingIPNotFound');
    }
    return f;
  };

  /** `If-Match: revision_number=N` on PUT/DELETE (neutron's revision_if_match extension). */
  const checkRevision = (req: Request, o: VncObject): void => {
    const h = req.headers['if-match'];
    if (typeof h !== 'string') return;
    const m = /revision_number=(\d+)/.exec(h);
    if (m === null) throw bad(`Invalid If-Match header: ${h}`);
    const current = o.rev ?? 0;
    if (Number(m[1]) !== current) {
      throw new ApiError(412, `Constrained to ${m[1] as string}, but current revision is ${current}`, 'RevisionNumberConstraintFailed');
    }
  };
  /** The resource's own NotFound (a missing pagination marker is reported as the resource). */
  const notFound = (collection: string, id: string): ApiError => {
    const m: Record<string, [string, string]> = {
      ports: ['PortNotFound', `Port ${id} could not be found.`], networks: ['NetworkNotFound', `Network ${id} could not be found.`],
      subnets: ['SubnetNotFound', `Subnet ${id} could not be found.`], floatingips: ['FloatingIPNotFound', `Floating IP ${id} could not be found`],
    };
    const [kind, msg] = m[collection] ?? ['NotFound', `${id} could not be found.`];
    return new ApiError(404, msg, kind);
  };
  /** Neutron list filters: every query key except paging/fields, values ORed, compared as strings. */
  const listReply = (req: Request, key: string, views: Array<Record<string, unknown>>): Reply => {
    const skip = new Set(['fields', 'limit', 'marker', 'sort_key', 'sort_dir', 'page_reverse']);
    const filters = new Map<string, string[]>();
    for (const [k, v] of req.query) if (!skip.has(k)) filters.set(k, [...(filters.get(k) ?? []), v]);
    const match = (view: Record<string, unknown>): boolean => {
      for (const [k, vals] of filters) {
        if (k === 'fixed_ips') {
          const ips = (view['fixed_ips'] as Array<Record<string, unknown>>) ?? [];
          const ok = vals.every((f) => {
            const [fk, fv] = f.split('=');
            return ips.some((ip) => String(ip[fk ?? '']) === fv);
          });
          if (!ok) return false;
          continue;
        }
        const have = view[k === 'project_id' ? 'tenant_id' : k];
        if (have === undefined) continue;
        if (!vals.some((v) => String(have) === v || (Array.isArray(have) && have.map(String).includes(v)))) return false;
      }
      return true;
    };
    const fields = req.query.getAll('fields');
    let out = views.filter(match);
    const body: Record<string, unknown> = {};
    const limitStr = req.query.get('limit');
    if (limitStr !== null) {
      // Pagination as neutron's api_common does it: sorted by id, `marker` exclusive, a `next` link
      // while more remain, a `previous` one once past the first page.
      const limit = Number(limitStr);
      if (!Number.isInteger(limit) || limit < 0) throw bad(`Bad limit request: Limit must be an integer 0 or greater and not '${limitStr}'.`, 'BadRequest');
      out.sort((a, b) => (String(a['id']) < String(b['id']) ? -1 : 1));
      const marker = req.query.get('marker');
      if (marker !== null) {
        const i = out.findIndex((v) => v['id'] === marker);
        if (i < 0) throw notFound(key, marker);
        out = out.slice(i + 1);
      }
      const links: unknown[] = [];
      const page = limit === 0 ? out : out.slice(0, limit);
      const link = (rel: string, m: string, extra: Record<string, string> = {}): unknown => {
        const q = new URLSearchParams(req.query);
        q.set('marker', m);
        for (const [k, v] of Object.entries(extra)) q.set(k, v);
        return { rel, href: `${sim.urls.neutron}${req.path}?${q.toString()}` };
      };
      if (limit > 0 && out.length > limit) links.push(link('next', String(page[page.length - 1]?.['id'])));
      if (marker !== null && page.length > 0) links.push(link('previous', String(page[0]?.['id']), { page_reverse: 'True' }));
      if (links.length > 0) body[`${key}_links`] = links;
      out = page;
    }
    if (fields.length > 0) out = out.map((v) => Object.fromEntries(fields.filter((f) => f in v).map((f) => [f, v[f]])));
    body[key] = out;
    return { status: 200, body };
  };

  const r = new Router();
  r.add('GET', '/', () => ({ status: 200, body: { versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ rel: 'self', href: `${sim.urls.neutron}/v2.0/` }] }] } }));
  r.add('GET', '/v2.0', () => ({ status: 200, body: { resources: ['networks', 'subnets', 'ports', 'floatingips'].map((n) => ({ name: n.replace(/s$/, ''), collection: n, links: [{ rel: 'self', href: `${sim.urls.neutron}/v2.0/${n}` }] })) } }));
  r.add('GET', '/v2.0/extensions', () => ({
    status: 200,
    body: { extensions: ['allowed-address-pairs', 'port-security', 'binding', 'security-group', 'quotas', 'router', 'extra_dhcp_opt'].map((a) => ({ alias: a, name: a, description: a, links: [], updated: '2013-01-01T00:00:00-00:00' })) },
  }));

  // ---- networks ----
  r.add('GET', '/v2.0/networks', (req) => listReply(req, 'networks', [...(store.byType.get('virtual-network')?.values() ?? [])].map((vn) => networkView(sim, vn)).filter((v) => visible(req, v, true))));
  r.add('GET', '/v2.0/networks/{id}', (req) => ({ status: 200, body: { network: networkView(sim, getNetwork(req, req.params['id'] ?? '')) } }));
  r.add('POST', '/v2.0/networks', (req) => {
    const b = resourceBody(req, 'network', NETWORK_ATTRS);
    const project = targetProject(req, b);
    const name = optStr(b, 'name') ?? '';
    const uuid = sim.random.uuid();
    const body: JsonObject = {
      fq_name: [...project.fq, store.uuidByFq('virtual-network', [...project.fq, name]) === undefined && name !== '' ? name : `${name}-${uuid}`],
      uuid, parent_type: 'project', display_name: name, is_shared: optBool(b, 'shared') ?? false,
      router_external: optBool(b, 'router:external') ?? false, port_security_enabled: optBool(b, 'port_security_enabled') ?? true,
      id_perms: { description: optStr(b, 'description') ?? '', enable: optBool(b, 'admin_state_up') ?? true },
    };
    const vn = store.create('virtual-network', body, { projectId: tenantIdOf(project.uuid) });
    if (body['router_external'] === true) store.create('floating-ip-pool', { fq_name: [...vn.fq, 'floating-ip-pool'], parent_type: 'virtual-network' });
    return { status: 201, body: { network: networkView(sim, vn) } };
  });
  r.add('PUT', '/v2.0/networks/{id}', (req) => {
    const vn = getNetwork(req, req.params['id'] ?? '');
    checkRevision(req, vn);
    const b = resourceBody(req, 'network', NETWORK_ATTRS);
    const upd: JsonObject = {};
    if (b['name'] !== undefined) upd['display_name'] = optStr(b, 'name');
    if (b['shared'] !== undefined) upd['is_shared'] = optBool(b, 'shared');
    if (b['router:external'] !== undefined) upd['router_external'] = optBool(b, 'router:external');
    if (b['port_security_enabled'] !== undefined) upd['port_security_enabled'] = optBool(b, 'port_security_enabled');
    store.update('virtual-network', vn.uuid, upd);
    return { status: 200, body: { network: networkView(sim, vn) } };
  });
  r.add('DELETE', '/v2.0/networks/{id}', (req) => {
    const vn = getNetwork(req, req.params['id'] ?? '');
    checkRevision(req, vn);
    const inUse = store.referrers(vn.uuid, 'virtual-machine-interface');
    if (inUse.length > 0 || store.referrers(vn.uuid, 'instance-ip').length > 0) {
      const ids = inUse.length > 0 ? `, id for these ports is: ${inUse.map((p) => p.uuid).join(', ')}` : '';
      throw new ApiError(409, `Unable to complete operation on network ${vn.uuid}. There are one or more ports still in use on the network${ids}.`, 'NetworkInUse');
    }
    for (const pool of store.childrenOf(vn.uuid)) {
      if (store.childrenOf(pool.uuid).length > 0) throw new ApiError(409, `Unable to complete operation on network ${vn.uuid}. There are one or more floating IPs still in use on the network.`, 'NetworkInUse');
      store.delete(pool.type, pool.uuid);
    }
    store.delete('virtual-network', vn.uuid);
    return { status: 204 };
  });

  // ---- subnets ----
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

  // ---- ports ----
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

  // ---- floating IPs ----
  r.add('GET', '/v2.0/floatingips', (req) => listReply(req, 'floatingips', [...(store.byType.get('floating-ip')?.values() ?? [])].filter((f) => store.get(f.parentUuid ?? '')?.type === 'floating-ip-pool').map((f) => floatingIpView(sim, f)).filter((v) => visible(req, v))));
  r.add('GET', '/v2.0/floatingips/{id}', (req) => ({ status: 200, body: { floatingip: floatingIpView(sim, getFip(req, req.params['id'] ?? '')) } }));
  const fipPortRefs = (req: Request, portId: unknown, fixed: unknown): JsonObject => {
    if (portId === null) return { virtual_machine_interface_refs: [], floating_ip_fixed_ip_address: null };
    if (typeof portId !== 'string') throw invalid(`'${JSON.stringify(portId)}' is not a valid UUID`);
    const vmi = getPort(req, portId);
    const ips = portIps(sim, vmi).map((i) => String(i.props['instance_ip_address']));
    if (fixed !== undefined && fixed !== null && !ips.includes(String(fixed))) {
      throw bad(`Port ${portId} does not have fixed ip ${String(fixed)}`);
    }
    return {
      virtual_machine_interface_refs: [{ to: vmi.fq, uuid: vmi.uuid }],
      floating_ip_fixed_ip_address: typeof fixed === 'string' ? fixed : (ips[0] ?? null),
    };
  };
  r.add('POST', '/v2.0/floatingips', (req) => {
    const b = resourceBody(req, 'floatingip', FIP_ATTRS);
    const netId = optStr(b, 'floating_network_id');
    if (netId === undefined) throw bad("Failed to parse request. Required attribute 'floating_network_id' not specified");
    const project = targetProject(req, b);
    const vn = getNetwork(req, netId);
    const pool = store.childrenOf(vn.uuid).find((c) => c.type === 'floating-ip-pool');
    if (pool === undefined) throw bad(`Bad floatingip request: Network ${netId} is not a valid external network.`, 'BadRequest');
    const uuid = sim.random.uuid();
    const body: JsonObject = { fq_name: [...pool.fq, uuid], uuid, parent_type: 'floating-ip-pool', project_refs: [{ to: project.fq, uuid: project.uuid }] };
    const addr = optStr(b, 'floating_ip_address');
    if (addr !== undefined) {
      if (parseIPv4(addr) === undefined) throw invalid(`'${addr}' is not a valid IP address`);
      body['floating_ip_address'] = addr;
    }
    if (b['description'] !== undefined) body['id_perms'] = { description: optStr(b, 'description'), enable: true };
    if (b['port_id'] !== undefined && b['port_id'] !== null) Object.assign(body, fipPortRefs(req, b['port_id'], b['fixed_ip_address']));
    let fip: VncObject;
    try {
      fip = store.create('floating-ip', body, { projectId: tenantIdOf(project.uuid) });
    } catch (e) {
      if (e instanceof VncError && e.status === 409) throw new ApiError(409, `Unable to complete operation for network ${netId}. The IP address ${addr ?? ''} is in use.`, 'IpAddressInUse');
      if (e instanceof VncError && e.status === 500) {
        if (addr !== undefined && e.message.endsWith('subnet([])')) throw new ApiError(400, `Invalid input for operation: IP address ${addr} is not a valid IP for the specified subnet.`, 'InvalidInput');
        throw new ApiError(409, `No more IP addresses available on network ${netId}.`, 'IpAddressGenerationFailure');
      }
      throw e;
    }
    return { status: 201, body: { floatingip: floatingIpView(sim, fip) } };
  });
  r.add('PUT', '/v2.0/floatingips/{id}', (req) => {
    const fip = getFip(req, req.params['id'] ?? '');
    checkRevision(req, fip);
    const b = resourceBody(req, 'floatingip', FIP_ATTRS);
    const upd: JsonObject = 'port_id' in b ? fipPortRefs(req, b['port_id'], b['fixed_ip_address']) : {};
    if (b['description'] !== undefined) upd['id_perms'] = { description: optStr(b, 'description'), enable: true };
    store.update('floating-ip', fip.uuid, upd);
    return { status: 200, body: { floatingip: floatingIpView(sim, fip) } };
  });
  r.add('DELETE', '/v2.0/floatingips/{id}', (req) => {
    const fip = getFip(req, req.params['id'] ?? '');
    checkRevision(req, fip);
    store.delete('floating-ip', fip.uuid);
    return { status: 204 };
  });
  return r;
}
