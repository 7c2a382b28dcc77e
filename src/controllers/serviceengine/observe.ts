// What the CloudView shows of one Service Engine, found by its owner uid (never by the names in
// its status: the cloud is the ground truth, so a lost status or a crash leads to adoption).
// Contrail clouds show SE ports as VMIs (made through Neutron, tagged in id_perms.description);
// plain-Neutron clouds as ports. Both become the same SEPort here, so the rest is one code path.
import { KIND, type CloudView, type Observed, type Owner, type Port, type Server, type VirtualMachineInterface } from '../../cloud/index.js';
import type { CloudMode } from '../model/index.js';
import type { ObservedDataPort, SEObservation } from './plan.js';

export type PortRole = 'mgmt' | 'data' | 'other';

export interface SEPort {
  uuid: string;
  name: string;
  role: PortRole;
  networkUUID: string;
  mac: string | undefined;
  ips: string[];
  /** The server this port is bound to, if any. */
  attachedTo: string | undefined;
  /** A VIP instance-ip or floating IP (Contrail), or an allowed-address pair (Neutron), uses it. */
  referenced: boolean;
  /** Neutron's port `status` (ACTIVE/DOWN, set from the L2 agent); Contrail VMIs: undefined. */
  status?: string;
}

export interface SEServer {
  id: string;
  status: string;
  fault: string | undefined;
  created: string;
  /** mac → fixed IPs, from Nova's addresses. */
  addresses: Map<string, string[]>;
}

export interface SESeen {
  mgmt: SEPort | undefined;
  /** Oldest first; more than one only after a duplicate boot (the extras are deleted). */
  servers: SEServer[];
  data: SEPort[];
  /** Duplicate management ports (a crash between create and observation); deleted. */
  extraMgmt: SEPort[];
}

export const portKind = (mode: CloudMode): string => (mode === 'contrail' ? KIND.vmi : KIND.port);

function roleOf(name: string): PortRole {
  if (/-mgmt$/.test(name)) return 'mgmt';
  if (/-data-[0-9a-f]+$/.test(name)) return 'data';
  return 'other';
}

/** A VMI or Neutron port as an SEPort (pure). `ourIips`: ids of our instance-ips in the view. */
export function toSEPort(mode: CloudMode, obj: unknown, ourIips: ReadonlySet<string>): SEPort {
  if (mode === 'contrail') {
    const v = obj as VirtualMachineInterface;
    const name = v.display_name ?? v.name ?? '';
    const iipRefs = (v.instance_ip_back_refs ?? []).flatMap((r) => (r.uuid === undefined ? [] : [r.uuid]));
    return {
      uuid: v.uuid, name, role: roleOf(name),
      networkUUID: v.virtual_network_refs?.[0]?.uuid ?? '',
      mac: v.virtual_machine_interface_mac_addresses?.mac_address[0],
      ips: [],
      attachedTo: v.virtual_machine_refs?.[0]?.uuid,
      referenced: iipRefs.some((u) => ourIips.has(u)) || (v.floating_ip_back_refs ?? []).length > 0,
    };
  }
  const p = obj as Port;
  return {
    uuid: p.id, name: p.name, role: roleOf(p.name), networkUUID: p.network_id, mac: p.mac_address,
    ips: (p.fixed_ips ?? []).flatMap((f) => (f.ip_address === undefined ? [] : [f.ip_address])),
    attachedTo: p.device_id === '' || p.device_id === undefined ? undefined : p.device_id,
    referenced: (p.allowed_address_pairs ?? []).length > 0,
    ...(p.status !== undefined ? { status: p.status } : {}),
  };
}

export function toSEServer(s: Server): SEServer {
  const addresses = new Map<string, string[]>();
  for (const list of Object.values(s.addresses ?? {})) {
    for (const a of list) {
      const mac = a['OS-EXT-IPS-MAC:mac_addr'];
      if (mac === undefined || a['OS-EXT-IPS:type'] === 'floating') continue;
      addresses.set(mac, [...(addresses.get(mac) ?? []), a.addr]);
    }
  }
  return { id: s.id, status: s.status, fault: s.fault?.message, created: s.created ?? '', addresses };
}

/** Everything of one SE in the view (pure over the view's current content). */
export function observeSE(view: CloudView, mode: CloudMode, uid: string): SESeen {
  const owned = view.ownedBy(uid);
  const ourIips = new Set(mode === 'contrail' ? view.list(KIND.instanceIp).map((o) => o.id) : []);
  const pk = portKind(mode);
  const ports = owned.filter((o) => o.kind === pk).map((o) => toSEPort(mode, o.obj, ourIips));
  const servers = owned.filter((o): o is Observed<Server> => o.kind === KIND.server)
    .map((o) => toSEServer(o.obj as Server))
    .sort((a, b) => a.created.localeCompare(b.created) || a.id.localeCompare(b.id));
  const mgmts = ports.filter((p) => p.role === 'mgmt').sort((a, b) => (a.attachedTo !== undefined ? -1 : 0) - (b.attachedTo !== undefined ? -1 : 0));
  return { mgmt: mgmts[0], extraMgmt: mgmts.slice(1), servers, data: ports.filter((p) => p.role === 'data') };
}

/** The planner's view of it (pure). */
export function toObservation(seen: SESeen): SEObservation {
  const server = seen.servers[0];
  const data: ObservedDataPort[] = seen.data.map((p) => ({
    uuid: p.uuid, networkUUID: p.networkUUID, referenced: p.referenced,
    attached: server !== undefined && p.attachedTo === server.id,
  }));
  return {
    managementPort: seen.mgmt === undefined ? undefined : { uuid: seen.mgmt.uuid },
    server: server === undefined ? undefined : { uuid: server.id, status: server.status, ...(server.fault !== undefined ? { faultMessage: server.fault } : {}) },
    dataPorts: data,
  };
}

// --- write-through: what the view should hold right after our own successful writes ---

/** The view entry for a port we just created through Neutron. */
export function createdPortEntry(mode: CloudMode, p: Port): unknown {
  if (mode === 'neutron') return p;
  return {
    uuid: p.id, fq_name: [], display_name: p.name, id_perms: { description: p.description ?? '' },
    virtual_network_refs: [{ to: [], uuid: p.network_id }], virtual_machine_refs: [],
    virtual_machine_interface_mac_addresses: { mac_address: [p.mac_address] },
    instance_ip_back_refs: [], floating_ip_back_refs: [],
  } satisfies Partial<VirtualMachineInterface> & { uuid: string };
}

/** A port entry with its binding changed (attach/detach or boot with it). */
export function withAttachment(mode: CloudMode, obj: unknown, serverID: string | undefined): unknown {
  if (mode === 'neutron') return { ...(obj as Port), device_id: serverID ?? '', device_owner: serverID === undefined ? '' : 'compute:nova' };
  return { ...(obj as VirtualMachineInterface), virtual_machine_refs: serverID === undefined ? [] : [{ to: [serverID], uuid: serverID }] };
}

export function ownerOf(o: Observed | undefined): Owner | undefined {
  return o?.owner;
}
