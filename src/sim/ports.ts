// Ports as Contrail's Neutron plugin builds them: a port is a VMI plus one instance-ip per fixed
// IP; binding a port to a server is a virtual_machine_refs entry (device_id) on the VMI. Shared by
// the Neutron API and Nova (which creates ports for `networks: [{uuid}]`).
import type { Sim } from './context.js';
import { canonicalUuid } from './rand.js';
import { isObject, type Ref, type VncObject } from './store.js';

export interface PortSpec {
  networkId: string;
  name?: string;
  fixedIps?: Array<{ subnetId?: string; ipAddress?: string }>;
  allowedAddressPairs?: Array<{ ipAddress: string; macAddress?: string }>;
  macAddress?: string;
  deviceOwner?: string;
  deviceId?: string;
  portSecurityEnabled?: boolean;
  securityGroupIds?: string[];
  description?: string;
}

/** VNC project uuid for a Keystone project id, creating the project on demand as vnc_openstack does. */
export function ensureProject(sim: Sim, keystoneId: string): VncObject {
  const uuid = canonicalUuid(keystoneId) ?? keystoneId;
  const found = sim.store.get(uuid);
  if (found !== undefined) return found;
  const ks = sim.identity.projects.get(keystoneId);
  const name = ks?.name ?? keystoneId;
  return sim.store.create('project', { fq_name: ['default-domain', name], uuid, parent_type: 'domain' });
}

const tenantIds = new Map<string, string>();
/** Neutron's tenant_id (the project uuid without dashes), interned: every port and IP carries one. */
export function tenantIdOf(projectUuid: string | undefined): string {
  const key = projectUuid ?? '';
  let t = tenantIds.get(key);
  if (t === undefined) {
    t = key.replace(/-/g, '');
    if (tenantIds.size < 10_000) tenantIds.set(key, t);
  }
  return t;
}

export function aapsToVnc(pairs: PortSpec['allowedAddressPairs'], mac: string | undefined): unknown {
  return {
    allowed_address_pair: (pairs ?? []).map((p) => {
      const [ip, len] = p.ipAddress.split('/');
      // Neutron-created pairs are always active-standby (neutron_plugin_db.py).
      return { ip: { ip_prefix: ip, ip_prefix_len: len === undefined ? 32 : Number(len) }, mac: p.macAddress ?? mac ?? null, address_mode: 'active-standby' };
    }),
  };
}

export function portMac(vmi: VncObject): string {
  const m = vmi.props['virtual_machine_interface_mac_addresses'];
  return isObject(m) && Array.isArray(m['mac_address']) ? String(m['mac_address'][0]) : '';
}

/** The VM a device_id names, created if needed (neutron_plugin_db `_ensure_instance_exists`). */
function ensureVm(sim: Sim, deviceId: string): VncObject {
  const byUuid = sim.store.get(deviceId);
  if (byUuid?.type === 'virtual-machine') return byUuid;
  const byFq = sim.store.uuidByFq('virtual-machine', [deviceId]);
  if (byFq !== undefined) return sim.store.get(byFq) as VncObject;
  const uuid = canonicalUuid(deviceId) === deviceId ? deviceId : undefined;
  return sim.store.create('virtual-machine', uuid === undefined ? { fq_name: [deviceId] } : { fq_name: [deviceId], uuid });
}

export function deviceIdOf(sim: Sim, vmi: VncObject): string {
  const ref = vmi.refs['virtual_machine_refs']?.[0];
  if (ref === undefined) return '';
  return sim.store.get(ref.uuid)?.fq[0] ?? ref.uuid;
}

/** Sets or clears device_id/device_owner; removes a Neutron-made VM once nothing uses it. */
export function bindPort(sim: Sim, vmi: VncObject, deviceId: string, deviceOwner: string | undefined): void {
  const before = vmi.refs['virtual_machine_refs']?.[0]?.uuid;
  const refs: Ref[] = [];
  if (deviceId !== '') {
    const vm = ensureVm(sim, deviceId);
    refs.push({ to: vm.fq, uuid: vm.uuid, attr: null });
  }
  const body: Record<string, unknown> = { virtual_machine_refs: refs.map((r) => ({ to: r.to, uuid: r.uuid, attr: null })) };
  if (deviceOwner !== undefined) body['virtual_machine_interface_device_owner'] = deviceOwner;
  sim.store.update('virtual-machine-interface', vmi.uuid, body);
  if (before !== undefined && before !== refs[0]?.uuid) dropOrphanVm(sim, before);
}

export function dropOrphanVm(sim: Sim, vmUuid: string): void {
  const vm = sim.store.get(vmUuid);
  if (vm === undefined || vm.type !== 'virtual-machine' || sim.compute.servers.has(vmUuid)) return;
  if (sim.store.referrers(vmUuid).length === 0 && sim.store.childrenOf(vmUuid).length === 0) sim.store.delete('virtual-machine', vmUuid);
}

export function createPort(sim: Sim, project: VncObject, spec: PortSpec): VncObject {
  const store = sim.store;
  const vn = store.mustGet('virtual-network', spec.networkId);
  const uuid = sim.random.uuid();
  const vmiBody: Record<string, unknown> = {
    fq_name: [...project.fq, uuid], uuid, parent_type: 'project', display_name: spec.name ?? '',
    virtual_network_refs: [{ to: vn.fq, uuid: vn.uuid }],
    virtual_machine_interface_device_owner: spec.deviceOwner ?? '',
  };
  if (spec.description !== undefined && spec.description !== '') vmiBody['id_perms'] = { description: spec.description, enable: true };
  if (spec.macAddress !== undefined) vmiBody['virtual_machine_interface_mac_addresses'] = { mac_address: [spec.macAddress] };
  if (spec.portSecurityEnabled !== undefined) vmiBody['port_security_enabled'] = spec.portSecurityEnabled;
  if (spec.allowedAddressPairs !== undefined && spec.allowedAddressPairs.length > 0) {
    vmiBody['virtual_machine_interface_allowed_address_pairs'] = aapsToVnc(spec.allowedAddressPairs, spec.macAddress);
  }
  if (spec.securityGroupIds !== undefined) {
    vmiBody['security_group_refs'] = spec.securityGroupIds.map((u) => ({ to: store.get(u)?.fq ?? [], uuid: u }));
  }
  const vmi = store.create('virtual-machine-interface', vmiBody, { projectId: tenantIdOf(project.uuid) });
  const made: string[] = [];
  try {
    const wanted = spec.fixedIps ?? [{}];
    for (const f of wanted) {
      const iipUuid = sim.random.uuid();
      const b: Record<string, unknown> = {
        fq_name: [iipUuid], uuid: iipUuid,
        virtual_network_refs: [{ to: vn.fq, uuid: vn.uuid }],
        virtual_machine_interface_refs: [{ to: vmi.fq, uuid: vmi.uuid }],
      };
      if (f.ipAddress !== undefined) b['instance_ip_address'] = f.ipAddress;
      if (f.subnetId !== undefined) b['subnet_uuid'] = f.subnetId;
      made.push(store.create('instance-ip', b, { projectId: tenantIdOf(project.uuid) }).uuid);
    }
    if (spec.deviceId !== undefined && spec.deviceId !== '') bindPort(sim, vmi, spec.deviceId, undefined);
  } catch (e) {
    for (const u of made.reverse()) store.delete('instance-ip', u);
    store.delete('virtual-machine-interface', vmi.uuid);
    throw e;
  }
  return vmi;
}

/** The instance-ips on a port, in creation order. */
export function portIps(sim: Sim, vmi: VncObject): VncObject[] {
  return sim.store.referrers(vmi.uuid, 'instance-ip').sort((a, b) => a.seq - b.seq);
}

export function deletePort(sim: Sim, vmi: VncObject): void {
  const store = sim.store;
  for (const iip of portIps(sim, vmi)) {
    const refs = iip.refs['virtual_machine_interface_refs'] ?? [];
    if (refs.length <= 1) store.delete('instance-ip', iip.uuid);
    else store.refUpdate('instance-ip', iip.uuid, 'virtual-machine-interface', vmi.uuid, undefined, 'DELETE', null, false);
  }
  for (const fip of store.referrers(vmi.uuid, 'floating-ip')) {
    store.refUpdate('floating-ip', fip.uuid, 'virtual-machine-interface', vmi.uuid, undefined, 'DELETE', null, false);
  }
  const vm = vmi.refs['virtual_machine_refs']?.[0]?.uuid;
  // Anything else that still refers to the port (a loadbalancer) keeps Contrail's 409.
  store.delete('virtual-machine-interface', vmi.uuid);
  if (vm !== undefined) dropOrphanVm(sim, vm);
}
