// What the cloud holds for one virtual service, read from the CloudView only (no per-object GET):
// its VIP ports, VIP addresses (with the SE data ports they are placed on) and floating IPs,
// in either cloud flavour, plus the SE data vNICs the ECMP planner may use.
import type { CloudView } from '../../cloud/cloudview.js';
import type { FloatingIp, InstanceIp, Ref, VirtualMachineInterface } from '../../cloud/contrail.js';
import type { FloatingIP, Port } from '../../cloud/neutron.js';
import { KIND } from '../../cloud/viewsources.js';
import type { SEObj } from '../model/index.js';
import type { SEDataVnic } from './ecmp.js';
import { fipOf } from './writers.js';
import type { ObservedFIP, ObservedIP, ObservedVipPort, VipObservation } from './vip.js';

const refIds = (refs: Ref[] | undefined): string[] => (refs ?? []).flatMap((r) => (r.uuid !== undefined ? [r.uuid] : []));
const last = (fq: string[]): string => fq[fq.length - 1] ?? '';

/** Contrail: VMIs (VIP ports), instance-ips and floating-ips tagged with the VS's uid. */
export function observeContrail(view: CloudView, uid: string): VipObservation {
  const ports: ObservedVipPort[] = [];
  const ips: ObservedIP[] = [];
  const fips: ObservedFIP[] = [];
  for (const o of view.ownedBy(uid)) {
    if (o.kind === KIND.vmi) {
      const v = o.obj as VirtualMachineInterface;
      ports.push({ uuid: v.uuid, name: last(v.fq_name), networkUUID: v.virtual_network_refs?.[0]?.uuid ?? '' });
    } else if (o.kind === KIND.instanceIp) {
      const i = o.obj as InstanceIp;
      ips.push({ uuid: i.uuid, name: last(i.fq_name), address: i.instance_ip_address, ...(i.instance_ip_mode !== undefined ? { mode: i.instance_ip_mode } : {}), vmiRefs: refIds(i.virtual_machine_interface_refs) });
    } else if (o.kind === KIND.floatingIp) {
      const f = o.obj as FloatingIp;
      fips.push({ uuid: f.uuid, name: last(f.fq_name), address: f.floating_ip_address, fixedAddress: f.floating_ip_fixed_ip_address, vmiRefs: refIds(f.virtual_machine_interface_refs) });
    }
  }
  return { ports, ips, fips };
}

/** The SE data ports whose allowed-address-pairs hold an address (Neutron placement). */
export function aapHolders(view: CloudView): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const o of view.list<Port>(KIND.port)) {
    for (const p of o.obj.allowed_address_pairs ?? []) {
      const addr = p.ip_address.replace(/\/(32|128)$/, '');
      const l = m.get(addr) ?? [];
      l.push(o.id);
      m.set(addr, l);
    }
  }
  return m;
}

/**
 * Neutron: the VIP port holds the address, so it is the "address object"; its refs are the SE
 * data ports carrying the address as an allowed-address-pair. Neutron floating IPs have no
 * name: the planner matches ours to a VIP by the port they are associated with (planVips).
 */
export function observeNeutron(view: CloudView, uid: string): VipObservation {
  const holders = aapHolders(view);
  const ips: ObservedIP[] = [];
  const owned = view.ownedBy(uid);
  for (const o of owned) {
    if (o.kind !== KIND.port) continue;
    const p = o.obj as Port;
    const address = p.fixed_ips?.[0]?.ip_address;
    ips.push({ uuid: p.id, name: p.name, address, vmiRefs: address !== undefined ? (holders.get(address) ?? []).filter((id) => id !== p.id) : [] });
  }
  const fips: ObservedFIP[] = owned.filter((o) => o.kind === KIND.neutronFloatingIp).map((o) => fipOf(o.obj as FloatingIP, ''));
  return { ports: [], ips, fips };
}

export function seHealthy(se: SEObj): boolean {
  return se.metadata.deletionTimestamp === undefined && (se.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

export function seFailed(se: SEObj): boolean {
  const ready = (se.status?.conditions ?? []).find((c) => c.type === 'Ready');
  return ready?.status === 'False' && ready.reason === 'ServerFailed';
}

/** Each SE's data vNIC in a network, as the SE reports it and the view confirms it exists. */
export function dataVnics(ses: readonly SEObj[], networkUUID: string, view: CloudView, portKind: string): SEDataVnic[] {
  return ses.map((se) => {
    const nic = (se.status?.dataInterfaces ?? []).find((d) => d.networkUUID === networkUUID && d.portUUID !== undefined);
    const exists = nic?.portUUID !== undefined && view.get(portKind, nic.portUUID) !== undefined;
    return { se: se.metadata.name, vmiUUID: exists ? nic.portUUID : undefined, attached: nic?.attached === true, healthy: seHealthy(se) };
  });
}
