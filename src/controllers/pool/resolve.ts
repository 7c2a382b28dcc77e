// Which network each Pool server is on: a pure function over the cloud's networks and the
// namespace's project. A server resolves to the one network (of the project, or shared) whose
// subnet contains its address, or to the network its networkRef names. Unresolvable and
// cross-tenant servers stay listed with a reason; the SE controller gives SEs a data vNIC in
// every resolved network.
import type { NewCondition, PoolServer, PoolStatusServer } from '../../api/index.js';
import { findNetwork, mayUseNetwork, ownsNetwork, subnetContaining, type NetworkInfo, type TenantProject } from '../model/index.js';

export type ResolveFailure = 'NotFound' | 'Forbidden' | 'Ambiguous' | 'NoSubnet';

export interface ServerResolution extends PoolStatusServer {
  ip: string;
  port: number;
  resolved: boolean;
  failure?: ResolveFailure;
}

export function resolveServer(s: PoolServer, networks: readonly NetworkInfo[], p: TenantProject): ServerResolution {
  const base = { ip: s.ip, port: s.port };
  const ok = (n: NetworkInfo, sub: { uuid: string; cidr: string }): ServerResolution =>
    ({ ...base, resolved: true, networkUUID: n.uuid, subnetUUID: sub.uuid, subnetCIDR: sub.cidr });
  const fail = (failure: ResolveFailure, reason: string): ServerResolution => ({ ...base, resolved: false, failure, reason });

  if (s.networkRef !== undefined) {
    const n = findNetwork(s.networkRef, networks, p);
    if (n === undefined) return fail('NotFound', `network ${s.networkRef} not found`);
    if (!mayUseNetwork(p, n)) return fail('Forbidden', `network ${n.name} is neither owned by nor shared with the namespace's project`);
    const sub = subnetContaining(n, s.ip);
    return sub === undefined ? fail('NoSubnet', `no subnet of network ${n.name} contains ${s.ip}`) : ok(n, sub);
  }
  const containing = networks.filter((n) => subnetContaining(n, s.ip) !== undefined);
  const owned = containing.filter((n) => ownsNetwork(p, n));
  const usable = owned.length > 0 ? owned : containing.filter((n) => mayUseNetwork(p, n));
  if (usable.length === 1) {
    const n = usable[0] as NetworkInfo;
    return ok(n, subnetContaining(n, s.ip) as { uuid: string; cidr: string });
  }
  if (usable.length > 1) {
    return fail('Ambiguous', `${s.ip} is in several networks (${usable.map((n) => n.name).sort().join(', ')}); set networkRef`);
  }
  if (containing.length > 0) {
    return fail('Forbidden', `${s.ip} is only in networks of another project (${containing.map((n) => n.name).sort().join(', ')})`);
  }
  return fail('NoSubnet', `no subnet of the project's networks contains ${s.ip}`);
}

export function resolveServers(servers: readonly PoolServer[], networks: readonly NetworkInfo[], p: TenantProject): ServerResolution[] {
  return servers.map((s) => resolveServer(s, networks, p));
}

/** The networks the Pool's resolved servers are on (what SEs need a vNIC in). */
export function serverNetworks(r: readonly ServerResolution[]): string[] {
  return [...new Set(r.flatMap((x) => (x.resolved && x.networkUUID !== undefined ? [x.networkUUID] : [])))].sort();
}

/** The Resolved condition for a set of resolutions. */
export function resolvedCondition(r: readonly ServerResolution[], generation: number | undefined): NewCondition {
  const g = generation !== undefined ? { observedGeneration: generation } : {};
  const bad = r.filter((x) => !x.resolved);
  if (bad.length === 0) {
    return { type: 'Resolved', status: 'True', reason: 'Resolved', message: `${r.length} of ${r.length} servers resolved`, ...g };
  }
  const reason = bad.some((x) => x.failure === 'Forbidden') ? 'Forbidden' : 'Unresolved';
  const first = bad.slice(0, 3).map((x) => `${x.ip}: ${x.reason ?? 'unresolved'}`).join('; ');
  return { type: 'Resolved', status: 'False', reason, message: `${r.length - bad.length} of ${r.length} servers resolved; ${first}`, ...g };
}

/** status.servers[] entries as the CRD holds them (no internal failure class). */
export function statusServers(r: readonly ServerResolution[]): PoolStatusServer[] {
  return r.map(({ failure: _f, ...rest }) => rest);
}

