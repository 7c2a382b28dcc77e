// The vRouter's forwarding view (cloud-api.md §3): per virtual network, every instance-ip,
// allowed-address-pair and floating-ip prefix with its next hops — the VMIs carrying it whose VM
// is an ACTIVE server they are attached to: the VMIs of the highest local_preference, ECMP among
// equals — the vRouter agent gives every path of a VMI its static local_preference (vm_interface.cc
// SetPathPreference) and the control node prefers the higher one, multipath among equal ones; an
// unset preference is PathPreference::LOW (100). Active-active addresses (and a floating IP with
// several VMIs, as kube-manager uses it) are ECMP when their VMIs' preferences are equal.
import type { Sim } from './context.js';
import { isObject, type VncObject } from './store.js';

export interface NextHop { vmi: string; server_id: string; server_name: string; local_preference: number | null }
export interface Route {
  prefix: string; sources: string[]; ecmp: boolean; nexthops: NextHop[];
  /** active-standby: every live next hop with its preference (a health check may withdraw the chosen ones) */
  candidates?: NextHop[];
}

/** PathPreference::LOW: what a path without a static local_preference gets. */
export const LOW_PREFERENCE = 100;
export interface NetworkRoutes { uuid: string; fq_name: string[]; name: string; routes: Route[] }

interface Candidate { vmi: VncObject; source: string; activeActive: boolean }

function localPref(vmi: VncObject): number | null {
  const p = vmi.props['virtual_machine_interface_properties'];
  const v = isObject(p) ? p['local_preference'] : undefined;
  return typeof v === 'number' && v !== 0 ? v : null; // 0 is unset (vm_interface.cc: local_preference_ != 0)
}

/**
 * Pure decision: which of the live candidates forward a prefix. A static local_preference ranks
 * active-active paths too: the agent puts the VMI's preference on every route it exports from
 * that VMI — instance-ip, allowed-address pair and floating IP alike (VmInterface::AddRoute →
 * SetPathPreference) — and the control node's best path compares local-pref before multipath,
 * so ECMP only forms among equal preferences. That is what makes a floating IP of an
 * active-standby VIP follow the active SE: it refers to the same VMIs as the VIP's instance-ip.
 */
export function selectNextHops(live: Array<{ hop: NextHop; activeActive: boolean }>): { ecmp: boolean; hops: NextHop[] } {
  const aa = live.filter((c) => c.activeActive);
  return preferred((aa.length > 0 ? aa : live).map((c) => c.hop));
}

/** The next hops of the highest preference (ECMP when several have it). */
export function preferred<T extends { vmi: string; local_preference: number | null }>(hops: readonly T[]): { ecmp: boolean; hops: T[] } {
  if (hops.length === 0) return { ecmp: false, hops: [] };
  const pref = (h: T): number => h.local_preference ?? LOW_PREFERENCE;
  const best = Math.max(...hops.map(pref));
  const top = dedup(hops.filter((h) => pref(h) === best));
  return { ecmp: top.length > 1, hops: top };
}

function dedup<T extends { vmi: string }>(h: T[]): T[] {
  const seen = new Set<string>();
  return h.filter((x) => !seen.has(x.vmi) && seen.add(x.vmi));
}

export function computeRoutes(sim: Sim, onlyNetwork?: string): NetworkRoutes[] {
  const store = sim.store;
  const byVn = new Map<string, Map<string, Candidate[]>>();
  const add = (vn: string | undefined, prefix: string, c: Candidate): void => {
    if (vn === undefined || (onlyNetwork !== undefined && vn !== onlyNetwork)) return;
    let m = byVn.get(vn);
    if (m === undefined) byVn.set(vn, (m = new Map()));
    let l = m.get(prefix);
    if (l === undefined) m.set(prefix, (l = []));
    l.push(c);
  };
  const vmiRefs = (o: VncObject): VncObject[] =>
    (o.refs['virtual_machine_interface_refs'] ?? []).map((r) => store.get(r.uuid)).filter((v): v is VncObject => v !== undefined);
  const ensure = (vn: string | undefined, prefix: string): void => {
    if (vn === undefined || (onlyNetwork !== undefined && vn !== onlyNetwork)) return;
    if (!byVn.has(vn)) byVn.set(vn, new Map());
    const m = byVn.get(vn) as Map<string, Candidate[]>;
    if (!m.has(prefix)) m.set(prefix, []);
  };
  for (const iip of store.byType.get('instance-ip')?.values() ?? []) {
    const vn = iip.refs['virtual_network_refs']?.[0]?.uuid;
    const prefix = `${String(iip.props['instance_ip_address'])}/32`;
    ensure(vn, prefix);
    const aa = iip.props['instance_ip_mode'] === 'active-active';
    for (const vmi of vmiRefs(iip)) add(vn, prefix, { vmi, source: 'instance-ip', activeActive: aa });
  }
  for (const vmi of store.byType.get('virtual-machine-interface')?.values() ?? []) {
    const a = vmi.props['virtual_machine_interface_allowed_address_pairs'];
    const list = isObject(a) && Array.isArray(a['allowed_address_pair']) ? a['allowed_address_pair'] : [];
    const vn = vmi.refs['virtual_network_refs']?.[0]?.uuid;
    for (const p of list) {
      if (!isObject(p) || !isObject(p['ip'])) continue;
      const prefix = `${String(p['ip']['ip_prefix'])}/${String(p['ip']['ip_prefix_len'] ?? 32)}`;
      add(vn, prefix, { vmi, source: 'allowed-address-pair', activeActive: p['address_mode'] === 'active-active' });
    }
  }
  for (const fip of store.byType.get('floating-ip')?.values() ?? []) {
    const parent = store.get(fip.parentUuid ?? '');
    const vn = parent?.type === 'floating-ip-pool' ? parent.parentUuid : parent?.refs['virtual_network_refs']?.[0]?.uuid;
    const prefix = `${String(fip.props['floating_ip_address'])}/32`;
    ensure(vn, prefix);
    for (const vmi of vmiRefs(fip)) add(vn, prefix, { vmi, source: 'floating-ip', activeActive: true });
  }
  const out: NetworkRoutes[] = [];
  for (const [vnUuid, prefixes] of byVn) {
    const vn = store.get(vnUuid);
    if (vn === undefined) continue;
    const routes: Route[] = [];
    for (const [prefix, cands] of prefixes) {
      const live: Array<{ hop: NextHop; activeActive: boolean }> = [];
      for (const c of cands) {
        const vm = c.vmi.refs['virtual_machine_refs']?.[0]?.uuid;
        const server = vm === undefined ? undefined : sim.compute.servers.get(vm);
        if (server === undefined || server.status !== 'ACTIVE') continue;
        live.push({ hop: { vmi: c.vmi.uuid, server_id: server.id, server_name: server.name, local_preference: localPref(c.vmi) }, activeActive: c.activeActive });
      }
      const { ecmp, hops } = selectNextHops(live);
      const byPreference = live.length > 0 && !live.some((c) => c.activeActive);
      routes.push({
        prefix, sources: [...new Set(cands.map((c) => c.source))], ecmp, nexthops: hops,
        ...(byPreference ? { candidates: dedup(live.map((c) => c.hop)) } : {}),
      });
    }
    routes.sort((a, b) => (a.prefix < b.prefix ? -1 : 1));
    out.push({ uuid: vn.uuid, fq_name: vn.fq, name: String(vn.props['display_name'] ?? vn.fq[2]), routes });
  }
  return out;
}
