// The SE API's wire contract: what the operator tells a Service Engine's agent and what the agent
// reports back. Both sides import this file and nothing else of each other, so the agent (src/agent)
// and the operator's server (src/seapi) can change independently as long as this holds.
//
// Rules of the channel:
// - Typed intent only: the operator never sends haproxy.cfg text; the agent validates this structure
//   (schema + allow-listed strings) and renders HAProxy itself.
// - Level-triggered: GET /v1/config returns the SE's whole desired state with a version; the agent
//   converges to it whatever changed. `?wait=<version>` long-polls until the version differs (or ~30 s).
// - Identity comes from the client certificate (CN = the ServiceEngine's namespace/name, SAN URI
//   = the Nova server id), never from a body field.

export const SE_API_VERSION = 'v1';

/** Paths of the SE API, all under HTTPS. */
export const SE_API_PATHS = {
  /** POST, bootstrap token (Authorization: Bearer) + CSR → short-lived client certificate. */
  enroll: '/v1/enroll',
  /** POST, mutual TLS: a fresh CSR → a renewed client certificate before the current one expires. */
  renew: '/v1/renew',
  /** GET, mutual TLS: the whole desired state of the calling SE (?wait=<version> long-polls). */
  config: '/v1/config',
  /** POST, mutual TLS: heartbeat + stats. */
  heartbeat: '/v1/heartbeat',
} as const;

/** Largest request body the SE API accepts (a heartbeat of an SE with many VIPs and members). */
export const SE_API_MAX_BODY_BYTES = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Bootstrap: what the SE controller writes into the server's user_data (config drive, or metadata
// service when the Cloud boots without a config drive). JSON, one document. Nothing here goes into
// Nova metadata (visible to anyone who can list servers).

export interface SEBootstrap {
  /** Format marker, so an agent can refuse what it does not understand. */
  kind: 'contrail-lb-operator/se-bootstrap';
  version: 1;
  /** The ServiceEngine object this server is. */
  serviceEngine: { namespace: string; name: string; uid: string };
  /** SE API base URLs (https://host:port), tried in order: every replica that serves the channel. */
  controllerURLs: string[];
  /** PEM CA bundle that signs the SE API's server certificate (and the client certificates). */
  caBundle: string;
  /** Random single-use bootstrap token, traded at /v1/enroll; the operator stores only its hash. */
  bootstrapToken: string;
  /** Heartbeat period the operator expects, milliseconds (default 2000; jittered by the agent). */
  heartbeatIntervalMs: number;
}

export interface EnrollRequest {
  /** PEM PKCS#10 CSR; its subject is ignored: the operator names the certificate from the token. */
  csr: string;
  /** The Nova server id the agent read from meta_data.json (uuid); must match the token's binding. */
  serverID: string;
}

export interface EnrollResponse {
  /** PEM client certificate (short-lived). */
  certificate: string;
  /** PEM chain / CA bundle to verify the SE API. */
  caBundle: string;
  /** RFC 3339 expiry of the certificate; the agent renews at about two thirds of its life. */
  notAfter: string;
}

export type RenewRequest = Pick<EnrollRequest, 'csr'>;
export type RenewResponse = EnrollResponse;

// ---------------------------------------------------------------------------------------------
// Desired state: GET /v1/config

export type LbAlgorithm = 'leastconn' | 'roundrobin' | 'source-consistent' | 'first-response' | 'leastload';

export interface HealthMonitorIntent {
  type: 'PING' | 'TCP' | 'HTTP';
  intervalSeconds: number;
  timeoutSeconds: number;
  /** Consecutive failures before DOWN (and successes before UP again). */
  maxRetries: number;
  /** HTTP only: path of the GET and the accepted status codes (e.g. "200-399"). */
  httpPath?: string;
  expectedCodes?: string;
}

export interface MemberIntent {
  /** Stable id of the member within its pool: "<ip>:<port>". */
  id: string;
  ip: string;
  port: number;
  /** HAProxy weight, from Pool.spec.servers[].ratio (1–20). */
  weight: number;
  /** false → the server is put in maintenance (receives nothing, not checked). */
  enabled: boolean;
}

export interface PoolIntent {
  /** namespace/name of the Pool. */
  name: string;
  algorithm: LbAlgorithm;
  members: MemberIntent[];
  /** Absent: members are NO_MONITOR (assumed up). */
  healthMonitor?: HealthMonitorIntent;
}

export interface TLSIntent {
  /** PEM certificate chain and key, from the VS's kubernetes.io/tls Secret; sent only to SEs that serve the VS. */
  certificate: string;
  privateKey: string;
}

export interface ListenerIntent {
  port: number;
  /** Last port of a range, inclusive. */
  portRangeEnd?: number;
  protocol: 'TCP' | 'UDP';
  /** HTTP-aware proxying (mode http) when true, plain TCP otherwise. */
  http: boolean;
  tls?: TLSIntent;
}

export interface VipIntent {
  /** namespace/name of the VirtualService and its vipID: "<ns>/<name>/<vipID>". */
  id: string;
  virtualService: { namespace: string; name: string; uid: string };
  /** The VIP address as the cloud allocated it. */
  address: string;
  /** MAC of the data vNIC the VIP lives on (the agent finds the interface by it). */
  interfaceMAC?: string;
  listeners: ListenerIntent[];
  pool: PoolIntent;
  /** true while the SE is leaving the VIP: keep serving, tell clients to close, accept no new keep-alives. */
  draining: boolean;
  /** How long a drain lasts before the VIP is removed from the config, seconds. */
  drainTimeoutSeconds: number;
}

export interface SEConfig {
  /** Monotonic per SE; the agent reports the version it applied. */
  version: number;
  /** sha256 of the canonical JSON of `vips` (what the agent compares to skip no-op applies). */
  hash: string;
  serviceEngine: { namespace: string; name: string; uid: string };
  vips: VipIntent[];
}

// ---------------------------------------------------------------------------------------------
// Heartbeat: POST /v1/heartbeat

export type MemberOperStatus = 'UP' | 'DOWN' | 'NO_MONITOR' | 'DISABLED';

export interface MemberReport {
  id: string;
  status: MemberOperStatus;
  /** HAProxy's check description when DOWN (e.g. "Layer4 connection problem"). */
  reason?: string;
  currentConnections: number;
  totalConnections: number;
}

export interface ListenerReport {
  port: number;
  /** The frontend is bound and accepting. */
  up: boolean;
}

export interface VipReport {
  id: string;
  listeners: ListenerReport[];
  members: MemberReport[];
  currentConnections: number;
  totalConnections: number;
  bytesIn: number;
  bytesOut: number;
  requests: number;
  /** HTTP responses by class, and connection errors. */
  errors: { http4xx: number; http5xx: number; connection: number };
  /** Average response time over HAProxy's last 1024 requests, ms. */
  responseTimeMs: number;
}

export interface AppliedConfig {
  /** Version and hash of the config HAProxy is serving now (the last good one). */
  version: number;
  hash: string;
  /** Set when the newest config the agent received was rejected: its version and HAProxy's own error. */
  rejected?: { version: number; error: string };
}

export interface Heartbeat {
  /** Random per agent process start; (bootID, sequence) orders heartbeats and drops replays. */
  bootID: string;
  sequence: number;
  /** Agent's wall clock, RFC 3339 (for skew display only). */
  sentAt: string;
  agentVersion: string;
  applied: AppliedConfig;
  vips: VipReport[];
  se: { cpuPercent: number; memoryBytes: number };
  /**
   * Data-path witness results (plain Neutron, docs/se-repair.md): what this SE saw probing the
   * data addresses of the silent SEs the last ack asked it to probe. Only targets with a result.
   */
  probes?: ProbeReport[];
}

/** A silent SE's data address a witness is asked to probe (GET http://address:port/lbop-health). */
export interface ProbeTarget {
  /** "<namespace>/<name>" of the silent ServiceEngine. */
  se: string;
  address: string;
  port: number;
}

export interface ProbeReport {
  se: string;
  address: string;
  /** true: the last probe got 200; false: the last 2 or more probes failed. */
  up: boolean;
  /** Why the probes failed (timeout, refused, HTTP status). */
  reason?: string;
}

export interface HeartbeatAck {
  /** The operator's current config version for this SE: the agent re-polls when it differs. */
  configVersion: number;
  /** Milliseconds the operator wants between heartbeats now. */
  heartbeatIntervalMs: number;
  /** Silent SEs' data addresses to probe until an ack no longer lists them (plain Neutron witnesses). */
  probe?: ProbeTarget[];
}

/** Every 4xx/5xx body of the SE API. */
export interface SEApiError {
  error: string;
  reason:
    | 'Unauthenticated'
    | 'Forbidden'
    | 'Replayed'
    | 'TooLarge'
    | 'Malformed'
    | 'NotFound'
    | 'TokenExpired'
    | 'TokenUsed'
    | 'Unavailable';
}
