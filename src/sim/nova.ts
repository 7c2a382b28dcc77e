// Nova v2.1 (cloud-api.md §6): servers, os-interface, flavors/images, fault envelopes and the
// microversion headers. Server state lives in compute.ts; ports are VMIs in the shared store.
import { ApiError, Router, type Reply, type Request } from './http.js';
import type { Sim } from './context.js';
import { metadataOf, POWER_STATE, VM_STATE, type Server } from './compute.js';
import { portIps, portMac } from './ports.js';
import { isObject, type JsonObject, type VncObject } from './store.js';
import { canonicalUuid } from './rand.js';
import { POLICIES, type Policy, type ServerGroup } from './server-groups.js';

const FAULT_NAMES: Record<number, string> = {
  400: 'badRequest', 401: 'unauthorized', 403: 'forbidden', 404: 'itemNotFound', 405: 'badMethod', 409: 'conflictingRequest',
  413: 'overLimit', 415: 'badMediaType', 429: 'overLimit', 501: 'notImplemented', 503: 'serviceUnavailable',
};
const MAX_MICROVERSION = [2, 93] as const; // as the Debian nova-api the team tests against

export function novaErrorReply(err: ApiError): Reply {
  if (err.status === 401) return { status: 401, headers: err.headers, body: { error: { code: 401, title: 'Unauthorized', message: err.message } } };
  const name = err.kind !== undefined && Object.values(FAULT_NAMES).includes(err.kind) ? err.kind : (FAULT_NAMES[err.status] ?? 'computeFault');
  return { status: err.status, headers: err.headers, body: { [name]: { code: err.status, message: err.message } } };
}

/** The requested microversion as [major, minor]; 2.1 when absent. */
function microversion(req: Request): [number, number] {
  const h = req.headers['openstack-api-version'];
  const legacy = req.headers['x-openstack-nova-api-version'];
  let v: string | undefined;
  if (typeof h === 'string') v = /compute\s+(\S+)/i.exec(h)?.[1];
  else if (typeof legacy === 'string') v = legacy.trim();
  if (v === undefined) return [2, 1];
  if (v === 'latest') return [MAX_MICROVERSION[0], MAX_MICROVERSION[1]];
  const m = /^(\d+)\.(\d+)$/.exec(v);
  if (m === null) throw new ApiError(400, `API Version String ${v} is of invalid format. Must be of format MajorNum.MinorNum.`, 'badRequest');
  const ver: [number, number] = [Number(m[1]), Number(m[2])];
  if (ver[0] !== 2 || ver[1] < 1 || ver[1] > MAX_MICROVERSION[1]) {
    throw new ApiError(406, `Version ${v} is not supported by the API. Minimum is 2.1 and maximum is ${MAX_MICROVERSION.join('.')}.`, 'notAcceptable');
  }
  return ver;
}

const atLeast = (v: [number, number], minor: number): boolean => v[1] >= minor;

function versionHeaders(v: [number, number]): Record<string, string> {
  const s = `${v[0]}.${v[1]}`;
  return { 'OpenStack-API-Version': `compute ${s}`, 'X-OpenStack-Nova-API-Version': s, Vary: 'OpenStack-API-Version, X-OpenStack-Nova-API-Version' };
}

const SERVER_KEYS = ['name', 'imageRef', 'flavorRef', 'networks', 'config_drive', 'user_data', 'metadata', 'key_name',
  'security_groups', 'availability_zone', 'tags', 'adminPass', 'OS-DCF:diskConfig', 'min_count', 'max_count',
  'block_device_mapping_v2', 'description', 'accessIPv4', 'accessIPv6', 'personality', 'hostname'];

function schemaError(field: string, msg: string): ApiError {
  return new ApiError(400, `Invalid input for field/attribute ${field}. ${msg}`, 'badRequest');
}

export function novaRouter(sim: Sim): Router {
  const { compute } = sim;
  const base = (): string => sim.urls.nova;
  const link = (kind: string, id: string, projectId: string): unknown[] => [
    { rel: 'self', href: `${base()}/${projectId}/${kind}/${id}` },
    { rel: 'bookmark', href: `${base().replace(/\/v2\.1$/, '')}/${projectId}/${kind}/${id}` },
  ];
  const isAdmin = (req: Request): boolean => req.token !== undefined && sim.identity.isAdmin(req.token);
  const getServer = (req: Request): Server => {
    const id = req.params['id'] ?? '';
    const s = compute.servers.get(id);
    if (s === undefined || (!isAdmin(req) && s.projectId !== req.token?.project?.id)) {
      throw new ApiError(404, `Instance ${id} could not be found.`, 'itemNotFound');
    }
    return s;
  };
  const addresses = (s: Server): Record<string, unknown[]> => {
    const out: Record<string, unknown[]> = {};
    for (const vmi of compute.portsOf(s)) {
      const vn = sim.store.get(vmi.refs['virtual_network_refs']?.[0]?.uuid ?? '');
      const key = String(vn?.props['display_name'] ?? vn?.fq[2] ?? 'unknown');
      const mac = portMac(vmi);
      const list = (out[key] ??= []);
      for (const iip of portIps(sim, vmi)) list.push({ addr: iip.props['instance_ip_address'], version: 4, 'OS-EXT-IPS:type': 'fixed', 'OS-EXT-IPS-MAC:mac_addr': mac });
      for (const fip of sim.store.referrers(vmi.uuid, 'floating-ip')) list.push({ addr: fip.props['floating_ip_address'], version: 4, 'OS-EXT-IPS:type': 'floating', 'OS-EXT-IPS-MAC:mac_addr': mac });
    }
    return out;
  };
  const detail = (s: Server, v: [number, number], admin: boolean, listed = false): JsonObject => {
    const flavor = sim.flavors.find((f) => f.id === s.flavorRef);
    const view: JsonObject = {
      id: s.id, name: s.name, status: s.status, tenant_id: s.projectId, user_id: s.userId, metadata: s.metadata,
      hostId: s.status === 'BUILD' ? '' : s.hostId,
      image: { id: s.imageRef, links: [{ rel: 'bookmark', href: `${base()}/images/${s.imageRef}` }] },
      flavor: atLeast(v, 47) && flavor !== undefined
        ? { original_name: flavor.name, vcpus: flavor.vcpus, ram: flavor.ram, disk: flavor.disk, ephemeral: 0, swap: 0, extra_specs: {} }
        : { id: s.flavorRef, links: [{ rel: 'bookmark', href: `${base()}/flavors/${s.flavorRef}` }] },
      created: s.created, updated: s.updated, addresses: addresses(s), accessIPv4: '', accessIPv6: '',
      links: link('servers', s.id, s.projectId), 'OS-DCF:diskConfig': 'MANUAL', progress: s.status === 'ACTIVE' ? 100 : 0,
      'OS-EXT-STS:vm_state': VM_STATE[s.status], 'OS-EXT-STS:task_state': s.taskState, 'OS-EXT-STS:power_state': POWER_STATE[s.status],
      'OS-EXT-AZ:availability_zone': s.availabilityZone, config_drive: s.configDrive ? 'True' : '', key_name: s.keyName,
      security_groups: s.securityGroups.map((name) => ({ name })), 'OS-SRV-USG:launched_at': s.launchedAt,
      'OS-SRV-USG:terminated_at': null, 'os-extended-volumes:volumes_attached': [], locked: s.locked === true,
    };
    if (admin) view['OS-EXT-SRV-ATTR:host'] = s.host ?? null;
    if (atLeast(v, 26)) view['tags'] = s.tags;
    // As Nova: a list fills faults from the cell it reads, and a server the scheduler never
    // placed (NoValidHost) lives in cell0 — listed without its fault; GET /servers/{id} has it.
    if (s.fault !== undefined && s.status === 'ERROR' && !(listed && s.host === undefined)) {
      // As Nova: a 500 fault's details (its traceback) are shown to admins only.
      const { details, ...rest } = s.fault;
      view['fault'] = admin || s.fault.code !== 500 ? { ...rest, details } : rest;
    }
    return view;
  };
  const reply = (req: Request, status: number, body?: unknown, headers: Record<string, string> = {}): Reply => ({
    status, headers: { ...versionHeaders(microversion(req)), ...headers }, ...(body === undefined ? {} : { body }),
  });

  const listServers = (req: Request): Server[] => {
    const q = req.query;
    const all = isAdmin(req) && ['1', 'true', 'True'].includes(q.get('all_tenants') ?? '');
    let list = [...compute.servers.values()].filter((s) => all || s.projectId === req.token?.project?.id);
    const name = q.get('name');
    if (name !== null) {
      let re: RegExp;
      try {
        re = new RegExp(name);
      } catch {
        throw new ApiError(400, `Invalid filter name: ${name}`, 'badRequest');
      }
      list = list.filter((s) => re.test(s.name));
    }
    const status = q.get('status');
    if (status !== null) list = list.filter((s) => s.status === status.toUpperCase());
    const tags = q.get('tags')?.split(',');
    if (tags !== undefined) list = list.filter((s) => tags.every((t) => s.tags.includes(t)));
    const anyTags = q.get('tags-any')?.split(',');
    if (anyTags !== undefined) list = list.filter((s) => anyTags.some((t) => s.tags.includes(t)));
    const notTags = q.get('not-tags')?.split(',');
    if (notTags !== undefined) list = list.filter((s) => !notTags.every((t) => s.tags.includes(t)));
    list.sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : a.id < b.id ? 1 : -1));
    const marker = q.get('marker');
    if (marker !== null) {
      const i = list.findIndex((s) => s.id === marker);
      if (i < 0) throw new ApiError(400, `marker [${marker}] not found`, 'badRequest');
      list = list.slice(i + 1);
    }
    const limitStr = q.get('limit');
    if (limitStr !== null) {
      const limit = Number(limitStr || '0');
      if (!/^[0-9]*$/.test(limitStr)) throw new ApiError(400, `Invalid input for query parameters limit. Value: ${limitStr}. '${limitStr}' does not match '^[0-9]*$'`, 'badRequest');
      list = list.slice(0, limit);
    }
    return list;
  };

  /** Nova adds a `next` link whenever a page is full (so the last page may be empty). */
  const pageLinks = (req: Request, page: Server[]): Record<string, unknown> => {
    const limit = Number(req.query.get('limit') ?? 'NaN');
    if (!Number.isInteger(limit) || limit <= 0 || page.length < limit) return {};
    const q = new URLSearchParams(req.query);
    q.set('marker', (page[page.length - 1] as Server).id);
    const project = req.token?.project?.id ?? '';
    return { servers_links: [{ rel: 'next', href: `${base()}/${project}${req.path}?${q.toString()}` }] };
  };

  const interfaceView = (s: Server, vmi: VncObject): JsonObject => ({
    fixed_ips: portIps(sim, vmi).map((i) => ({ ip_address: i.props['instance_ip_address'], subnet_id: i.props['subnet_uuid'] })),
    mac_addr: portMac(vmi), net_id: vmi.refs['virtual_network_refs']?.[0]?.uuid ?? null, port_id: vmi.uuid,
    port_state: s.status === 'ACTIVE' ? 'ACTIVE' : 'DOWN',
  });

  const r = new Router();
  // Nova puts the microversion headers on errors too: wrap every handler.
  const add = r.add.bind(r);
  r.add = (method, template, handler) =>
    add(method, template, async (req) => {
      try {
        return await handler(req);
      } catch (e) {
        if (e instanceof ApiError) {
          let v: [number, number] | undefined;
          try {
            v = microversion(req);
          } catch {
            v = undefined;
          }
          if (v !== undefined) Object.assign(e.headers, versionHeaders(v));
        }
        throw e;
      }
    });
  r.add('GET', '/', (req) => {
    const doc = { id: 'v2.1', status: 'CURRENT', version: MAX_MICROVERSION.join('.'), min_version: '2.1', updated: '2013-07-23T11:33:21Z', links: [{ rel: 'self', href: `${base()}/` }] };
    return req.route === '/' ? { status: 200, body: { versions: [doc] } } : { status: 200, body: { version: doc } };
  });
  r.add('GET', '/servers', (req) => {
    const page = listServers(req);
    return reply(req, 200, { servers: page.map((s) => ({ id: s.id, name: s.name, links: link('servers', s.id, s.projectId) })), ...pageLinks(req, page) });
  });
  r.add('GET', '/servers/detail', (req) => {
    const v = microversion(req);
    const page = listServers(req);
    return reply(req, 200, { servers: page.map((s) => detail(s, v, isAdmin(req), true)), ...pageLinks(req, page) });
  });
  r.add('GET', '/servers/{id}', (req) => reply(req, 200, { server: detail(getServer(req), microversion(req), isAdmin(req)) }));
  r.add('POST', '/servers', (req) => {
    const v = microversion(req);
    const b = req.json();
    if (!isObject(b) || !isObject(b['server'])) throw schemaError('server', "'server' is a required property");
    const s = b['server'] as JsonObject;
    const extra = Object.keys(s).filter((k) => !SERVER_KEYS.includes(k));
    if (extra.length > 0) throw new ApiError(400, `Additional properties are not allowed (${extra.map((k) => `'${k}'`).join(', ')} ${extra.length > 1 ? 'were' : 'was'} unexpected)`, 'badRequest');
    if (typeof s['name'] !== 'string' || s['name'].trim() === '' || s['name'].length > 255) throw schemaError('name', "'name' is a required non-empty string of at most 255 characters");
    if (typeof s['imageRef'] !== 'string') throw schemaError('imageRef', "'imageRef' is a required property");
    if (!/^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/.test(s['imageRef']) && !/^https?:\/\//.test(s['imageRef'])) {
      throw schemaError('imageRef', `Value: ${s['imageRef']}. '${s['imageRef']}' is not valid under any of the given schemas`);
    }
    if (typeof s['flavorRef'] !== 'string' && typeof s['flavorRef'] !== 'number') throw schemaError('flavorRef', "'flavorRef' is a required property");
    const imageRef = s['imageRef'].split('/').pop() as string;
    const flavorRef = String(s['flavorRef']).split('/').pop() as string;
    if (!sim.images.some((i) => i.id === imageRef)) throw new ApiError(400, `Image ${imageRef} could not be found.`, 'badRequest');
    if (!sim.flavors.some((f) => f.id === flavorRef)) throw new ApiError(400, `Flavor ${flavorRef} could not be found.`, 'badRequest');
    const nets = s['networks'];
    if (nets === undefined && atLeast(v, 37)) throw schemaError('networks', "'networks' is a required property");
    const networks: Array<{ port?: string; uuid?: string; fixedIp?: string }> = [];
    if (Array.isArray(nets)) {
      for (const n of nets) {
        if (!isObject(n)) throw schemaError('networks', `${JSON.stringify(n)} is not of type 'object'`);
        const e: { port?: string; uuid?: string; fixedIp?: string } = {};
        if (typeof n['port'] === 'string') e.port = n['port'];
        else if (typeof n['uuid'] === 'string') e.uuid = n['uuid'];
        else throw new ApiError(400, 'Bad networks format: network uuid is not in proper format', 'badRequest');
        if (typeof n['fixed_ip'] === 'string') e.fixedIp = n['fixed_ip'];
        networks.push(e);
      }
    } else if (nets !== undefined && nets !== 'auto' && nets !== 'none') {
      throw schemaError('networks', `${JSON.stringify(nets)} is not valid under any of the given schemas`);
    }
    const metadata = s['metadata'] === undefined ? {} : metadataOf(s['metadata']);
    if (metadata === undefined) throw schemaError('metadata', 'must be an object of strings');
    let userData: string | null = null;
    if (s['user_data'] !== undefined && s['user_data'] !== null) {
      if (typeof s['user_data'] !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(s['user_data'].replace(/\s/g, '')) || s['user_data'].replace(/\s/g, '').length % 4 !== 0) {
        throw new ApiError(400, 'User data needs to be valid base 64.', 'badRequest');
      }
      userData = s['user_data'];
    }
    const cd = s['config_drive'];
    if (cd !== undefined && typeof cd !== 'boolean' && cd !== 'True' && cd !== 'False' && cd !== '') throw schemaError('config_drive', `${JSON.stringify(cd)} is not of type 'boolean'`);
    const sgs = s['security_groups'];
    if (sgs !== undefined && !(Array.isArray(sgs) && sgs.every((g) => isObject(g) && typeof g['name'] === 'string'))) throw schemaError('security_groups', 'must be a list of {name}');
    const tags = s['tags'];
    if (tags !== undefined && !(Array.isArray(tags) && tags.every((t) => typeof t === 'string'))) throw schemaError('tags', 'must be a list of strings');
    const hints = b['os:scheduler_hints'] ?? b['OS-SCH-HNT:scheduler_hints'];
    if (hints !== undefined && !isObject(hints)) throw schemaError('os:scheduler_hints', `${JSON.stringify(hints)} is not of type 'object'`);
    const groupHint = isObject(hints) ? hints['group'] : undefined;
    if (groupHint !== undefined && (typeof groupHint !== 'string' || canonicalUuid(groupHint) === undefined)) {
      throw schemaError('os:scheduler_hints/group', `${JSON.stringify(groupHint)} is not a 'uuid'`);
    }
    const token = req.token;
    if (token?.project === undefined) throw new ApiError(403, 'Policy does not allow os_compute_api:servers:create to be performed.', 'forbidden');
    const server = compute.create({
      ...(typeof groupHint === 'string' ? { group: canonicalUuid(groupHint) as string } : {}),
      name: s['name'], projectId: token.project.id, userId: token.user.id, imageRef, flavorRef, networks, metadata, userData,
      configDrive: cd === true || cd === 'True', keyName: typeof s['key_name'] === 'string' ? s['key_name'] : null,
      securityGroups: Array.isArray(sgs) ? sgs.map((g) => String((g as JsonObject)['name'])) : ['default'],
      availabilityZone: typeof s['availability_zone'] === 'string' ? s['availability_zone'] : 'nova', tags: (tags as string[] | undefined) ?? [],
    });
    return reply(req, 202, {
      server: {
        id: server.id, links: link('servers', server.id, server.projectId), 'OS-DCF:diskConfig': 'MANUAL',
        security_groups: server.securityGroups.map((name) => ({ name })), adminPass: server.adminPass,
      },
    }, { Location: `${base()}/${server.projectId}/servers/${server.id}` });
  });
  r.add('PUT', '/servers/{id}', (req) => {
    const s = getServer(req);
    const b = req.json();
    if (!isObject(b) || !isObject(b['server'])) throw schemaError('server', "'server' is a required property");
    const name = (b['server'] as JsonObject)['name'];
    if (name !== undefined) {
      if (typeof name !== 'string' || name.trim() === '') throw schemaError('name', 'must be a non-empty string');
      s.name = name;
      sim.changed();
    }
    return reply(req, 200, { server: detail(s, microversion(req), isAdmin(req)) });
  });
  r.add('DELETE', '/servers/{id}', (req) => {
    compute.delete(getServer(req).id);
    return reply(req, 204);
  });
  r.add('POST', '/servers/{id}/action', (req) => {
    const s = getServer(req);
    const b = req.json();
    if (!isObject(b)) throw new ApiError(400, 'Malformed request body', 'badRequest');
    if ('os-stop' in b) {
      if (s.status !== 'ACTIVE') throw new ApiError(409, `Cannot 'stop' instance ${s.id} while it is in vm_state ${VM_STATE[s.status]}`, 'conflictingRequest');
      compute.setState(s.id, 'SHUTOFF');
    } else if ('os-start' in b) {
      if (s.status !== 'SHUTOFF') throw new ApiError(409, `Cannot 'start' instance ${s.id} while it is in vm_state ${VM_STATE[s.status]}`, 'conflictingRequest');
      compute.setState(s.id, 'ACTIVE');
    } else if ('lock' in b || 'unlock' in b) {
      s.locked = 'lock' in b;
      sim.changed();
    } else if ('reboot' in b) {
      if (s.status === 'BUILD') throw new ApiError(409, `Cannot 'reboot' instance ${s.id} while it is in vm_state building`, 'conflictingRequest');
      compute.setState(s.id, 'ACTIVE');
    } else {
      throw new ApiError(400, 'There is no such action: ' + Object.keys(b).join(','), 'badRequest');
    }
    return reply(req, 202);
  });
  r.add('GET', '/servers/{id}/metadata', (req) => reply(req, 200, { metadata: getServer(req).metadata }));
  r.add('GET', '/servers/{id}/os-interface', (req) => {
    const s = getServer(req);
    return reply(req, 200, { interfaceAttachments: compute.portsOf(s).map((p) => interfaceView(s, p)) });
  });
  r.add('GET', '/servers/{id}/os-interface/{port}', (req) => {
    const s = getServer(req);
    const p = compute.portsOf(s).find((x) => x.uuid === req.params['port']);
    if (p === undefined) throw new ApiError(404, `Port ${req.params['port'] ?? ''} is not attached`, 'itemNotFound');
    return reply(req, 200, { interfaceAttachment: interfaceView(s, p) });
  });
  r.add('POST', '/servers/{id}/os-interface', (req) => {
    const s = getServer(req);
    const b = req.json();
    const a = isObject(b) ? b['interfaceAttachment'] : undefined;
    if (!isObject(a)) throw schemaError('interfaceAttachment', "'interfaceAttachment' is a required property");
    const extra = Object.keys(a).filter((k) => !['port_id', 'net_id', 'fixed_ips', 'tag'].includes(k));
    if (extra.length > 0) throw new ApiError(400, `Additional properties are not allowed (${extra.map((k) => `'${k}'`).join(', ')} was unexpected)`, 'badRequest');
    const body: { portId?: string; netId?: string; fixedIp?: string } = {};
    if (a['port_id'] !== undefined) {
      if (typeof a['port_id'] !== 'string') throw schemaError('port_id', `${JSON.stringify(a['port_id'])} is not of type 'string'`);
      body.portId = a['port_id'];
    } else if (a['net_id'] !== undefined) {
      if (typeof a['net_id'] !== 'string') throw schemaError('net_id', `${JSON.stringify(a['net_id'])} is not of type 'string'`);
      body.netId = a['net_id'];
      const f = Array.isArray(a['fixed_ips']) ? a['fixed_ips'][0] : undefined;
      if (isObject(f) && typeof f['ip_address'] === 'string') body.fixedIp = f['ip_address'];
    }
    const vmi = compute.attach(s, body);
    return reply(req, 200, { interfaceAttachment: interfaceView(s, vmi) });
  });
  r.add('DELETE', '/servers/{id}/os-interface/{port}', (req) => {
    compute.detach(getServer(req), req.params['port'] ?? '');
    return reply(req, 202);
  });
  const flavorView = (f: Sim['flavors'][number], full: boolean): JsonObject => {
    const v: JsonObject = { id: f.id, name: f.name, links: [{ rel: 'self', href: `${base()}/flavors/${f.id}` }] };
    if (full) Object.assign(v, { vcpus: f.vcpus, ram: f.ram, disk: f.disk, 'OS-FLV-EXT-DATA:ephemeral': 0, swap: '', rxtx_factor: 1, 'os-flavor-access:is_public': true });
    return v;
  };
  serverGroupRoutes(r, sim, reply, isAdmin);
  r.add('GET', '/flavors', (req) => reply(req, 200, { flavors: sim.flavors.map((f) => flavorView(f, false)) }));
  r.add('GET', '/flavors/detail', (req) => reply(req, 200, { flavors: sim.flavors.map((f) => flavorView(f, true)) }));
  r.add('GET', '/flavors/{id}', (req) => {
    const f = sim.flavors.find((x) => x.id === req.params['id']);
    if (f === undefined) throw new ApiError(404, `Flavor ${req.params['id'] ?? ''} could not be found.`, 'itemNotFound');
    return reply(req, 200, { flavor: flavorView(f, true) });
  });
  const imageView = (i: { id: string; name: string }): JsonObject => ({ id: i.id, name: i.name, status: 'ACTIVE', links: [{ rel: 'self', href: `${base()}/images/${i.id}` }] });
  r.add('GET', '/images', (req) => reply(req, 200, { images: sim.images.map(imageView) }));
  r.add('GET', '/images/detail', (req) => reply(req, 200, { images: sim.images.map(imageView) }));
  r.add('GET', '/images/{id}', (req) => {
    const i = sim.images.find((x) => x.id === req.params['id']);
    if (i === undefined) throw new ApiError(404, 'Image not found.', 'itemNotFound');
    return reply(req, 200, { image: imageView(i) });
  });
  // A Glance v2 image list for clients that resolve image names through the catalog's image service.
  r.add('GET', '/image/v2/images', (req) => {
    const name = req.query.get('name');
    return { status: 200, body: { images: sim.images.filter((i) => name === null || i.name === name).map((i) => ({ id: i.id, name: i.name, status: 'active', visibility: 'public' })) } };
  });
  return r;
}

/** os-server-groups: 2.64+ takes and shows `policy` + `rules`, earlier `policies` + `metadata`. */
function serverGroupRoutes(r: Router, sim: Sim, reply: (req: Request, status: number, body?: unknown) => Reply, isAdmin: (req: Request) => boolean): void {
  const groups = sim.compute.serverGroups;
  const view = (g: ServerGroup, v: [number, number]): JsonObject => ({
    id: g.id, name: g.name,
    ...(atLeast(v, 64) ? { policy: g.policy, rules: g.rules } : { policies: [g.policy], metadata: {} }),
    members: [...g.members],
    ...(atLeast(v, 13) ? { project_id: g.projectId, user_id: g.userId } : {}),
  });
  r.add('GET', '/os-server-groups', (req) => {
    const all = req.query.get('all_projects') !== null && isAdmin(req);
    const mine = [...groups.groups.values()].filter((g) => all || g.projectId === req.token?.project?.id);
    return reply(req, 200, { server_groups: mine.map((g) => view(g, microversion(req))) });
  });
  r.add('GET', '/os-server-groups/{id}', (req) => reply(req, 200, { server_group: view(groups.get(req.params['id'] ?? '', req.token?.project?.id, isAdmin(req)), microversion(req)) }));
  r.add('DELETE', '/os-server-groups/{id}', (req) => {
    const g = groups.get(req.params['id'] ?? '', req.token?.project?.id, isAdmin(req));
    groups.groups.delete(g.id);
    sim.changed();
    return reply(req, 204);
  });
  r.add('POST', '/os-server-groups', (req) => {
    const v = microversion(req);
    const b = req.json();
    if (!isObject(b) || !isObject(b['server_group'])) throw schemaError('server_group', "'server_group' is a required property");
    const sg = b['server_group'] as JsonObject;
    const allowed = atLeast(v, 64) ? ['name', 'policy', 'rules'] : ['name', 'policies'];
    const extra = Object.keys(sg).filter((k) => !allowed.includes(k));
    if (extra.length > 0) throw new ApiError(400, `Invalid input for field/attribute server_group. Value: ${JSON.stringify(sg)}. Additional properties are not allowed (${extra.map((k) => `'${k}'`).join(', ')} ${extra.length > 1 ? 'were' : 'was'} unexpected)`, 'badRequest');
    const name = sg['name'];
    if (typeof name !== 'string' || name.trim() === '' || name.length > 255) throw schemaError('name', "'name' is a required non-empty string of at most 255 characters");
    let policy: unknown;
    if (atLeast(v, 64)) policy = sg['policy'];
    else {
      const ps = sg['policies'];
      if (!Array.isArray(ps) || ps.length !== 1) throw schemaError('policies', `${JSON.stringify(ps)} is not valid: exactly one policy`);
      policy = ps[0];
    }
    if (typeof policy !== 'string' || !(POLICIES as readonly string[]).includes(policy)) {
      throw schemaError(atLeast(v, 64) ? 'policy' : 'policies', `Value: ${JSON.stringify(policy)}. ${JSON.stringify(policy)} is not one of ${JSON.stringify(POLICIES)}`);
    }
    const rules: ServerGroup['rules'] = {};
    if (sg['rules'] !== undefined) {
      const ru = sg['rules'];
      if (!isObject(ru) || Object.keys(ru).some((k) => k !== 'max_server_per_host')) throw schemaError('rules', 'only max_server_per_host is allowed');
      const max = ru['max_server_per_host'];
      if (max !== undefined) {
        if (policy !== 'anti-affinity') throw new ApiError(400, 'Invalid input for field/attribute server_group. Only anti-affinity policy supports rules.', 'badRequest');
        if (!Number.isInteger(max) || (max as number) < 1) throw schemaError('rules/max_server_per_host', `${JSON.stringify(max)} is less than the minimum of 1`);
        rules.max_server_per_host = max as number;
      }
    }
    const token = req.token;
    if (token?.project === undefined) throw new ApiError(403, 'Policy does not allow os_compute_api:os-server-groups:create to be performed.', 'forbidden');
    const g: ServerGroup = { id: sim.random.uuid(), name, policy: policy as Policy, rules, members: [], projectId: token.project.id, userId: token.user.id };
    groups.groups.set(g.id, g);
    sim.changed();
    return reply(req, 200, { server_group: view(g, v) });
  });
}
