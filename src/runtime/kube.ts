// A small Kubernetes HTTP client: credentials from a kubeconfig (files merged and the context
// picked by kubectl's rules, kubeconfig.ts; cluster, TLS and auth read as client-go reads them,
// kubeauth.ts), one keep-alive agent shared by every request and watch (through the kubeconfig's
// proxy-url when it has one), JSON in and out, a User-Agent on every request, client-go's rest_client_* metrics, and errors with the
// API's status code and reason. Raw HTTP because watches must stream and be abortable.
import http from 'node:http';
import https from 'node:https';
import { Counter, Histogram, type Registry } from 'prom-client';
import { userAgent } from '../buildinfo.js';
import { accessFromKubeconfig, kubeconfigFor, type ClusterAccess } from './kubeauth.js';
import { proxyFor, type KubeconfigDoc } from './kubeconfig.js';
import { noteApiserverRequest } from './writetally.js';

export interface KubeClientOptions {
  /** A context of the kubeconfig other than its current-context (kubectl --context). */
  context?: string;
  /** Registry for rest_client_requests_total / rest_client_request_duration_seconds. */
  registry?: Registry;
  /** Default: contrail-lb-operator/<version> (<os>/<arch>) node/<version>. */
  userAgent?: string;
}

interface RestMetrics {
  requests: Counter<'code' | 'method' | 'host'>;
  duration: Histogram<'verb' | 'host'>;
}

const restMetricsOf = new WeakMap<Registry, RestMetrics>();

/** client-go's apiserver client metrics (names and labels as k8s.io/client-go/tools/metrics). */
export function restClientMetrics(registry: Registry): RestMetrics {
  let m = restMetricsOf.get(registry);
  if (m === undefined) {
    m = {
      requests: new Counter({
        name: 'rest_client_requests_total',
        help: 'Number of HTTP requests to the apiserver, partitioned by status code, method, and host.',
        labelNames: ['code', 'method', 'host'],
        registers: [registry],
      }),
      duration: new Histogram({
        name: 'rest_client_request_duration_seconds',
        help: 'Request latency in seconds (until response headers), broken down by verb and host.',
        labelNames: ['verb', 'host'],
        buckets: [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60],
        registers: [registry],
      }),
    };
    restMetricsOf.set(registry, m);
  }
  return m;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly method = '',
    readonly path = '',
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const isStatus = (e: unknown, ...codes: number[]): e is ApiError =>
  e instanceof ApiError && codes.includes(e.status);
export const isNotFound = (e: unknown): e is ApiError => isStatus(e, 404);
export const isConflict = (e: unknown): e is ApiError => isStatus(e, 409);
export const isGone = (e: unknown): e is ApiError => isStatus(e, 410);

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';
const PATCH_CONTENT_TYPE: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  patchType?: PatchType;
  signal?: AbortSignal;
  /** Fail if no response headers arrive in this time (ms); default 30 s. */
  timeoutMs?: number;
}

const MAX_429_ATTEMPTS = 10;

/** Retry-After in seconds (the apiserver sends 1), capped so a caller's deadline still rules. */
export function retryAfterMs(header: string | undefined): number {
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 10) * 1000 : 1000;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}

/** How long auth headers from the kubeconfig are reused before being recomputed (token rotation). */
const AUTH_REFRESH_MS = 60_000;

export class KubeClient {
  private authHeaders: Record<string, string> = {};
  private authAt = 0;

  private readonly userAgent: string;
  private readonly metrics: RestMetrics | undefined;

  /** The API server's URL. */
  readonly server: URL;
  /** The kubeconfig context's namespace, if it names one (the ServiceAccount's in a Pod). */
  readonly namespace: string | undefined;

  private constructor(
    private readonly access: ClusterAccess,
    readonly agent: http.Agent,
    o: KubeClientOptions,
  ) {
    this.server = access.server;
    this.namespace = access.namespace;
    this.userAgent = o.userAgent ?? userAgent();
    this.metrics = o.registry === undefined ? undefined : restClientMetrics(o.registry);
  }

  /**
   * From a kubeconfig setting (one path, or a list a:b merged as kubectl merges KUBECONFIG), a
   * kubeconfig document, or the default locations (KUBECONFIG, ~/.kube/config, in-cluster).
   */
  static async create(from?: string | KubeconfigDoc, o: KubeClientOptions = {}): Promise<KubeClient> {
    const access = await accessFromKubeconfig(kubeconfigFor(from, o.context));
    const proxy = proxyFor(access.proxyUrl);
    // Node's agents tunnel through an http(s) proxy themselves (CONNECT for https), with no
    // bypass list: the kubeconfig asked for this proxy for this cluster.
    const agentOpts = {
      keepAlive: true, keepAliveMsecs: 30_000, scheduling: 'lifo' as const,
      ...(proxy !== undefined ? { proxyEnv: { HTTPS_PROXY: proxy, HTTP_PROXY: proxy } } : {}),
    };
    const agent = access.server.protocol === 'https:' ? new https.Agent({ ...agentOpts, ...access.tls }) : new http.Agent(agentOpts);
    const client = new KubeClient(access, agent, o);
    client.setAuth(await access.headers());
    return client;
  }

  close(): void {
    this.agent.destroy();
  }

  private setAuth(h: Record<string, string>): void {
    this.authHeaders = h;
    this.authAt = Date.now();
  }

  private async headers(): Promise<Record<string, string>> {
    if (Date.now() - this.authAt > AUTH_REFRESH_MS) this.setAuth(await this.access.headers());
    return this.authHeaders;
  }

  url(path: string, query?: RequestOptions['query']): URL {
    const u = new URL(path, this.server);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v));
    return u;
  }

  /** Sends a request and resolves with the response once headers arrive (body unread). */
  async open(method: string, path: string, opts: RequestOptions = {}): Promise<http.IncomingMessage> {
    const u = this.url(path, opts.query);
    const body = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    const headers: Record<string, string> = { ...(await this.headers()), Accept: 'application/json', 'User-Agent': this.userAgent };
    if (body) {
      headers['Content-Type'] = opts.patchType ? PATCH_CONTENT_TYPE[opts.patchType] : 'application/json';
      headers['Content-Length'] = String(body.length);
    }
    const mod = u.protocol === 'https:' ? https : http;
    noteApiserverRequest(method, path); // the reconcile's write tally (writetally.ts)
    const started = performance.now();
    const host = u.host;
    return new Promise((resolve, reject) => {
      const req = mod.request(u, { method, headers, agent: this.agent, signal: opts.signal }, resolve);
      const timeout = opts.timeoutMs ?? 30_000;
      const timer = setTimeout(() => req.destroy(new Error(`${method} ${path}: no response in ${timeout} ms`)), timeout);
      let responded = false;
      req.on('response', (res) => {
        responded = true;
        clearTimeout(timer);
        this.metrics?.requests.inc({ code: String(res.statusCode ?? 0), method, host });
        this.metrics?.duration.observe({ verb: method, host }, (performance.now() - started) / 1000);
      });
      req.on('error', (e) => {
        clearTimeout(timer);
        // client-go counts a request that got no response with code "<error>".
        if (!responded) this.metrics?.requests.inc({ code: '<error>', method, host });
        reject(e);
      });
      req.on('socket', (s) => s.setKeepAlive(true, 30_000));
      req.end(body);
    });
  }

  /**
   * A request whose JSON response is returned; non-2xx becomes an ApiError. A 429 (the server
   * did not process the request: priority-and-fairness, or "storage is (re)initializing" while a
   * new CRD's watch cache fills) is retried after its Retry-After, as client-go does.
   */
  async request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const res = await this.open(method, path, opts);
      const text = await readBody(res);
      const status = res.statusCode ?? 0;
      if (status === 429 && attempt < MAX_429_ATTEMPTS && !opts.signal?.aborted) {
        await sleep(retryAfterMs(res.headers['retry-after']), opts.signal);
        continue;
      }
      if (status < 200 || status > 299) throw apiErrorFrom(status, text, method, path);
      return (text ? JSON.parse(text) : {}) as T;
    }
  }

  get<T = unknown>(path: string, opts?: RequestOptions): Promise<T> {
    return this.request<T>('GET', path, opts);
  }
  create<T = unknown>(path: string, body: unknown, opts?: RequestOptions): Promise<T> {
    return this.request<T>('POST', path, { ...opts, body });
  }
  replace<T = unknown>(path: string, body: unknown, opts?: RequestOptions): Promise<T> {
    return this.request<T>('PUT', path, { ...opts, body });
  }
  patch<T = unknown>(path: string, body: unknown, patchType: PatchType = 'merge', opts?: RequestOptions): Promise<T> {
    return this.request<T>('PATCH', path, { ...opts, body, patchType });
  }
  delete<T = unknown>(path: string, opts?: RequestOptions): Promise<T> {
    return this.request<T>('DELETE', path, opts);
  }
}

export function readBody(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

/** Turns a Kubernetes Status body (or any text) into an ApiError. */
export function apiErrorFrom(status: number, text: string, method = '', path = ''): ApiError {
  let reason = '';
  let message = text.slice(0, 500);
  try {
    const s = JSON.parse(text) as { reason?: unknown; message?: unknown };
    if (typeof s.reason === 'string') reason = s.reason;
    if (typeof s.message === 'string') message = s.message;
  } catch {
    // not JSON: keep the text
  }
  return new ApiError(status, reason, `${method} ${path}: ${status} ${reason}: ${message}`.trim(), method, path);
}
