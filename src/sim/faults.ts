// Fault injection and rate limiting for the control API. A fault matches requests by API, method
// and route template, fires with a probability (drawn from the seeded stream, so runs repeat) and
// is bounded by a count and/or a duration. It can delay, answer an error status in the API's own
// wire format (429/503 with Retry-After), or hang and then drop the connection. It can also answer
// a malformed response (`malformed`): broken JSON, an HTML error page from a proxy, a JSON document
// cut short, or a body in the wrong content type — what a client meets behind a sick load balancer.
// And it can lose the reply (`lostReply`): the request is carried out — the handler runs and its
// change is made — but the answer never arrives: the connection is held for `hangMs` (0: at once)
// and then reset. The client sees a timeout or a reset for a write that DID happen, as behind a
// proxy that times out a slow compute call (Nova's interface attach under load).
import { ApiError, type ApiName, type Reply } from './http.js';
import type { Random } from './rand.js';
import { isObject } from './store.js';

export interface Latency { fixedMs?: number; minMs?: number; maxMs?: number; meanMs?: number; stddevMs?: number }

export interface FaultSpec {
  api: ApiName | '*';
  method: string; // '*' for any
  route: string; // template, '*' for any, a trailing '*' matches a prefix
  status?: number;
  message?: string;
  retryAfter?: number;
  latency?: Latency;
  timeout?: { hangMs: number };
  malformed?: MalformedKind;
  /** run the handler, then hold the connection for hangMs and reset it: the reply is lost */
  lostReply?: { hangMs: number };
  probability: number;
  count?: number;
  until?: number; // epoch ms
}

export interface Fault extends FaultSpec { id: string; fired: number; seen: number }

export type FaultAction = { delayMs: number; error?: ApiError; drop?: { hangMs: number }; reply?: Reply; lostReply?: { hangMs: number } };

export const MALFORMED_KINDS = ['json', 'html', 'truncated', 'content-type'] as const;
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

/**
 * The reply for a malformed-response fault. The status is the fault's (default 200 for the body
 * kinds — a success status with a body that cannot be used is the hardest case — and 502 for the
 * proxy's HTML page).
 */
export function malformedReply(kind: MalformedKind, status: number | undefined): Reply {
  switch (kind) {
    case 'json':
      return { status: status ?? 200, contentType: 'application/json', body: '{"server": {"id": "0b1c", "status": ACTIVE,, ' };
    case 'html':
      return { status: status ?? 502, contentType: 'text/html; charset=UTF-8', body: '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n' };
    case 'truncated': {
      const whole = JSON.stringify({ items: [{ id: '7d0c8f2e-0f6a-4c1e-9a57-1f0e6b1c2d3e', name: 'cut', status: 'ACTIVE' }, { id: '8e1d', name: 'short' }] });
      return { status: status ?? 200, contentType: 'application/json', body: whole.slice(0, Math.floor(whole.length / 2)) };
    }
    case 'content-type':
      return { status: status ?? 200, contentType: 'application/xml', body: '<?xml version="1.0" encoding="UTF-8"?><error><code>200</code><message>not JSON</message></error>' };
  }
}

const APIS = ['keystone', 'nova', 'neutron', 'contrail', 'analytics', '*'];

/** Validates a POST /sim/faults body; throws ApiError(400) with the offending field. */
export function parseFault(b: unknown, now: number): FaultSpec {
  if (!isObject(b)) throw new ApiError(400, 'fault must be a JSON object');
  const api = b['api'] ?? '*';
  if (typeof api !== 'string' || !APIS.includes(api)) throw new ApiError(400, `api must be one of ${APIS.join(', ')}`);
  const str = (k: string, d: string): string => {
    const v = b[k] ?? d;
    if (typeof v !== 'string') throw new ApiError(400, `${k} must be a string`);
    return v;
  };
  const num = (k: string, v: unknown, min: number, max: number): number | undefined => {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new ApiError(400, `${k} must be a number in [${min}, ${max}]`);
    return v;
  };
  const spec: FaultSpec = {
    api: api as FaultSpec['api'], method: str('method', '*').toUpperCase(), route: str('route', '*'),
    probability: num('probability', b['probability'] ?? b['rate'], 0, 1) ?? 1,
  };
  const status = num('status', b['status'], 100, 599);
  if (status !== undefined) spec.status = status;
  if (b['message'] !== undefined) spec.message = str('message', '');
  const ra = num('retryAfter', b['retryAfter'], 0, 86400);
  if (ra !== undefined) spec.retryAfter = ra;
  else if (status === 429 || status === 503) spec.retryAfter = 1;
  if (b['latencyMs'] !== undefined || b['latency'] !== undefined) {
    const l = b['latency'] ?? { fixedMs: b['latencyMs'] };
    if (!isObject(l)) throw new ApiError(400, 'latency must be an object {fixedMs|minMs,maxMs|meanMs,stddevMs}');
    const lat: Latency = {};
    for (const k of ['fixedMs', 'minMs', 'maxMs', 'meanMs', 'stddevMs'] as const) {
      const v = num(`latency.${k}`, l[k], 0, 600_000);
      if (v !== undefined) lat[k] = v;
    }
    spec.latency = lat;
  }
  if (b['timeout'] !== undefined && b['timeout'] !== false) {
    const t = b['timeout'];
    const hang = t === true ? 30_000 : isObject(t) ? num('timeout.hangMs', t['hangMs'], 0, 600_000) ?? 30_000 : undefined;
    if (hang === undefined) throw new ApiError(400, 'timeout must be true or {hangMs}');
    spec.timeout = { hangMs: hang };
  }
  if (b['malformed'] !== undefined) {
    const m = b['malformed'];
    if (typeof m !== 'string' || !(MALFORMED_KINDS as readonly string[]).includes(m)) throw new ApiError(400, `malformed must be one of ${MALFORMED_KINDS.join(', ')}`);
    spec.malformed = m as MalformedKind;
  }
  if (b['lostReply'] !== undefined && b['lostReply'] !== false) {
    const l = b['lostReply'];
    const hang = l === true ? 0 : isObject(l) ? num('lostReply.hangMs', l['hangMs'], 0, 600_000) ?? 0 : undefined;
    if (hang === undefined) throw new ApiError(400, 'lostReply must be true or {hangMs}');
    if (spec.status !== undefined || spec.timeout !== undefined || spec.malformed !== undefined) {
      throw new ApiError(400, 'lostReply runs the request and drops its reply: it takes no status, timeout or malformed');
    }
    spec.lostReply = { hangMs: hang };
  }
  if (spec.status === undefined && spec.latency === undefined && spec.timeout === undefined && spec.malformed === undefined && spec.lostReply === undefined) {
    throw new ApiError(400, 'a fault needs status, latency, timeout, malformed or lostReply');
  }
  const count = num('count', b['count'], 1, 1e9);
  if (count !== undefined) spec.count = count;
  const dur = num('durationMs', b['durationMs'], 1, 86_400_000);
  if (dur !== undefined) spec.until = now + dur;
  return spec;
}

function routeMatches(pattern: string, route: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('*')) return route.startsWith(pattern.slice(0, -1));
  return pattern === route;
}

export class Faults {
  private list: Fault[] = [];
  private nextId = 1;

  constructor(private readonly random: Random) {}

  add(spec: FaultSpec): Fault {
    const f: Fault = { ...spec, id: String(this.nextId++), fired: 0, seen: 0 };
    this.list.push(f);
    return f;
  }

  clear(id?: string): number {
    const before = this.list.length;
    this.list = id === undefined ? [] : this.list.filter((f) => f.id !== id);
    return before - this.list.length;
  }

  all(): Fault[] {
    return this.list;
  }

  private latencyOf(l: Latency): number {
    if (l.fixedMs !== undefined) return l.fixedMs;
    if (l.minMs !== undefined || l.maxMs !== undefined) {
      const a = l.minMs ?? 0;
      const b = l.maxMs ?? a;
      return a + this.random.float() * (b - a);
    }
    if (l.meanMs !== undefined) {
      // Box–Muller from the seeded stream.
      const u = Math.max(this.random.float(), 1e-12);
      const v = this.random.float();
      const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
      return Math.max(0, l.meanMs + z * (l.stddevMs ?? 0));
    }
    return 0;
  }

  /** Decides what happens to one request. */
  decide(api: ApiName, method: string, route: string, now: number): FaultAction | undefined {
    if (this.list.length === 0) return undefined;
    let action: FaultAction | undefined;
    for (const f of this.list) {
      if (f.until !== undefined && now >= f.until) continue;
      if (f.count !== undefined && f.fired >= f.count) continue;
      if (f.api !== '*' && f.api !== api) continue;
      if (f.method !== '*' && f.method !== method) continue;
      if (!routeMatches(f.route, route)) continue;
      f.seen++;
      if (f.probability < 1 && this.random.float() >= f.probability) continue;
      f.fired++;
      action ??= { delayMs: 0 };
      if (f.latency !== undefined) action.delayMs += this.latencyOf(f.latency);
      if (f.timeout !== undefined && action.drop === undefined && action.error === undefined) action.drop = f.timeout;
      // A fault that answers instead (error, drop, malformed) wins: then the handler never runs.
      if (f.lostReply !== undefined) { action.lostReply ??= f.lostReply; continue; }
      if (f.malformed !== undefined && action.error === undefined && action.drop === undefined && action.reply === undefined) {
        action.reply = malformedReply(f.malformed, f.status);
        continue;
      }
      if (f.status !== undefined && action.error === undefined && action.drop === undefined && action.reply === undefined) {
        const headers: Record<string, string> = {};
        if (f.retryAfter !== undefined) headers['Retry-After'] = String(f.retryAfter);
        action.error = new ApiError(f.status, f.message ?? defaultMessage(f.status), undefined, headers);
      }
    }
    this.list = this.list.filter((f) => (f.until === undefined || now < f.until) && (f.count === undefined || f.fired < f.count));
    return action;
  }
}

function defaultMessage(status: number): string {
  const m: Record<number, string> = {
    400: 'Bad Request (injected)', 401: 'The request you have made requires authentication.', 403: 'Permission Denied (injected)',
    404: 'Not Found (injected)', 409: 'Conflict (injected)', 429: 'Too Many Requests (injected)',
    500: 'Internal Server Error (injected)', 502: 'Bad Gateway (injected)', 503: 'Service Unavailable (injected)',
  };
  return m[status] ?? `Injected fault ${status}`;
}

/** A token bucket per API: requests/s with a burst of one second's worth. */
export class RateLimits {
  private readonly buckets = new Map<string, { rps: number; tokens: number; last: number }>();

  set(api: string, rps: number | undefined): void {
    if (rps === undefined || rps <= 0) this.buckets.delete(api);
    else this.buckets.set(api, { rps, tokens: rps, last: performance.now() });
  }

  limits(): Record<string, number> {
    return Object.fromEntries([...this.buckets.entries()].map(([k, b]) => [k, b.rps]));
  }

  /** True when the request may pass. */
  take(api: string): boolean {
    const b = this.buckets.get(api);
    if (b === undefined) return true;
    const now = performance.now();
    b.tokens = Math.min(b.rps, b.tokens + ((now - b.last) / 1000) * b.rps);
    b.last = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}
