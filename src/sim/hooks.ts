// Type-specific rules of the api-server (resources/*.py): VN subnets, VMI MACs and allowed
// address pairs, instance-ip and floating-ip allocation. Installed on the store by installHooks.
import { formatIPv4, parseIPv4 } from './ip.js';
import type { Ipam } from './ipam.js';
import { isObject, VncError, type Ref, type VncObject, type VncStore } from './store.js';

const firstRef = (o: VncObject, field: string): Ref | undefined => o.refs[field]?.[0];

function vmiPortSecurity(store: VncStore, vmi: VncObject, props: Record<string, unknown>, refs: Record<string, Ref[]>): boolean {
  const own = 'port_security_enabled' in props ? props['port_security_enabled'] : vmi.props['port_security_enabled'];
  if (typeof own === 'boolean') return own;
  const vnRef = (refs['virtual_network_refs'] ?? vmi.refs['virtual_network_refs'] ?? [])[0];
  const vn = vnRef === undefined ? undefined : store.get(vnRef.uuid);
  return vn?.props['port_security_enabled'] !== false;
}

function checkAaps(store: VncStore, vmi: VncObject, props: Record<string, unknown>, refs: Record<string, Ref[]>): void {
  const aaps = 'virtual_machine_interface_allowed_address_pairs' in props
    ? props['virtual_machine_interface_allowed_address_pairs']
    : vmi.props['virtual_machine_interface_allowed_address_pairs'];
  const list = isObject(aaps) && Array.isArray(aaps['allowed_address_pair']) ? (aaps['allowed_address_pair'] as unknown[]) : [];
  if (list.length === 0) return;
  if (!vmiPortSecurity(store, vmi, props, refs)) {
    throw new VncError(400, 'Allowed address pairs are not allowed when port security is disabled');
  }
  for (const p of list) {
    if (!isObject(p) || !('address_mode' in p)) {
      throw new VncError(400, `Bad Request: allowed address pair ${JSON.stringify(p)} has no address_mode`);
    }
    const ip = isObject(p['ip']) ? p['ip'] : {};
    const addr = parseIPv4(ip['ip_prefix']);
    if (addr === undefined) throw new VncError(400, `failed to detect a valid IP address from ${JSON.stringify(ip['ip_prefix'] ?? null)}`);
    const len = typeof ip['ip_prefix_len'] === 'number' ? ip['ip_prefix_len'] : 32;
    if (len < 0 || len > 32) throw new VncError(400, `invalid IPNetwork ${String(ip['ip_prefix'])}/${len}`);
    if (p['address_mode'] === 'active-standby' && len < 24) {
      throw new VncError(400, `IPv4 Prefix length lesser than 24 is not acceptable for active-standby mode: ${String(ip['ip_prefix'])}/${len}`);
    }
  }
}

function macFromUuid(uuid: string): string {
  const h = uuid.replace(/-/g, '');
  // join() makes one flat string (a template of slices would keep a cons/slice tree per MAC).
  return ['02', h.slice(0, 2), h.slice(2, 4), h.slice(4, 6), h.slice(6, 8), h.slice(8, 10)].join(':');
}

/** True when some VMI in the refs is bound to a VM (gateway addresses are not for VM ports). */
function anyVmBound(store: VncStore, vmiRefs: Ref[]): boolean {
  return vmiRefs.some((r) => (store.get(r.uuid)?.refs['virtual_machine_refs']?.length ?? 0) > 0);
}

export function installHooks(store: VncStore, ipam: Ipam): void {
  const macs = new Map<string, string>();
  const gatewayIps = new WeakSet<VncObject>(); // IIPs holding the gateway address (never freed)

  store.hooks['virtual-network'] = {
    preCreate(vn) {
      if (vn.props['virtual_network_network_id'] !== undefined && vn.props['virtual_network_network_id'] !== null) {
        throw new VncError(403, 'Cannot set the virtual network ID');
      }
      const subnets = ipam.plan(vn, vn.refs['network_ipam_refs'] ?? []);
      vn.props['virtual_network_network_id'] = vn.seq;
      ipam.commit(vn.uuid, subnets);
    },
    preUpdate(vn, props, refs) {
      if (props['virtual_network_network_id'] !== undefined && props['virtual_network_network_id'] !== vn.props['virtual_network_network_id']) {
        throw new VncError(403, 'Cannot set the virtual network ID');
      }
      delete props['virtual_network_network_id'];
      const ipamRefs = refs['network_ipam_refs'];
      if (ipamRefs !== undefined) ipam.commit(vn.uuid, ipam.plan(vn, ipamRefs));
    },
    postDelete(vn) {
      ipam.drop(vn.uuid);
    },
  };

  store.hooks['virtual-machine-interface'] = {
    preCreate(vmi) {
      const vnRef = firstRef(vmi, 'virtual_network_refs');
      if (vnRef === undefined) throw new VncError(500, "KeyError: 'virtual_network_refs'");
      checkAaps(store, vmi, {}, {});
      const given = vmi.props['virtual_machine_interface_mac_addresses'];
      const list = isObject(given) && Array.isArray(given['mac_address']) ? (given['mac_address'] as string[]) : [];
      const mac = (list[0] ?? macFromUuid(vmi.uuid)).toLowerCase();
      const holder = macs.get(mac);
      if (holder !== undefined) throw new VncError(409, `MAC address ${mac} already in use by ${holder}`);
      vmi.props['virtual_machine_interface_mac_addresses'] = { mac_address: [mac] };
      macs.set(mac, vmi.uuid);
      checkHealthChecks(store, vmi, vmi.refs);
    },
    preUpdate(vmi, props, refs) {
      checkAaps(store, vmi, props, refs);
      checkHealthChecks(store, vmi, refs);
      delete props['virtual_machine_interface_mac_addresses']; // the MAC is fixed at create
    },
    preDelete(vmi) {
      const sub = isObject(vmi.props['virtual_machine_interface_properties'])
        ? vmi.props['virtual_machine_interface_properties']['sub_interface_vlan_tag'] : undefined;
      if ((vmi.refs['virtual_machine_interface_refs']?.length ?? 0) > 0 && (sub === undefined || sub === null)) {
        throw new VncError(409, 'Cannot delete vmi with existing ref to sub interface');
      }
    },
    restore(vmi) {
      const m = vmi.props['virtual_machine_interface_mac_addresses'];
      const mac = isObject(m) && Array.isArray(m['mac_address']) ? m['mac_address'][0] : undefined;
      if (typeof mac === 'string') macs.set(mac, vmi.uuid);
    },
    postDelete(vmi) {
      const m = vmi.props['virtual_machine_interface_mac_addresses'];
      const mac = isObject(m) && Array.isArray(m['mac_address']) ? m['mac_address'][0] : undefined;
      if (typeof mac === 'string' && macs.get(mac) === vmi.uuid) macs.delete(mac);
    },
  };

  store.hooks['instance-ip'] = {
    preCreate(iip) {
      const vnRef = firstRef(iip, 'virtual_network_refs');
      if (vnRef === undefined) throw new VncError(400, 'Bad Request: instance-ip needs a virtual_network_refs entry');
      const vn = store.get(vnRef.uuid) as VncObject;
      const address = typeof iip.props['instance_ip_address'] === 'string' ? iip.props['instance_ip_address'] : undefined;
      const subnetUuid = typeof iip.props['subnet_uuid'] === 'string' ? iip.props['subnet_uuid'] : undefined;
      const family = typeof iip.props['instance_ip_family'] === 'string' ? iip.props['instance_ip_family'] : undefined;
      const got = ipam.allocate(vn, { address, subnetUuid: address === undefined ? subnetUuid : undefined, family });
      if (got.isGateway) {
        if (anyVmBound(store, iip.refs['virtual_machine_interface_refs'] ?? [])) {
          throw new VncError(400, 'Gateway IP cannot be used by VM port');
        }
        gatewayIps.add(iip);
      }
      iip.props['instance_ip_address'] = formatIPv4(got.ip);
      iip.props['subnet_uuid'] = got.subnet.uuid;
      iip.props['instance_ip_family'] = 'v4';
      iip.props['instance_ip_subnet'] = got.subnet.prefix; // one shared (read-only) object per subnet
    },
    preUpdate(iip, props, refs) {
      if (props['instance_ip_address'] !== undefined && props['instance_ip_address'] !== null && props['instance_ip_address'] !== iip.props['instance_ip_address']) {
        throw new VncError(400, 'Instance IP Address can not be changed');
      }
      delete props['instance_ip_address'];
      const vmis = refs['virtual_machine_interface_refs'];
      if (vmis !== undefined && gatewayIps.has(iip) && anyVmBound(store, vmis)) {
        throw new VncError(400, 'Gateway IP cannot be used by VM port');
      }
    },
    postDelete(iip) {
      const vnRef = firstRef(iip, 'virtual_network_refs');
      if (vnRef !== undefined && !gatewayIps.has(iip)) ipam.free(vnRef.uuid, iip.props['instance_ip_address']);
    },
  };

  store.hooks['floating-ip'] = {
    preCreate(fip) {
      const parent = store.get(fip.parentUuid ?? '');
      if (parent === undefined) throw new VncError(404, 'floating-ip needs a parent');
      if (parent.type === 'instance-ip') {
        // kube-manager's VIP FIP: same address as its parent instance-ip, nothing allocated.
        fip.props['floating_ip_address'] = parent.props['instance_ip_address'];
      } else {
        const vn = store.get(parent.parentUuid ?? '') as VncObject;
        const pooled = parent.props['floating_ip_pool_subnets'];
        const restrict = isObject(pooled) && Array.isArray(pooled['subnet_uuid']) && pooled['subnet_uuid'].length > 0
          ? new Set(pooled['subnet_uuid'] as string[]) : undefined;
        const address = typeof fip.props['floating_ip_address'] === 'string' ? fip.props['floating_ip_address'] : undefined;
        try {
          const got = ipam.allocate(vn, { address, restrict });
          fip.props['floating_ip_address'] = formatIPv4(got.ip);
        } catch (e) {
          // floating_ip.py turns every allocation failure but a duplicate into a 500.
          if (e instanceof VncError && e.status !== 409) throw new VncError(500, e.message);
          throw e;
        }
      }
      fip.props['floating_ip_address_family'] ??= 'v4';
      if (fip.refs['project_refs'] === undefined) {
        const projFq = fip.fq.slice(0, 2);
        const pu = store.uuidByFq('project', projFq);
        if (pu !== undefined) fip.refs['project_refs'] = [{ to: projFq, uuid: pu, attr: null }];
      }
    },
    preUpdate(fip, props) {
      if (props['floating_ip_address'] !== undefined && props['floating_ip_address'] !== fip.props['floating_ip_address']) {
        throw new VncError(400, 'Floating IP address can not be changed');
      }
    },
    postDelete(fip) {
      const parent = store.get(fip.parentUuid ?? '');
      if (parent?.type === 'floating-ip-pool' && parent.parentUuid !== undefined) ipam.free(parent.parentUuid, fip.props['floating_ip_address']);
    },
  };

}

function checkHealthChecks(store: VncStore, vmi: VncObject, refs: Record<string, Ref[]>): void {
  const shcs = refs['service_health_check_refs'];
  if (shcs === undefined || shcs.length === 0) return;
  const vp = vmi.props['virtual_machine_interface_properties'];
  const isService = isObject(vp) && typeof vp['service_interface_type'] === 'string';
  if (isService) return;
  for (const r of shcs) {
    const shc = store.get(r.uuid);
    const p = shc?.props['service_health_check_properties'];
    const kind = isObject(p) ? p['health_check_type'] : undefined;
    if (kind !== 'link-local') {
      throw new VncError(400, `Virtual machine interface(${vmi.uuid}) of non service vm can only refer link local service health check`);
    }
  }
}
