// One HTTP client per Cloud: got with keep-alive agents, per-request timeouts, TLS verification
// against the Cloud's CA bundle, request IDs, metrics, and a FEW retries for idempotent methods
// (the work queue's per-object backoff owns the rest). Every failure becomes a typed CloudError
// whose text has every registered secret scrubbed out.
import http from 'node:http';
import https from 'node:https';
import { randomUUID } from 'node:crypto';
import got, { RequestError, type Got, type Response } from 'got';
import { Counter, Histogram, register as globalRegistry, type Registry } from 'prom-client';
import winston from 'winston';
import { noteCloudRequest } from '../runtime/writetally.js';
import { CloudError, errorFromResponse, errorFromTransport, retryAfterMs, Unavailable, type CloudAPI } from './errors.js';

export type HTTPMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

export interface CloudHTTPOptions {
  /** The Cloud's name: the `cloud` label of every metric. */
  cloud: string;
  /** PEM CA bundle to trust (in addition to nothing else: it replaces the system store). */
  caBundle?: string;
  /** Turns TLS verification off. Callers surface this as a warning condition. */
  insecureSkipVerify?: boolean;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
  /** Retries for GET/PUT/DELETE on 429/502/503/504 and connection errors (default 2). */
  retries?: number;
  /** A Retry-After longer than this is not waited for here; the error carries it (default 10 s). */
  maxRetryAfterMs?: number;
  /** First retry delay when the server gives no Retry-After (default 200 ms, doubling). */
  retryBaseMs?: number;
  userAgent?: string;
  maxSockets?: number;
  logger?: winston.Logger;
  registry?: Registry;
  /** What a successful request wrote, for one info log line (src/cloud/writelog.ts); undefined: nothing to log. */
  describeWrite?: (req: CloudRequest, body: unknown) => { message: string; fields: Record<string, string> } | undefined;
}

export interface CloudRequest {
  api: CloudAPI;
  /** A short operation name (`createPort`, `list:virtual-machine-interface`): a metric label. */
  op: string;
  method: HTTPMethod;
  url: string;
  headers?: Record<string, string>;
  json?: unknown;
  timeoutMs?: number;
  /** Override the idempotency rule (e.g. a POST action that is safe to repeat). */
  retry?: boolean;
}

export interface CloudResponse<T = unknown> {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: T;
  /** The server's request id when it sent one, else ours. */
  requestId: string;
}

const IDEMPOTENT = new Set<HTTPMethod>(['GET', 'PUT', 'DELETE']);
const RETRY_STATUS = new Set([429, 502, 503, 504]);
const RETRY_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN']);
const DEFAULT_UA = 'contrail-lb-operator/0.1 (+got)';

interface Metrics { requests: Counter<'cloud' | 'api' | 'op' | 'code'>; duration: Histogram<'cloud' | 'api' | 'op'> }

/** prom-client refuses a second registration of a name; clouds share one set per registry. */
function metricsFor(registry: Registry): Metrics {
  const requests = registry.getSingleMetric('lbop_cloud_api_requests_total') as Metrics['requests'] | undefined
    ?? new Counter({
      name: 'lbop_cloud_api_requests_total', help: 'Cloud API requests by outcome (HTTP status or transport error)',
      labelNames: ['cloud', 'api', 'op', 'code'] as const, registers: [registry],
    });
  const duration = registry.getSingleMetric('lbop_cloud_api_request_duration_seconds') as Metrics['duration'] | undefined
    ?? new Histogram({
      name: 'lbop_cloud_api_request_duration_seconds', help: 'Cloud API request latency, per attempt',
      labelNames: ['cloud', 'api', 'op'] as const, registers: [registry],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    });
  return { requests, duration };
}

function silentLogger(): winston.Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}

function sleep(ms: number): Promise<void> { return new Promise((r) => setTimeout(r, ms)); }

function origin(url: string): string {
  try { return new URL(url).origin; } catch { return '(bad URL)'; }
}

/** Path without query, for logs: ids are fine, query values are not logged. */
function pathOf(url: string): string {
  try { return new URL(url).pathname; } catch { return '(bad URL)'; }
}

export class CloudHTTP {
  readonly cloud: string;
  readonly insecure: boolean;
  private readonly got: Got;
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly metrics: Metrics;
  private readonly log: winston.Logger;
  private readonly secrets = new Set<string>();
  private readonly retries: number;
  private readonly maxRetryAfterMs: number;
  private readonly retryBaseMs: number;
  private readonly timeoutMs: number;
  private readonly describeWrite: CloudHTTPOptions['describeWrite'];

  constructor(opts: CloudHTTPOptions) {
    this.describeWrite = opts.describeWrite;
    this.cloud = opts.cloud;
    this.insecure = opts.insecureSkipVerify === true;
    this.retries = opts.retries ?? 2;
    this.maxRetryAfterMs = opts.maxRetryAfterMs ?? 10_000;
    this.retryBaseMs = opts.retryBaseMs ?? 200;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.log = opts.logger ?? silentLogger();
    this.metrics = metricsFor(opts.registry ?? globalRegistry);
    const maxSockets = opts.maxSockets ?? 16;
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets });
    this.httpsAgent = new https.Agent({
      keepAlive: true, maxSockets,
      ...(opts.caBundle !== undefined ? { ca: opts.caBundle } : {}),
      rejectUnauthorized: !this.insecure,
    });
    if (this.insecure) {
      this.log.warn('TLS verification is OFF for this cloud (insecureSkipVerify)', { cloud: this.cloud });
    }
    this.got = got.extend({
      agent: { http: this.httpAgent, https: this.httpsAgent },
      https: {
        rejectUnauthorized: !this.insecure,
        ...(opts.caBundle !== undefined ? { certificateAuthority: opts.caBundle } : {}),
      },
      headers: { 'user-agent': opts.userAgent ?? DEFAULT_UA, accept: 'application/json' },
      retry: { limit: 0 },
      throwHttpErrors: false,
      followRedirect: false,
      responseType: 'text',
    });
  }

  /** Registers a value (password, token) that must never appear in an error or log line. */
  addSecret(value: string): void { if (value.length >= 4) this.secrets.add(value); }
  forgetSecret(value: string): void { this.secrets.delete(value); }

  scrub(text: string): string {
    let out = text;
    for (const s of this.secrets) if (out.includes(s)) out = out.split(s).join('***');
    return out;
  }

  /** Sends one request (with the few allowed retries) and parses a JSON body; throws CloudError. */
  async request<T = unknown>(req: CloudRequest): Promise<CloudResponse<T>> {
    const canRetry = req.retry ?? IDEMPOTENT.has(req.method);
    const ourId = `req-${randomUUID()}`;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once<T>(req, ourId);
      } catch (e) {
        const err = e instanceof CloudError ? e : this.unexpected(req, e);
        const retryable = err instanceof Unavailable && canRetry && attempt < this.retries
          && (err.status === undefined ? isRetryableTransport(err) : RETRY_STATUS.has(err.status));
        if (!retryable) throw err;
        const wait = err.retryAfterMs ?? this.retryBaseMs * 2 ** attempt * (0.5 + Math.random() / 2);
        if (wait > this.maxRetryAfterMs) throw err;
        this.log.debug('cloud request retry', { cloud: this.cloud, api: req.api, op: req.op, attempt: attempt + 1, waitMs: Math.round(wait) });
        await sleep(wait);
      }
    }
  }

  private async once<T>(req: CloudRequest, ourId: string): Promise<CloudResponse<T>> {
    const end = this.metrics.duration.startTimer({ cloud: this.cloud, api: req.api, op: req.op });
    noteCloudRequest(req.api, req.method, req.url); // the reconcile's write tally (runtime/writetally.ts)
    let res: Response<string>;
    try {
      res = await this.got(req.url, {
        method: req.method,
        headers: { 'x-openstack-request-id': ourId, ...req.headers },
        ...(req.json !== undefined ? { json: req.json } : {}),
        timeout: { request: req.timeoutMs ?? this.timeoutMs },
      });
    } catch (e) {
      end();
      const code = e instanceof RequestError ? (e.name === 'TimeoutError' ? 'ETIMEDOUT' : e.code) : undefined;
      this.metrics.requests.inc({ cloud: this.cloud, api: req.api, op: req.op, code: code ?? 'error' });
      const detail = this.scrub(e instanceof Error ? e.message : String(e));
      const err = errorFromTransport(req.api, req.op, code, origin(req.url), detail);
      this.log.warn('cloud request failed', { cloud: this.cloud, api: req.api, op: req.op, method: req.method, path: pathOf(req.url), code, requestId: ourId, error: err.message });
      throw err;
    }
    end();
    const status = res.statusCode;
    this.metrics.requests.inc({ cloud: this.cloud, api: req.api, op: req.op, code: String(status) });
    const serverId = res.headers['x-openstack-request-id'] ?? res.headers['x-compute-request-id'];
    const requestId = (Array.isArray(serverId) ? serverId[0] : serverId) ?? ourId;
    if (status < 200 || status >= 300) {
      const err = errorFromResponse({
        api: req.api, op: req.op, status, body: this.scrub(res.body), requestId,
        ...(status === 429 || status === 503 ? optional(retryAfterMs(res.headers['retry-after'])) : {}),
      });
      this.log.log(status >= 500 || status === 429 ? 'warn' : 'debug', 'cloud request error', {
        cloud: this.cloud, api: req.api, op: req.op, method: req.method, path: pathOf(req.url), status, requestId, error: err.message,
      });
      throw err;
    }
    this.log.debug('cloud request', { cloud: this.cloud, api: req.api, op: req.op, method: req.method, path: pathOf(req.url), status, requestId });
    const body = this.parse<T>(req, res.body, status, requestId);
    const written = this.describeWrite?.(req, body);
    if (written !== undefined) this.log.info(written.message, { cloud: this.cloud, ...written.fields, requestId });
    return { status, headers: res.headers, body, requestId };
  }

  private parse<T>(req: CloudRequest, body: string, status: number, requestId: string): T {
    if (body.trim() === '') return undefined as T;
    try {
      return JSON.parse(body) as T;
    } catch {
      // A 2xx that is not JSON: a proxy page or a broken server; transient from our side.
      throw new Unavailable({
        api: req.api, op: req.op, status, requestId,
        serverMessage: `response is not JSON: ${this.scrub(body).replace(/\s+/g, ' ').slice(0, 120)}`,
      });
    }
  }

  private unexpected(req: CloudRequest, e: unknown): CloudError {
    return new Unavailable({ api: req.api, op: req.op, serverMessage: this.scrub(e instanceof Error ? e.message : String(e)) });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

function optional(ms: number | undefined): { retryAfterMs?: number } {
  return ms === undefined ? {} : { retryAfterMs: ms };
}

function isRetryableTransport(err: CloudError): boolean {
  return err.transportCode !== undefined && RETRY_CODES.has(err.transportCode);
}
