// Nova v2.1: servers and os-interface (cloud-api.md §6). Nova cannot filter by metadata, so the
// operator lists by its name prefix (a regex) and reads owner metadata back from the detail list.
import type { Session } from './keystone.js';
import { queryString, type ListQuery } from './neutron.js';

/** 2.37 makes `networks` required, which is what we always send. */
export const NOVA_MICROVERSION = '2.37';

export type ServerStatus = 'BUILD' | 'ACTIVE' | 'ERROR' | 'SHUTOFF' | 'DELETED' | 'REBOOT' | 'HARD_REBOOT'
  | 'PAUSED' | 'SUSPENDED' | 'RESIZE' | 'VERIFY_RESIZE' | 'MIGRATING' | 'UNKNOWN' | (string & {});

export interface ServerAddress { addr: string; version: number; 'OS-EXT-IPS:type'?: string; 'OS-EXT-IPS-MAC:mac_addr'?: string }

export interface Server {
  id: string;
  name: string;
  status: ServerStatus;
  metadata: Record<string, string>;
  addresses?: Record<string, ServerAddress[]>;
  fault?: { code: number; message: string; details?: string; created?: string };
  'OS-EXT-STS:vm_state'?: string;
  'OS-EXT-STS:task_state'?: string | null;
  tenant_id?: string;
  created?: string;
  updated?: string;
  image?: { id: string } | string;
  flavor?: { id?: string; original_name?: string };
}

export type ServerNetwork = { port: string } | { uuid: string; fixed_ip?: string };

export interface ServerCreate {
  name: string;
  imageRef: string;
  flavorRef: string;
  networks: ServerNetwork[] | 'auto' | 'none';
  metadata?: Record<string, string>;
  config_drive?: boolean;
  /** Base64. */
  user_data?: string;
  key_name?: string;
  availability_zone?: string;
  security_groups?: { name: string }[];
}

/**
 * A server group as the operator's microversion (2.37) shows it: `policies` (one), not 2.64's
 * `policy` + `rules`. Anti-affinity is in every microversion, so the older shape is the portable one.
 */
export interface ServerGroup {
  id: string;
  name: string;
  policies: string[];
  members: string[];
  project_id?: string;
  user_id?: string;
}

/** What createServer sends next to `server` (cloud-api.md §6: only the group hint is used). */
export interface SchedulerHints { group?: string }

export interface InterfaceAttachment {
  port_id: string;
  net_id: string;
  mac_addr: string;
  port_state: string;
  fixed_ips: { ip_address: string; subnet_id: string }[];
}

export type InterfaceAttach = { port_id: string } | { net_id: string; fixed_ips?: { ip_address: string }[] };

interface Links { href: string; rel: string }

export interface NovaOptions { endpoint?: string; pageSize?: number }

export class NovaClient {
  private base: string | undefined;
  private readonly pageSize: number;
  private noPaging = false;

  constructor(private readonly session: Session, opts: NovaOptions = {}) {
    this.base = opts.endpoint?.replace(/\/+$/, '');
    this.pageSize = opts.pageSize ?? 1000;
  }

  private async url(path: string): Promise<string> {
    this.base ??= await this.session.endpoint('compute');
    return `${this.base}/${path}`;
  }

  private async call<T>(op: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, json?: unknown): Promise<T> {
    const res = await this.session.request<T>({
      api: 'nova', op, method, url: await this.url(path),
      headers: { 'openstack-api-version': `compute ${NOVA_MICROVERSION}`, 'x-openstack-nova-api-version': NOVA_MICROVERSION },
      ...(json !== undefined ? { json } : {}),
    });
    return res.body;
  }

  /** Boots a server: 202 with only the id and links; observe status with getServer/listServers. */
  async createServer(server: ServerCreate, hints?: SchedulerHints): Promise<{ id: string }> {
    // Only the id: the response also carries adminPass, which must not travel further.
    const body = hints?.group !== undefined ? { server, 'os:scheduler_hints': { group: hints.group } } : { server };
    const { id } = (await this.call<{ server: { id: string } }>('createServer', 'POST', 'servers', body)).server;
    return { id };
  }

  async createServerGroup(name: string, policy: 'anti-affinity' | 'affinity'): Promise<ServerGroup> {
    return (await this.call<{ server_group: ServerGroup }>('createServerGroup', 'POST', 'os-server-groups', { server_group: { name, policies: [policy] } })).server_group;
  }

  async getServerGroup(id: string): Promise<ServerGroup> {
    return (await this.call<{ server_group: ServerGroup }>('getServerGroup', 'GET', `os-server-groups/${id}`)).server_group;
  }

  /** The project's groups; `allProjects` (admin) every project's. Not paged: groups are few. */
  async listServerGroups(o: { allProjects?: boolean } = {}): Promise<ServerGroup[]> {
    const path = o.allProjects === true ? 'os-server-groups?all_projects=True' : 'os-server-groups';
    return (await this.call<{ server_groups: ServerGroup[] }>('listServerGroups', 'GET', path)).server_groups;
  }

  /** 204; the members keep running, only the scheduling constraint goes. */
  async deleteServerGroup(id: string): Promise<void> { await this.call('deleteServerGroup', 'DELETE', `os-server-groups/${id}`); }

  async getServer(id: string): Promise<Server> { return (await this.call<{ server: Server }>('getServer', 'GET', `servers/${id}`)).server; }

  /** 204; Nova deletes only ports it created, pre-created ports are unbound. */
  async deleteServer(id: string): Promise<void> { await this.call('deleteServer', 'DELETE', `servers/${id}`); }

  /** `/servers/detail`, paged by `limit`+`marker`; `name` is a regex on the server side. */
  async listServers(query: ListQuery = {}): Promise<Server[]> {
    const q: ListQuery = { ...query };
    const paging = this.pageSize > 0 && q['limit'] === undefined && !this.noPaging;
    if (paging) q['limit'] = this.pageSize;
    const out: Server[] = [];
    let url: string | undefined = await this.url(`servers/detail${queryString(q)}`);
    const seen = new Set<string>();
    while (url !== undefined && !seen.has(url)) {
      seen.add(url);
      const res: { body: { servers?: Server[]; servers_links?: Links[] } } = await this.session.request<{ servers?: Server[]; servers_links?: Links[] }>({
        api: 'nova', op: 'listServers', method: 'GET', url,
        headers: { 'openstack-api-version': `compute ${NOVA_MICROVERSION}` },
      });
      const items = res.body?.servers ?? [];
      const next = res.body?.servers_links?.find((l) => l.rel === 'next')?.href;
      // A full first page without a next link: the server truncates without paging (see Neutron).
      if (paging && next === undefined && out.length === 0 && items.length >= this.pageSize) {
        this.noPaging = true;
        return this.listServers(query);
      }
      out.push(...items);
      url = next !== undefined && items.length > 0 ? next : undefined;
    }
    return out;
  }

  async attachInterface(serverId: string, attach: InterfaceAttach): Promise<InterfaceAttachment> {
    return (await this.call<{ interfaceAttachment: InterfaceAttachment }>('attachInterface', 'POST', `servers/${serverId}/os-interface`, { interfaceAttachment: attach })).interfaceAttachment;
  }

  /** 202: asynchronous; the port's device_id clears shortly after. */
  async detachInterface(serverId: string, portId: string): Promise<void> {
    await this.call('detachInterface', 'DELETE', `servers/${serverId}/os-interface/${portId}`);
  }

  async listInterfaces(serverId: string): Promise<InterfaceAttachment[]> {
    return (await this.call<{ interfaceAttachments: InterfaceAttachment[] }>('listInterfaces', 'GET', `servers/${serverId}/os-interface`)).interfaceAttachments;
  }
}
