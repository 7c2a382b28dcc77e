// Shared helpers for the conformance suite: a simulator started in-process, plain-HTTP requests
// (fetch), and Keystone login. The Keystone and Neutron files can be pointed at a real cloud:
//   LBOP_CONFORMANCE_KEYSTONE_URL   e.g. http://127.0.0.1:5000 (the base, without /v3)
//   LBOP_CONFORMANCE_NEUTRON_URL    optional; default: the catalog's network endpoint
//   LBOP_CONFORMANCE_USER / _PASSWORD / _PROJECT / _DOMAIN (default Default)
import { after } from 'node:test';
import { startSimulator, type Simulator } from '../../src/sim/index.js';

export interface Res {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
  contentType: string;
}

export type Json = Record<string, unknown>;

export async function http(method: string, url: string, opts: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {}): Promise<Res> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token !== undefined) headers['X-Auth-Token'] = opts.token;
  let body: string | undefined = opts.raw;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['Content-Type'] = 'application/json';
  }
  const res = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json, contentType: res.headers.get('content-type') ?? '' };
}

/** Reads a nested field: get(x, 'a', 0, 'b'). */
export function get(x: unknown, ...path: Array<string | number>): unknown {
  let cur = x;
  for (const p of path) {
    if (cur === null || cur === undefined || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

let shared: Promise<Simulator> | undefined;
// Registered when a test file imports this module, i.e. at the file's top level.
after(async () => {
  if (shared !== undefined) await (await shared).close();
});

/** One simulator per test file (each file runs in its own process), closed when its tests end. */
export function sim(opts: Parameters<typeof startSimulator>[0] = {}): Promise<Simulator> {
  shared ??= startSimulator({ seed: 42, bootTimeMs: 150, ...opts });
  return shared;
}

export interface Login { token: string; projectId: string; catalog: unknown[]; body: Json }

export async function login(keystone: string, user: string, password: string, project: string, domain = 'Default'): Promise<Login> {
  const res = await http('POST', `${keystone}/v3/auth/tokens`, {
    body: { auth: { identity: { methods: ['password'], password: { user: { name: user, domain: { name: domain }, password } } }, scope: { project: { name: project, domain: { name: domain } } } } },
  });
  if (res.status !== 201) throw new Error(`login ${user}@${project}: ${res.status} ${res.text}`);
  const token = res.headers.get('x-subject-token') as string;
  return { token, projectId: String(get(res.json, 'token', 'project', 'id')), catalog: get(res.json, 'token', 'catalog') as unknown[], body: res.json as Json };
}

export function endpoint(catalog: unknown[], type: string): string {
  for (const svc of catalog) {
    if (get(svc, 'type') !== type) continue;
    const eps = get(svc, 'endpoints') as unknown[];
    const pub = eps.find((e) => get(e, 'interface') === 'public') ?? eps[0];
    return String(get(pub, 'url')).replace(/\/$/, '');
  }
  throw new Error(`no ${type} endpoint in catalog`);
}

/** Keystone under test: a real one from env, else the simulator's with its seed credentials. */
export async function keystoneTarget(): Promise<{ url: string; user: string; password: string; project: string; domain: string; real: boolean }> {
  const env = process.env;
  if (env['LBOP_CONFORMANCE_KEYSTONE_URL'] !== undefined && env['LBOP_CONFORMANCE_KEYSTONE_URL'] !== '') {
    return {
      url: env['LBOP_CONFORMANCE_KEYSTONE_URL'].replace(/\/$/, '').replace(/\/v3$/, ''), user: env['LBOP_CONFORMANCE_USER'] ?? 'admin',
      password: env['LBOP_CONFORMANCE_PASSWORD'] ?? '', project: env['LBOP_CONFORMANCE_PROJECT'] ?? 'admin',
      domain: env['LBOP_CONFORMANCE_DOMAIN'] ?? 'Default', real: true,
    };
  }
  const s = await sim();
  return { url: s.urls.keystone, user: 'demo', password: 'demo-secret', project: 'demo', domain: 'Default', real: false };
}

/** Polls until check() returns a value, or fails after the deadline. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
