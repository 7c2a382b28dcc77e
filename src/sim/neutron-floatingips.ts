// The simulated Neutron floating IPs routes (cloud-api.md §5), over the VNC store.
import { ApiError, type Request, Router } from './http.js';
import type { Sim } from './context.js';
import { parseIPv4 } from './ip.js';
import { FIP_ATTRS, bad, invalid, optStr, resourceBody } from './neutron-input.js';
import { floatingIpView } from './neutron-views.js';
import { portIps, tenantIdOf } from './ports.js';
import { type JsonObject, VncError, type VncObject } from './store.js';
import type { NeutronScope } from './neutron-scope.js';

export function floatingIpRoutes(r: Router, sim: Sim, n: NeutronScope): void {
  const store = sim.store;
  const { visible, targetProject, getNetwork, getPort, getFip, checkRevision, listReply } = n;
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
}
