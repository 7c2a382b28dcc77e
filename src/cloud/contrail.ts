// Contrail / Tungsten Fabric VNC API (cloud-api.md §1-§3): CRUD by uuid or fq_name,
// fqname-to-id / id-to-fqname, ref-update, ref-relax-for-delete, lists with detail / fields /
// filters / back_ref_id / parent_id, and list-bulk-collection for long uuid lists.
import type { Session } from './keystone.js';
import type { CloudRequest } from './http.js';

export type FqName = string[];

export interface KeyValuePair { key: string; value: string }
export interface Annotations { key_value_pair: KeyValuePair[] }

export interface Ref<A = unknown> { to: FqName; uuid?: string; attr?: A | null; href?: string }

export interface VncObject {
  uuid: string;
  fq_name: FqName;
  name?: string;
  display_name?: string;
  parent_type?: string;
  parent_uuid?: string;
  href?: string;
  annotations?: Annotations;
  id_perms?: Record<string, unknown>;
  perms2?: Record<string, unknown>;
  [field: string]: unknown;
}

export interface SubnetType { ip_prefix: string; ip_prefix_len: number }
export type AddressMode = 'active-active' | 'active-standby';
export interface VncAllowedAddressPair { ip: SubnetType; mac?: string; address_mode: AddressMode | null }

export interface VirtualMachineInterface extends VncObject {
  virtual_network_refs?: Ref[];
  virtual_machine_refs?: Ref[];
  security_group_refs?: Ref[];
  virtual_machine_interface_mac_addresses?: { mac_address: string[] };
  virtual_machine_interface_allowed_address_pairs?: { allowed_address_pair: VncAllowedAddressPair[] };
  virtual_machine_interface_device_owner?: string;
  port_security_enabled?: boolean;
  instance_ip_back_refs?: Ref[];
  floating_ip_back_refs?: Ref[];
}

export interface InstanceIp extends VncObject {
  instance_ip_address?: string;
  instance_ip_family?: 'v4' | 'v6';
  instance_ip_mode?: AddressMode;
  instance_ip_secondary?: boolean;
  subnet_uuid?: string;
  instance_ip_subnet?: SubnetType;
  virtual_network_refs?: Ref[];
  virtual_machine_interface_refs?: Ref[];
}

export interface FloatingIp extends VncObject {
  floating_ip_address?: string;
  floating_ip_fixed_ip_address?: string;
  floating_ip_traffic_direction?: 'ingress' | 'egress' | 'both';
  virtual_machine_interface_refs?: Ref[];
  project_refs?: Ref[];
}

export interface VirtualMachine extends VncObject {
  server_type?: string;
  virtual_machine_interface_back_refs?: Ref[];
}

export interface IpamSubnet {
  subnet: SubnetType;
  subnet_uuid?: string;
  default_gateway?: string;
  dns_server_address?: string;
  allocation_pools?: { start: string; end: string }[];
  addr_from_start?: boolean;
  enable_dhcp?: boolean;
  subnet_name?: string;
}

export interface VirtualNetwork extends VncObject {
  network_ipam_refs?: Ref<{ ipam_subnets: IpamSubnet[] }>[];
  router_external?: boolean;
  is_shared?: boolean;
  port_security_enabled?: boolean;
}

/** A VMI's service-health-check state as the vRouter agent reports it (analytics UVE). */
export interface VmiHealth { active: boolean; checks: { name: string; uuid: string; status: string }[] }

export interface CreateResult { uuid: string; fq_name: FqName; name?: string; href?: string; parent_type?: string; parent_uuid?: string }

export interface ListOptions {
  detail?: boolean;
  fields?: readonly string[];
  /** `filters=k==<json>`: exact match on top-level properties. */
  filters?: Record<string, unknown>;
  backRefId?: readonly string[];
  parentId?: readonly string[];
  parentFqName?: FqName;
  parentType?: string;
  objUuids?: readonly string[];
  fqNames?: readonly FqName[];
  /** Page size (`page_limit`); the server returns a `marker` while more remain. */
  pageLimit?: number;
}

export interface RefUpdate {
  type: string;
  uuid: string;
  refType: string;
  refUuid?: string;
  refFqName?: FqName;
  operation: 'ADD' | 'DELETE';
  attr?: unknown;
  relaxForDelete?: boolean;
}

export interface ContrailOptions {
  /** The VNC API base, e.g. `https://contrail-api:8082`. */
  apiURL: string;
  /** The analytics API base (opserver, usually :8081); absent: apiURL (Cloud spec.contrail.analyticsURL). */
  analyticsURL?: string;
  /** Above this many uuids a list goes through POST /list-bulk-collection (default 50). */
  bulkThreshold?: number;
}

/** `virtual-machine-interface` → `virtual_machine_interface` (ref/back-ref field stems). */
export function underscored(type: string): string { return type.replace(/-/g, '_'); }

/** Query parameters for a list (pure), as the Python client sends them. */
export function listParams(o: ListOptions): Record<string, string> {
  const p: Record<string, string> = {};
  if (o.detail === true) p['detail'] = 'true';
  if (o.fields !== undefined && o.fields.length > 0) p['fields'] = o.fields.join(',');
  if (o.filters !== undefined) {
    const f = Object.entries(o.filters).map(([k, v]) => `${k}==${JSON.stringify(v)}`);
    if (f.length > 0) p['filters'] = f.join(',');
  }
  if (o.backRefId !== undefined) p['back_ref_id'] = o.backRefId.join(',');
  if (o.parentId !== undefined) p['parent_id'] = o.parentId.join(',');
  if (o.parentFqName !== undefined) p['parent_fq_name_str'] = o.parentFqName.join(':');
  if (o.parentType !== undefined) p['parent_type'] = o.parentType;
  if (o.objUuids !== undefined) p['obj_uuids'] = o.objUuids.join(',');
  if (o.fqNames !== undefined) p['fq_names'] = o.fqNames.map((f) => f.join(':')).join(',');
  if (o.pageLimit !== undefined) p['page_limit'] = String(o.pageLimit);
  return p;
}

type ListBody = Record<string, unknown> & { marker?: string | null };

export class ContrailClient {
  readonly base: string;
  /** Where analytics (UVE) queries go: its own API in a real deployment, the VNC base otherwise. */
  readonly analyticsBase: string;
  private readonly bulkThreshold: number;

  constructor(private readonly session: Session, opts: ContrailOptions) {
    this.base = opts.apiURL.replace(/\/+$/, '');
    this.analyticsBase = (opts.analyticsURL ?? opts.apiURL).replace(/\/+$/, '');
    this.bulkThreshold = opts.bulkThreshold ?? 50;
  }

  private async call<T>(op: string, method: CloudRequest['method'], path: string, json?: unknown, retry?: boolean, base = this.base): Promise<T> {
    const res = await this.session.request<T>({
      api: 'contrail', op, method, url: `${base}/${path}`,
      ...(json !== undefined ? { json } : {}), ...(retry !== undefined ? { retry } : {}),
    });
    return res.body;
  }

  /** POST /<type>s; refs must carry `to` (fq_name). Returns uuid, fq_name, href. */
  async create(type: string, obj: Partial<VncObject> & { fq_name: FqName }): Promise<CreateResult> {
    return (await this.call<Record<string, CreateResult>>(`create:${type}`, 'POST', `${type}s`, { [type]: obj }))[type] as CreateResult;
  }

  async read<T extends VncObject = VncObject>(type: string, uuid: string, o: { fields?: readonly string[]; excludeBackRefs?: boolean; excludeChildren?: boolean } = {}): Promise<T> {
    const p: Record<string, string> = {};
    if (o.fields !== undefined) p['fields'] = o.fields.join(',');
    if (o.excludeBackRefs === true) p['exclude_back_refs'] = 'true';
    if (o.excludeChildren === true) p['exclude_children'] = 'true';
    const q = new URLSearchParams(p).toString();
    return (await this.call<Record<string, T>>(`read:${type}`, 'GET', `${type}/${uuid}${q === '' ? '' : `?${q}`}`))[type] as T;
  }

  async readByFqName<T extends VncObject = VncObject>(type: string, fqName: FqName, o: { fields?: readonly string[] } = {}): Promise<T> {
    return this.read<T>(type, await this.fqNameToId(type, fqName), o);
  }

  /** PUT: properties present replace the stored ones; a `<x>_refs` key replaces that ref set. */
  async update(type: string, uuid: string, partial: Partial<VncObject>): Promise<void> {
    await this.call(`update:${type}`, 'PUT', `${type}/${uuid}`, { [type]: partial });
  }

  async delete(type: string, uuid: string): Promise<void> {
    await this.call(`delete:${type}`, 'DELETE', `${type}/${uuid}`);
  }

  async fqNameToId(type: string, fqName: FqName): Promise<string> {
    return (await this.call<{ uuid: string }>('fqname-to-id', 'POST', 'fqname-to-id', { type, fq_name: fqName }, true)).uuid;
  }

  async idToFqName(uuid: string): Promise<{ fq_name: FqName; type: string }> {
    return this.call('id-to-fqname', 'POST', 'id-to-fqname', { uuid }, true);
  }

  /** ADD is idempotent (updates attr); DELETE of an absent ref is a no-op: safe to retry. */
  async refUpdate(u: RefUpdate): Promise<void> {
    const body: Record<string, unknown> = {
      type: u.type, uuid: u.uuid, 'ref-type': u.refType,
      'ref-uuid': u.refUuid ?? null, 'ref-fq-name': u.refFqName ?? null,
      operation: u.operation, attr: u.attr ?? null,
    };
    if (u.relaxForDelete !== undefined) body['relax_ref_for_delete'] = u.relaxForDelete;
    await this.call('ref-update', 'POST', 'ref-update', body, true);
  }

  /**
   * The vRouters' view of each VMI's service-health-checks, from analytics' VMI UVEs (POST
   * /analytics/uves/virtual-machine-interface, kfilt = fq_name strings). A VMI no vRouter reports
   * on is absent from the answer. Asked at analyticsBase: the Cloud's spec.contrail.analyticsURL
   * (a deployment's analytics API, usually port 8081), else the VNC API's base (docs/se-repair.md).
   */
  async vmiHealth(fqNames: readonly FqName[]): Promise<Map<string, VmiHealth>> {
    const out = new Map<string, VmiHealth>();
    if (fqNames.length === 0) return out;
    const body = await this.call<{ value?: Array<{ name?: unknown; value?: { UveVMInterfaceAgent?: { is_health_check_active?: unknown; health_check_instance_list?: unknown } } }> }>(
      'uves:virtual-machine-interface', 'POST', 'analytics/uves/virtual-machine-interface',
      { kfilt: fqNames.map((f) => f.join(':')), cfilt: ['UveVMInterfaceAgent:is_health_check_active', 'UveVMInterfaceAgent:health_check_instance_list'] }, true,
      this.analyticsBase,
    );
    for (const v of body.value ?? []) {
      const agent = v.value?.UveVMInterfaceAgent;
      if (typeof v.name !== 'string' || agent === undefined || typeof agent.is_health_check_active !== 'boolean') continue;
      const list = Array.isArray(agent.health_check_instance_list) ? agent.health_check_instance_list as Array<Record<string, unknown>> : [];
      out.set(v.name, {
        active: agent.is_health_check_active,
        checks: list.map((c) => ({ name: String(c['name'] ?? ''), uuid: String(c['uuid'] ?? ''), status: String(c['status'] ?? '') })),
      });
    }
    return out;
  }

  /** After this, deleting `refUuid` ignores (and drops) the ref held by `uuid`. */
  async refRelaxForDelete(uuid: string, refUuid: string): Promise<void> {
    await this.call('ref-relax-for-delete', 'POST', 'ref-relax-for-delete', { uuid, 'ref-uuid': refUuid }, true);
  }

  /**
   * GET /<type>s (or POST /list-bulk-collection when uuid lists are long), following `marker`
   * pages. With `detail` the items are the objects; without it `{uuid, fq_name, href, ...fields}`.
   */
  async list<T extends VncObject = VncObject>(type: string, o: ListOptions = {}): Promise<T[]> {
    const longest = Math.max(o.objUuids?.length ?? 0, o.backRefId?.length ?? 0, o.parentId?.length ?? 0);
    const bulk = longest > this.bulkThreshold;
    const out: T[] = [];
    let marker: string | undefined;
    for (let page = 0; page < 100_000; page++) {
      const p = listParams(o);
      if (marker !== undefined) p['page_marker'] = marker;
      const body = bulk
        ? await this.call<ListBody>(`list:${type}`, 'POST', 'list-bulk-collection', { type, ...p }, true)
        : await this.call<ListBody>(`list:${type}`, 'GET', `${type}s?${new URLSearchParams(p).toString()}`);
      const items = body[`${type}s`];
      if (!Array.isArray(items)) break;
      for (const it of items as Record<string, unknown>[]) out.push((o.detail === true ? it[type] ?? it : it) as T);
      const next = body.marker;
      if (o.pageLimit === undefined || typeof next !== 'string' || next === '' || items.length === 0) break;
      marker = next;
    }
    return out;
  }

  async count(type: string, o: Omit<ListOptions, 'detail' | 'pageLimit'> = {}): Promise<number> {
    const p = { ...listParams(o), count: 'true' };
    const body = await this.call<Record<string, { count: number }>>(`count:${type}`, 'GET', `${type}s?${new URLSearchParams(p).toString()}`);
    return body[`${type}s`]?.count ?? 0;
  }
}
