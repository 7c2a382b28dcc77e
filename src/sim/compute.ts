// Nova servers: the BUILD → ACTIVE lifecycle (or ERROR with a fault), port binding through the
// VMI's virtual_machine_refs, os-interface attach/detach, and the control API's state changes.
import { ApiError } from './http.js';
import type { Sim } from './context.js';
import { bindPort, createPort, deletePort, ensureProject, type PortSpec } from './ports.js';
import { isObject, VncError, type VncObject } from './store.js';
import { nowIsoZ } from './rand.js';
import { hostIdOf, NO_VALID_HOST, ServerGroups, type ServerGroup } from './server-groups.js';

export type ServerStatus = 'BUILD' | 'ACTIVE' | 'ERROR' | 'SHUTOFF';

export interface Fault { code: number; created: string; message: string; details: string }

export interface Server {
  id: string;
  name: string;
  projectId: string; // keystone id (32 hex)
  userId: string;
  imageRef: string;
  flavorRef: string;
  status: ServerStatus;
  taskState: string | null;
  metadata: Record<string, string>;
  userData: string | null;
  configDrive: boolean;
  keyName: string | null;
  securityGroups: string[];
  availabilityZone: string;
  tags: string[];
  created: string;
  updated: string;
  launchedAt: string | null;
  fault?: Fault;
  /** Ports in attach order; novaPorts are those Nova created (deleted with the server). */
  ports: string[];
  novaPorts: string[];
  adminPass: string;
  hostId: string;
  /** The compute host (admin-only OS-EXT-SRV-ATTR:host in Nova); undefined while unschedulable. */
  host?: string;
  locked?: boolean;
  /** Set when the boot is doomed (network allocation failed): ERROR with this fault at boot end. */
  pendingFault?: string;
}

/** Nova's answers to port problems (attach_interfaces.py / servers.py): 400 for IP trouble. */
export function novaPortError(e: unknown, ip: string | undefined, netId?: string): unknown {
  if (!(e instanceof VncError)) return e;
  if (e.status === 409 && e.message === 'IP address already in use') return new ApiError(400, `Fixed IP address ${ip ?? ''} is already in use on instance.`, 'badRequest');
  if (e.status === 400 && e.message.includes('has exhausted subnet')) {
    return e.message.endsWith('subnet([])')
      ? new ApiError(400, `Fixed IP ${ip ?? ''} is not a valid ip address for network ${netId ?? ''}.`, 'badRequest')
      : new ApiError(400, `No fixed IP addresses available for network: ${netId ?? ''}`, 'badRequest');
  }
  return new ApiError(e.status >= 500 ? 500 : 400, e.message, e.status >= 500 ? 'computeFault' : 'badRequest');
}

export interface BootFailure { remaining: number; message: string }

export const VM_STATE: Record<ServerStatus, string> = { BUILD: 'building', ACTIVE: 'active', ERROR: 'error', SHUTOFF: 'stopped' };
export const POWER_STATE: Record<ServerStatus, number> = { BUILD: 0, ACTIVE: 1, ERROR: 0, SHUTOFF: 4 };

export class Compute {
  readonly servers = new Map<string, Server>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Injected boot failures: the next N servers go ERROR instead of ACTIVE. */
  readonly bootFailures: BootFailure[] = [];
  readonly serverGroups = new ServerGroups();

  constructor(private readonly sim: Sim) {}

  create(input: {
    name: string; projectId: string; userId: string; imageRef: string; flavorRef: string;
    networks: Array<{ port?: string; uuid?: string; fixedIp?: string }>; metadata: Record<string, string>;
    userData: string | null; configDrive: boolean; keyName: string | null; securityGroups: string[];
    availabilityZone: string; tags: string[];
    /** scheduler hint `group` */
    group?: string;
  }): Server {
    const sim = this.sim;
    const project = ensureProject(sim, input.projectId);
    const group: ServerGroup | undefined = input.group === undefined ? undefined : this.serverGroups.forHint(input.group, input.projectId);
    // Check every requested port before touching anything, as nova-api does.
    for (const n of input.networks) {
      if (n.port !== undefined) {
        const vmi = sim.store.get(n.port);
        if (vmi?.type !== 'virtual-machine-interface') throw new ApiError(400, `Port ${n.port} not found.`, 'badRequest');
        if ((vmi.refs['virtual_machine_refs']?.length ?? 0) > 0) throw new ApiError(409, `Port ${n.port} is still in use.`, 'conflictingRequest');
      } else if (n.uuid !== undefined && sim.store.get(n.uuid)?.type !== 'virtual-network') {
        throw new ApiError(400, `Network ${n.uuid} could not be found.`, 'badRequest');
      }
    }
    const now = nowIsoZ();
    const id = sim.random.uuid();
    const server: Server = {
      id, name: input.name, projectId: input.projectId, userId: input.userId, imageRef: input.imageRef,
      flavorRef: input.flavorRef, status: 'BUILD', taskState: 'scheduling', metadata: input.metadata,
      userData: input.userData, configDrive: input.configDrive, keyName: input.keyName,
      securityGroups: input.securityGroups, availabilityZone: input.availabilityZone, tags: input.tags,
      created: now, updated: now, launchedAt: null, ports: [], novaPorts: [], adminPass: sim.random.hex(12),
      hostId: '',
    };
    // Scheduled now (the real scheduler is asynchronous, but its answer depends only on this).
    const host = this.serverGroups.pickHost(group, sim.hosts, (m) => this.servers.get(m)?.host, (h) => [...this.servers.values()].filter((s) => s.host === h).length);
    if (host !== undefined) {
      server.host = host;
      server.hostId = hostIdOf(input.projectId, host);
    } else server.pendingFault = NO_VALID_HOST;
    group?.members.push(id);
    sim.store.create('virtual-machine', { fq_name: [id], uuid: id, display_name: input.name, server_type: 'virtual-server' });
    this.servers.set(id, server);
    // Ports Nova must create come first: if one fails (no free IP), nothing else was touched.
    const ordered: VncObject[] = [];
    try {
      for (const n of input.networks) {
        if (n.port !== undefined) ordered.push(sim.store.get(n.port) as VncObject);
        else if (n.uuid !== undefined) {
          const spec: PortSpec = { networkId: n.uuid, deviceOwner: 'compute:nova' };
          if (n.fixedIp !== undefined) spec.fixedIps = [{ ipAddress: n.fixedIp }];
          const vmi = createPort(sim, project, spec);
          server.novaPorts.push(vmi.uuid);
          ordered.push(vmi);
        }
      }
    } catch (e) {
      for (const p of server.novaPorts) deletePort(sim, sim.store.get(p) as VncObject);
      server.novaPorts = [];
      if (e instanceof VncError && e.status === 400 && e.message.includes('has exhausted subnet') && !e.message.endsWith('subnet([])')) {
        // Nova allocates networks on the compute host: the boot is accepted, then fails.
        server.pendingFault = `Build of instance ${id} aborted: Failed to allocate the network(s), not rescheduling.`;
        this.schedule(server);
        sim.changed();
        return server;
      }
      this.servers.delete(id);
      sim.store.delete('virtual-machine', id);
      throw novaPortError(e, input.networks.find((n) => n.fixedIp !== undefined)?.fixedIp);
    }
    for (const vmi of ordered) this.bind(server, vmi);
    this.schedule(server);
    sim.changed();
    return server;
  }

  private schedule(server: Server): void {
    const t = setTimeout(() => {
      this.timers.delete(server.id);
      if (!this.servers.has(server.id) || server.status !== 'BUILD') return;
      const failure = this.bootFailures.find((f) => f.remaining > 0);
      if (server.pendingFault !== undefined) {
        this.setState(server.id, 'ERROR', server.pendingFault);
      } else if (failure !== undefined) {
        failure.remaining--;
        this.setState(server.id, 'ERROR', failure.message);
      } else {
        this.setState(server.id, 'ACTIVE');
      }
    }, this.sim.config.bootTimeMs);
    t.unref();
    this.timers.set(server.id, t);
  }

  /** Resumes BUILD timers after loading persisted state. */
  resume(): void {
    for (const s of this.servers.values()) if (s.status === 'BUILD') this.schedule(s);
  }

  bind(server: Server, vmi: VncObject): void {
    bindPort(this.sim, vmi, server.id, 'compute:nova');
    server.ports.push(vmi.uuid);
  }

  setState(id: string, status: ServerStatus | 'vanish', message?: string): Server | undefined {
    const s = this.servers.get(id);
    if (s === undefined) return undefined;
    if (status === 'vanish') {
      // The hypervisor lost it: Nova forgets the server, the ports stay bound to a dead VM.
      this.servers.delete(id);
      this.clearTimer(id);
      this.sim.changed();
      return s;
    }
    s.status = status;
    s.taskState = null;
    s.updated = nowIsoZ();
    if (status === 'ACTIVE' && s.launchedAt === null) s.launchedAt = s.updated;
    if (status === 'ERROR') {
      s.fault = { code: 500, created: s.updated, message: message ?? 'No valid host was found. There are not enough hosts available.', details: '' };
    } else {
      delete s.fault;
    }
    if (status !== 'BUILD') this.clearTimer(id);
    this.sim.changed();
    return s;
  }

  private clearTimer(id: string): void {
    const t = this.timers.get(id);
    if (t !== undefined) clearTimeout(t);
    this.timers.delete(id);
  }

  /** DELETE /servers/{id}: Nova deletes the ports it created and unbinds the others. */
  delete(id: string): void {
    const s = this.servers.get(id);
    if (s === undefined) throw new ApiError(404, `Instance ${id} could not be found.`, 'itemNotFound');
    if (s.locked === true) throw new ApiError(409, `Instance ${id} is locked`, 'conflictingRequest');
    this.remove(s);
    this.sim.changed();
  }

  private remove(s: Server): void {
    const store = this.sim.store;
    this.clearTimer(s.id);
    for (const p of [...s.ports]) {
      const vmi = store.get(p);
      if (vmi === undefined) continue;
      if (s.novaPorts.includes(p)) deletePort(this.sim, vmi);
      else bindPort(this.sim, vmi, '', '');
    }
    // Ports bound through Neutron's device_id also point at the VM.
    for (const vmi of store.referrers(s.id, 'virtual-machine-interface')) bindPort(this.sim, vmi, '', '');
    this.servers.delete(s.id);
    this.serverGroups.forget(s.id);
    if (store.get(s.id) !== undefined) store.delete('virtual-machine', s.id);
  }

  private requireRunning(s: Server, action: string): void {
    if (s.status !== 'ACTIVE' && s.status !== 'SHUTOFF') {
      throw new ApiError(409, `Cannot '${action}' instance ${s.id} while it is in vm_state ${VM_STATE[s.status]}`, 'conflictingRequest');
    }
  }

  attach(s: Server, body: { portId?: string; netId?: string; fixedIp?: string }): VncObject {
    const sim = this.sim;
    this.requireRunning(s, 'attach_interface');
    let vmi: VncObject;
    if (body.portId !== undefined) {
      const found = sim.store.get(body.portId);
      if (found?.type !== 'virtual-machine-interface') throw new ApiError(404, `Port ${body.portId} could not be found.`, 'itemNotFound');
      if ((found.refs['virtual_machine_refs']?.length ?? 0) > 0) throw new ApiError(409, `Port ${body.portId} is still in use.`, 'conflictingRequest');
      vmi = found;
      this.bind(s, vmi);
    } else if (body.netId !== undefined) {
      if (sim.store.get(body.netId)?.type !== 'virtual-network') throw new ApiError(404, `Network ${body.netId} could not be found.`, 'itemNotFound');
      const spec: PortSpec = { networkId: body.netId, deviceOwner: 'compute:nova' };
      if (body.fixedIp !== undefined) spec.fixedIps = [{ ipAddress: body.fixedIp }];
      try {
        vmi = createPort(sim, ensureProject(sim, s.projectId), spec);
      } catch (e) {
        throw novaPortError(e, body.fixedIp, body.netId);
      }
      s.novaPorts.push(vmi.uuid);
      this.bind(s, vmi);
    } else {
      throw new ApiError(400, 'Must input network_id when request IP address', 'badRequest');
    }
    s.updated = nowIsoZ();
    sim.changed();
    return vmi;
  }

  detach(s: Server, portId: string): void {
    this.requireRunning(s, 'detach_interface');
    const vmi = this.sim.store.get(portId);
    const bound = vmi?.refs['virtual_machine_refs']?.[0]?.uuid === s.id;
    // As Nova: the API accepts (202) the detach of a port that is not attached, or does not
    // exist, and nova-compute fails it later (PortNotFound in its log); nothing changes.
    if (vmi === undefined || !bound) return;
    s.ports = s.ports.filter((p) => p !== portId);
    if (s.novaPorts.includes(portId)) {
      s.novaPorts = s.novaPorts.filter((p) => p !== portId);
      deletePort(this.sim, vmi);
    } else {
      bindPort(this.sim, vmi, '', '');
    }
    s.updated = nowIsoZ();
    this.sim.changed();
  }

  /** Ports bound to the server (attach order first, then any bound through Neutron). */
  portsOf(s: Server): VncObject[] {
    const store = this.sim.store;
    const seen = new Set<string>();
    const out: VncObject[] = [];
    for (const p of s.ports) {
      const v = store.get(p);
      if (v !== undefined && v.refs['virtual_machine_refs']?.[0]?.uuid === s.id && !seen.has(p)) {
        seen.add(p);
        out.push(v);
      }
    }
    for (const v of store.referrers(s.id, 'virtual-machine-interface')) {
      if (!seen.has(v.uuid)) {
        seen.add(v.uuid);
        out.push(v);
      }
    }
    return out;
  }

  close(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}

export const metadataOf = (x: unknown): Record<string, string> | undefined => {
  if (!isObject(x)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(x)) {
    if (typeof v !== 'string') return undefined;
    out[k] = v;
  }
  return out;
};
