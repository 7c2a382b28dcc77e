// Neutron v2.0: ports, networks, subnets, floating IPs (cloud-api.md §5). Lists follow the
// `<collection>_links` "next" pages, so one logical list is one request per page.
import type { Session } from './keystone.js';

export interface FixedIP { subnet_id?: string; ip_address?: string }
export interface AllowedAddressPair { ip_address: string; mac_address?: string }

export interface Port {
  id: string;
  name: string;
  network_id: string;
  mac_address: string;
  fixed_ips: FixedIP[];
  allowed_address_pairs: AllowedAddressPair[];
  device_owner: string;
  device_id: string;
  status: string;
  description?: string;
  port_security_enabled?: boolean;
  security_groups?: string[];
  project_id?: string;
  tenant_id?: string;
  admin_state_up?: boolean;
  tags?: string[];
  'binding:host_id'?: string;
  'binding:vif_type'?: string;
  revision_number?: number;
  created_at?: string;
  updated_at?: string;
}

export interface PortCreate {
  network_id: string;
  name?: string;
  description?: string;
  fixed_ips?: FixedIP[];
  allowed_address_pairs?: AllowedAddressPair[];
  device_owner?: string;
  device_id?: string;
  port_security_enabled?: boolean;
  security_groups?: string[];
  admin_state_up?: boolean;
  'binding:host_id'?: string;
}

export type PortUpdate = Partial<Omit<PortCreate, 'network_id'>>;

export interface Network {
  id: string;
  name: string;
  subnets: string[];
  shared?: boolean;
  status?: string;
  project_id?: string;
  'router:external'?: boolean;
  mtu?: number;
  description?: string;
}

export interface Subnet {
  id: string;
  name: string;
  network_id: string;
  cidr: string;
  ip_version: number;
  gateway_ip: string | null;
  allocation_pools?: { start: string; end: string }[];
  enable_dhcp?: boolean;
  project_id?: string;
}

export interface FloatingIP {
  id: string;
  floating_ip_address: string;
  floating_network_id: string;
  port_id: string | null;
  fixed_ip_address: string | null;
  router_id?: string | null;
  status?: string;
  description?: string;
  project_id?: string;
}

export interface FloatingIPCreate {
  floating_network_id: string;
  port_id?: string;
  fixed_ip_address?: string;
  floating_ip_address?: string;
  subnet_id?: string;
  description?: string;
}

/** Query filters: repeated keys for arrays (`fixed_ips=ip_address=...`), `fields` limits output. */
export type ListQuery = Record<string, string | number | boolean | readonly string[] | undefined>;

export function queryString(q: ListQuery | undefined): string {
  if (q === undefined) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v as readonly string[]) p.append(k, x);
    else p.append(k, String(v));
  }
  const s = p.toString();
  return s === '' ? '' : `?${s}`;
}

interface Links { href: string; rel: string }

export interface NeutronOptions {
  /** Overrides the catalog's `network` endpoint (tests, or a Cloud that pins it). */
  endpoint?: string;
  /** Page size for lists (default 1000; 0 lets the server decide). */
  pageSize?: number;
}

export class NeutronClient {
  private base: string | undefined;
  private readonly pageSize: number;
  private noPaging = false;

  constructor(private readonly session: Session, opts: NeutronOptions = {}) {
    this.base = opts.endpoint?.replace(/\/+$/, '');
    this.pageSize = opts.pageSize ?? 1000;
  }

  private async url(path: string): Promise<string> {
    this.base ??= await this.session.endpoint('network');
    return `${this.base}/v2.0/${path}`;
  }

  private async get<T>(op: string, path: string): Promise<T> {
    return (await this.session.request<T>({ api: 'neutron', op, method: 'GET', url: await this.url(path) })).body;
  }

  private async send<T>(op: string, method: 'POST' | 'PUT', path: string, json: unknown): Promise<T> {
    return (await this.session.request<T>({ api: 'neutron', op, method, url: await this.url(path), json })).body;
  }

  private async del(op: string, path: string): Promise<void> {
    await this.session.request({ api: 'neutron', op, method: 'DELETE', url: await this.url(path) });
  }

  /**
   * Lists a collection, following `next` links. A server that honours `limit` but sends no links
   * (no pagination support) would silently truncate: then the list is re-read once without a
   * limit, and later lists of this client send none.
   */
  async list<T>(collection: string, query?: ListQuery): Promise<T[]> {
    const q: ListQuery = { ...query };
    const paging = this.pageSize > 0 && q['limit'] === undefined && !this.noPaging;
    if (paging) q['limit'] = this.pageSize;
    let url: string | undefined = await this.url(`${collection}${queryString(q)}`);
    const out: T[] = [];
    const seen = new Set<string>();
    while (url !== undefined && !seen.has(url)) {
      seen.add(url);
      const res: { body: Record<string, unknown> } = await this.session.request<Record<string, unknown>>({ api: 'neutron', op: `list:${collection}`, method: 'GET', url });
      const items = res.body?.[collection];
      if (!Array.isArray(items)) break;
      const links = res.body[`${collection}_links`] as Links[] | undefined;
      const next = Array.isArray(links) ? links.find((l) => l.rel === 'next')?.href : undefined;
      if (paging && next === undefined && out.length === 0 && items.length >= this.pageSize) {
        this.noPaging = true;
        return this.list<T>(collection, query);
      }
      out.push(...(items as T[]));
      url = next !== undefined && items.length > 0 ? next : undefined;
    }
    return out;
  }

  listPorts(query?: ListQuery): Promise<Port[]> { return this.list<Port>('ports', query); }
  async getPort(id: string): Promise<Port> { return (await this.get<{ port: Port }>('getPort', `ports/${id}`)).port; }
  async createPort(port: PortCreate): Promise<Port> { return (await this.send<{ port: Port }>('createPort', 'POST', 'ports', { port })).port; }
  /** Lists given here REPLACE the port's (allowed_address_pairs, fixed_ips). */
  async updatePort(id: string, port: PortUpdate): Promise<Port> { return (await this.send<{ port: Port }>('updatePort', 'PUT', `ports/${id}`, { port })).port; }
  deletePort(id: string): Promise<void> { return this.del('deletePort', `ports/${id}`); }

  listNetworks(query?: ListQuery): Promise<Network[]> { return this.list<Network>('networks', query); }
  async getNetwork(id: string): Promise<Network> { return (await this.get<{ network: Network }>('getNetwork', `networks/${id}`)).network; }
  listSubnets(query?: ListQuery): Promise<Subnet[]> { return this.list<Subnet>('subnets', query); }
  async getSubnet(id: string): Promise<Subnet> { return (await this.get<{ subnet: Subnet }>('getSubnet', `subnets/${id}`)).subnet; }

  listFloatingIPs(query?: ListQuery): Promise<FloatingIP[]> { return this.list<FloatingIP>('floatingips', query); }
  async createFloatingIP(fip: FloatingIPCreate): Promise<FloatingIP> {
    return (await this.send<{ floatingip: FloatingIP }>('createFloatingIP', 'POST', 'floatingips', { floatingip: fip })).floatingip;
  }
  /** `port_id: null` disassociates. */
  async updateFloatingIP(id: string, fip: { port_id: string | null; fixed_ip_address?: string; description?: string }): Promise<FloatingIP> {
    return (await this.send<{ floatingip: FloatingIP }>('updateFloatingIP', 'PUT', `floatingips/${id}`, { floatingip: fip })).floatingip;
  }
  async getFloatingIP(id: string): Promise<FloatingIP> { return (await this.get<{ floatingip: FloatingIP }>('getFloatingIP', `floatingips/${id}`)).floatingip; }
  deleteFloatingIP(id: string): Promise<void> { return this.del('deleteFloatingIP', `floatingips/${id}`); }
}
