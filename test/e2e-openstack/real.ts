// The e2e tests' own view of the real OpenStack: plain admin REST calls (not the operator's
// clients, so a bug there cannot hide itself), listing what carries a cluster's owner tags, and
// fixtures an admin would set up (quotas, deleting a server behind the operator's back).
import { execFileSync } from 'node:child_process';
import { repoRoot } from '../support/cluster.js';
import { ownerFromDescription, ownerFromMetadata, type Owner } from '../../src/cloud/owner.js';
import type { OpenStackEnv } from './env.js';

export interface Server { id: string; name: string; status: string; metadata: Record<string, string>; tenant_id: string; fault?: { message: string } }
export interface Port {
  id: string; name: string; network_id: string; device_id: string; device_owner: string; description: string; status: string;
  fixed_ips: { subnet_id: string; ip_address: string }[]; allowed_address_pairs: { ip_address: string; mac_address: string }[];
}
export interface FloatingIP { id: string; floating_ip_address: string; port_id: string | null; fixed_ip_address: string | null; description: string }

export interface Ours { servers: (Server & { owner: Owner })[]; ports: (Port & { owner: Owner })[]; fips: (FloatingIP & { owner: Owner })[] }

export class RealCloud {
  private token = '';
  /** Requests made by the tests themselves (not the operator's). */
  calls = 0;
  constructor(readonly env: OpenStackEnv) {}

  private async login(): Promise<string> {
    const res = await fetch(`${this.env.keystoneURL}/v3/auth/tokens`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: this.env.admin.username, domain: { name: 'Default' }, password: this.env.admin.password } } }, scope: { project: { name: 'admin', domain: { name: 'Default' } } } } }),
    });
    if (res.status !== 201) throw new Error(`admin login: ${res.status}`);
    this.token = res.headers.get('x-subject-token') ?? '';
    return this.token;
  }

  async call<T>(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: T }> {
    for (let attempt = 0; ; attempt++) {
      const token = this.token === '' ? await this.login() : this.token;
      this.calls++;
      const res = await fetch(url, {
        method, headers: { 'x-auth-token': token, ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      if (res.status === 401 && attempt === 0) { this.token = ''; continue; }
      return { status: res.status, json: (text === '' ? undefined : JSON.parse(text)) as T };
    }
  }

  private get nova(): string { return this.env.novaURL ?? ''; }
  private get neutron(): string { return `${this.env.neutronURL}/v2.0`; }

  async server(id: string): Promise<Server | undefined> {
    const r = await this.call<{ server: Server }>('GET', `${this.nova}/servers/${id}`);
    return r.status === 404 ? undefined : r.json.server;
  }
  async port(id: string): Promise<Port | undefined> {
    const r = await this.call<{ port: Port }>('GET', `${this.neutron}/ports/${id}`);
    return r.status === 404 ? undefined : r.json.port;
  }
  async ports(query = ''): Promise<Port[]> {
    return (await this.call<{ ports: Port[] }>('GET', `${this.neutron}/ports${query === '' ? '' : `?${query}`}`)).json.ports;
  }

  /** Every server, port and floating IP tagged with this cluster ID, in any project. */
  async ours(clusterID: string): Promise<Ours> {
    const [servers, ports, fips] = await Promise.all([
      this.call<{ servers: Server[] }>('GET', `${this.nova}/servers/detail?all_tenants=1`),
      this.call<{ ports: Port[] }>('GET', `${this.neutron}/ports`),
      this.call<{ floatingips: FloatingIP[] }>('GET', `${this.neutron}/floatingips`),
    ]);
    const mine = <T,>(items: T[], owner: (x: T) => Owner | undefined): (T & { owner: Owner })[] =>
      items.flatMap((x) => {
        const o = owner(x);
        return o !== undefined && o.clusterID === clusterID ? [{ ...x, owner: o }] : [];
      });
    return {
      servers: mine(servers.json.servers, (s) => ownerFromMetadata(s.metadata)),
      ports: mine(ports.json.ports, (p) => ownerFromDescription(p.description)),
      fips: mine(fips.json.floatingips, (f) => ownerFromDescription(f.description)),
    };
  }

  async deleteServer(id: string): Promise<void> {
    const r = await this.call('DELETE', `${this.nova}/servers/${id}`);
    if (r.status !== 204 && r.status !== 404) throw new Error(`delete server ${id}: ${r.status}`);
  }

  /** A network of `projectID` with a /29 subnet whose allocation pool holds exactly one address. */
  async tinySubnet(projectID: string, name: string): Promise<{ network: string; subnet: string }> {
    const net = await this.call<{ network: { id: string } }>('POST', `${this.neutron}/networks`, { network: { name, project_id: projectID } });
    if (net.status !== 201) throw new Error(`create network: ${net.status} ${JSON.stringify(net.json)}`);
    const sub = await this.call<{ subnet: { id: string } }>('POST', `${this.neutron}/subnets`, { subnet: {
      name, network_id: net.json.network.id, project_id: projectID, ip_version: 4, cidr: '192.168.77.0/29', enable_dhcp: false,
      gateway_ip: '192.168.77.1', allocation_pools: [{ start: '192.168.77.4', end: '192.168.77.4' }] } });
    if (sub.status !== 201) throw new Error(`create subnet: ${sub.status} ${JSON.stringify(sub.json)}`);
    return { network: net.json.network.id, subnet: sub.json.subnet.id };
  }

  async deleteNetwork(id: string): Promise<void> {
    await this.call('DELETE', `${this.neutron}/networks/${id}`);
  }

  /** Nova's instances quota of a project (-1 = unlimited). */
  async setInstanceQuota(projectID: string, instances: number): Promise<void> {
    const r = await this.call('PUT', `${this.nova}/os-quota-sets/${projectID}`, { quota_set: { instances } });
    if (r.status !== 200) throw new Error(`nova quota: ${r.status} ${JSON.stringify(r.json)}`);
  }

  /**
   * Caps a project's instances quota at what it uses now, so its next boot is refused. Nova checks
   * the new limit against in-use + reserved at the moment of the PUT, and the operator may boot a
   * server between our read and our write: re-read and retry on Nova's 400 for that race.
   */
  async capInstancesAtCurrentUse(projectID: string): Promise<void> {
    // Servers still being deleted count as used until Nova finishes them; a cap taken then frees up
    // moments later and the boot it should refuse goes through (seen under load). Wait them out first.
    for (const t0 = Date.now(); Date.now() - t0 < 90_000;) {
      const l = await this.call<{ servers: Array<Record<string, unknown>> }>('GET', `${this.nova}/servers/detail?all_tenants=1&project_id=${projectID}`);
      if (l.status === 200 && !l.json.servers.some((v) => v['OS-EXT-STS:task_state'] === 'deleting' || v.status === 'DELETED')) break;
      await new Promise((res) => setTimeout(res, 500));
    }
    for (let attempt = 1; ; attempt++) {
      const d = await this.call<{ quota_set: { instances: { in_use: number; reserved: number } } }>('GET', `${this.nova}/os-quota-sets/${projectID}/detail`);
      if (d.status !== 200) throw new Error(`nova quota detail: ${d.status} ${JSON.stringify(d.json)}`);
      const used = d.json.quota_set.instances.in_use + d.json.quota_set.instances.reserved;
      const r = await this.call('PUT', `${this.nova}/os-quota-sets/${projectID}`, { quota_set: { instances: used } });
      if (r.status === 200) return;
      if (r.status !== 400 || attempt >= 10) throw new Error(`nova quota: ${r.status} ${JSON.stringify(r.json)}`);
      await new Promise((res) => setTimeout(res, 500));
    }
  }

  /** Neutron's port quota of a project (-1 = unlimited). */
  async setPortQuota(projectID: string, port: number): Promise<void> {
    const r = await this.call('PUT', `${this.neutron}/quotas/${projectID}`, { quota: { port } });
    if (r.status !== 200) throw new Error(`neutron quota: ${r.status} ${JSON.stringify(r.json)}`);
  }
}

/** Stops or starts the test cloud's Keystone (its recorded uwsgi) with the setup script's own functions. */
export function keystone(action: 'stop' | 'start'): void {
  const script = action === 'stop'
    // The whole process group, not just the master: a worker still exiting holds the port. A worker
    // whose thread is inside a request outlives the master's TERM by up to uwsgi's 60 s shutdown
    // mercy (seen in CI, 2026-12-07: "taking too much time to die...NO MERCY" 45 s after the TERM),
    // so after 5 s the group gets KILL: a Keystone that dies hard is the same fault for the operator.
    ? 'source scripts/openstack/lib.sh; pid=$(<"$OSTEST_DIR/run/keystone.pid"); kill -TERM -- "-$pid"; for i in $(seq 50); do pid_alive keystone || group_ours "$pid" || exit 0; sleep 0.1; done; kill -KILL -- "-$pid" 2>/dev/null; for i in $(seq 100); do pid_alive keystone || group_ours "$pid" || exit 0; sleep 0.1; done; exit 1'
    : 'source scripts/openstack/lib.sh; source scripts/openstack/keystone.sh; keystone_start; keystone_wait';
  // One more start when the first dies during start-up: under heavy load this machine's uwsgi 2.0.21 worker
  // has been seen to segfault in its atexit right after "ready" (test infrastructure, not the operator).
  for (let attempt = 1; ; attempt++) {
    try {
      execFileSync('bash', ['-c', script], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
      return;
    } catch (err) {
      if (action === 'stop' || attempt >= 2) throw err;
      console.log(`keystone start failed once (${String(err).split('\n')[1] ?? err}); starting again`);
    }
  }
}
