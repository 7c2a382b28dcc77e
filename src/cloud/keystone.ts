// Keystone v3: password or application-credential auth, one project-scoped token per project
// (LRU-cached, renewed before expires_at, concurrent callers share one auth), catalog endpoint
// discovery, and `session(scope)`: a transport that adds X-Auth-Token and re-authenticates once on
// 401. Credentials and tokens live only in this object's memory and are registered as secrets
// with the HTTP client so no error or log line can carry them.
import { LRUCache } from 'lru-cache';
import { ConfigError, Unauthorized, type CloudError } from './errors.js';
import type { CloudHTTP, CloudRequest, CloudResponse } from './http.js';

export type Credentials =
  | { kind: 'password'; username: string; password: string; userDomain?: string }
  | { kind: 'applicationCredential'; id: string; secret: string }
  | { kind: 'applicationCredential'; name: string; secret: string; username: string; userDomain?: string };

export interface ProjectScope {
  /** Project name (with `domain`) or id. */
  name?: string;
  id?: string;
  domain?: string;
}

export type EndpointInterface = 'public' | 'internal' | 'admin';

export interface CatalogEndpoint { id?: string; interface: string; region?: string; region_id?: string; url: string }
export interface CatalogEntry { type: string; name?: string; id?: string; endpoints: CatalogEndpoint[] }

export interface Token {
  readonly value: string;
  readonly expiresAt: number;
  readonly issuedAt: number;
  readonly projectId: string | undefined;
  readonly projectName: string | undefined;
  readonly roles: readonly string[];
  readonly catalog: readonly CatalogEntry[];
}

interface TokenBody {
  token: {
    expires_at: string;
    project?: { id: string; name: string };
    roles?: { id: string; name: string }[];
    catalog?: CatalogEntry[];
  };
}

export interface KeystoneOptions {
  /** `https://keystone:5000/v3` or the bare base; `/v3` is appended when missing. */
  authURL: string;
  credentials: Credentials;
  http: CloudHTTP;
  /** Region and interface used by `endpoint()` when the caller gives none. */
  region?: string;
  interface?: EndpointInterface;
  /** Renew this long before expires_at (default 5 min, at most half the token lifetime). */
  renewBeforeMs?: number;
  maxProjects?: number;
  now?: () => number;
}

/** A transport bound to one project: what the Nova, Neutron and Contrail clients use. */
export interface Session {
  request<T = unknown>(req: CloudRequest): Promise<CloudResponse<T>>;
  token(): Promise<Token>;
  endpoint(type: string, opts?: { region?: string; interface?: EndpointInterface }): Promise<string>;
}

export function v3URL(authURL: string): string {
  const base = authURL.replace(/\/+$/, '');
  return /\/v3$/.test(base) ? base : `${base}/v3`;
}

/** Picks an endpoint URL from a catalog (pure). Throws ConfigError naming what was missing. */
export function findEndpoint(catalog: readonly CatalogEntry[], type: string, region: string | undefined, iface: EndpointInterface): string {
  const service = catalog.find((s) => s.type === type);
  if (service === undefined) {
    throw new ConfigError({ api: 'keystone', op: 'catalog', serverMessage: `no service of type ${type} in the Keystone catalog (have: ${catalog.map((s) => s.type).join(', ') || 'none'})` });
  }
  const ep = service.endpoints.find((e) => e.interface === iface && (region === undefined || e.region_id === region || e.region === region));
  if (ep === undefined) {
    throw new ConfigError({ api: 'keystone', op: 'catalog', serverMessage: `no ${iface} endpoint for ${type}${region !== undefined ? ` in region ${region}` : ''} in the Keystone catalog` });
  }
  return ep.url.replace(/\/+$/, '');
}

export function scopeKey(scope: ProjectScope): string {
  if (scope.id !== undefined) return `id:${scope.id}`;
  return `name:${scope.domain ?? 'Default'}/${scope.name ?? ''}`;
}

/** The auth request body (pure). Application credentials carry their own scope. */
export function authBody(c: Credentials, scope: ProjectScope | undefined): unknown {
  if (c.kind === 'applicationCredential') {
    const ac = 'id' in c ? { id: c.id, secret: c.secret }
      : { name: c.name, secret: c.secret, user: { name: c.username, domain: domainRef(c.userDomain) } };
    return { auth: { identity: { methods: ['application_credential'], application_credential: ac } } };
  }
  const identity = {
    methods: ['password'],
    password: { user: { name: c.username, domain: domainRef(c.userDomain), password: c.password } },
  };
  if (scope === undefined) return { auth: { identity } };
  const project = scope.id !== undefined ? { id: scope.id } : { name: scope.name, domain: domainRef(scope.domain) };
  return { auth: { identity, scope: { project } } };
}

/** `default` (or nothing) is the id of Keystone's built-in domain; anything else is a name. */
function domainRef(d: string | undefined): { id: string } | { name: string } {
  return d === undefined || d === 'default' ? { id: 'default' } : { name: d };
}

export class Keystone {
  readonly authURL: string;
  private readonly http: CloudHTTP;
  private readonly credentials: Credentials;
  private readonly tokens: LRUCache<string, Token>;
  private readonly inflight = new Map<string, Promise<Token>>();
  private readonly renewBeforeMs: number;
  private readonly now: () => number;
  readonly region: string | undefined;
  readonly iface: EndpointInterface;

  constructor(opts: KeystoneOptions) {
    this.authURL = v3URL(opts.authURL);
    this.http = opts.http;
    this.credentials = opts.credentials;
    this.renewBeforeMs = opts.renewBeforeMs ?? 5 * 60_000;
    this.now = opts.now ?? Date.now;
    this.region = opts.region;
    this.iface = opts.interface ?? 'public';
    // An evicted token is never sent again: stop scrubbing for it so the secret set stays small.
    this.tokens = new LRUCache({ max: opts.maxProjects ?? 100, dispose: (t, _k, reason) => { if (reason === 'evict') this.http.forgetSecret(t.value); } });
    this.http.addSecret(opts.credentials.kind === 'password' ? opts.credentials.password : opts.credentials.secret);
  }

  /** A valid token for the project: cached, renewed ahead of expiry, one auth in flight per project. */
  async token(scope: ProjectScope): Promise<Token> {
    const key = this.credentials.kind === 'applicationCredential' ? 'appcred' : scopeKey(scope);
    const cached = this.tokens.get(key);
    if (cached !== undefined && !this.needsRenewal(cached)) return cached;
    let p = this.inflight.get(key);
    if (p === undefined) {
      p = this.authenticate(scope).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    const fresh = await p;
    if (cached !== undefined && cached.value !== fresh.value) this.http.forgetSecret(cached.value);
    this.tokens.set(key, fresh);
    return fresh;
  }

  /** Drops a token the server rejected, so the next call re-authenticates. */
  invalidate(scope: ProjectScope, token: Token): void {
    const key = this.credentials.kind === 'applicationCredential' ? 'appcred' : scopeKey(scope);
    if (this.tokens.get(key)?.value === token.value) this.tokens.delete(key);
  }

  /** Renew ahead of expiry, but never earlier than half-way through a (short) lifetime. */
  needsRenewal(t: Token): boolean {
    const margin = Math.min(this.renewBeforeMs, (t.expiresAt - t.issuedAt) / 2);
    return this.now() >= t.expiresAt - margin;
  }

  async endpoint(scope: ProjectScope, type: string, opts: { region?: string; interface?: EndpointInterface } = {}): Promise<string> {
    const t = await this.token(scope);
    return findEndpoint(t.catalog, type, opts.region ?? this.region, opts.interface ?? this.iface);
  }

  session(scope: ProjectScope): Session {
    return {
      request: <T>(req: CloudRequest) => this.authedRequest<T>(scope, req),
      token: () => this.token(scope),
      endpoint: (type, opts) => this.endpoint(scope, type, opts),
    };
  }

  /** Sends with X-Auth-Token; on 401 re-authenticates once and resends, then gives a clear error. */
  async authedRequest<T>(scope: ProjectScope, req: CloudRequest): Promise<CloudResponse<T>> {
    const first = await this.token(scope);
    try {
      return await this.http.request<T>(withToken(req, first.value));
    } catch (e) {
      if (!(e instanceof Unauthorized)) throw e;
      this.invalidate(scope, first);
    }
    const second = await this.token(scope);
    try {
      return await this.http.request<T>(withToken(req, second.value));
    } catch (e) {
      if (!(e instanceof Unauthorized)) throw e;
      this.invalidate(scope, second);
      throw new Unauthorized({
        api: e.api, op: e.op, status: 401,
        serverMessage: `token rejected again right after re-authentication: ${e.serverMessage}`,
        ...(e.requestId !== undefined ? { requestId: e.requestId } : {}),
      });
    }
  }

  private async authenticate(scope: ProjectScope): Promise<Token> {
    let res: CloudResponse<TokenBody>;
    try {
      res = await this.http.request<TokenBody>({
        api: 'keystone', op: 'authenticate', method: 'POST', url: `${this.authURL}/auth/tokens`,
        json: authBody(this.credentials, scope), retry: true,
      });
    } catch (e) {
      throw explainAuthFailure(e, this.credentials);
    }
    const header = res.headers['x-subject-token'];
    const value = Array.isArray(header) ? header[0] : header;
    const body = res.body?.token;
    if (value === undefined || body === undefined || typeof body.expires_at !== 'string') {
      throw new Unauthorized({ api: 'keystone', op: 'authenticate', status: res.status, serverMessage: 'Keystone answered without X-Subject-Token or token body' });
    }
    this.http.addSecret(value);
    const issuedAt = this.now();
    const expiresAt = Date.parse(body.expires_at);
    return {
      value, issuedAt,
      expiresAt: Number.isNaN(expiresAt) ? issuedAt + 60_000 : expiresAt,
      projectId: body.project?.id,
      projectName: body.project?.name,
      roles: (body.roles ?? []).map((r) => r.name),
      catalog: body.catalog ?? [],
    };
  }
}

function withToken(req: CloudRequest, token: string): CloudRequest {
  return { ...req, headers: { ...req.headers, 'x-auth-token': token } };
}

/** A 401 on auth means the credentials: say which user, never the secret. */
function explainAuthFailure(e: unknown, c: Credentials): unknown {
  if (!(e instanceof Unauthorized)) return e;
  const who = c.kind === 'password' ? `user ${c.username}` : `application credential ${'id' in c ? c.id : c.name}`;
  const err: CloudError = new Unauthorized({
    api: 'keystone', op: 'authenticate', status: 401,
    serverMessage: `Keystone rejected the credentials of ${who} (check the Cloud's credentials Secret): ${e.serverMessage}`,
    ...(e.requestId !== undefined ? { requestId: e.requestId } : {}),
  });
  return err;
}
