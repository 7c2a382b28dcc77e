// The simulated Neutron networks routes (cloud-api.md §5), over the VNC store.
import { ApiError, Router } from './http.js';
import type { Sim } from './context.js';
import { NETWORK_ATTRS, optBool, optStr, resourceBody } from './neutron-input.js';
import { networkView } from './neutron-views.js';
import { tenantIdOf } from './ports.js';
import { type JsonObject } from './store.js';
import type { NeutronScope } from './neutron-scope.js';

export function networkRoutes(r: Router, sim: Sim, n: NeutronScope): void {
  const store = sim.store;
  const { visible, targetProject, getNetwork, checkRevision, listReply } = n;
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

}
