// Typed cloud errors. A reconciler decides from the class (`kind`); status and events show the
// server's own message (`serverMessage`). Mapping follows each API's error envelope
// (cloud-api.md §1.8, §4, §5, §6): VNC plain text, NeutronError, Nova fault, Keystone JSON.

export type CloudAPI = 'keystone' | 'nova' | 'neutron' | 'contrail';

export type CloudErrorKind =
  | 'NotFound' | 'Conflict' | 'IPExhausted' | 'QuotaExceeded' | 'Unauthorized' | 'Forbidden'
  | 'BadRequest' | 'Unavailable' | 'TLS' | 'Config';

export type ConflictKind = 'AlreadyExists' | 'StillReferred' | 'InUse' | 'Other';

export interface CloudErrorInit {
  api: CloudAPI;
  op: string;
  status?: number;
  serverMessage: string;
  /** The server's exception class when it names one (NeutronError.type, Nova fault name). */
  serverType?: string;
  requestId?: string;
  retryAfterMs?: number;
  /** The socket-level code (ECONNREFUSED, ETIMEDOUT, a TLS code) when no HTTP status came back. */
  transportCode?: string;
}

export abstract class CloudError extends Error {
  abstract readonly kind: CloudErrorKind;
  readonly api: CloudAPI;
  readonly op: string;
  readonly status: number | undefined;
  readonly serverMessage: string;
  readonly serverType: string | undefined;
  readonly requestId: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly transportCode: string | undefined;

  constructor(init: CloudErrorInit) {
    const code = init.status === undefined ? '' : ` ${init.status}`;
    super(`${init.api} ${init.op}:${code} ${init.serverMessage}`);
    this.api = init.api;
    this.op = init.op;
    this.status = init.status;
    this.serverMessage = init.serverMessage;
    this.serverType = init.serverType;
    this.requestId = init.requestId;
    this.retryAfterMs = init.retryAfterMs;
    this.transportCode = init.transportCode;
    this.name = new.target.name;
  }

  /** Worth retrying later without any change of spec. */
  get transient(): boolean { return false; }
}

export class NotFound extends CloudError { readonly kind = 'NotFound' as const; }
export class IPExhausted extends CloudError { readonly kind = 'IPExhausted' as const; }
export class QuotaExceeded extends CloudError { readonly kind = 'QuotaExceeded' as const; }
export class Unauthorized extends CloudError { readonly kind = 'Unauthorized' as const; }
export class Forbidden extends CloudError { readonly kind = 'Forbidden' as const; }
export class BadRequest extends CloudError { readonly kind = 'BadRequest' as const; }
/** The certificate chain was not trusted, or the name did not match: a configuration problem. */
export class TLSError extends CloudError { readonly kind = 'TLS' as const; }
/** The Cloud's settings cannot work (no endpoint in the catalog, bad URL): terminal until edited. */
export class ConfigError extends CloudError { readonly kind = 'Config' as const; }

export class Unavailable extends CloudError {
  readonly kind = 'Unavailable' as const;
  override get transient(): boolean { return true; }
}

export class Conflict extends CloudError {
  readonly kind = 'Conflict' as const;
  readonly conflict: ConflictKind;
  constructor(init: CloudErrorInit & { conflict: ConflictKind }) {
    super(init);
    this.conflict = init.conflict;
  }
}

export function isCloudError(e: unknown): e is CloudError { return e instanceof CloudError; }
export function isNotFound(e: unknown): e is NotFound { return e instanceof NotFound; }

/** What the server said, extracted from its envelope; `type` when it names an exception class. */
export interface ServerSays { message: string; type?: string }

const MAX_MESSAGE = 500;

function clip(s: string): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > MAX_MESSAGE ? `${t.slice(0, MAX_MESSAGE)}…` : t;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads the message out of any of the four envelopes; falls back to the (clipped) text. */
export function parseServerMessage(body: string): ServerSays {
  let parsed: unknown;
  try { parsed = JSON.parse(body); } catch { parsed = undefined; }
  if (isRecord(parsed)) {
    const ne = parsed['NeutronError'];
    if (isRecord(ne) && typeof ne['message'] === 'string') {
      return { message: clip(ne['message']), ...(typeof ne['type'] === 'string' ? { type: ne['type'] } : {}) };
    }
    const ke = parsed['error'];
    if (isRecord(ke) && typeof ke['message'] === 'string') {
      return { message: clip(ke['message']), ...(typeof ke['title'] === 'string' ? { type: ke['title'] } : {}) };
    }
    // Nova fault: {"<faultName>": {"code": N, "message": "..."}}
    const keys = Object.keys(parsed);
    if (keys.length === 1) {
      const k = keys[0] as string;
      const f = parsed[k];
      if (isRecord(f) && typeof f['message'] === 'string') return { message: clip(f['message']), type: k };
    }
    if (typeof parsed['message'] === 'string') return { message: clip(parsed['message']) };
  }
  const text = body.replace(/<[^>]*>/g, ' ');
  return { message: clip(text) || '(empty body)' };
}

const VNC_ALREADY_EXISTS = /already exists with (uuid|fq_name)/i;
const VNC_STILL_REFERRED = /still referred|children still present|existing ref to sub interface/i;
const VNC_IN_USE = /already in use/i;
const VNC_EXHAUSTED = /has exhausted subnet/i;
const QUOTA = /quota exceeded|over ?quota|quota.*exceed/i;

function conflictKind(api: CloudAPI, says: ServerSays): ConflictKind {
  const t = says.type ?? '';
  if (api === 'neutron') {
    if (/InUse$|AlreadyAllocated$/.test(t)) return 'InUse';
    if (/Exists$/.test(t)) return 'AlreadyExists';
    return 'Other';
  }
  if (VNC_ALREADY_EXISTS.test(says.message)) return 'AlreadyExists';
  if (VNC_STILL_REFERRED.test(says.message)) return 'StillReferred';
  if (VNC_IN_USE.test(says.message) || /still in use/i.test(says.message)) return 'InUse';
  return 'Other';
}

/** Parses Retry-After (seconds or HTTP date) into milliseconds from `now`. */
export function retryAfterMs(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(header) ? header[0] : header;
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export interface HTTPFailure {
  api: CloudAPI;
  op: string;
  status: number;
  body: string;
  requestId?: string;
  retryAfterMs?: number;
}

/** Maps a non-2xx response to its typed error (pure). */
export function errorFromResponse(f: HTTPFailure): CloudError {
  const says = parseServerMessage(f.body);
  const init: CloudErrorInit = {
    api: f.api, op: f.op, status: f.status, serverMessage: says.message,
    ...(says.type !== undefined ? { serverType: says.type } : {}),
    ...(f.requestId !== undefined ? { requestId: f.requestId } : {}),
    ...(f.retryAfterMs !== undefined ? { retryAfterMs: f.retryAfterMs } : {}),
  };
  const type = says.type ?? '';
  // 429 is a rate limit whatever the body calls it: wait and retry, never a quota problem.
  if (f.status === 429) return new Unavailable(init);
  if (type === 'IpAddressGenerationFailure' || VNC_EXHAUSTED.test(says.message)) return new IPExhausted(init);
  if (type === 'OverQuota' || f.status === 412 || (f.status !== 400 && QUOTA.test(says.message))) {
    return new QuotaExceeded(init);
  }
  switch (f.status) {
    case 400: return new BadRequest(init);
    case 401: return new Unauthorized(init);
    case 403: return new Forbidden(init);
    case 404: return new NotFound(init);
    case 409: return new Conflict({ ...init, conflict: conflictKind(f.api, says) });
    case 413: return new QuotaExceeded(init);
    default:
      if (f.status === 429 || f.status >= 500) return new Unavailable(init);
      return new BadRequest(init);
  }
}

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE', 'CERT_REVOKED',
]);

const TRANSPORT_TEXT: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the server',
  EPIPE: 'connection closed by the server',
  ETIMEDOUT: 'request timed out',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed (temporary)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

/** Maps a failure below HTTP (socket, timeout, TLS) to a typed error; `where` is scheme://host:port. */
export function errorFromTransport(api: CloudAPI, op: string, code: string | undefined, where: string, detail: string): CloudError {
  if (code !== undefined && TLS_CODES.has(code)) {
    return new TLSError({
      api, op, transportCode: code,
      serverMessage: `TLS certificate of ${where} not accepted (${code}: ${clip(detail)}); ` +
        'give the CA that signed it in the Cloud\'s caBundle',
    });
  }
  const text = (code !== undefined ? TRANSPORT_TEXT[code] : undefined) ?? clip(detail);
  return new Unavailable({ api, op, serverMessage: `${text} (${where})`, ...(code !== undefined ? { transportCode: code } : {}) });
}
