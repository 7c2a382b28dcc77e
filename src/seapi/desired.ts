// The desired state of one Service Engine, as the agent receives it: pure, from the API objects.
// Which VIPs an SE serves comes from VirtualService status (serviceEngines[] names the SEs it is
// placed on, vip[] the allocated addresses) — the placement the VS controller already decided —
// so the agent is configured before the SE joins the ECMP set (it must report the config applied
// first). Versions: a content hash per SE; the version moves only when the hash does.
import { createHash } from 'node:crypto';
import type { Pool, PoolHealthMonitor, ServiceEngine, VirtualService } from '../api/index.js';
import type { HealthMonitorIntent, LbAlgorithm, ListenerIntent, PoolIntent, SEConfig, TLSIntent, VipIntent } from './protocol.js';

/** Pool.spec.lbAlgorithm → the protocol's algorithm (DATAPLANE.md's mapping; the agent renders it). */
export const ALGORITHMS: Readonly<Record<NonNullable<Pool['spec']['lbAlgorithm']>, LbAlgorithm>> = {
  LeastConnections: 'leastconn',
  RoundRobin: 'roundrobin',
  ConsistentHash: 'source-consistent',
  FastestResponse: 'first-response',
  LeastLoad: 'leastload',
};

/** Pool.spec.healthMonitor's documented defaults. */
export const MONITOR_DEFAULTS = { intervalSeconds: 10, timeoutSeconds: 4, maxRetries: 3, httpPath: '/', expectedCodes: '200-399' } as const;
export const DEFAULT_DRAIN_TIMEOUT_SECONDS = 30;

export interface DesiredInput {
  se: ServiceEngine;
  /** VirtualServices of the SE's namespace (others are ignored). */
  virtualServices: readonly VirtualService[];
  /** Pools by name, in the SE's namespace. */
  pools: ReadonlyMap<string, Pool>;
  /** The TLS material of a VS's kubernetes.io/tls Secret (tls.crt / tls.key), when it has one. */
  tlsOf?: (vs: VirtualService) => { 'tls.crt'?: string; 'tls.key'?: string } | undefined;
  /** VS names ("name" in the SE's namespace) this SE is leaving: kept, draining — also when the
   * VS's status no longer names the SE (withdrawn from the ECMP set, its VIP still served while
   * the fabric converges). */
  draining?: ReadonlySet<string>;
  drainTimeoutSeconds?: number;
}

/** Why part of a VS was left out of the SE's config (shown by the caller; the rest still applies). */
export interface DesiredProblem {
  virtualService: string;
  message: string;
}

export interface DesiredContent {
  serviceEngine: SEConfig['serviceEngine'];
  vips: VipIntent[];
  problems: DesiredProblem[];
}

export function healthMonitorIntent(hm: PoolHealthMonitor | undefined): HealthMonitorIntent | undefined {
  if (hm === undefined) return undefined;
  const out: HealthMonitorIntent = {
    type: hm.type,
    intervalSeconds: hm.intervalSeconds ?? MONITOR_DEFAULTS.intervalSeconds,
    timeoutSeconds: hm.timeoutSeconds ?? MONITOR_DEFAULTS.timeoutSeconds,
    maxRetries: hm.maxRetries ?? MONITOR_DEFAULTS.maxRetries,
  };
  if (hm.type === 'HTTP') {
    out.httpPath = hm.httpPath ?? MONITOR_DEFAULTS.httpPath;
    out.expectedCodes = MONITOR_DEFAULTS.expectedCodes;
  }
  return out;
}

export function poolIntent(pool: Pool): PoolIntent {
  const ns = pool.metadata.namespace ?? '';
  // Pool.spec.defaultServerPort (a check port other than the member's) is not in the wire contract
  // yet: the agent's schema is closed, so a HealthMonitorIntent.port needs both sides at once.
  const hm = healthMonitorIntent(pool.spec.healthMonitor);
  return {
    name: `${ns}/${pool.metadata.name ?? ''}`,
    algorithm: ALGORITHMS[pool.spec.lbAlgorithm ?? 'LeastConnections'],
    members: (pool.spec.servers ?? []).map((s) => ({ id: `${s.ip}:${s.port}`, ip: s.ip, port: s.port, weight: s.ratio ?? 1, enabled: s.enabled ?? true })),
    ...(hm !== undefined ? { healthMonitor: hm } : {}),
  };
}

function tlsIntent(data: { 'tls.crt'?: string; 'tls.key'?: string } | undefined): TLSIntent | undefined {
  const certificate = data?.['tls.crt'];
  const privateKey = data?.['tls.key'];
  return certificate !== undefined && privateKey !== undefined && certificate !== '' && privateKey !== '' ? { certificate, privateKey } : undefined;
}

/** Whether the VS is placed on the SE (its status names the SE). */
export function placedOn(vs: VirtualService, se: ServiceEngine): boolean {
  return vs.metadata.namespace === se.metadata.namespace && (vs.status?.serviceEngines ?? []).some((s) => s.name === se.metadata.name);
}

/** Every VIP placed on the SE, with its listeners, pool and TLS material. */
export function buildDesired(i: DesiredInput): DesiredContent {
  const se = i.se;
  const seRef = { namespace: se.metadata.namespace ?? '', name: se.metadata.name ?? '', uid: se.metadata.uid ?? '' };
  const problems: DesiredProblem[] = [];
  const vips: VipIntent[] = [];
  const macByNetwork = new Map<string, string>();
  for (const d of se.status?.dataInterfaces ?? []) if (d.networkUUID !== undefined && d.macAddress !== undefined) macByNetwork.set(d.networkUUID, d.macAddress);

  for (const vs of i.virtualServices) {
    const vsName = vs.metadata.name ?? '';
    const leaving = i.draining?.has(vsName) === true && vs.metadata.namespace === se.metadata.namespace;
    if (!(placedOn(vs, se) || leaving) || vs.spec.enabled === false || vs.metadata.deletionTimestamp !== undefined) continue;
    const pool = i.pools.get(vs.spec.poolRef);
    if (pool === undefined) {
      problems.push({ virtualService: vsName, message: `pool ${vs.spec.poolRef} not found; not configured on the SE` });
      continue;
    }
    const listeners: ListenerIntent[] = [];
    let tls: TLSIntent | undefined;
    for (const svc of vs.spec.services) {
      const listener: ListenerIntent = { port: svc.port, protocol: svc.protocol ?? 'TCP', http: false };
      if (svc.portRangeEnd !== undefined) listener.portRangeEnd = svc.portRangeEnd;
      if (svc.enableSSL === true) {
        tls ??= tlsIntent(i.tlsOf?.(vs));
        // Never serve a TLS port in clear: without the certificate the listener is left out.
        if (tls === undefined) {
          problems.push({ virtualService: vsName, message: `port ${svc.port} has enableSSL but the TLS Secret is missing or incomplete; port not configured` });
          continue;
        }
        // TLS-terminated traffic is HTTP(S): proxied HTTP-aware so HAProxy can add X-Forwarded-For and close keep-alives on drain.
        listener.http = true;
        listener.tls = tls;
      }
      listeners.push(listener);
    }
    // A VIP with no port left to serve is left out whole (the agent refuses a VIP without listeners).
    if (listeners.length === 0) continue;
    const addresses = new Map((vs.status?.vip ?? []).map((v) => [v.vipID ?? '', v]));
    for (const spec of vs.spec.vip) {
      const observed = addresses.get(spec.vipID);
      if (observed?.ipAddress === undefined) continue; // not allocated yet: nothing to serve
      const mac = observed.networkRef !== undefined ? macByNetwork.get(observed.networkRef) : undefined;
      vips.push({
        id: `${seRef.namespace}/${vsName}/${spec.vipID}`,
        virtualService: { namespace: seRef.namespace, name: vsName, uid: vs.metadata.uid ?? '' },
        address: observed.ipAddress,
        ...(mac !== undefined ? { interfaceMAC: mac } : {}),
        listeners,
        pool: poolIntent(pool),
        draining: i.draining?.has(vsName) ?? false,
        drainTimeoutSeconds: i.drainTimeoutSeconds ?? DEFAULT_DRAIN_TIMEOUT_SECONDS,
      });
    }
  }
  vips.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { serviceEngine: seRef, vips, problems };
}

// ---------------------------------------------------------------------------------------------
// Hash and version

/** JSON with object keys sorted at every level: one text per value, whatever the key order. */
export function canonicalJSON(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : canonicalJSON(x))).join(',')}]`;
  const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJSON(x)}`).join(',')}}`;
}

export const configHash = (vips: readonly VipIntent[]): string => createHash('sha256').update(canonicalJSON(vips)).digest('hex');

export interface VersionState {
  version: number;
  hash: string;
}

/**
 * The version for a content hash. Same hash → same version; a new hash → one more than both the
 * previous version and the floor (the highest version known to have been handed out before this
 * process: e.g. what the SE reports applied, or ServiceEngine status), so versions never go back
 * across an operator restart or a leader change. When the floor's hash equals the new one (the
 * SE already applied this content from the previous leader), its version is kept: no re-apply.
 */
export function nextVersion(prev: VersionState | undefined, hash: string, floor?: VersionState): VersionState {
  if (prev !== undefined && prev.hash === hash && (floor === undefined || floor.version <= prev.version)) return prev;
  if (floor !== undefined && floor.hash === hash && (prev === undefined || floor.version >= prev.version)) return { version: floor.version, hash };
  return { version: Math.max(prev?.version ?? 0, floor?.version ?? 0) + 1, hash };
}
