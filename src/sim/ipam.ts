// Subnets of virtual networks and the IP allocation rules of vnc_addr_mgmt.py (cloud-api.md §2.1):
// gateway last−1, DNS last−2, allocation from the top down (or from .3 up with addr_from_start).
import { SubnetAllocator } from './allocator.js';
import { cidrOf, cidrString, contains, formatIPv4, parseIPv4, type Cidr } from './ip.js';
import { pyList, type Random } from './rand.js';
import { isObject, VncError, type Ref, type VncObject } from './store.js';

export interface SubnetState {
  uuid: string;
  vnUuid: string;
  ipamUuid: string;
  cidr: Cidr;
  gateway: number | undefined;
  dns: number | undefined;
  alloc: SubnetAllocator;
  /** The stored IpamSubnetType dict (shared with the VN's ref attr). */
  raw: Record<string, unknown>;
  /** SubnetType of the subnet, shared by every instance-ip in it. */
  prefix: Readonly<{ ip_prefix: string; ip_prefix_len: number }>;
}

export class Ipam {
  private readonly byVn = new Map<string, SubnetState[]>();
  readonly bySubnetUuid = new Map<string, SubnetState>();

  constructor(private readonly random: Random) {}

  subnetsOf(vnUuid: string): SubnetState[] {
    return this.byVn.get(vnUuid) ?? [];
  }

  /**
   * Normalises and completes the ipam_subnets of a VN's network_ipam_refs (subnet_uuid, gateway,
   * DNS address), keeping the allocators of subnets that survive an update. Returns the new list;
   * nothing is registered until commit().
   */
  plan(vn: VncObject, refs: Ref[]): SubnetState[] {
    const old = new Map(this.subnetsOf(vn.uuid).map((s) => [`${cidrString(s.cidr)}`, s]));
    const out: SubnetState[] = [];
    const seen = new Set<string>();
    for (const ref of refs) {
      const attr = isObject(ref.attr) ? ref.attr : {};
      const list = Array.isArray(attr['ipam_subnets']) ? (attr['ipam_subnets'] as unknown[]) : [];
      for (const raw of list) {
        if (!isObject(raw)) continue;
        const sub = isObject(raw['subnet']) ? raw['subnet'] : undefined;
        if (sub === undefined) continue; // flat-subnet style entries carry no prefix
        const ip = parseIPv4(sub['ip_prefix']);
        const len = sub['ip_prefix_len'];
        if (ip === undefined || typeof len !== 'number' || len < 0 || len > 32) {
          throw new VncError(400, `Bad Request: Invalid subnet ${String(sub['ip_prefix'])}/${String(len)}`);
        }
        const cidr = cidrOf(ip, len);
        sub['ip_prefix'] = formatIPv4(cidr.network);
        const key = cidrString(cidr);
        if (seen.has(key)) throw new VncError(409, `Overlapping addresses: [${key}, ${key}]`);
        seen.add(key);
        const prev = old.get(key);
        if (prev !== undefined) {
          raw['subnet_uuid'] = prev.uuid;
          raw['default_gateway'] ??= prev.gateway === undefined ? '0.0.0.0' : formatIPv4(prev.gateway);
          raw['dns_server_address'] ??= prev.dns === undefined ? '0.0.0.0' : formatIPv4(prev.dns);
          prev.raw = raw;
          out.push(prev);
          continue;
        }
        out.push(this.newSubnet(vn, ref.uuid, cidr, raw));
      }
    }
    for (const [key, s] of old) {
      if (!seen.has(key) && s.alloc.usedCount > 0) {
        throw new VncError(409, `Cannot Delete IP Block, IP(s) in use in subnet ${key}`);
      }
    }
    return out;
  }

  private newSubnet(vn: VncObject, ipamUuid: string, cidr: Cidr, raw: Record<string, unknown>): SubnetState {
    const fromStart = raw['addr_from_start'] === true;
    const first = cidr.network + 1;
    const last = cidr.network + cidr.size - 2; // broadcast excluded
    const pick = (given: unknown, dflt: number): number | undefined => {
      if (given === undefined || given === null) return dflt;
      const n = parseIPv4(given);
      if (n === undefined) throw new VncError(400, `Bad Request: Invalid IP address ${String(given)}`);
      if (n === 0) return undefined;
      if (!contains(cidr, n)) {
        throw new VncError(409, `Invalid subnet ${cidrString(cidr)}: address ${String(given)} is not in the subnet`);
      }
      return n;
    };
    const gateway = pick(raw['default_gateway'], fromStart ? first : last);
    const dns = pick(raw['dns_server_address'], fromStart ? first + 1 : last - 1);
    let uuid = typeof raw['subnet_uuid'] === 'string' ? raw['subnet_uuid'] : undefined;
    if (uuid === undefined || this.bySubnetUuid.has(uuid)) uuid = this.random.uuid();
    raw['subnet_uuid'] = uuid;
    raw['default_gateway'] = gateway === undefined ? '0.0.0.0' : formatIPv4(gateway);
    raw['dns_server_address'] = dns === undefined ? '0.0.0.0' : formatIPv4(dns);
    raw['enable_dhcp'] ??= true;
    raw['addr_from_start'] ??= false;
    const pools: Array<[number, number]> = [];
    if (Array.isArray(raw['allocation_pools'])) {
      for (const p of raw['allocation_pools']) {
        const a = isObject(p) ? parseIPv4(p['start']) : undefined;
        const b = isObject(p) ? parseIPv4(p['end']) : undefined;
        if (a === undefined || b === undefined || !contains(cidr, a) || !contains(cidr, b) || a > b) {
          throw new VncError(409, `Invalid allocation pool ${JSON.stringify(p)} for subnet ${cidrString(cidr)}`);
        }
        pools.push([a, b]);
      }
    }
    const reserved = new Set<number>();
    if (gateway !== undefined) reserved.add(gateway);
    if (dns !== undefined) reserved.add(dns);
    const alloc = new SubnetAllocator(cidr, fromStart, first, last, reserved, pools);
    const prefix = Object.freeze({ ip_prefix: formatIPv4(cidr.network), ip_prefix_len: cidr.len });
    return { uuid, vnUuid: vn.uuid, ipamUuid, cidr, gateway, dns, alloc, raw, prefix };
  }

  commit(vnUuid: string, subnets: SubnetState[]): void {
    for (const s of this.subnetsOf(vnUuid)) this.bySubnetUuid.delete(s.uuid);
    this.byVn.set(vnUuid, subnets);
    for (const s of subnets) this.bySubnetUuid.set(s.uuid, s);
  }

  drop(vnUuid: string): void {
    this.commit(vnUuid, []);
    this.byVn.delete(vnUuid);
  }

  /**
   * Allocates (or reserves a requested) address in a VN, as instance_ip.py / floating_ip.py do.
   * Returns the address and its subnet. `isGateway` is set when the gateway itself was asked for.
   */
  allocate(vn: VncObject, opts: { address?: string; subnetUuid?: string; family?: string; restrict?: ReadonlySet<string> }): { ip: number; subnet: SubnetState; isGateway: boolean } {
    let subnets = this.subnetsOf(vn.uuid);
    if (opts.restrict !== undefined) subnets = subnets.filter((s) => opts.restrict?.has(s.uuid));
    const exhausted = (list: SubnetState[]): VncError =>
      new VncError(400, `Virtual-Network(${pyList(vn.fq)}) has exhausted subnet(${pyList(list.map((s) => cidrString(s.cidr)))})`);
    if (opts.subnetUuid !== undefined) {
      const s = subnets.find((x) => x.uuid === opts.subnetUuid);
      if (s === undefined) throw new VncError(400, `Virtual-Network(${pyList(vn.fq)}) has invalid subnet(${opts.subnetUuid})`);
      subnets = [s];
    }
    if (opts.address !== undefined) {
      const ip = parseIPv4(opts.address);
      const s = ip === undefined ? undefined : subnets.find((x) => x.alloc.inSubnet(ip));
      if (ip === undefined || s === undefined) throw exhausted([]);
      if (ip === s.gateway) return { ip, subnet: s, isGateway: true };
      if (ip === s.dns || !s.alloc.reserve(ip)) throw new VncError(409, 'IP address already in use');
      return { ip, subnet: s, isGateway: false };
    }
    if (opts.family === 'v6') throw exhausted([]);
    for (const s of subnets) {
      const ip = s.alloc.allocate();
      if (ip !== undefined) return { ip, subnet: s, isGateway: false };
    }
    throw exhausted(subnets);
  }

  isUsed(vnUuid: string, address: string): boolean {
    const ip = parseIPv4(address);
    if (ip === undefined) return false;
    return this.subnetsOf(vnUuid).some((s) => s.alloc.inSubnet(ip) && (s.alloc.isUsed(ip) || ip === s.dns));
  }

  free(vnUuid: string, address: unknown): void {
    const ip = parseIPv4(address);
    if (ip === undefined) return;
    for (const s of this.subnetsOf(vnUuid)) {
      if (s.alloc.inSubnet(ip) && ip !== s.gateway && ip !== s.dns) s.alloc.free(ip);
    }
  }

  /** Marks an address used while loading persisted state. */
  restore(vnUuid: string, address: unknown): void {
    const ip = parseIPv4(address);
    if (ip === undefined) return;
    for (const s of this.subnetsOf(vnUuid)) if (s.alloc.inSubnet(ip) && ip !== s.gateway) s.alloc.reserve(ip);
  }
}
