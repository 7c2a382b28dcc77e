// Shared by the data-plane tests and the bench: the simulator with the netns data plane, driven
// through its real HTTP APIs (Keystone token, Nova servers, VNC instance-ips and ref-updates).
import { execFileSync } from 'node:child_process';
import process from 'node:process';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { NetnsDataplane, type DataplaneOptions } from '../../src/sim/dataplane/dataplane.js';

export const VIP_NET = '02b846e6-cd68-4c84-b7ab-3709946ed28b';
export const SERVER_NET = '6f0c3b8e-2d4a-4b9c-8e1f-0a2b3c4d5e03';
export const VIP_NET_FQ = ['default-domain', 'demo', 'vip-net'];

/** Why the stage cannot run here, or undefined (root on Linux with iproute2). */
export function skipReason(): string | undefined {
  if (process.platform !== 'linux') return 'data-plane tests need Linux';
  if (process.getuid?.() !== 0) return 'data-plane tests need root (network namespaces): skipped';
  return undefined;
}

export interface Rig { sim: Simulator; dp: NetnsDataplane; api: Api; close(): Promise<void> }

export async function startRig(opts: DataplaneOptions = {}): Promise<Rig> {
  const dp = new NetnsDataplane({ log: () => undefined, ...opts });
  const sim = await startSimulator({ seed: 14, bootTimeMs: 50, plugins: [dp] });
  const api = await Api.login(sim);
  return { sim, dp, api, close: () => sim.close() };
}

export class Api {
  private constructor(private readonly sim: Simulator, private readonly token: string, readonly project: string) {}

  static async login(sim: Simulator): Promise<Api> {
    const r = await fetch(`${sim.urls.keystone}/v3/auth/tokens`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ auth: {
        identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: 'admin-secret' } } },
        scope: { project: { name: 'demo', domain: { id: 'default' } } },
      } }),
    });
    if (r.status !== 201) throw new Error(`keystone: ${r.status}`);
    const body = (await r.json()) as { token: { project: { id: string } } };
    return new Api(sim, r.headers.get('x-subject-token') ?? '', body.token.project.id);
  }

  async call(base: string, method: string, path: string, body?: unknown): Promise<unknown> {
    const r = await fetch(`${base}${path}`, {
      method, headers: { 'x-auth-token': this.token, 'content-type': 'application/json' },
      body: body === undefined ? null : JSON.stringify(body),
    });
    const text = await r.text();
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  }

  /** Boots a server with one port on NETWORK; resolves when ACTIVE with its port (VMI) id. */
  async boot(name: string, network = VIP_NET, extra: { config_drive?: boolean; user_data?: string } = {}): Promise<{ id: string; port: string; ip: string }> {
    const images = (await this.call(this.sim.urls.nova, 'GET', '/images')) as { images: Array<{ id: string }> };
    const r = (await this.call(this.sim.urls.nova, 'POST', '/servers', {
      server: { name, imageRef: images.images[0]?.id, flavorRef: '2', networks: [{ uuid: network }], ...extra },
    })) as { server: { id: string } };
    const id = r.server.id;
    await until(async () => ((await this.call(this.sim.urls.nova, 'GET', `/servers/${id}`)) as { server: { status: string } }).server.status === 'ACTIVE', 10_000, `${name} ACTIVE`);
    const ifs = (await this.call(this.sim.urls.nova, 'GET', `/servers/${id}/os-interface`)) as {
      interfaceAttachments: Array<{ port_id: string; fixed_ips: Array<{ ip_address: string }> }>;
    };
    const first = ifs.interfaceAttachments[0];
    return { id, port: first?.port_id ?? '', ip: first?.fixed_ips[0]?.ip_address ?? '' };
  }

  /** os-interface attach of a new port on NETWORK; resolves with its port id and address. */
  async attach(id: string, network: string): Promise<{ port: string; ip: string }> {
    const r = (await this.call(this.sim.urls.nova, 'POST', `/servers/${id}/os-interface`, { interfaceAttachment: { net_id: network } })) as {
      interfaceAttachment: { port_id: string; fixed_ips: Array<{ ip_address: string }> };
    };
    return { port: r.interfaceAttachment.port_id, ip: r.interfaceAttachment.fixed_ips[0]?.ip_address ?? '' };
  }

  async detach(id: string, port: string): Promise<void> {
    await this.call(this.sim.urls.nova, 'DELETE', `/servers/${id}/os-interface/${port}`);
  }

  async deleteServer(id: string): Promise<void> {
    await this.call(this.sim.urls.nova, 'DELETE', `/servers/${id}`);
  }

  async setState(id: string, state: 'ACTIVE' | 'ERROR' | 'SHUTOFF'): Promise<void> {
    await this.call(this.sim.urls.control, 'POST', `/sim/servers/${id}/state`, { state });
  }

  /** An active-active VIP instance-ip on vip-net with these VMIs (the operator's ECMP set). */
  async vip(name: string, address: string, vmis: string[]): Promise<string> {
    const r = (await this.call(this.sim.urls.contrail, 'POST', '/instance-ips', {
      'instance-ip': {
        fq_name: [name], instance_ip_address: address, instance_ip_mode: 'active-active',
        virtual_network_refs: [{ to: VIP_NET_FQ }], virtual_machine_interface_refs: vmis.map((uuid) => ({ uuid })),
      },
    })) as { 'instance-ip': { uuid: string } };
    return r['instance-ip'].uuid;
  }

  async refUpdate(iip: string, vmi: string, op: 'ADD' | 'DELETE'): Promise<void> {
    await this.call(this.sim.urls.contrail, 'POST', '/ref-update', {
      type: 'instance-ip', uuid: iip, 'ref-type': 'virtual-machine-interface', 'ref-uuid': vmi, operation: op,
    });
  }

  /** An HTTP service-health-check on a VMI (Contrail's link-local kind, probed from the fabric). */
  async healthCheck(name: string, vmi: string, urlPath: string, delay = 1, retries = 2): Promise<string> {
    const r = (await this.call(this.sim.urls.contrail, 'POST', '/service-health-checks', {
      'service-health-check': {
        fq_name: ['default-domain', 'demo', name], parent_type: 'project',
        service_health_check_properties: { enabled: true, health_check_type: 'link-local', monitor_type: 'HTTP', delay, timeout: 1, max_retries: retries, url_path: urlPath },
      },
    })) as { 'service-health-check': { uuid: string } };
    const shc = r['service-health-check'].uuid;
    await this.call(this.sim.urls.contrail, 'POST', '/ref-update', {
      type: 'virtual-machine-interface', uuid: vmi, 'ref-type': 'service-health-check', 'ref-uuid': shc, operation: 'ADD',
    });
    return shc;
  }

  /** A floating IP from the public pool onto FIXED (the VIP), with VMIS (the operator's FIP). */
  async floatingIp(name: string, fixed: string, vmis: string[]): Promise<string> {
    const r = (await this.call(this.sim.urls.contrail, 'POST', '/floating-ips', {
      'floating-ip': {
        fq_name: ['default-domain', 'admin', 'public', 'public-pool', name], parent_type: 'floating-ip-pool',
        floating_ip_fixed_ip_address: fixed, project_refs: [{ to: ['default-domain', 'demo'] }],
        virtual_machine_interface_refs: vmis.map((uuid) => ({ uuid })),
      },
    })) as { 'floating-ip': { uuid: string } };
    const got = (await this.call(this.sim.urls.contrail, 'GET', `/floating-ip/${r['floating-ip'].uuid}`)) as { 'floating-ip': { floating_ip_address: string } };
    return got['floating-ip'].floating_ip_address;
  }

  /** Plain Neutron: the allowed address pairs of a port (PUT /v2.0/ports/{id}). */
  async allowedAddressPairs(port: string, addresses: string[]): Promise<void> {
    await this.call(this.sim.urls.neutron, 'PUT', `/v2.0/ports/${port}`, { port: { allowed_address_pairs: addresses.map((ip_address) => ({ ip_address })) } });
  }

  async routes(): Promise<Array<{ uuid: string; routes: Array<{ prefix: string; nexthops: Array<{ vmi: string }> }> }>> {
    return ((await this.call(this.sim.urls.control, 'GET', '/sim/routes')) as { networks: never[] }).networks;
  }
}

/** Polls COND every 20 ms until true; throws after MS with WHAT. */
export async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The fabric as the kernel has it: nhid/unreachable routes → the gateways of their group's members. */
export function fabricRoutes(fabric: string): Map<string, string[]> {
  const routes = JSON.parse(execFileSync('ip', ['-j', '-n', fabric, 'route', 'show'], { encoding: 'utf8' })) as Array<{ dst: string; type?: string; nhid?: number }>;
  const nhs = JSON.parse(execFileSync('ip', ['-j', '-n', fabric, 'nexthop', 'show'], { encoding: 'utf8' })) as Array<{ id: number; gateway?: string; group?: Array<{ id: number }> }>;
  const byId = new Map(nhs.map((n) => [n.id, n]));
  const out = new Map<string, string[]>();
  for (const r of routes) {
    const dst = r.dst.includes('/') ? r.dst : `${r.dst}/32`;
    if (r.type === 'unreachable') out.set(dst, []);
    else if (r.nhid !== undefined) {
      const g = byId.get(r.nhid);
      out.set(dst, (g?.group ?? []).map((m) => byId.get(m.id)?.gateway ?? `?${m.id}`).sort());
    }
  }
  return out;
}

/** Names this run left in the kernel: namespaces `lbop-<run>-…` and links `lbop<run>…` (root and every namespace). */
export function leftovers(run: string): string[] {
  const ns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n.startsWith(`lbop-${run}-`));
  const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(`lbop${run}`));
  return [...ns, ...links];
}
