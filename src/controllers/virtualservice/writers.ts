// The cloud writes of the VirtualService controller, one writer per cloud flavour. Every write
// goes through the clients and then into the CloudView (write-through), so the next reconcile
// plans from what was just done without reading it back. A create that finds its deterministic
// name taken (a crash between write and record) adopts the existing object.
import type { CloudView } from '../../cloud/cloudview.js';
import type { ContrailClient, FloatingIp, InstanceIp, Ref, VirtualMachineInterface, VirtualNetwork, VncObject } from '../../cloud/contrail.js';
import { Conflict, isNotFound } from '../../cloud/errors.js';
import type { FloatingIP, NeutronClient, Port } from '../../cloud/neutron.js';
import { ownerDescription, stampAnnotations, type Owner } from '../../cloud/owner.js';
import { KIND, VNC_FIELDS } from '../../cloud/viewsources.js';
import { addressMode, type ObservedFIP, type ObservedIP, type ObservedVipPort, type VipPlan } from './vip.js';

export type RefTarget = 'ip' | 'fip';

export interface VipWriter {
  /** Contrail: the unbound VIP VMI. Neutron: none (the address object is the port). */
  ensurePort(v: VipPlan): Promise<ObservedVipPort | undefined>;
  ensureIP(v: VipPlan, port: ObservedVipPort | undefined, ecmp: boolean): Promise<ObservedIP>;
  setMode(ip: ObservedIP, ecmp: boolean): Promise<void>;
  ensureFIP(v: VipPlan, ip: ObservedIP): Promise<ObservedFIP | undefined>;
  fixFIP(fip: ObservedFIP, address: string): Promise<void>;
  addRef(on: RefTarget, obj: ObservedIP | ObservedFIP, vmi: string): Promise<void>;
  deleteRef(on: RefTarget, obj: ObservedIP | ObservedFIP, vmi: string): Promise<void>;
  deleteFIP(fip: ObservedFIP): Promise<void>;
  deleteIP(ip: ObservedIP): Promise<void>;
  deletePort(port: ObservedVipPort): Promise<void>;
}

const last = (fq: string[]): string => fq[fq.length - 1] ?? '';
const ignoreNotFound = (e: unknown): void => { if (!isNotFound(e)) throw e; };
const family = (cidr: string): 'v4' | 'v6' => (cidr.includes(':') ? 'v6' : 'v4');

export class ContrailVipWriter implements VipWriter {
  constructor(
    private readonly vnc: ContrailClient,
    private readonly view: CloudView,
    private readonly owner: Owner,
    /** the tenant project's fq_name, e.g. ['default-domain', 'demo'] */
    private readonly projectFq: string[],
  ) {}

  private network(uuid: string): VirtualNetwork {
    const vn = this.view.get<VirtualNetwork>(KIND.virtualNetwork, uuid)?.obj;
    if (vn === undefined) throw new Error(`virtual-network ${uuid} is not in the cloud view`);
    return vn;
  }

  /**
   * POST, or adopt the object holding the name; then record it in the view. Server-filled fields
   * (an allocated address) come back only on a read, so `readBack` objects are read once; an
   * adopted object is always read (it may differ from what we would have sent).
   */
  private async create<T extends VncObject>(type: string, body: Partial<VncObject> & { fq_name: string[] }, readBack: boolean): Promise<T> {
    const sent = { ...body, annotations: stampAnnotations(this.owner) };
    let uuid: string;
    let adopted = false;
    try {
      uuid = (await this.vnc.create(type, sent)).uuid;
    } catch (e) {
      if (!(e instanceof Conflict && e.conflict === 'AlreadyExists')) throw e;
      uuid = await this.vnc.fqNameToId(type, body.fq_name);
      adopted = true;
    }
    const obj = readBack || adopted ? await this.vnc.read<T>(type, uuid, { fields: VNC_FIELDS[type] ?? [] }) : ({ ...sent, uuid } as unknown as T);
    this.view.written(type, uuid, obj, this.owner);
    return obj;
  }

  async ensurePort(v: VipPlan): Promise<ObservedVipPort> {
    if (v.port !== undefined) return v.port;
    const vn = this.network(v.target.networkUUID);
    const vmi = await this.create<VirtualMachineInterface>(KIND.vmi, {
      fq_name: [...this.projectFq, v.names.port], parent_type: 'project',
      virtual_network_refs: [{ to: vn.fq_name, uuid: vn.uuid }],
    }, false);
    return { uuid: vmi.uuid, name: last(vmi.fq_name), networkUUID: vn.uuid };
  }

  async ensureIP(v: VipPlan, port: ObservedVipPort | undefined, ecmp: boolean): Promise<ObservedIP> {
    if (v.ip !== undefined) return v.ip;
    const vn = this.network(v.target.networkUUID);
    const portRefs: Ref[] = port !== undefined ? [{ to: [...this.projectFq, port.name], uuid: port.uuid }] : [];
    const iip = await this.create<InstanceIp>(KIND.instanceIp, {
      fq_name: [v.names.ip],
      instance_ip_family: family(v.target.cidr),
      instance_ip_mode: addressMode(ecmp),
      instance_ip_secondary: true,
      subnet_uuid: v.target.subnetUUID,
      ...(v.target.staticIP !== undefined ? { instance_ip_address: v.target.staticIP } : {}),
      virtual_network_refs: [{ to: vn.fq_name, uuid: vn.uuid }],
      virtual_machine_interface_refs: portRefs,
    }, true);
    return {
      uuid: iip.uuid, name: last(iip.fq_name), address: iip.instance_ip_address,
      ...(iip.instance_ip_mode !== undefined ? { mode: iip.instance_ip_mode } : {}),
      vmiRefs: (iip.virtual_machine_interface_refs ?? []).flatMap((r) => (r.uuid !== undefined ? [r.uuid] : [])),
    };
  }

  async setMode(ip: ObservedIP, ecmp: boolean): Promise<void> {
    const mode = addressMode(ecmp);
    await this.vnc.update(KIND.instanceIp, ip.uuid, { instance_ip_mode: mode });
    this.patchView(KIND.instanceIp, ip.uuid, (o) => { o['instance_ip_mode'] = mode; });
  }

  async ensureFIP(v: VipPlan, ip: ObservedIP): Promise<ObservedFIP | undefined> {
    const f = v.target.floating;
    if (f === undefined) return undefined;
    if (v.fip !== undefined) return v.fip;
    if (f.poolFq === undefined || ip.address === undefined) return undefined;
    const fip = await this.create<FloatingIp>(KIND.floatingIp, {
      fq_name: [...f.poolFq, v.names.fip], parent_type: 'floating-ip-pool',
      floating_ip_fixed_ip_address: ip.address,
      ...(f.address !== undefined ? { floating_ip_address: f.address } : {}),
      project_refs: [{ to: this.projectFq }],
    }, true);
    return { uuid: fip.uuid, name: last(fip.fq_name), address: fip.floating_ip_address, fixedAddress: fip.floating_ip_fixed_ip_address, vmiRefs: [] };
  }

  async fixFIP(fip: ObservedFIP, address: string): Promise<void> {
    await this.vnc.update(KIND.floatingIp, fip.uuid, { floating_ip_fixed_ip_address: address });
    this.patchView(KIND.floatingIp, fip.uuid, (o) => { o['floating_ip_fixed_ip_address'] = address; });
  }

  /** ref-update ADD, then ref-relax-for-delete so the SE's VMI stays deletable (cloud-api.md §3). */
  async addRef(on: RefTarget, obj: ObservedIP | ObservedFIP, vmi: string): Promise<void> {
    const type = on === 'ip' ? KIND.instanceIp : KIND.floatingIp;
    await this.vnc.refUpdate({ type, uuid: obj.uuid, refType: KIND.vmi, refUuid: vmi, operation: 'ADD' });
    await this.vnc.refRelaxForDelete(obj.uuid, vmi);
    this.patchView(type, obj.uuid, (o) => {
      const refs = (o['virtual_machine_interface_refs'] as Ref[] | undefined) ?? [];
      if (!refs.some((r) => r.uuid === vmi)) o['virtual_machine_interface_refs'] = [...refs, { to: [], uuid: vmi, attr: null }];
    });
  }

  async deleteRef(on: RefTarget, obj: ObservedIP | ObservedFIP, vmi: string): Promise<void> {
    const type = on === 'ip' ? KIND.instanceIp : KIND.floatingIp;
    try { await this.vnc.refUpdate({ type, uuid: obj.uuid, refType: KIND.vmi, refUuid: vmi, operation: 'DELETE' }); } catch (e) { ignoreNotFound(e); }
    this.patchView(type, obj.uuid, (o) => {
      o['virtual_machine_interface_refs'] = ((o['virtual_machine_interface_refs'] as Ref[] | undefined) ?? []).filter((r) => r.uuid !== vmi);
    });
  }

  async deleteFIP(fip: ObservedFIP): Promise<void> { await this.remove(KIND.floatingIp, fip.uuid); }
  async deleteIP(ip: ObservedIP): Promise<void> { await this.remove(KIND.instanceIp, ip.uuid); }
  async deletePort(port: ObservedVipPort): Promise<void> { await this.remove(KIND.vmi, port.uuid); }

  private async remove(type: string, uuid: string): Promise<void> {
    try { await this.vnc.delete(type, uuid); } catch (e) { ignoreNotFound(e); }
    this.view.deleted(type, uuid);
  }

  private patchView(type: string, uuid: string, edit: (o: Record<string, unknown>) => void): void {
    const cur = this.view.get(type, uuid);
    if (cur === undefined) { this.view.invalidate(type); return; }
    const o = structuredClone(cur.obj) as Record<string, unknown>;
    edit(o);
    this.view.written(type, uuid, o, cur.owner);
  }
}

/**
 * Plain Neutron (DESIGN.md §3.4): the VIP is an unbound port holding the address; placing it on
 * an SE puts the address into that SE data port's allowed_address_pairs. The PUT replaces the
 * list, so the new list is computed from the view's copy (read-modify-write), keeping the pairs
 * other virtual services put there.
 */
export class NeutronVipWriter implements VipWriter {
  constructor(
    /** the tenant project's client: VIP ports are the tenant's */
    private readonly tenant: NeutronClient,
    /** the admin client: SE data ports belong to the operator's project */
    private readonly admin: NeutronClient,
    private readonly view: CloudView,
    private readonly owner: Owner,
  ) {}

  ensurePort(): Promise<undefined> { return Promise.resolve(undefined); }

  async ensureIP(v: VipPlan): Promise<ObservedIP> {
    if (v.ip !== undefined) return v.ip;
    const port = await this.tenant.createPort({
      network_id: v.target.networkUUID, name: v.names.ip, description: ownerDescription(this.owner),
      fixed_ips: [{ subnet_id: v.target.subnetUUID, ...(v.target.staticIP !== undefined ? { ip_address: v.target.staticIP } : {}) }],
      device_owner: 'lbop:vip',
    });
    this.view.written(KIND.port, port.id, port, this.owner);
    return { uuid: port.id, name: port.name, address: port.fixed_ips[0]?.ip_address, vmiRefs: [] };
  }

  setMode(): Promise<void> { return Promise.resolve(); }

  /**
   * The floating IP is associated with the VIP port (as Octavia and Avi's AAP mode do), not
   * with an SE: the router DNATs to the VIP address, and whichever SE port carries that address
   * as an allowed-address pair answers. So failover never touches it; a new VIP port (a static
   * address changed) moves it.
   */
  async ensureFIP(v: VipPlan, ip: ObservedIP): Promise<ObservedFIP | undefined> {
    const f = v.target.floating;
    if (f === undefined || ip.address === undefined) return undefined;
    if (v.fip !== undefined) {
      if (v.fip.portUUID === ip.uuid && v.fip.fixedAddress === ip.address) return v.fip;
      const moved = await this.tenant.updateFloatingIP(v.fip.uuid, { port_id: ip.uuid, fixed_ip_address: ip.address });
      this.view.written(KIND.neutronFloatingIp, moved.id, moved, this.owner);
      return fipOf(moved, v.names.fip);
    }
    const fip = await this.tenant.createFloatingIP({
      floating_network_id: f.networkUUID, port_id: ip.uuid, fixed_ip_address: ip.address, description: ownerDescription(this.owner),
      ...(f.address !== undefined ? { floating_ip_address: f.address } : {}),
    });
    this.view.written(KIND.neutronFloatingIp, fip.id, fip, this.owner);
    return fipOf(fip, v.names.fip);
  }

  /** Moved with its port in ensureFIP: nothing is left to point. */
  fixFIP(): Promise<void> { return Promise.resolve(); }

  async addRef(on: RefTarget, obj: ObservedIP | ObservedFIP, sePort: string): Promise<void> {
    if (on === 'fip') return; // follows the VIP port, not the SEs (ensureFIP)
    await this.editPairs(sePort, (pairs, addr) => (pairs.some((p) => sameAddr(p.ip_address, addr)) ? undefined : [...pairs, { ip_address: addr }]), obj);
  }

  async deleteRef(on: RefTarget, obj: ObservedIP | ObservedFIP, sePort: string): Promise<void> {
    if (on === 'fip') return;
    await this.editPairs(sePort, (pairs, addr) => (pairs.some((p) => sameAddr(p.ip_address, addr)) ? pairs.filter((p) => !sameAddr(p.ip_address, addr)) : undefined), obj);
  }

  private async editPairs(sePort: string, edit: (pairs: Port['allowed_address_pairs'], addr: string) => Port['allowed_address_pairs'] | undefined, obj: ObservedIP | ObservedFIP): Promise<void> {
    const addr = obj.address;
    const cur = this.view.get<Port>(KIND.port, sePort);
    if (addr === undefined || cur === undefined) return;
    const next = edit(cur.obj.allowed_address_pairs ?? [], addr);
    if (next === undefined) return;
    const pairs = next.map((p) => (p.mac_address !== undefined ? { ip_address: p.ip_address, mac_address: p.mac_address } : { ip_address: p.ip_address }));
    let port: Port;
    try {
      port = await this.admin.updatePort(sePort, { allowed_address_pairs: pairs });
    } catch (e) {
      // The SE port went (its SE was torn down first): no pair left to edit.
      ignoreNotFound(e);
      this.view.deleted(KIND.port, sePort);
      return;
    }
    this.view.written(KIND.port, sePort, { ...cur.obj, allowed_address_pairs: port.allowed_address_pairs ?? next }, cur.owner);
  }

  async deleteFIP(fip: ObservedFIP): Promise<void> {
    try { await this.tenant.deleteFloatingIP(fip.uuid); } catch (e) { ignoreNotFound(e); }
    this.view.deleted(KIND.neutronFloatingIp, fip.uuid);
  }

  async deleteIP(ip: ObservedIP): Promise<void> {
    try { await this.tenant.deletePort(ip.uuid); } catch (e) { ignoreNotFound(e); }
    this.view.deleted(KIND.port, ip.uuid);
  }

  deletePort(): Promise<void> { return Promise.resolve(); }
}

/** A Neutron floating IP as the planner sees it; its name is its VIP's (Neutron FIPs have none). */
export function fipOf(f: FloatingIP, name: string): ObservedFIP {
  return { uuid: f.id, name, address: f.floating_ip_address, fixedAddress: f.fixed_ip_address ?? undefined, vmiRefs: [], portUUID: f.port_id };
}

function sameAddr(pair: string, addr: string): boolean { return pair === addr || pair === `${addr}/32` || pair === `${addr}/128`; }
