// The SE API: HTTPS on its own port, the operator's side of the agent channel.
//   POST /v1/enroll     bootstrap token (Bearer) + CSR + serverID → client certificate
//   POST /v1/renew      mTLS: CSR → renewed client certificate (same identity)
//   GET  /v1/config     mTLS: the caller's SEConfig; ?wait=<version> long-polls ≤ 30 s
//   POST /v1/heartbeat  mTLS: heartbeat → ack
// Identity is only ever the verified client certificate. The TLS layer asks for a certificate but
// lets the handshake finish without a good one, so a refusal is a clear 401 with an SEApiError
// body (and a metric and a log line), not an opaque handshake failure; enroll needs none.
// Which replicas serve: enroll and renew, every replica (the token lives in the apiserver, the CA
// in a Secret); config and heartbeat, those for which `serving()` holds (the lead wires the
// leader), others answer 503 Unavailable so agents move on to the next URL.
import https from 'node:https';
import { X509Certificate } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { AddressInfo, Socket } from 'node:net';
import { Counter, Histogram, type Registry } from 'prom-client';
import { group, version } from '../api/kinds.js';
import { isNotFound, silentLogger, type KubeClient, type Logger } from '../runtime/index.js';
import { AgentRegistry } from './agents.js';
import type { SEApiConfig } from './config.js';
import type { ConfigSource } from './configs.js';
import { identityOfPeer, issueClientCertificate, issueServerCertificate, loadCA, PKIError, verifyCSR, type CertificateAuthority, type SEIdentity } from './pki.js';
import { SE_API_MAX_BODY_BYTES, SE_API_PATHS, type EnrollResponse, type HeartbeatAck, type SEApiError, type SEConfig } from './protocol.js';
import { schemaError, validateEnroll, validateHeartbeat, validateRenew } from './schemas.js';
import { BootstrapTokens, TokenError, type BootstrapTokenRedeemer } from './tokens.js';

type Reason = SEApiError['reason'];

export class Refusal extends Error {
  constructor(readonly status: number, readonly reason: Reason, message: string) {
    super(message);
    this.name = 'Refusal';
  }
}

const STATUS_OF: Record<TokenError['reason'], number> = { Unauthenticated: 401, TokenUsed: 401, TokenExpired: 401, Forbidden: 403, Unavailable: 503 };

export interface SEApiDeps {
  config: SEApiConfig;
  configs: ConfigSource;
  logger?: Logger;
  registry?: Registry;
  /** The apiserver: CA Secret, bootstrap tokens, the SE's current server at renew. */
  client?: KubeClient;
  /** Given: used instead of the Secret (tests, benchmarks). */
  ca?: CertificateAuthority;
  tokens?: BootstrapTokenRedeemer;
  agents?: AgentRegistry;
  /** Whether this replica serves config and heartbeats now (default: always). */
  serving?: () => boolean;
  /** The Nova server the SE runs on now (renew refuses a replaced server); default: the SE's status via client. */
  currentServer?: (se: { namespace: string; name: string }) => Promise<string | undefined | null>;
}

export interface SEApi {
  url: string;
  agents: AgentRegistry;
  ca: CertificateAuthority;
  close(): Promise<void>;
}

interface Metrics {
  requests: Counter<'path' | 'code' | 'reason'>;
  duration: Histogram<'path'>;
}

function metricsOf(registry: Registry | undefined): Metrics {
  const registers = registry !== undefined ? [registry] : [];
  const requests = registry?.getSingleMetric('lbop_se_api_requests_total') as Counter<'path' | 'code' | 'reason'> | undefined;
  const duration = registry?.getSingleMetric('lbop_se_api_request_duration_seconds') as Histogram<'path'> | undefined;
  return {
    requests: requests ?? new Counter({ name: 'lbop_se_api_requests_total', help: 'SE API requests by path, HTTP status and SEApiError reason (OK when served).', labelNames: ['path', 'code', 'reason'], registers }),
    duration: duration ?? new Histogram({ name: 'lbop_se_api_request_duration_seconds', help: 'SE API request handling time (a config long-poll includes its wait).', labelNames: ['path'], buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30], registers }),
  };
}

const KNOWN_PATHS = new Set<string>(Object.values(SE_API_PATHS));

/** Log lines for refusals: at most LOG_BURST per (path, reason) and second, the rest counted only. */
const LOG_BURST = 10;

interface PeerCache { identity: SEIdentity; notAfter: number }

export async function startSEApi(deps: SEApiDeps): Promise<SEApi> {
  const cfg = deps.config;
  if (cfg.addr === undefined) throw new Error('the SE API is disabled (--se-api-addr 0)');
  const log = deps.logger ?? silentLogger();
  const client = deps.client;
  const ca = deps.ca ?? (client !== undefined ? await loadCA(client, { namespace: cfg.namespace, secretName: cfg.caSecret.name, userProvided: cfg.caSecret.userProvided }, log) : undefined);
  if (ca === undefined) throw new Error('startSEApi needs a KubeClient or a CA');
  const tokens = deps.tokens ?? (client !== undefined ? new BootstrapTokens(client, { ttlMs: cfg.tokenTTLMs }) : undefined);
  const agents = deps.agents ?? new AgentRegistry({ timeoutMs: cfg.heartbeatTimeoutMs });
  const serving = deps.serving ?? (() => true);
  const currentServer = deps.currentServer ?? (client !== undefined ? serverOfSE(client) : async () => undefined);
  const metrics = metricsOf(deps.registry);
  const peers = new WeakMap<Socket, PeerCache>();
  const logWindows = new Map<string, { at: number; n: number }>();

  const record = (path: string, code: number, reason: string, started: bigint): void => {
    const p = KNOWN_PATHS.has(path) ? path : 'other';
    metrics.requests.inc({ path: p, code: String(code), reason });
    metrics.duration.observe({ path: p }, Number(process.hrtime.bigint() - started) / 1e9);
  };
  const logRefusal = (fields: Record<string, unknown>): void => {
    const k = `${String(fields.path)} ${String(fields.reason)}`;
    const now = Date.now();
    const w = logWindows.get(k);
    if (w === undefined || now - w.at >= 1000) {
      if (w !== undefined && w.n > LOG_BURST) log.warn('SE API refusals not logged (rate limit)', { path: fields.path, reason: fields.reason, suppressed: w.n - LOG_BURST });
      logWindows.set(k, { at: now, n: 1 });
    } else if (++w.n > LOG_BURST) return;
    log.warn('SE API request refused', fields);
  };

  const caX509 = new X509Certificate(ca.certPem);
  /**
   * The SE the verified client certificate names (cached per connection until it expires).
   * `renewing`: an expired certificate of ours is still good for a renew within the grace, so an
   * SE that outlived an operator outage longer than its certificate gets back in without a new
   * token (its bootstrap token was single-use); renew then checks the SE still runs on that server.
   */
  const peerOf = (req: IncomingMessage, renewing = false): SEIdentity => {
    const socket = req.socket as TLSSocket;
    const cached = peers.get(socket);
    if (cached !== undefined && Date.now() < cached.notAfter) return cached.identity;
    const cert = socket.getPeerCertificate();
    if (cert === null || Object.keys(cert).length === 0) throw new Refusal(401, 'Unauthenticated', 'no client certificate');
    const expired = !socket.authorized ? String(socket.authorizationError ?? 'not verified') === 'CERT_HAS_EXPIRED' : Date.now() >= Date.parse(cert.valid_to);
    if (!socket.authorized && !expired) {
      const why = String(socket.authorizationError ?? 'not verified');
      if (why === 'CERT_NOT_YET_VALID') throw new Refusal(401, 'Unauthenticated', 'client certificate not yet valid');
      throw new Refusal(401, 'Unauthenticated', `client certificate not issued by the SE API CA (${why})`);
    }
    if (expired && !(renewing && expiredButOurs(cert.raw, caX509, cfg.expiredRenewGraceMs))) throw new Refusal(401, 'Unauthenticated', 'client certificate expired');
    const identity = identityOfPeer(cert);
    if (typeof identity === 'string') throw new Refusal(403, 'Forbidden', identity);
    if (!expired) peers.set(socket, { identity, notAfter: Date.parse(cert.valid_to) });
    return identity;
  };

  const handlers: Record<string, { method: string; run: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<{ body: unknown; se?: SEIdentity }> }> = {
    [SE_API_PATHS.enroll]: {
      method: 'POST',
      run: async (req) => {
        const m = /^Bearer ([^\s]+)$/.exec(req.headers.authorization ?? '');
        if (m === null) throw new Refusal(401, 'Unauthenticated', 'enroll needs Authorization: Bearer <bootstrap token>');
        const body = await jsonBody(req, cfg.requestTimeoutMs);
        if (!validateEnroll(body)) throw new Refusal(400, 'Malformed', schemaError(validateEnroll.errors));
        const csr = await verifyCSR(body.csr).catch(pkiRefusal);
        if (tokens === undefined) throw new Refusal(503, 'Unavailable', 'enrollment is not configured on this replica');
        const who = await tokens.redeem(m[1] as string, body.serverID).catch((e: unknown) => {
          if (e instanceof TokenError) throw new Refusal(STATUS_OF[e.reason], e.reason, e.message);
          throw e;
        });
        const issued = await issueClientCertificate(ca, csr, who, cfg.clientCertTTLMs);
        log.info('SE enrolled', { se: `${who.namespace}/${who.name}`, serverID: who.serverID, notAfter: issued.notAfter.toISOString() });
        return { se: who, body: { certificate: issued.certificatePem, caBundle: ca.bundlePem, notAfter: issued.notAfter.toISOString() } satisfies EnrollResponse };
      },
    },
    [SE_API_PATHS.renew]: {
      method: 'POST',
      run: async (req) => {
        const who = peerOf(req, true);
        const body = await jsonBody(req, cfg.requestTimeoutMs);
        if (!validateRenew(body)) throw new Refusal(400, 'Malformed', schemaError(validateRenew.errors));
        const csr = await verifyCSR(body.csr).catch(pkiRefusal);
        const now = await currentServer(who);
        if (now === null) throw new Refusal(403, 'Forbidden', `ServiceEngine ${who.namespace}/${who.name} no longer exists`);
        if (now !== undefined && now !== who.serverID) throw new Refusal(403, 'Forbidden', `ServiceEngine ${who.namespace}/${who.name} now runs on another server`);
        const issued = await issueClientCertificate(ca, csr, who, cfg.clientCertTTLMs);
        return { se: who, body: { certificate: issued.certificatePem, caBundle: ca.bundlePem, notAfter: issued.notAfter.toISOString() } satisfies EnrollResponse };
      },
    },
    [SE_API_PATHS.config]: {
      method: 'GET',
      run: async (req, _res, url) => {
        const who = peerOf(req);
        if (!serving()) throw new Refusal(503, 'Unavailable', 'this replica does not serve the SE channel now; try the next URL');
        const key = `${who.namespace}/${who.name}`;
        const waitText = url.searchParams.get('wait');
        if (waitText !== null && !/^-?\d{1,15}$/.test(waitText)) throw new Refusal(400, 'Malformed', 'wait must be a config version (an integer; below 1: answer at once)');
        let current = deps.configs.get(key);
        if (current !== undefined && waitText !== null && current.version === Number(waitText)) current = await longPoll(deps.configs, key, req, cfg.longPollMs);
        if (current === undefined) throw new Refusal(404, 'NotFound', `no desired state for ServiceEngine ${key}`);
        return { se: who, body: current };
      },
    },
    [SE_API_PATHS.heartbeat]: {
      method: 'POST',
      run: async (req) => {
        const who = peerOf(req);
        if (!serving()) throw new Refusal(503, 'Unavailable', 'this replica does not serve the SE channel now; try the next URL');
        const body = await jsonBody(req, cfg.requestTimeoutMs);
        if (!validateHeartbeat(body)) throw new Refusal(400, 'Malformed', schemaError(validateHeartbeat.errors));
        const key = `${who.namespace}/${who.name}`;
        const verdict = agents.accept(key, who.serverID, body);
        if (!verdict.accepted) throw new Refusal(409, 'Replayed', verdict.reason);
        return { se: who, body: { configVersion: deps.configs.get(key)?.version ?? 0, heartbeatIntervalMs: cfg.heartbeatIntervalMs } satisfies HeartbeatAck };
      },
    },
  };

  // Set by close(): a long poll that wakes after it must not log — the operator ends its logger
  // right after, and winston throws on a write after end (seen as a crash on SIGTERM in make demo).
  let closing = false;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = process.hrtime.bigint();
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'https://se-api');
    } catch {
      url = new URL('https://se-api/');
    }
    const path = url.pathname;
    let se: SEIdentity | undefined;
    try {
      const h = handlers[path];
      if (h === undefined) throw new Refusal(404, 'NotFound', `no such path ${path.slice(0, 100)}`);
      if (req.method !== h.method) throw new Refusal(405, 'NotFound', `${path} takes ${h.method}`);
      const out = await h.run(req, res, url);
      se = out.se;
      send(res, 200, out.body);
      record(path, 200, 'OK', started);
      if (path !== SE_API_PATHS.heartbeat) log.debug('SE API request', { path, se: se && `${se.namespace}/${se.name}` });
    } catch (e) {
      if (closing) return;
      const r = e instanceof Refusal ? e : undefined;
      const status = r?.status ?? 500;
      const reason: Reason = r?.reason ?? 'Unavailable';
      const message = r?.message ?? 'internal error';
      if (!res.headersSent) send(res, status, { error: message, reason } satisfies SEApiError, status === 408 || status === 413 || status >= 500);
      else res.destroy();
      record(path, status, r !== undefined ? reason : 'Internal', started);
      const peer = peers.get(req.socket);
      const fields = { path: path.slice(0, 100), status, reason, message, remote: req.socket.remoteAddress, ...(peer !== undefined ? { se: `${peer.identity.namespace}/${peer.identity.name}` } : {}) };
      if (r === undefined) log.error('SE API request failed', { ...fields, error: e instanceof Error ? e.message : String(e) });
      else logRefusal(fields);
    }
  };

  const serverCert = await issueServerCertificate(ca, cfg.serverNames, cfg.serverCertTTLMs);
  const server = https.createServer({
    key: serverCert.keyPem,
    cert: serverCert.certPem,
    ca: ca.bundlePem,
    requestCert: true,
    rejectUnauthorized: false, // judged per request above, so refusals are 401s with a body
    minVersion: 'TLSv1.2',
    handshakeTimeout: cfg.handshakeTimeoutMs,
    headersTimeout: cfg.headersTimeoutMs,
    requestTimeout: cfg.requestTimeoutMs + 1000, // a backstop: jsonBody answers 408 first
    keepAliveTimeout: cfg.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, cfg.headersTimeoutMs),
    maxHeaderSize: 16_384,
  }, (req, res) => void handle(req, res));
  server.maxConnections = cfg.maxConnections;
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    const code = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const reason: Reason = code === 431 ? 'TooLarge' : 'Malformed';
    metrics.requests.inc({ path: 'other', code: String(code), reason });
    logRefusal({ path: 'other', status: code, reason, message: err.code ?? err.message, remote: (socket as Socket).remoteAddress });
    if (socket.writable && !(socket as Socket & { _httpMessage?: unknown })._httpMessage) {
      const body = JSON.stringify({ error: code === 408 ? 'request not received in time' : `bad request (${err.code ?? 'parse error'})`, reason } satisfies SEApiError);
      socket.end(`HTTP/1.1 ${code} ${code === 408 ? 'Request Timeout' : code === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    } else socket.destroy();
  });
  server.on('tlsClientError', (err: NodeJS.ErrnoException, socket) => {
    metrics.requests.inc({ path: 'tls', code: '0', reason: 'Unauthenticated' });
    logRefusal({ path: 'tls', status: 0, reason: 'Unauthenticated', message: err.code ?? err.message, remote: socket.remoteAddress });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.addr?.port, cfg.addr?.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (e) => log.error('SE API server error', { error: e.message }));

  // The server certificate is short-lived and only in memory: re-issued at two thirds of its life.
  let rotation: NodeJS.Timeout | undefined;
  const scheduleRotation = (notAfter: Date): void => {
    const ms = Math.max(60_000, Math.floor(((notAfter.getTime() - Date.now()) * 2) / 3));
    rotation = setTimeout(() => {
      void issueServerCertificate(ca, cfg.serverNames, cfg.serverCertTTLMs).then((next) => {
        server.setSecureContext({ key: next.keyPem, cert: next.certPem, ca: ca.bundlePem });
        log.info('SE API server certificate renewed', { notAfter: next.notAfter.toISOString() });
        scheduleRotation(next.notAfter);
      }, (e: unknown) => {
        log.error('SE API server certificate renewal failed; retrying in a minute', { error: e instanceof Error ? e.message : String(e) });
        scheduleRotation(new Date(Date.now() + 90_000));
      });
    }, Math.min(ms, 2 ** 31 - 1));
    rotation.unref();
  };
  scheduleRotation(serverCert.notAfter);
  const ticker = setInterval(() => agents.tick(), 1000);
  ticker.unref();

  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  log.info('SE API listening', { url: `https://${host}:${address.port}` });
  return {
    url: `https://${host}:${address.port}`,
    agents,
    ca,
    close: async () => {
      closing = true;
      clearTimeout(rotation);
      clearInterval(ticker);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

/** An expired certificate that our CA signed (checked by hand: OpenSSL stopped at the expiry) and expired within the grace. */
function expiredButOurs(raw: Buffer | undefined, caX509: X509Certificate, graceMs: number): boolean {
  if (raw === undefined) return false;
  try {
    const x = new X509Certificate(raw);
    return x.checkIssued(caX509) && x.verify(caX509.publicKey) && Date.now() - Date.parse(x.validTo) <= graceMs;
  } catch {
    return false;
  }
}

function pkiRefusal(e: unknown): never {
  if (e instanceof PKIError) throw new Refusal(400, 'Malformed', e.message);
  throw e;
}

function send(res: ServerResponse, status: number, body: unknown, close = false): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store', ...(close ? { Connection: 'close' } : {}) });
  res.end(text);
}

/** The request body as JSON, refusing more than SE_API_MAX_BODY_BYTES before reading it all. */
function jsonBody(req: IncomingMessage, timeoutMs: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? '-1');
  if (declared > SE_API_MAX_BODY_BYTES) {
    req.resume(); // not read into memory; the connection closes after the 413
    return Promise.reject(new Refusal(413, 'TooLarge', `body of ${declared} bytes exceeds ${SE_API_MAX_BODY_BYTES}`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    // Our own deadline, before node's requestTimeout, so a slow body gets a 408 with a body, not a reset.
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      chunks.length = 0;
      reject(new Refusal(408, 'Malformed', `request body not received within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > SE_API_MAX_BODY_BYTES) {
        clearTimeout(timer);
        done = true;
        chunks.length = 0;
        reject(new Refusal(413, 'TooLarge', `body exceeds ${SE_API_MAX_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      clearTimeout(timer);
      if (done) return;
      done = true;
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown);
      } catch {
        reject(new Refusal(400, 'Malformed', 'body is not JSON'));
      }
    });
    req.on('error', (e) => {
      clearTimeout(timer);
      if (!done) {
        done = true;
        reject(new Refusal(400, 'Malformed', `body not received: ${e.message}`));
      }
    });
  });
}

/** Waits until the SE's config version changes, the client goes away, or the hold time is up. */
function longPoll(configs: ConfigSource, key: string, req: IncomingMessage, holdMs: number): Promise<SEConfig | undefined> {
  return new Promise((resolve) => {
    let unsubscribe = (): void => undefined;
    const finish = (): void => {
      clearTimeout(timer);
      unsubscribe();
      req.socket.off('close', finish);
      resolve(configs.get(key));
    };
    const timer = setTimeout(finish, holdMs);
    unsubscribe = configs.subscribe(key, finish);
    req.socket.on('close', finish);
  });
}

/** The SE's current Nova server from its status; null when the SE is gone. */
function serverOfSE(client: KubeClient): (se: { namespace: string; name: string }) => Promise<string | undefined | null> {
  return async (se) => {
    try {
      const obj = await client.get<{ status?: { serverUUID?: string } }>(`/apis/${group}/${version}/namespaces/${encodeURIComponent(se.namespace)}/serviceengines/${encodeURIComponent(se.name)}`);
      return obj.status?.serverUUID;
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  };
}
