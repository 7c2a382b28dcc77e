// Builds the starting cloud from a topology: Keystone projects/users, the VNC domain and
// projects (uuid = the Keystone id, dashed, as vnc_openstack syncs them), networks with their
// subnets on default-network-ipam, floating-ip pools, images and flavors.
import type { Sim } from './context.js';
import type { Topology } from './topology.js';
import { canonicalUuid } from './rand.js';
import { parseCidr, formatIPv4 } from './ip.js';

export function seedTopology(sim: Sim, t: Topology, opts: { identityOnly?: boolean } = {}): void {
  const { identity, random, store } = sim;
  const projectIds = new Map<string, string>();
  for (const p of t.projects) {
    const id = p.id ?? random.hex(32);
    projectIds.set(p.name, id);
    identity.projects.set(id, { id, name: p.name, domainId: identity.domain.id, description: '', enabled: true });
  }
  for (const u of t.users) {
    const roles = new Map<string, string[]>();
    for (const [proj, names] of Object.entries(u.roles)) roles.set(projectIds.get(proj) as string, names);
    const id = random.hex(32);
    const user = { id, name: u.name, password: u.password, domainId: identity.domain.id, roles };
    identity.users.set(id, user);
    for (const ac of u.applicationCredentials ?? []) {
      const projectId = projectIds.get(ac.project) as string;
      const acId = ac.id ?? random.hex(32);
      identity.appCredentials.set(acId, { id: acId, name: ac.name, secret: ac.secret, user, projectId, roles: roles.get(projectId) ?? [] });
    }
  }
  sim.images = t.images.map((im) => ({ id: im.id ?? random.uuid(), name: im.name }));
  sim.flavors = t.flavors.map((f) => ({ ...f }));
  sim.hosts = [...t.hosts];
  if (opts.identityOnly === true) return;

  store.create('domain', { fq_name: ['default-domain'] });
  store.create('project', { fq_name: ['default-domain', 'default-project'], parent_type: 'domain' });
  const ipam = store.create('network-ipam', { fq_name: ['default-domain', 'default-project', 'default-network-ipam'], parent_type: 'project' });
  for (const p of t.projects) {
    if (p.synced === false) continue;
    const id = projectIds.get(p.name) as string;
    store.create('project', { fq_name: ['default-domain', p.name], uuid: canonicalUuid(id), parent_type: 'domain' });
  }
  for (const n of t.networks) {
    const fq = ['default-domain', n.project, n.name];
    const subnets = n.subnets.map((s) => {
      const c = parseCidr(s.cidr);
      const raw: Record<string, unknown> = {
        subnet: { ip_prefix: formatIPv4(c?.network ?? 0), ip_prefix_len: c?.len ?? 32 },
        subnet_name: `${n.name}-subnet`, enable_dhcp: true,
      };
      if (s.id !== undefined) raw['subnet_uuid'] = s.id;
      if (s.gateway !== undefined) raw['default_gateway'] = s.gateway;
      return raw;
    });
    const body: Record<string, unknown> = {
      fq_name: fq, parent_type: 'project', is_shared: n.shared, router_external: n.external, port_security_enabled: true,
      network_ipam_refs: [{ to: ipam.fq, uuid: ipam.uuid, attr: { ipam_subnets: subnets } }],
    };
    if (n.id !== undefined) body['uuid'] = n.id;
    const vn = store.create('virtual-network', body);
    if (n.floatingIpPool !== undefined) store.create('floating-ip-pool', { fq_name: [...fq, n.floatingIpPool], parent_type: 'virtual-network' });
    void vn;
  }
}
