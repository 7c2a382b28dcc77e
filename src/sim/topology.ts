// Topology files (YAML): projects, users, networks, images and flavors the simulator starts with.
// Validated by hand so a mistake names its path: `networks[1].subnets[0].cidr: ...`.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { parseCidr } from './ip.js';
import { canonicalUuid } from './rand.js';
import { isObject } from './store.js';

export interface Topology {
  region: string;
  aaaMode: 'no-auth' | 'cloud-admin' | 'rbac';
  /** synced: false = known to Keystone only, created in VNC on first lookup (vnc_openstack). */
  projects: Array<{ name: string; id?: string; synced?: boolean }>;
  users: Array<{
    name: string; password: string; roles: Record<string, string[]>;
    applicationCredentials?: Array<{ name: string; id?: string; secret: string; project: string }>;
  }>;
  networks: Array<{
    name: string; id?: string; project: string; shared: boolean; external: boolean; floatingIpPool?: string;
    subnets: Array<{ cidr: string; id?: string; gateway?: string }>;
  }>;
  images: Array<{ name: string; id?: string }>;
  flavors: Array<{ name: string; id: string; vcpus: number; ram: number; disk: number }>;
  /** Nova compute hosts servers are scheduled across (server-group policies); default two. */
  hosts: string[];
}

export class TopologyError extends Error {}

export const DEFAULT_TOPOLOGY = fileURLToPath(new URL('./default-topology.yaml', import.meta.url));

export function loadTopology(path: string = DEFAULT_TOPOLOGY): Topology {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new TopologyError(`cannot read topology ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new TopologyError(`${path}: not valid YAML: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  return validateTopology(doc, path);
}

export function validateTopology(doc: unknown, file: string): Topology {
  const fail = (where: string, what: string): never => {
    throw new TopologyError(`${file}: ${where}: ${what}`);
  };
  if (!isObject(doc)) fail('(root)', 'must be a mapping');
  const d = doc as Record<string, unknown>;
  const known = ['region', 'aaaMode', 'projects', 'users', 'networks', 'images', 'flavors', 'hosts'];
  for (const k of Object.keys(d)) if (!known.includes(k)) fail(k, `unknown key (expected one of ${known.join(', ')})`);
  const str = (v: unknown, where: string): string => (typeof v === 'string' && v !== '' ? v : fail(where, 'must be a non-empty string'));
  const optUuid = (v: unknown, where: string): string | undefined => {
    if (v === undefined) return undefined;
    const s = str(v, where);
    return canonicalUuid(s) ?? fail(where, 'must be a uuid');
  };
  const list = (k: string): unknown[] => {
    const v = d[k] ?? [];
    return Array.isArray(v) ? v : fail(k, 'must be a list');
  };
  const obj = (v: unknown, where: string): Record<string, unknown> => (isObject(v) ? v : fail(where, 'must be a mapping'));
  const aaa = d['aaaMode'] ?? 'cloud-admin';
  if (aaa !== 'no-auth' && aaa !== 'cloud-admin' && aaa !== 'rbac') fail('aaaMode', 'must be no-auth, cloud-admin or rbac');
  const t: Topology = {
    region: d['region'] === undefined ? 'RegionOne' : str(d['region'], 'region'),
    aaaMode: aaa as Topology['aaaMode'],
    projects: [], users: [], networks: [], images: [], flavors: [], hosts: [],
  };
  list('projects').forEach((p, i) => {
    const o = obj(p, `projects[${i}]`);
    const id = o['id'] === undefined ? undefined : str(o['id'], `projects[${i}].id`);
    if (id !== undefined && !/^[0-9a-f]{32}$/.test(id)) fail(`projects[${i}].id`, 'must be 32 lower-case hex digits (a Keystone project id)');
    const proj: Topology['projects'][number] = { name: str(o['name'], `projects[${i}].name`) };
    if (id !== undefined) proj.id = id;
    if (o['synced'] !== undefined) {
      if (typeof o['synced'] !== 'boolean') fail(`projects[${i}].synced`, 'must be true or false');
      proj.synced = o['synced'] as boolean;
    }
    t.projects.push(proj);
  });
  const projectNames = new Set(t.projects.map((p) => p.name));
  list('users').forEach((u, i) => {
    const o = obj(u, `users[${i}]`);
    const roles = obj(o['roles'] ?? {}, `users[${i}].roles`);
    const r: Record<string, string[]> = {};
    for (const [proj, names] of Object.entries(roles)) {
      if (!projectNames.has(proj)) fail(`users[${i}].roles.${proj}`, 'names no project in projects');
      if (!Array.isArray(names) || !names.every((x) => typeof x === 'string')) fail(`users[${i}].roles.${proj}`, 'must be a list of role names');
      r[proj] = names as string[];
    }
    const user: Topology['users'][number] = { name: str(o['name'], `users[${i}].name`), password: str(o['password'], `users[${i}].password`), roles: r };
    const acs = o['applicationCredentials'];
    if (acs !== undefined) {
      if (!Array.isArray(acs)) fail(`users[${i}].applicationCredentials`, 'must be a list');
      user.applicationCredentials = (acs as unknown[]).map((a, j) => {
        const w = `users[${i}].applicationCredentials[${j}]`;
        const ao = obj(a, w);
        const project = str(ao['project'], `${w}.project`);
        if (r[project] === undefined || r[project].length === 0) fail(`${w}.project`, `user ${user.name} has no role in project ${project}`);
        const id = ao['id'] === undefined ? undefined : str(ao['id'], `${w}.id`);
        if (id !== undefined && !/^[0-9a-f]{32}$/.test(id)) fail(`${w}.id`, 'must be 32 lower-case hex digits');
        const out: { name: string; id?: string; secret: string; project: string } = { name: str(ao['name'], `${w}.name`), secret: str(ao['secret'], `${w}.secret`), project };
        if (id !== undefined) out.id = id;
        return out;
      });
    }
    t.users.push(user);
  });
  list('networks').forEach((n, i) => {
    const w = `networks[${i}]`;
    const o = obj(n, w);
    const project = str(o['project'], `${w}.project`);
    if (!projectNames.has(project)) fail(`${w}.project`, `names no project in projects`);
    const subnets = Array.isArray(o['subnets']) ? o['subnets'] : fail(`${w}.subnets`, 'must be a list');
    const net: Topology['networks'][number] = {
      name: str(o['name'], `${w}.name`), project, shared: o['shared'] === true, external: o['external'] === true,
      subnets: subnets.map((s, j) => {
        const so = obj(s, `${w}.subnets[${j}]`);
        const cidr = str(so['cidr'], `${w}.subnets[${j}].cidr`);
        if (parseCidr(cidr) === undefined) fail(`${w}.subnets[${j}].cidr`, 'must be an IPv4 CIDR like 10.0.0.0/24');
        const id = optUuid(so['id'], `${w}.subnets[${j}].id`);
        const out: { cidr: string; id?: string; gateway?: string } = { cidr };
        if (id !== undefined) out.id = id;
        if (so['gateway'] !== undefined) out.gateway = str(so['gateway'], `${w}.subnets[${j}].gateway`);
        return out;
      }),
    };
    const id = optUuid(o['id'], `${w}.id`);
    if (id !== undefined) net.id = id;
    if (o['floatingIpPool'] !== undefined) net.floatingIpPool = str(o['floatingIpPool'], `${w}.floatingIpPool`);
    t.networks.push(net);
  });
  list('images').forEach((im, i) => {
    const o = obj(im, `images[${i}]`);
    const id = optUuid(o['id'], `images[${i}].id`);
    t.images.push(id === undefined ? { name: str(o['name'], `images[${i}].name`) } : { name: str(o['name'], `images[${i}].name`), id });
  });
  list('flavors').forEach((f, i) => {
    const o = obj(f, `flavors[${i}]`);
    const int = (k: string): number => (Number.isInteger(o[k]) && (o[k] as number) > 0 ? (o[k] as number) : fail(`flavors[${i}].${k}`, 'must be a positive integer'));
    t.flavors.push({ name: str(o['name'], `flavors[${i}].name`), id: String(o['id'] ?? i + 1), vcpus: int('vcpus'), ram: int('ram'), disk: int('disk') });
  });
  list('hosts').forEach((h, i) => {
    const name = str(h, `hosts[${i}]`);
    if (t.hosts.includes(name)) fail(`hosts[${i}]`, `duplicate host ${name}`);
    t.hosts.push(name);
  });
  if (t.hosts.length === 0) t.hosts.push('compute-1', 'compute-2');
  return t;
}
