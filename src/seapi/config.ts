// The SE API's configuration: its flags parsed once into a typed value (STYLE.md). The operator's
// `run` passes its argv and environment; only the --se-api-* flags below are read here, so the
// composition root adds SE_API_FLAGS to its known flags and calls parseSEApiConfig once.
//
//   --se-api-addr HOST:PORT     (LBOP_SE_API_ADDR)       default 127.0.0.1:9443 (the Deployment sets 0.0.0.0:9443); "0" disables
//   --se-api-ca-secret NAME     (LBOP_SE_API_CA_SECRET)  a user-given CA Secret (tls.crt/tls.key[/ca.crt], e.g. cert-manager's);
//                                                        absent: lbop-se-api-ca, created on first start
//   --se-api-san NAME|IP        (LBOP_SE_API_SANS, comma-separated) repeatable: names in the server certificate
//                                                        (the Service's DNS names, the address SEs use); default localhost,127.0.0.1
//   --se-api-client-cert-ttl S  (LBOP_SE_API_CLIENT_CERT_TTL)  client certificate lifetime, seconds, default 3600
//   --se-api-token-ttl S        (LBOP_SE_API_TOKEN_TTL)  bootstrap token lifetime, seconds, default 1800
//   --se-heartbeat-timeout S    silence after which AgentConnected goes False, seconds, default 10
//   --se-failure-timeout S      silence after which an SE whose data path fails too is replaced, default 60
//   --se-repair-breaker PCT     % of a group's SEs silent at once above which repairs are held, default 20
//   --se-repair-max-in-flight N heartbeat repairs at a time per group, default 1
import { isIP } from 'node:net';

export interface HostPort { host: string; port: number }

export interface SEApiConfig {
  /** undefined: the SE API is off. */
  addr: HostPort | undefined;
  /** The operator's namespace: where the CA Secret lives. */
  namespace: string;
  caSecret: { name: string; userProvided: boolean };
  serverNames: { dnsNames: string[]; ipAddresses: string[] };
  clientCertTTLMs: number;
  /** How long after its expiry a client certificate still buys a renew (an SE that outlived an operator outage). */
  expiredRenewGraceMs: number;
  tokenTTLMs: number;
  /** Server certificate lifetime; it is re-issued in memory at two thirds of it. */
  serverCertTTLMs: number;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  /** Longest GET /v1/config?wait= hold. */
  longPollMs: number;
  /** Slow clients: headers must arrive within this, the whole request within requestTimeoutMs. */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** Idle keep-alive connections are closed after this (agents heartbeat every ~2 s). */
  keepAliveTimeoutMs: number;
  /** TLS handshake deadline. */
  handshakeTimeoutMs: number;
  /** Silence after which an SE whose data path fails too is replaced (model/repair.ts). */
  failureTimeoutMs: number;
  /** % of a group's SEs silent at once above which heartbeat repairs are held. */
  repairBreakerPercent: number;
  /** Heartbeat repairs at a time per group. */
  repairMaxInFlight: number;
  /** Open connections at most (each idle mTLS connection costs node ~64–90 KB): a flood is refused, not absorbed. */
  maxConnections: number;
}

export const DEFAULT_CA_SECRET = 'lbop-se-api-ca';

export const SE_API_FLAGS = [
  '--se-api-addr', '--se-api-ca-secret', '--se-api-san', '--se-api-client-cert-ttl', '--se-api-token-ttl',
  '--se-heartbeat-timeout', '--se-failure-timeout', '--se-repair-breaker', '--se-repair-max-in-flight',
] as const;

export const SE_API_USAGE = `  --se-api-addr HOST:PORT   SE API (env LBOP_SE_API_ADDR), default 127.0.0.1:9443; 0 disables
  --se-api-ca-secret NAME   user-given CA Secret tls.crt/tls.key/ca.crt (env LBOP_SE_API_CA_SECRET);
                            default lbop-se-api-ca in the operator's namespace, created on first start
  --se-api-san NAME|IP      server certificate name, repeatable (env LBOP_SE_API_SANS=a,b)
  --se-api-client-cert-ttl S  SE client certificate lifetime (env LBOP_SE_API_CLIENT_CERT_TTL), default 3600
  --se-api-token-ttl S      bootstrap token lifetime (env LBOP_SE_API_TOKEN_TTL), default 1800
  --se-heartbeat-timeout S  agent silence before AgentConnected=False, seconds, default 10
  --se-failure-timeout S    silence before an SE whose data path also fails is replaced, default 60
  --se-repair-breaker PCT   hold heartbeat repairs when more than PCT % of a group is silent, default 20
  --se-repair-max-in-flight N  heartbeat repairs at a time per group, default 1`;

export class SEApiConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SEApiConfigError';
  }
}

/** Defaults, for tests and for callers that build the value themselves. */
export function defaultSEApiConfig(namespace: string, over: Partial<SEApiConfig> = {}): SEApiConfig {
  return {
    addr: { host: '127.0.0.1', port: 9443 },
    namespace,
    caSecret: { name: DEFAULT_CA_SECRET, userProvided: false },
    serverNames: { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] },
    clientCertTTLMs: 3600_000,
    expiredRenewGraceMs: 7 * 86_400_000,
    tokenTTLMs: 1800_000,
    serverCertTTLMs: 7 * 86_400_000,
    heartbeatIntervalMs: 2000,
    heartbeatTimeoutMs: 10_000,
    failureTimeoutMs: 60_000,
    repairBreakerPercent: 20,
    repairMaxInFlight: 1,
    longPollMs: 30_000,
    headersTimeoutMs: 10_000,
    requestTimeoutMs: 15_000,
    keepAliveTimeoutMs: 30_000,
    handshakeTimeoutMs: 10_000,
    maxConnections: 8192,
    ...over,
  };
}

function hostPort(v: string): HostPort | undefined {
  if (v === '0' || v === '') return undefined;
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(v);
  if (m === null || Number(m[3]) > 65535) throw new SEApiConfigError(`--se-api-addr must be HOST:PORT (e.g. 0.0.0.0:9443) or 0, got '${v}'`);
  return { host: m[1] ?? (m[2] === '' ? '127.0.0.1' : (m[2] as string)), port: Number(m[3]) };
}

function seconds(flag: string, v: string, min: number, max: number): number {
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new SEApiConfigError(`${flag} must be an integer number of seconds in [${min}, ${max}], got '${v}'`);
  return Number(v) * 1000;
}

const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/i;

/**
 * The SE API's flags from argv (other flags are skipped: they belong to `run`) over the
 * environment. `namespace` is the operator's own (the lease namespace / POD_NAMESPACE).
 */
export function parseSEApiConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, namespace: string): SEApiConfig {
  const flags = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg : arg.slice(0, eq);
    if (!(SE_API_FLAGS as readonly string[]).includes(name)) continue;
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new SEApiConfigError(`${name} needs a value`);
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  const one = (flag: string, envName: string): string | undefined => {
    const vs = flags.get(flag);
    if (vs !== undefined) return vs[vs.length - 1];
    const e = env[envName];
    return e === undefined || e === '' ? undefined : e;
  };
  const d = defaultSEApiConfig(namespace);
  const sans = flags.get('--se-api-san') ?? (env['LBOP_SE_API_SANS'] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const serverNames = sans.length === 0 ? d.serverNames : { dnsNames: [] as string[], ipAddresses: [] as string[] };
  for (const s of sans) {
    if (isIP(s) !== 0) serverNames.ipAddresses.push(s);
    else if (DNS_NAME.test(s)) serverNames.dnsNames.push(s.toLowerCase());
    else throw new SEApiConfigError(`--se-api-san: '${s}' is neither a DNS name nor an IP address`);
  }
  const ca = one('--se-api-ca-secret', 'LBOP_SE_API_CA_SECRET');
  if (ca !== undefined && !/^[a-z0-9]([-.a-z0-9]{0,251}[a-z0-9])?$/.test(ca)) throw new SEApiConfigError(`--se-api-ca-secret: '${ca}' is not a valid Secret name`);
  const heartbeatTimeoutMs = seconds('--se-heartbeat-timeout', one('--se-heartbeat-timeout', 'LBOP_SE_HEARTBEAT_TIMEOUT') ?? '10', 3, 3600);
  const failureTimeoutMs = seconds('--se-failure-timeout', one('--se-failure-timeout', 'LBOP_SE_FAILURE_TIMEOUT') ?? '60', 5, 86_400);
  if (failureTimeoutMs <= heartbeatTimeoutMs) throw new SEApiConfigError(`--se-failure-timeout (${failureTimeoutMs / 1000} s) must be longer than --se-heartbeat-timeout (${heartbeatTimeoutMs / 1000} s)`);
  const breaker = one('--se-repair-breaker', 'LBOP_SE_REPAIR_BREAKER') ?? '20';
  if (!/^\d{1,3}$/.test(breaker) || Number(breaker) > 100) throw new SEApiConfigError(`--se-repair-breaker must be a percentage 0..100, got '${breaker}'`);
  const inFlight = one('--se-repair-max-in-flight', 'LBOP_SE_REPAIR_MAX_IN_FLIGHT') ?? '1';
  if (!/^\d{1,4}$/.test(inFlight)) throw new SEApiConfigError(`--se-repair-max-in-flight must be a count 0..9999 (0: never replace on heartbeat), got '${inFlight}'`);
  return {
    ...d,
    heartbeatTimeoutMs, failureTimeoutMs, repairBreakerPercent: Number(breaker), repairMaxInFlight: Number(inFlight),
    addr: hostPort(one('--se-api-addr', 'LBOP_SE_API_ADDR') ?? '127.0.0.1:9443'),
    caSecret: ca === undefined ? d.caSecret : { name: ca, userProvided: true },
    serverNames,
    clientCertTTLMs: seconds('--se-api-client-cert-ttl', one('--se-api-client-cert-ttl', 'LBOP_SE_API_CLIENT_CERT_TTL') ?? '3600', 300, 30 * 86_400),
    tokenTTLMs: seconds('--se-api-token-ttl', one('--se-api-token-ttl', 'LBOP_SE_API_TOKEN_TTL') ?? '1800', 60, 86_400),
  };
}
