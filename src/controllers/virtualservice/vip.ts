// What the cloud must hold for each VIP of a virtual service: a pure planner (DESIGN.md §3.2,
// §3.4). Per VIP: an unbound VIP port, the VIP address on it (a Contrail instance-ip, or the
// Neutron port's fixed IP), and optionally a floating IP. Names are deterministic, so a crash
// between a write and its record adopts rather than duplicates. A static address that changes
// gets a NEW address object (its name carries the address); the old one is released only after
// the new one is placed. Objects of VIPs no longer in the spec are torn down in order.
import { isIP } from '../../api/ip.js';
import type { VirtualServiceVIP } from '../../api/index.js';
import { objectName } from '../../cloud/owner.js';
import type { AddressMode } from '../../cloud/contrail.js';
import { findNetwork, findSubnet, mayUseNetwork, subnetContaining, type NetworkInfo, type SubnetInfo, type TenantProject } from '../model/index.js';

/** A spec VIP resolved against the cloud's networks. */
export interface VipTarget {
  vipID: string;
  networkUUID: string;
  subnetUUID: string;
  cidr: string;
  staticIP?: string;
  floating?: { networkUUID: string; poolFq?: string[]; address?: string };
}

export type VipRefusal = { reason: 'Forbidden' | 'NotFound' | 'InvalidSpec'; message: string };
export type VipResolution = { target: VipTarget; refusal?: undefined } | { target?: undefined; refusal: VipRefusal };

const family = (ip: string | undefined): 4 | 6 => (ip !== undefined && ip.includes(':') ? 6 : 4);
const cidrFamily = (c: string): 4 | 6 => (c.includes(':') ? 6 : 4);
const sameCIDR = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** Resolves one spec VIP; every refusal says why, and nothing is created for a refused VIP. */
export function resolveVip(
  vip: VirtualServiceVIP, networks: readonly NetworkInfo[], project: TenantProject,
  o: { contrail: boolean; cloudFloatingNetwork?: string },
): VipResolution {
  const refuse = (reason: VipRefusal['reason'], message: string): VipResolution => ({ refusal: { reason, message } });
  const staticIP = vip.autoAllocateIP === false || (vip.autoAllocateIP === undefined && vip.ipAddress !== undefined) ? vip.ipAddress : undefined;
  let network: NetworkInfo | undefined;
  let subnet: SubnetInfo | undefined;
  if (vip.subnetUUID !== undefined) {
    const found = findSubnet(vip.subnetUUID, networks);
    if (found === undefined) return refuse('NotFound', `VIP ${vip.vipID}: subnet ${vip.subnetUUID} not found`);
    ({ network, subnet } = found);
  } else if (vip.networkRef !== undefined) {
    network = findNetwork(vip.networkRef, networks, project);
    if (network === undefined) return refuse('NotFound', `VIP ${vip.vipID}: network ${vip.networkRef} not found`);
    const n = network;
    subnet = staticIP !== undefined ? subnetContaining(n, staticIP) : undefined;
    subnet ??= vip.subnet !== undefined ? n.subnets.find((s) => sameCIDR(s.cidr, vip.subnet as string)) : undefined;
    subnet ??= n.subnets.find((s) => cidrFamily(s.cidr) === family(staticIP));
    if (subnet === undefined) return refuse('NotFound', `VIP ${vip.vipID}: network ${n.name} has no IPv${family(staticIP)} subnet`);
  } else {
    return refuse('InvalidSpec', `VIP ${vip.vipID}: give subnetUUID or networkRef`);
  }
  if (!mayUseNetwork(project, network)) {
    return refuse('Forbidden', `VIP ${vip.vipID}: network ${network.name} is neither owned by nor shared with the namespace's project`);
  }
  if (vip.subnet !== undefined && !sameCIDR(vip.subnet, subnet.cidr)) {
    return refuse('InvalidSpec', `VIP ${vip.vipID}: subnet ${subnet.uuid} is ${subnet.cidr}, not ${vip.subnet}`);
  }
  if (staticIP !== undefined && (!isIP(staticIP) || subnetContaining({ ...network, subnets: [subnet] }, staticIP) === undefined)) {
    return refuse('InvalidSpec', `VIP ${vip.vipID}: ${staticIP} is not in subnet ${subnet.cidr}`);
  }
  const target: VipTarget = { vipID: vip.vipID, networkUUID: network.uuid, subnetUUID: subnet.uuid, cidr: subnet.cidr, ...(staticIP !== undefined ? { staticIP } : {}) };
  if (vip.autoAllocateFloatingIP === true || vip.floatingIP !== undefined) {
    const ref = vip.floatingNetworkRef ?? o.cloudFloatingNetwork;
    if (ref === undefined) return refuse('InvalidSpec', `VIP ${vip.vipID}: no floatingNetworkRef and the Cloud has no floatingNetwork`);
    const fnet = findNetwork(ref, networks, project);
    if (fnet === undefined) return refuse('NotFound', `VIP ${vip.vipID}: floating network ${ref} not found`);
    // Neutron hands out floating IPs of any external network to any project (no sharing needed).
    if (!mayUseNetwork(project, fnet) && (o.contrail || !fnet.external)) {
      return refuse('Forbidden', `VIP ${vip.vipID}: floating network ${fnet.name} is neither owned by nor shared with the namespace's project`);
    }
    const poolFq = fnet.floatingIpPools[0];
    if (o.contrail && poolFq === undefined) return refuse('NotFound', `VIP ${vip.vipID}: network ${fnet.name} has no floating-ip-pool`);
    if (!o.contrail && !fnet.external) return refuse('NotFound', `VIP ${vip.vipID}: network ${fnet.name} is not external (router:external), so it has no floating IPs`);
    target.floating = { networkUUID: fnet.uuid, ...(poolFq !== undefined ? { poolFq } : {}), ...(vip.floatingIP !== undefined ? { address: vip.floatingIP } : {}) };
  }
  return { target };
}

export interface VipNames { port: string; ip: string; fip: string }

/** `lbop-<uid8>-vip-<vipID>` for the port and an auto-allocated address; a static one adds the address. */
export function vipNames(uid: string, vipID: string, staticIP?: string): VipNames {
  const base = `vip-${vipID}`;
  return {
    port: objectName(uid, base),
    ip: staticIP === undefined ? objectName(uid, base) : objectName(uid, `${base}-${staticIP.replace(/[.:]/g, '-')}`),
    fip: objectName(uid, `fip-${vipID}`),
  };
}

export function addressMode(ecmp: boolean): AddressMode { return ecmp ? 'active-active' : 'active-standby'; }

/** One VIP address object (Contrail instance-ip; in Neutron mode the VIP port itself). */
export interface ObservedIP { uuid: string; name: string; address: string | undefined; mode?: string; vmiRefs: string[] }
export interface ObservedVipPort { uuid: string; name: string; networkUUID: string }
export interface ObservedFIP {
  uuid: string; name: string; address: string | undefined; fixedAddress: string | undefined; vmiRefs: string[];
  /** Neutron: the port it is associated with (the VIP port; SE ports are never FIP targets there). */
  portUUID?: string | null;
}

/** Everything in the cloud owned by this VS. */
export interface VipObservation { ports: ObservedVipPort[]; ips: ObservedIP[]; fips: ObservedFIP[] }

export interface VipPlan {
  target: VipTarget;
  names: VipNames;
  port: ObservedVipPort | undefined;
  /** the current address object, when it exists */
  ip: ObservedIP | undefined;
  /** set the address mode (scaleout.ecmp changed) */
  setMode: AddressMode | undefined;
  /** earlier addresses of this VIP (static IP changed): released once `ip` is placed */
  release: ObservedIP[];
  fip: ObservedFIP | undefined;
  /** the floating IP must follow the VIP address */
  fipFixTo: string | undefined;
}

export interface VipTeardown {
  /** in order: refs off every object (drain), then floating IPs, addresses, ports */
  fips: ObservedFIP[];
  ips: ObservedIP[];
  ports: ObservedVipPort[];
}

export interface VipsPlan { vips: VipPlan[]; teardown: VipTeardown }

/**
 * Matches the desired VIPs with what the cloud holds. In Neutron mode the address object IS the
 * port, so callers pass the ports as `ips` and `ports: []`.
 */
export function planVips(uid: string, targets: readonly VipTarget[], seen: VipObservation, ecmp: boolean): VipsPlan {
  const claimed = new Set<string>();
  const mode = addressMode(ecmp);
  const vips = targets.map((target): VipPlan => {
    const names = vipNames(uid, target.vipID, target.staticIP);
    const port = seen.ports.find((p) => p.name === names.port);
    const ip = seen.ips.find((i) => i.name === names.ip);
    // By name (Contrail), else by the port it is associated with (Neutron FIPs have no name):
    // one of this VIP's address ports, the current or an earlier one (a static address changed).
    const ofThisVip = (i: ObservedIP): boolean => i.name === names.port || i.name.startsWith(`${names.port}-`);
    const fip = target.floating === undefined ? undefined
      : seen.fips.find((f) => f.name === names.fip)
        ?? seen.fips.find((f) => f.name === '' && f.portUUID != null && seen.ips.some((i) => i.uuid === f.portUUID && ofThisVip(i)));
    for (const x of [port, ip, fip]) if (x !== undefined) claimed.add(x.uuid);
    return {
      target, names, port, ip, fip,
      setMode: ip !== undefined && ip.mode !== undefined && ip.mode !== mode ? mode : undefined,
      release: [],
      fipFixTo: fip !== undefined && ip?.address !== undefined && fip.fixedAddress !== ip.address ? ip.address : undefined,
    };
  });
  // Earlier addresses of a VIP that is still wanted: same port (Contrail) or same VIP prefix (Neutron).
  for (const v of vips) {
    const prefix = v.names.port;
    for (const i of seen.ips) {
      if (claimed.has(i.uuid)) continue;
      const samePort = v.port !== undefined && i.vmiRefs.includes(v.port.uuid);
      const sameName = i.name === prefix || i.name.startsWith(`${prefix}-`);
      if (samePort || sameName) { v.release.push(i); claimed.add(i.uuid); }
    }
  }
  return {
    vips,
    teardown: {
      fips: seen.fips.filter((f) => !claimed.has(f.uuid)),
      ips: seen.ips.filter((i) => !claimed.has(i.uuid)),
      ports: seen.ports.filter((p) => !claimed.has(p.uuid)),
    },
  };
}

/** New placed before old released: the new address carries every SE that is ready to carry it. */
export function mayRelease(newProgrammed: number, readySEs: number): boolean {
  return newProgrammed >= readySEs;
}
