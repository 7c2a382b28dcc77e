// Keystone v3 (cloud-api.md §4): password authentication with project scope, tokens in
// X-Subject-Token, a catalog pointing at the simulator's own endpoints, token validation.
import { ApiError, Router, type Reply, type Request } from './http.js';
import type { Sim } from './context.js';
import { isObject } from './store.js';
import { nowIsoZ, type Random } from './rand.js';

export interface Project { id: string; name: string; domainId: string; description: string; enabled: boolean }
export interface User { id: string; name: string; password: string; domainId: string; roles: Map<string, string[]> }
/** An application credential: bound to its user and one project, scoped by itself. */
export interface AppCredential { id: string; name: string; secret: string; user: User; projectId: string; roles: string[] }
export interface Token {
  id: string;
  user: User;
  project?: Project;
  roles: string[];
  issuedAt: Date;
  expiresAt: Date;
  auditId: string;
  methods?: string[];
}

export const UNAUTHORIZED = 'The request you have made requires authentication.';
const CLIENT_ERROR = 'The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.';

export class Identity {
  readonly domain = { id: 'default', name: 'Default' };
  readonly projects = new Map<string, Project>();
  readonly users = new Map<string, User>();
  readonly roleIds = new Map<string, string>();
  readonly tokens = new Map<string, Token>();
  readonly appCredentials = new Map<string, AppCredential>();

  constructor(private readonly random: Random) {}

  roleId(name: string): string {
    let id = this.roleIds.get(name);
    if (id === undefined) this.roleIds.set(name, (id = this.random.hex(32)));
    return id;
  }

  projectByName(name: string): Project | undefined {
    for (const p of this.projects.values()) if (p.name === name) return p;
    return undefined;
  }

  private domainMatches(d: unknown): boolean {
    if (!isObject(d)) return false;
    if (typeof d['id'] === 'string') return d['id'] === this.domain.id;
    return d['name'] === this.domain.name;
  }

  /** POST /v3/auth/tokens; throws ApiError(400/401). */
  authenticate(body: unknown, lifetimeSeconds: number): Token {
    const auth = isObject(body) ? body['auth'] : undefined;
    const identity = isObject(auth) ? auth['identity'] : undefined;
    // Keystone's jsonschema messages start with the failing rule.
    if (!isObject(auth)) throw new ApiError(400, "'auth' is a required property");
    if (!isObject(identity)) throw new ApiError(400, "'identity' is a required property");
    const methods = identity['methods'];
    if (!Array.isArray(methods) || methods.length === 0 || !methods.every((m) => typeof m === 'string')) {
      throw new ApiError(400, "'methods' is a required property (a non-empty list of strings)");
    }
    for (const m of methods as string[]) {
      if (!(m in identity)) throw new ApiError(400, `Expecting to find ${m} in identity. ${CLIENT_ERROR}`);
    }
    let user: User | undefined;
    if (methods.includes('password')) {
      const pw = isObject(identity['password']) ? identity['password']['user'] : undefined;
      if (!isObject(pw)) throw new ApiError(400, "Invalid input for field 'identity/password/user'", 'Bad Request');
      for (const u of this.users.values()) {
        const byId = typeof pw['id'] === 'string' && pw['id'] === u.id;
        const byName = pw['name'] === u.name && this.domainMatches(pw['domain']);
        if (byId || byName) user = u;
      }
      if (user === undefined || pw['password'] !== user.password) throw new ApiError(401, UNAUTHORIZED);
    } else if (methods.includes('application_credential')) {
      const ac = this.appCredential(identity['application_credential']);
      const project = this.projects.get(ac.projectId);
      if (project === undefined) throw new ApiError(401, UNAUTHORIZED);
      if (auth['scope'] !== undefined && auth['scope'] !== null) {
        throw new ApiError(401, 'Application credentials cannot request a scope.');
      }
      return this.issue(ac.user, project, ac.roles, lifetimeSeconds, ['application_credential']);
    } else if (methods.includes('token')) {
      const t = isObject(identity['token']) ? identity['token']['id'] : undefined;
      const old = typeof t === 'string' ? this.validate(t) : undefined;
      if (old === undefined) throw new ApiError(401, UNAUTHORIZED);
      user = old.user;
    } else {
      throw new ApiError(401, UNAUTHORIZED);
    }
    const scope = isObject(auth['scope']) ? auth['scope']['project'] : undefined;
    let project: Project | undefined;
    let roles: string[] = [];
    if (auth['scope'] !== undefined && auth['scope'] !== null) {
      if (!isObject(scope)) throw new ApiError(401, UNAUTHORIZED);
      project = typeof scope['id'] === 'string'
        ? this.projects.get(scope['id'])
        : typeof scope['name'] === 'string' && this.domainMatches(scope['domain']) ? this.projectByName(scope['name']) : undefined;
      if (project === undefined) throw new ApiError(401, UNAUTHORIZED);
      roles = user.roles.get(project.id) ?? [];
      if (roles.length === 0) throw new ApiError(401, UNAUTHORIZED);
    }
    return this.issue(user, project, roles, lifetimeSeconds, ['password']);
  }

  private issue(user: User, project: Project | undefined, roles: string[], lifetimeSeconds: number, methods: string[]): Token {
    const issuedAt = new Date();
    const token: Token = {
      id: `gAAAAAB${this.random.hex(48)}`, user, roles, issuedAt, methods,
      expiresAt: new Date(issuedAt.getTime() + lifetimeSeconds * 1000), auditId: this.random.hex(22),
    };
    if (project !== undefined) token.project = project;
    this.tokens.set(token.id, token);
    return token;
  }

  /** `{id, secret}` or `{name, secret, user: {name, domain} | {id}}`; 401 unless it matches. */
  private appCredential(x: unknown): AppCredential {
    if (!isObject(x) || typeof x['secret'] !== 'string') throw new ApiError(400, "'secret' is a required property");
    let found: AppCredential | undefined;
    if (typeof x['id'] === 'string') found = this.appCredentials.get(x['id']);
    else if (typeof x['name'] === 'string' && isObject(x['user'])) {
      const u = x['user'];
      for (const ac of this.appCredentials.values()) {
        const userOk = typeof u['id'] === 'string' ? u['id'] === ac.user.id : u['name'] === ac.user.name && this.domainMatches(u['domain']);
        if (ac.name === x['name'] && userOk) found = ac;
      }
    } else {
      throw new ApiError(400, 'Could not find application credential: an id, or a name and a user, is required.');
    }
    if (found === undefined || found.secret !== x['secret']) throw new ApiError(401, UNAUTHORIZED);
    return found;
  }

  /** POST /v3/users/{id}/application_credentials (the caller's own user, project from its token). */
  createAppCredential(t: Token, userId: string, body: unknown): AppCredential {
    if (t.user.id !== userId) throw new ApiError(403, 'You are not authorized to perform the requested action.');
    if (t.project === undefined) throw new ApiError(403, 'Application credentials need a project-scoped token.');
    const b = isObject(body) ? body['application_credential'] : undefined;
    if (!isObject(b) || typeof b['name'] !== 'string' || b['name'] === '') throw new ApiError(400, "'name' is a required property");
    for (const ac of this.appCredentials.values()) {
      if (ac.user.id === userId && ac.name === b['name']) throw new ApiError(409, `Conflict occurred attempting to store application_credential - Duplicate entry.`);
    }
    const ac: AppCredential = {
      id: this.random.hex(32), name: b['name'], secret: typeof b['secret'] === 'string' ? b['secret'] : this.random.hex(43),
      user: t.user, projectId: t.project.id, roles: [...t.roles],
    };
    this.appCredentials.set(ac.id, ac);
    return ac;
  }

  validate(id: string | undefined): Token | undefined {
    if (id === undefined) return undefined;
    const t = this.tokens.get(id);
    if (t === undefined) return undefined;
    if (t.expiresAt.getTime() <= Date.now()) {
      this.tokens.delete(id);
      return undefined;
    }
    return t;
  }

  isAdmin(t: Token): boolean {
    return t.roles.includes('admin');
  }
}

const iso = (d: Date): string => d.toISOString().replace('Z', '000Z');

export function tokenBody(sim: Sim, t: Token): Record<string, unknown> {
  const dom = sim.identity.domain;
  const body: Record<string, unknown> = {
    methods: t.methods ?? ['password'],
    user: { id: t.user.id, name: t.user.name, domain: dom, password_expires_at: null },
    audit_ids: [t.auditId],
    expires_at: iso(t.expiresAt),
    issued_at: iso(t.issuedAt),
  };
  if (t.project !== undefined) {
    const p = t.project;
    body['project'] = { id: p.id, name: p.name, domain: dom };
    body['is_domain'] = false;
    body['roles'] = t.roles.map((r) => ({ id: sim.identity.roleId(r), name: r }));
    body['catalog'] = catalog(sim, p.id);
  }
  return { token: body };
}

function catalog(sim: Sim, projectId: string): unknown[] {
  const region = sim.config.region;
  const svc = (type: string, name: string, url: string): Record<string, unknown> => ({
    type, name, id: sim.random.hex(32),
    endpoints: ['public', 'internal', 'admin'].map((iface) => ({ id: sim.random.hex(32), interface: iface, region, region_id: region, url })),
  });
  return [
    svc('identity', 'keystone', `${sim.urls.keystone}/v3`),
    svc('compute', 'nova', `${sim.urls.nova}/${projectId}`),
    svc('network', 'neutron', `${sim.urls.neutron}/`),
    svc('sdn', 'contrail', sim.urls.contrail),
    svc('image', 'glance', `${sim.urls.nova.replace(/\/v2\.1$/, '')}/image`),
  ];
}

export function keystoneErrorReply(sim: Sim, err: ApiError): Reply {
  const titles: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 413: 'Request Entity Too Large', 429: 'Too Many Requests', 503: 'Service Unavailable' };
  const headers = { ...err.headers };
  if (err.status === 401) headers['WWW-Authenticate'] = `Keystone uri="${sim.urls.keystone}/v3"`;
  const message = err.kind === 'MalformedRequestBody' ? `Expecting to find valid JSON in request body. ${CLIENT_ERROR}` : err.message;
  return { status: err.status, headers, body: { error: { code: err.status, title: titles[err.status] ?? 'Internal Server Error', message } } };
}

function versionDoc(sim: Sim): Record<string, unknown> {
  return {
    id: 'v3.14', status: 'stable', updated: '2020-04-07T00:00:00Z',
    links: [{ rel: 'self', href: `${sim.urls.keystone}/v3/` }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
  };
}

export function keystoneRouter(sim: Sim): Router {
  const id = sim.identity;
  const subject = (req: Request): Token => {
    const h = req.headers['x-subject-token'];
    const t = id.validate(typeof h === 'string' ? h : undefined);
    if (t === undefined) throw new ApiError(404, `Could not find token: ${typeof h === 'string' ? h.slice(0, 8) : ''}...`);
    return t;
  };
  const projectView = (p: Project): Record<string, unknown> => ({
    id: p.id, name: p.name, domain_id: p.domainId, description: p.description, enabled: p.enabled, is_domain: false,
    parent_id: p.domainId, tags: [], links: { self: `${sim.urls.keystone}/v3/projects/${p.id}` },
  });
  return new Router()
    .add('GET', '/', () => ({ status: 300, body: { versions: { values: [versionDoc(sim)] } } }))
    .add('GET', '/v3', () => ({ status: 200, body: { version: versionDoc(sim) } }))
    .add('POST', '/v3/auth/tokens', (req) => {
      const t = id.authenticate(req.json(), sim.config.tokenLifetimeSeconds);
      sim.changed();
      return { status: 201, headers: { 'X-Subject-Token': t.id }, body: tokenBody(sim, t) };
    })
    .add('GET', '/v3/auth/tokens', (req) => {
      const t = subject(req);
      return { status: 200, headers: { 'X-Subject-Token': t.id }, body: tokenBody(sim, t) };
    })
    .add('DELETE', '/v3/auth/tokens', (req) => {
      id.tokens.delete(subject(req).id);
      return { status: 204 };
    })
    .add('POST', '/v3/users/{id}/application_credentials', (req) => {
      const ac = id.createAppCredential(req.token as Token, req.params['id'] ?? '', req.json());
      sim.changed();
      const project = id.projects.get(ac.projectId);
      return {
        status: 201,
        body: {
          application_credential: {
            id: ac.id, name: ac.name, secret: ac.secret, project_id: ac.projectId, user_id: ac.user.id, unrestricted: false,
            expires_at: null, description: null, roles: ac.roles.map((r) => ({ id: id.roleId(r), name: r, domain_id: null })),
            links: { self: `${sim.urls.keystone}/v3/users/${ac.user.id}/application_credentials/${ac.id}` }, project_name: project?.name,
          },
        },
      };
    })
    .add('GET', '/v3/projects', (req) => {
      const name = req.query.get('name');
      const list = [...id.projects.values()].filter((p) => name === null || p.name === name);
      return { status: 200, body: { projects: list.map(projectView), links: { self: `${sim.urls.keystone}/v3/projects`, next: null, previous: null } } };
    })
    .add('GET', '/v3/projects/{id}', (req) => {
      const p = id.projects.get(req.params['id'] ?? '');
      if (p === undefined) throw new ApiError(404, `Could not find project: ${req.params['id'] ?? ''}.`);
      return { status: 200, body: { project: projectView(p) } };
    });
}

export { nowIsoZ };
