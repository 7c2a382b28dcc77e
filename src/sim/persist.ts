// Optional --state FILE: the whole cloud as JSON, written (debounced) after changes and at close,
// read at start, so an operator restart test can keep its cloud.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Sim } from './context.js';
import type { Server } from './compute.js';
import type { Token } from './keystone.js';
import type { VncObject } from './store.js';

type SavedToken = Dump['tokens'][number];

interface Dump {
  version: 1;
  aaaMode: Sim['config']['aaaMode'];
  objects: VncObject[];
  relaxed: string[];
  servers: Server[];
  tokens: Array<{ id: string; user: string; project?: string; roles: string[]; issuedAt: string; expiresAt: string; auditId: string; methods?: string[] }>;
  appCredentials?: Array<{ id: string; name: string; secret: string; user: string; projectId: string; roles: string[] }>;
}

export class Persistence {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly path: string) {}

  schedule(sim: Sim): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush(sim);
    }, 200);
    this.timer.unref();
  }

  flush(sim: Sim): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const dump: Dump = {
      version: 1, aaaMode: sim.config.aaaMode,
      objects: [...sim.store.objects.values()].sort((a, b) => a.seq - b.seq),
      relaxed: sim.store.relaxedPairs(),
      servers: [...sim.compute.servers.values()],
      tokens: [...sim.identity.tokens.values()].map((t: Token) => ({
        id: t.id, user: t.user.name, ...(t.project === undefined ? {} : { project: t.project.id }), roles: t.roles,
        issuedAt: t.issuedAt.toISOString(), expiresAt: t.expiresAt.toISOString(), auditId: t.auditId,
        ...(t.methods === undefined ? {} : { methods: t.methods }),
      })),
      appCredentials: [...sim.identity.appCredentials.values()].map((a) => ({ id: a.id, name: a.name, secret: a.secret, user: a.user.name, projectId: a.projectId, roles: a.roles })),
    };
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify(dump));
    renameSync(tmp, this.path);
  }

  /** Loads the VNC objects and servers (identity is re-seeded from the topology); undefined if no file. */
  load(sim: Sim): { tokens: SavedToken[]; appCredentials: NonNullable<Dump['appCredentials']> } | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch {
      return undefined;
    }
    let dump: Dump;
    try {
      dump = JSON.parse(text) as Dump;
    } catch (e) {
      throw new Error(`${this.path}: not a simulator state file (${e instanceof Error ? e.message : String(e)})`);
    }
    if (dump?.version !== 1 || !Array.isArray(dump.objects)) throw new Error(`${this.path}: not a simulator state file (version ${String(dump?.version)})`);
    sim.config.aaaMode = dump.aaaMode;
    const store = sim.store;
    for (const o of dump.objects) {
      store.insert(o);
      store.hooks[o.type]?.restore?.(o);
    }
    for (const vn of store.byType.get('virtual-network')?.values() ?? []) {
      sim.ipam.commit(vn.uuid, sim.ipam.plan(vn, vn.refs['network_ipam_refs'] ?? []));
    }
    for (const iip of store.byType.get('instance-ip')?.values() ?? []) {
      const vn = iip.refs['virtual_network_refs']?.[0]?.uuid;
      if (vn !== undefined) sim.ipam.restore(vn, iip.props['instance_ip_address']);
    }
    for (const fip of store.byType.get('floating-ip')?.values() ?? []) {
      const pool = store.get(fip.parentUuid ?? '');
      if (pool?.type === 'floating-ip-pool' && pool.parentUuid !== undefined) sim.ipam.restore(pool.parentUuid, fip.props['floating_ip_address']);
    }
    for (const pair of dump.relaxed) {
      const [a, b] = pair.split(' ');
      if (a !== undefined && b !== undefined && store.get(a) !== undefined && store.get(b) !== undefined) store.relax(a, b);
    }
    for (const s of dump.servers) sim.compute.servers.set(s.id, s);
    return { tokens: dump.tokens, appCredentials: dump.appCredentials ?? [] };
  }

  restoreIdentity(sim: Sim, saved: { tokens: SavedToken[]; appCredentials: NonNullable<Dump['appCredentials']> }): void {
    const users = [...sim.identity.users.values()];
    for (const a of saved.appCredentials) {
      const user = users.find((u) => u.name === a.user);
      if (user !== undefined) sim.identity.appCredentials.set(a.id, { id: a.id, name: a.name, secret: a.secret, user, projectId: a.projectId, roles: a.roles });
    }
    const tokens = saved.tokens;
    for (const t of tokens) {
      const user = users.find((u) => u.name === t.user);
      if (user === undefined) continue;
      const token: Token = { id: t.id, user, roles: t.roles, issuedAt: new Date(t.issuedAt), expiresAt: new Date(t.expiresAt), auditId: t.auditId };
      if (t.methods !== undefined) token.methods = t.methods;
      const project = t.project === undefined ? undefined : sim.identity.projects.get(t.project);
      if (project !== undefined) token.project = project;
      sim.identity.tokens.set(t.id, token);
    }
  }
}
