// The model side: a snapshot of what the simulator holds (Nova servers, their data vNICs, the
// vRouter's routes), renumbered into kernel addresses. The management network is left out: the
// management plane stays on loopback in the root namespace.
import type { Sim } from '../context.js';
import { formatIPv4 } from '../ip.js';
import { portIps, portMac } from '../ports.js';
import { isObject } from '../store.js';
import { computeRoutes, LOW_PREFERENCE } from '../vrouter.js';
import type { DataplaneWant, RouteWant, VnicWant } from './plan.js';
import type { Renumbering } from './renumber.js';

export interface ModelOptions {
  /** Network names or uuids never wired into namespaces (default: names matching /mgmt|management/i). */
  managementNetworks?: readonly string[];
}

export function isManagementNetwork(opts: ModelOptions, uuid: string, name: string): boolean {
  if (opts.managementNetworks !== undefined) return opts.managementNetworks.includes(uuid) || opts.managementNetworks.includes(name);
  return /mgmt|management/i.test(name);
}

export function snapshotModel(sim: Sim, map: Renumbering, opts: ModelOptions = {}): DataplaneWant {
  const want: DataplaneWant = { servers: new Map(), vnics: new Map(), routes: new Map() };
  const mgmt = new Set<string>();
  for (const vn of sim.store.byType.get('virtual-network')?.values() ?? []) {
    if (isManagementNetwork(opts, vn.uuid, String(vn.props['display_name'] ?? vn.fq[2]))) mgmt.add(vn.uuid);
  }
  for (const s of sim.compute.servers.values()) {
    want.servers.set(s.id, { id: s.id, name: s.name, status: s.status });
    for (const vmi of sim.compute.portsOf(s)) {
      const network = vmi.refs['virtual_network_refs']?.[0]?.uuid;
      if (network === undefined || mgmt.has(network)) continue;
      // The interface's own address: not a secondary instance-ip (a VIP shared by several SEs'
      // VMIs, made before a later SE's own address) — else the fabric's route to the VMI and
      // its health-check probe would point at an address every SE of the VIP has.
      const ips = portIps(sim, vmi);
      const iip = ips.find((i) => i.props['instance_ip_secondary'] !== true) ?? ips[0];
      const address = iip?.props['instance_ip_address'];
      if (typeof address !== 'string') continue;
      const subnet = sim.ipam.subnetsOf(network).find((x) => x.uuid === iip?.props['subnet_uuid']);
      if (subnet === undefined) continue;
      const gw = subnet.gateway ?? subnet.cidr.network + subnet.cidr.size - 2;
      const v: VnicWant = {
        vmi: vmi.uuid, server: s.id, network, mac: portMac(vmi), address: map.kernelOf(address),
        prefixLen: subnet.cidr.len, gateway: map.kernelOf(formatIPv4(gw)),
      };
      want.vnics.set(vmi.uuid, v);
    }
  }
  // Every prefix of /sim/routes becomes a fabric route, a VMI's own address included (its
  // one-member group is how the fabric reaches the VMI, as the vRouter's route to a running port).
  for (const net of computeRoutes(sim)) {
    if (mgmt.has(net.uuid)) continue;
    for (const r of net.routes) {
      const route: RouteWant = {
        prefix: map.kernelPrefix(r.prefix), network: net.uuid, members: r.nexthops.map((h) => h.vmi),
        ...(r.candidates !== undefined ? { candidates: r.candidates.map((h) => ({ vmi: h.vmi, preference: h.local_preference ?? LOW_PREFERENCE })) } : {}),
      };
      want.routes.set(route.prefix, route);
    }
  }
  return want;
}

/** A probe the fabric runs for a VMI (procs/prober.ts's Target). */
export interface ProbeTarget { vmi: string; kind: 'HTTP' | 'PING'; address: string; url: string; delayMs: number; timeoutMs: number; retries: number; expected: number[] }

/**
 * The service-health-checks referenced by data vNICs (virtual_machine_interface →
 * service_health_check_refs), as probes from the fabric to the VMI's kernel address (or the
 * check's target_ip_list). HTTP's url_path is a path, or a URL whose host is replaced by the
 * target (Contrail's `local-ip` form); BFD is probed as PING; a disabled check is skipped.
 */
export function snapshotProbes(sim: Sim, map: Renumbering, want: DataplaneWant): ProbeTarget[] {
  const out: ProbeTarget[] = [];
  for (const v of want.vnics.values()) {
    const vmi = sim.store.get(v.vmi);
    for (const r of vmi?.refs['service_health_check_refs'] ?? []) {
      const p = sim.store.get(r.uuid)?.props['service_health_check_properties'];
      if (!isObject(p) || p['enabled'] === false) continue;
      const list = isObject(p['target_ip_list']) && Array.isArray(p['target_ip_list']['ip_address']) ? p['target_ip_list']['ip_address'] : [];
      const address = typeof list[0] === 'string' ? map.kernelOf(list[0]) : v.address;
      const kind = p['monitor_type'] === 'HTTP' ? 'HTTP' : 'PING';
      const path = typeof p['url_path'] === 'string' && p['url_path'] !== '' ? p['url_path'] : '/';
      let url = `http://${address}${path.startsWith('/') ? path : `/${path}`}`;
      if (/^https?:\/\//.test(path)) {
        const u = new URL(path);
        u.hostname = address;
        url = u.toString();
      }
      const sec = (k: string, us: string, dflt: number): number =>
        (typeof p[k] === 'number' ? (p[k] as number) * 1000 : dflt) + (typeof p[us] === 'number' ? (p[us] as number) / 1000 : 0);
      const codes = typeof p['expected_codes'] === 'string' ? p['expected_codes'].split(/[,\s]+/).map(Number).filter((n) => n > 0) : [];
      out.push({
        vmi: v.vmi, kind, address, url, delayMs: Math.max(100, sec('delay', 'delayUsecs', 3000)),
        timeoutMs: Math.max(100, sec('timeout', 'timeoutUsecs', 5000)),
        retries: typeof p['max_retries'] === 'number' && p['max_retries'] > 0 ? p['max_retries'] : 2,
        expected: codes.length > 0 ? codes : [200],
      });
      break; // one check per VMI, as the vRouter runs the first
    }
  }
  return out.sort((a, b) => (a.vmi < b.vmi ? -1 : 1));
}

/**
 * Floating IPs with a fixed address (the operator's FIP on a public pool, fixed = the VIP): the
 * vRouter DNATs FIP → fixed at the VMI. Kernel FIP → kernel fixed address; a FIP equal to its
 * fixed address (kube-manager's, parented on the instance-ip) needs no NAT.
 */
export function snapshotNat(sim: Sim, map: Renumbering): Map<string, string> {
  const out = new Map<string, string>();
  for (const fip of sim.store.byType.get('floating-ip')?.values() ?? []) {
    const addr = fip.props['floating_ip_address'];
    const fixed = fip.props['floating_ip_fixed_ip_address'];
    if (typeof addr !== 'string' || typeof fixed !== 'string' || addr === fixed || fixed === '') continue;
    out.set(map.kernelOf(addr), map.kernelOf(fixed));
  }
  return out;
}
