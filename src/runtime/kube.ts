// A small Kubernetes HTTP client: credentials from a kubeconfig (via @kubernetes/client-node),
// one keep-alive agent shared by every request and watch, JSON in and out, and errors with the
// API's status code and reason. Raw HTTP because watches must stream and be abortable.
import http from 'node:http';
import https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';

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

  private constructor(
    readonly config: KubeConfig,
    readonly server: URL,
    readonly agent: http.Agent,
  ) {}

  /** From a kubeconfig file path, a loaded KubeConfig, or the default locations. */
  static async create(from?: string | KubeConfig): Promise<KubeClient> {
    const kc = from instanceof KubeConfig ? from : new KubeConfig();
    if (typeof from === 'string') kc.loadFromFile(from);
    else if (from === undefined) kc.loadFromDefault();
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    const server = new URL(cluster.server);
    const opts: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(opts);
    const tls = {
      ca: opts.ca,
      cert: opts.cert,
      key: opts.key,
      ...(opts.rejectUnauthorized !== undefined ? { rejectUnauthorized: opts.rejectUnauthorized } : {}),
      ...(opts.servername ? { servername: opts.servername } : {}),
    };
    const agentOpts = { keepAlive: true, keepAliveMsecs: 30_000, scheduling: 'lifo' as const };
    const agent = server.protocol === 'https:' ? new https.Agent({ ...agentOpts, ...tls }) : new http.Agent(agentOpts);
    const client = new KubeClient(kc, server, agent);
    client.setAuth(opts);
    return client;
  }

  close(): void {
    this.agent.destroy();
  }

  private setAuth(opts: https.RequestOptions): void {
    const h: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) if (typeof v === 'string') h[k] = v;
    if (opts.auth) h.Authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
    this.authHeaders = h;
    this.authAt = Date.now();
  }

  private async headers(): Promise<Record<string, string>> {
    if (Date.now() - this.authAt > AUTH_REFRESH_MS) {
      const opts: https.RequestOptions = {};
      await this.config.applyToHTTPSOptions(opts);
      this.setAuth(opts);
    }
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
    const headers: Record<string, string> = { ...(await this.headers()), Accept: 'application/json' };
    if (body) {
      headers['Content-Type'] = opts.patchType ? PATCH_CONTENT_TYPE[opts.patchType] : 'application/json';
      headers['Content-Length'] = String(body.length);
    }
    const mod = u.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(u, { method, headers, agent: this.agent, signal: opts.signal }, resolve);
      const timeout = opts.timeoutMs ?? 30_000;
      const timer = setTimeout(() => req.destroy(new Error(`${method} ${path}: no response in ${timeout} ms`)), timeout);
      req.on('response', () => clearTimeout(timer));
      req.on('error', (e) => {
        clearTimeout(timer);
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
