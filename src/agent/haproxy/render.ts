// SEConfig → haproxy.cfg, pure. The input has passed validate.ts, so every string here is an
// allow-listed name, IP literal, path or code; numbers are bounded integers.
//
// Names: a VIP "<ns>/<name>/<vipID>" becomes frontends "fe:<ns>:<name>:<vipID>:<port>" and one
// backend per mode "be:<ns>:<name>:<vipID>:<tcp|http>" (HAProxy needs a backend's mode to match its
// frontend's); a member becomes server "m_<ip>_<port>" (dots and colons as '_'). ':' cannot occur
// in any part, so names are unambiguous, and they are stable across configs — what the Runtime API
// and the stats parser rely on.
//
// Algorithm mapping (Pool.spec.lbAlgorithm → protocol → HAProxy):
//   LeastConnections → leastconn → balance leastconn
//   RoundRobin       → roundrobin → balance roundrobin
//   ConsistentHash   → source-consistent → balance source + hash-type consistent
//   FastestResponse  → first-response → balance leastconn: HAProxy 2.6 has no response-time balancer;
//                      the fastest server finishes first and so holds the fewest connections.
//   LeastLoad        → leastload → balance leastconn: an SE sees no server load but its own
//                      connections, the closest proxy it has.
// Health monitors: TCP → connect check; PING → connect check too (HAProxy has no ICMP check, a
// connect to the member's port is the nearest proof of life); HTTP → option httpchk GET <path> +
// http-check expect status <codes>. interval → inter, timeout → timeout check, maxRetries → rise
// and fall. No monitor → no check (NO_MONITOR). UDP listeners are not rendered (HAProxy 2.6 does
// not proxy UDP); the stats report them down.
import { createHash } from 'node:crypto';
import type { LbAlgorithm, SEConfig, VipIntent } from '../../seapi/protocol.js';

export interface RenderPaths {
  /** Admin stats socket (Runtime API, exposes the listening sockets to the next worker). */
  statsSocket: string;
  /** Where the server states are dumped before a reload and loaded by the new worker. */
  serverStateFile: string;
  /** Unix socket of the always-present idle frontend (HAProxy refuses to start with no listener). */
  idleSocket: string;
  /** Directory of the 0600 cert+key files for `bind ... ssl crt`. */
  tlsDir: string;
  /**
   * The data-path probe the vRouter's service-health-check sends (GET /lbop-health on every
   * address of the SE, so on each data vNIC): answered by HAProxy itself, so a hung or dead proxy
   * fails it while a merely silent agent does not. Absent: not served (loopback tests).
   */
  healthCheck?: { port: number };
}

export const HEALTH_URI = '/lbop-health';

export interface RenderedServer {
  backend: string;
  server: string;
  memberID: string;
  weight: number;
  enabled: boolean;
}

export interface RenderedVip {
  id: string;
  frontends: { name: string; port: number }[];
  /** Listener ports HAProxy cannot serve (UDP): reported down. */
  unservedPorts: number[];
  backends: string[];
  servers: RenderedServer[];
  monitored: boolean;
  /** The process-wide variable that switches the VIP's HTTP frontends to closing (drainVar). */
  drainVar: string;
  draining: boolean;
}

export interface Rendered {
  /** The haproxy.cfg text. */
  text: string;
  /** The same config with members' weight and admin state left out: equal structure means a
   *  change can go through the Runtime API without a reload. */
  structure: string;
  vips: RenderedVip[];
  /** Files `bind ... crt` names: cert chain + key, written 0600 before the check. */
  certFiles: { path: string; content: string }[];
}

const BALANCE: Record<LbAlgorithm, string[]> = {
  leastconn: ['balance leastconn'],
  roundrobin: ['balance roundrobin'],
  'source-consistent': ['balance source', 'hash-type consistent'],
  'first-response': ['balance leastconn'],
  leastload: ['balance leastconn'],
};

export function proxyBase(vipID: string): string {
  return vipID.replaceAll('/', ':');
}

export function serverName(ip: string, port: number): string {
  return `m_${ip.replace(/[.:]/g, '_')}_${port}`;
}

/** HAProxy writes IPv6 binds and servers as [addr]:port-less forms "addr:port" only when unambiguous;
 *  ipv6@ prefixes make it explicit. */
function hostPort(ip: string, port: string | number): string {
  return ip.includes(':') ? `ipv6@${ip}:${port}` : `${ip}:${port}`;
}

/**
 * The process-wide variable (`proc.` scope: the Runtime API can set it) that says a VIP is
 * draining; named by a digest of the VIP id because HAProxy variable names allow only
 * [A-Za-z0-9._].
 */
export function drainVar(vipID: string): string {
  return `proc.lbop_drain_${createHash('sha256').update(vipID).digest('hex').slice(0, 16)}`;
}

/** The Runtime API command that sets a VIP's drain switch (`set var` is experimental in 2.6). */
export function drainCommand(v: Pick<RenderedVip, 'drainVar' | 'draining'>): string {
  return `experimental-mode on; set var ${v.drainVar} bool(${v.draining ? 'true' : 'false'})`;
}

export function certFilePath(tlsDir: string, certificate: string, privateKey: string): string {
  // Named by content: a new certificate never overwrites the file the running worker reads.
  const digest = createHash('sha256').update(certificate).update('\0').update(privateKey).digest('hex').slice(0, 24);
  return `${tlsDir}/${digest}.pem`;
}

export function render(cfg: SEConfig, paths: RenderPaths): Rendered {
  const full: string[] = [];
  const structure: string[] = [];
  const emit = (line: string, structural: string = line): void => {
    full.push(line);
    structure.push(structural);
  };

  emit(`# rendered by contrail-lb-operator se-agent for ${cfg.serviceEngine.namespace}/${cfg.serviceEngine.name}`);
  emit(`# config version ${cfg.version} hash ${cfg.hash}`, '# config');
  emit('global');
  emit(`    stats socket ${paths.statsSocket} mode 600 level admin expose-fd listeners`);
  emit(`    server-state-file ${paths.serverStateFile}`);
  // A previous worker holding long connections is stopped this long after a reload.
  emit('    hard-stop-after 60s');
  // Each VIP's drain switch, at its current value so a reload keeps it; the value is not
  // structure: turning a drain on or off is one Runtime API command (planApply), no reload, so
  // an SE still in the ECMP set never reloads to start draining.
  for (const vip of cfg.vips) {
    const v = drainVar(vip.id);
    emit(`    set-var ${v} bool(${vip.draining ? 'true' : 'false'})`, `    set-var ${v}`);
  }
  emit('');
  emit('defaults');
  emit('    mode tcp');
  emit('    timeout connect 5s');
  emit('    timeout client 50s');
  emit('    timeout server 50s');
  // A request whose server died under it is retried on another one.
  emit('    retries 3');
  emit('    option redispatch');
  emit('    load-server-state-from-file global');
  emit('');
  emit('frontend lbop-agent-idle');
  emit(`    bind unix@${paths.idleSocket} mode 600`);
  emit('    tcp-request connection reject');
  if (paths.healthCheck !== undefined) {
    emit('');
    emit('frontend lbop-health');
    emit('    mode http');
    emit(`    bind :${paths.healthCheck.port}`);
    emit(`    monitor-uri ${HEALTH_URI}`);
    emit('    http-request deny');
  }

  const vips: RenderedVip[] = [];
  const certFiles = new Map<string, string>();
  for (const vip of cfg.vips) vips.push(renderVip(vip, paths, emit, certFiles));
  emit('');
  return {
    text: full.join('\n'),
    structure: structure.join('\n'),
    vips,
    certFiles: [...certFiles].map(([path, content]) => ({ path, content })),
  };
}

function renderVip(
  vip: VipIntent,
  paths: RenderPaths,
  emit: (line: string, structural?: string) => void,
  certFiles: Map<string, string>,
): RenderedVip {
  const base = proxyBase(vip.id);
  const out: RenderedVip = {
    id: vip.id, frontends: [], unservedPorts: [], backends: [], servers: [], monitored: vip.pool.healthMonitor !== undefined,
    drainVar: drainVar(vip.id), draining: vip.draining,
  };
  const modes = new Set<'tcp' | 'http'>();
  for (const l of vip.listeners) {
    const last = l.portRangeEnd ?? l.port;
    if (l.protocol === 'UDP') {
      for (let p = l.port; p <= last; p++) out.unservedPorts.push(p);
      continue;
    }
    const mode = l.http ? 'http' : 'tcp';
    modes.add(mode);
    const name = `fe:${base}:${l.port}`;
    const ports = last === l.port ? String(l.port) : `${l.port}-${last}`;
    let bind = `    bind ${hostPort(vip.address, ports)}`;
    if (l.tls !== undefined) {
      const path = certFilePath(paths.tlsDir, l.tls.certificate, l.tls.privateKey);
      certFiles.set(path, `${l.tls.certificate.trimEnd()}\n${l.tls.privateKey.trimEnd()}\n`);
      bind += ` ssl crt ${path}`;
    }
    emit('');
    emit(`frontend ${name}`);
    emit(`    mode ${mode}`);
    emit(bind);
    if (mode === 'http') {
      // Draining (the switch on): every response says Connection: close and HAProxy closes the
      // connection after it, so keep-alive clients reconnect — and land on an SE that stays —
      // while this one is still in the ECMP set. Measured on 2.6: the FIN follows the response.
      emit(`    http-after-response set-header Connection close if { var(${out.drainVar}) -m bool }`);
    }
    emit(`    default_backend be:${base}:${mode}`);
    for (let p = l.port; p <= last; p++) out.frontends.push({ name, port: p });
  }
  for (const mode of ['tcp', 'http'] as const) {
    if (!modes.has(mode)) continue;
    const backend = `be:${base}:${mode}`;
    out.backends.push(backend);
    emit('');
    emit(`backend ${backend}`);
    emit(`    mode ${mode}`);
    for (const line of BALANCE[vip.pool.algorithm]) emit(`    ${line}`);
    const hm = vip.pool.healthMonitor;
    let check = '';
    if (hm !== undefined) {
      if (hm.type === 'HTTP') {
        emit(`    option httpchk GET ${hm.httpPath ?? '/'}`);
        emit(`    http-check expect status ${hm.expectedCodes ?? '200-399'}`);
      }
      emit(`    timeout check ${hm.timeoutSeconds}s`);
      check = ` check inter ${hm.intervalSeconds}s rise ${hm.maxRetries} fall ${hm.maxRetries}`;
    }
    for (const m of vip.pool.members) {
      const server = serverName(m.ip, m.port);
      const head = `    server ${server} ${hostPort(m.ip, m.port)}`;
      emit(`${head} weight ${m.weight}${check}${m.enabled ? '' : ' disabled'}`, `${head}${check}`);
      out.servers.push({ backend, server, memberID: m.id, weight: m.weight, enabled: m.enabled });
    }
  }
  return out;
}
