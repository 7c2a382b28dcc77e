// The lists behind a CloudView: which kinds, which fields, and which items we keep.
// Contrail clouds: VMIs, instance-ips, floating-ips and virtual-machines (ours), virtual-networks,
// plus Nova servers named lbop-* per project. Plain Neutron clouds: ports and floating IPs
// (ours, by description), networks, subnets, plus the same Nova servers.
import type { ContrailClient, FqName, VncObject, Ref } from './contrail.js';
import { internString } from '../runtime/intern.js';
import type { ListedItem, ViewSource } from './cloudview.js';
import type { NeutronClient, FloatingIP, Network, Subnet } from './neutron.js';
import type { NovaClient, Server } from './nova.js';
import { isOurs, NAME_PREFIX, type Owner, ownerFromAnnotations, ownerFromDescription, ownerFromMetadata } from './owner.js';

export const KIND = {
  vmi: 'virtual-machine-interface',
  instanceIp: 'instance-ip',
  floatingIp: 'floating-ip',
  virtualMachine: 'virtual-machine',
  virtualNetwork: 'virtual-network',
  server: 'server',
  port: 'port',
  neutronFloatingIp: 'floatingip',
  network: 'network',
  subnet: 'subnet',
  serviceHealthCheck: 'service-health-check',
} as const;

/** Fields fetched per VNC kind (`detail=true&fields=...`): what planners need, nothing more. */
export const VNC_FIELDS: Record<string, readonly string[]> = {
  // display_name + id_perms: ports made through Neutron (Service Engine ports) carry their
  // owner tags in the Neutron description, which Contrail keeps in id_perms.description.
  [KIND.vmi]: ['annotations', 'display_name', 'id_perms', 'virtual_network_refs', 'virtual_machine_refs', 'virtual_machine_interface_mac_addresses',
    'virtual_machine_interface_allowed_address_pairs', 'virtual_machine_interface_device_owner', 'port_security_enabled',
    'instance_ip_back_refs', 'floating_ip_back_refs', 'service_health_check_refs', 'virtual_machine_interface_properties'],
  // An SE's data-path probe (serviceengine/healthcheck.ts): which data vNICs it is attached to.
  [KIND.serviceHealthCheck]: ['annotations', 'display_name', 'service_health_check_properties', 'virtual_machine_interface_back_refs'],
  [KIND.instanceIp]: ['annotations', 'instance_ip_address', 'instance_ip_mode', 'instance_ip_secondary', 'subnet_uuid',
    'virtual_network_refs', 'virtual_machine_interface_refs'],
  [KIND.floatingIp]: ['annotations', 'floating_ip_address', 'floating_ip_fixed_ip_address', 'floating_ip_traffic_direction',
    'virtual_machine_interface_refs'],
  [KIND.virtualMachine]: ['annotations', 'virtual_machine_interface_back_refs'],
  // floating_ip_pools (children): the parent of a VIP's floating-ip (VirtualService controller).
  [KIND.virtualNetwork]: ['network_ipam_refs', 'router_external', 'is_shared', 'port_security_enabled', 'floating_ip_pools'],
};

/** The one `to` every ref in the view carries: no reader uses a ref's fq_name, only its uuid. */
const NO_FQ = Object.freeze([]) as unknown as FqName;
/** Top-level string fields whose values repeat across objects (one copy each, src/runtime/intern.ts). */
const SHARED_VALUES = ['parent_uuid', 'subnet_uuid', 'instance_ip_mode', 'instance_ip_family', 'virtual_machine_interface_device_owner', 'floating_ip_traffic_direction'];

/**
 * What the view keeps of a listed VNC object: what planners read, nothing for logs. VNC returns
 * id_perms/perms2/hrefs with every object and each ref as {to: fq_name, href, uuid, attr}; the view
 * keeps the timestamps of id_perms, and of a ref its uuid and attr (NO_FQ for `to`: readers use the
 * uuid — an SE VMI's instance_ip_back_refs alone held 10 KiB of fq_names and hrefs). The owner
 * annotations are dropped too: the view keeps the owner they name beside the object. Repeated
 * uuids (the SE VMIs every VIP refers to, the VIP network and subnet) and modes are interned, and
 * a name equal to the last fq_name element reuses that string. At 1000 VS this took the view from
 * 7.0 to 2.4 MiB of heap (docs/scaling.md); it also halves the cost of change detection.
 */
export function slim(o: VncObject): VncObject {
  const { perms2: _p, href: _h, parent_href: _ph, id_perms: idPerms, annotations: _a, ...rest } = o;
  const out = rest as Record<string, unknown>;
  for (const k of Object.keys(out)) {
    const v = out[k];
    if (k.endsWith('_refs') && Array.isArray(v)) out[k] = (v as Ref[]).map(slimRef);
    else if (typeof v === 'string' && SHARED_VALUES.includes(k)) out[k] = internString(v);
  }
  // fq_name: the domain and project repeat in every object, the last element is the object's own.
  const last = o.fq_name[o.fq_name.length - 1];
  if (o.fq_name.length > 1) out['fq_name'] = o.fq_name.map((n, i) => (i < o.fq_name.length - 1 ? internString(n) : n));
  if (last !== undefined) {
    if (out['name'] === last) out['name'] = last;
    if (out['display_name'] === last) out['display_name'] = last;
  }
  out['uuid'] = internString(o.uuid);
  if (idPerms !== undefined) out['id_perms'] = { created: idPerms['created'], last_modified: idPerms['last_modified'] };
  return out as unknown as VncObject;
}

/** One literal with every field: V8 then keeps them in the object (added later, they take a second array). */
function slimRef(r: Ref): Ref {
  return { to: NO_FQ, uuid: r.uuid === undefined ? undefined : internString(r.uuid), attr: r.attr ?? null };
}

/** An owner whose repeated strings (cluster, kind, namespace) are one copy each. */
function sharedOwner(o: Owner | undefined): Owner | undefined {
  if (o === undefined) return undefined;
  return { clusterID: internString(o.clusterID), kind: internString(o.kind), uid: o.uid, namespace: internString(o.namespace), name: o.name };
}

/** Owner tags of a VNC object: its annotations, else (a port made through Neutron) its description. */
export function vncOwner(o: VncObject): Owner | undefined {
  const d = o.id_perms?.['description'];
  return ownerFromAnnotations(o.annotations) ?? ownerFromDescription(typeof d === 'string' ? d : undefined);
}

function vncSource(contrail: ContrailClient, kind: string, keep: (o: VncObject) => boolean, pageLimit?: number): ViewSource {
  return {
    kind,
    async list(): Promise<ListedItem[]> {
      const objs = await contrail.list(kind, { detail: true, fields: VNC_FIELDS[kind] ?? [], ...(pageLimit !== undefined ? { pageLimit } : {}) });
      return objs.filter(keep).map((o) => ({ id: o.uuid, owner: sharedOwner(vncOwner(o)), obj: slim(o) }));
    },
  };
}

function refUuids(items: readonly ListedItem[] | undefined, field: string): Set<string> {
  const out = new Set<string>();
  for (const it of items ?? []) {
    const refs = (it.obj as Record<string, unknown>)[field];
    if (Array.isArray(refs)) for (const r of refs as Ref[]) if (r.uuid !== undefined) out.add(r.uuid);
  }
  return out;
}

function serverSource(novas: readonly NovaClient[], clusterID: string): ViewSource {
  return {
    kind: KIND.server,
    async list(): Promise<ListedItem[]> {
      // Nova has no metadata filter: the name regex narrows it, the metadata confirms it.
      const lists = await Promise.all(novas.map((n) => n.listServers({ name: `^${NAME_PREFIX}` })));
      const out: ListedItem[] = [];
      const seen = new Set<string>();
      for (const s of lists.flat() as Server[]) {
        const owner = ownerFromMetadata(s.metadata);
        if (!isOurs(owner, clusterID) || seen.has(s.id)) continue;
        seen.add(s.id);
        out.push({ id: s.id, owner, obj: s });
      }
      return out;
    },
  };
}

export interface ContrailViewOptions {
  contrail: ContrailClient;
  /** One Nova client per project the Cloud's tenants map to. */
  novas: readonly NovaClient[];
  clusterID: string;
  pageLimit?: number;
}

export function contrailSources(o: ContrailViewOptions): ViewSource[] {
  const ours = (x: VncObject): boolean => isOurs(vncOwner(x), o.clusterID);
  const vm = vncSource(o.contrail, KIND.virtualMachine, () => true, o.pageLimit);
  // Contrail's virtual-machine objects are made by Nova's plugin, untagged: keep those of our
  // servers or referred to by our VMIs.
  vm.select = (items, listed) => {
    const mine = refUuids(listed.get(KIND.vmi), 'virtual_machine_refs');
    for (const s of listed.get(KIND.server) ?? []) mine.add(s.id);
    return items.filter((it) => it.owner !== undefined || mine.has(it.id));
  };
  return [
    vncSource(o.contrail, KIND.vmi, ours, o.pageLimit),
    vncSource(o.contrail, KIND.instanceIp, ours, o.pageLimit),
    vncSource(o.contrail, KIND.floatingIp, ours, o.pageLimit),
    vncSource(o.contrail, KIND.serviceHealthCheck, ours, o.pageLimit),
    vm,
    vncSource(o.contrail, KIND.virtualNetwork, () => true, o.pageLimit),
    serverSource(o.novas, o.clusterID),
  ];
}

export interface NeutronViewOptions {
  neutron: NeutronClient;
  novas: readonly NovaClient[];
  clusterID: string;
}

export const PORT_FIELDS = ['id', 'name', 'network_id', 'mac_address', 'fixed_ips', 'allowed_address_pairs', 'device_owner',
  'device_id', 'status', 'description', 'project_id', 'port_security_enabled'] as const;

export function neutronSources(o: NeutronViewOptions): ViewSource[] {
  const owned = <T extends { id: string; description?: string }>(items: T[]): ListedItem[] =>
    items.flatMap((x) => {
      const owner = ownerFromDescription(x.description);
      return isOurs(owner, o.clusterID) ? [{ id: x.id, owner, obj: x }] : [];
    });
  const all = <T extends { id: string }>(items: T[]): ListedItem[] => items.map((x) => ({ id: x.id, owner: undefined, obj: x }));
  return [
    { kind: KIND.port, list: async () => owned(await o.neutron.listPorts({ fields: PORT_FIELDS })) },
    { kind: KIND.neutronFloatingIp, list: async () => owned<FloatingIP>(await o.neutron.listFloatingIPs()) },
    { kind: KIND.network, list: async () => all<Network>(await o.neutron.listNetworks({ fields: ['id', 'name', 'subnets', 'shared', 'router:external', 'status', 'project_id'] })) },
    { kind: KIND.subnet, list: async () => all<Subnet>(await o.neutron.listSubnets({ fields: ['id', 'name', 'network_id', 'cidr', 'ip_version', 'gateway_ip', 'allocation_pools'] })) },
    serverSource(o.novas, o.clusterID),
  ];
}
