// The netns data plane of the simulator (`sim --dataplane netns`): a fabric namespace standing for
// the vRouters, a namespace per Nova server (the SE), one veth per data vNIC between them, the
// vRouter model's routes as resilient nexthop groups in the fabric, pool servers and a client in
// namespaces of their own. It observes the simulator (every change reschedules one serial
// reconcile: snapshot → plan → apply) and never edits the model.
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import process from 'node:process';
import type { Sim } from '../context.js';
import type { SimPlugin } from '../index.js';
import type { ServerStatus } from '../compute.js';
import { checkDataplaneHost, ip, Netns, sweep, type SweepResult } from './netns.js';
import { planDataplane, processTransition, type Action, type DataplaneWant, type ServerWant, type VnicWant } from './plan.js';
import { isBenchmarkAddress, CLIENT_NET, Renumbering } from './renumber.js';
import { snapshotModel, snapshotNat, snapshotProbes, type ModelOptions } from './model.js';
import { noSeProcesses, type SeRunner } from './runner.js';
import { removeConfigDrive, writeConfigDrive } from './configdrive.js';
import { portMac } from '../ports.js';

export interface DataplaneOptions extends ModelOptions {
  runner?: SeRunner;
  /** Resilient group size (fixed for a group's life) and bucket idle time before migration. */
  buckets?: number;
  idleTimerSeconds?: number;
  /** Seconds a group may stay unbalanced before busy buckets move too (0: never). */
  unbalancedTimerSeconds?: number;
  /**
   * The vRouter's flow table (default on): conntrack marks pin every flow to the next hop that
   * took its first packet, so a group change steers new flows only; a flow whose next hop left the
   * prefix falls back to the group (and moves, as the vRouter moves it).
   */
  pinFlows?: boolean;
  /** Pool servers (model addresses, e.g. 20.0.0.3, port 80) started with the data plane. */
  poolServers?: readonly string[];
  /** A run id (4 hex digits) instead of a random one. */
  run?: string;
  log?: (line: string) => void;
}



interface VnicApplied extends VnicWant { seIf: string; fabricIf: string; nh: number }
interface ServerApplied extends ServerWant { ns: string; procs: ChildProcess[] }

const procPath = (name: string): string => {
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  return fileURLToPath(new URL(`./procs/${name}.${ext}`, import.meta.url));
};

export const NODE = process.execPath;
/** Per-vNIC flow-table routing tables: TABLE_BASE + nexthop id (clear of local/main/default). */
const TABLE_BASE = 1000;

export class NetnsDataplane implements SimPlugin {
  readonly map = new Renumbering();
  netns!: Netns;
  fabric = '';
  client = '';
  swept: SweepResult = { namespaces: [], links: [], paths: [] };
  /** Config drives, one directory per server booted with config_drive (see configdrive.ts). */
  configDrives = '';
  private sim!: Sim;
  private readonly runner: SeRunner;
  private readonly buckets: number;
  private readonly idleTimer: number;
  private readonly unbalancedTimer: number;
  private readonly pin: boolean;
  private readonly servers = new Map<string, ServerApplied>();
  private readonly vnics = new Map<string, VnicApplied>();
  private readonly routes = new Map<string, { members: string[]; network: string; group?: number }>();
  private readonly withdrawn = new Set<string>();
  private nextId = 1;
  private prober: ChildProcess | undefined;
  /** DNAT rules in the fabric: kernel floating IP → kernel fixed address. */
  private readonly nats = new Map<string, string>();
  private probeSet = '[]';
  /** Health-check transitions seen (vmi, up, reason), oldest first. */
  readonly probeEvents: Array<{ vmi: string; up: boolean; reason: string; at: number }> = [];
  private running: Promise<void> | undefined;
  private dirty = false;
  private closed = false;
  private readonly log: (line: string) => void;
  readonly errors: string[] = [];

  constructor(private readonly opts: DataplaneOptions = {}) {
    this.runner = opts.runner ?? noSeProcesses;
    this.buckets = opts.buckets ?? 256;
    this.pin = opts.pinFlows ?? true;
    // Pinned flows do not care which bucket they hash to, so buckets may move at once.
    this.idleTimer = opts.idleTimerSeconds ?? (this.pin ? 1 : 10);
    this.unbalancedTimer = opts.unbalancedTimerSeconds ?? (this.pin ? 1 : 0);
    this.log = opts.log ?? ((l) => process.stderr.write(`dataplane: ${l}\n`));
  }

  async start(sim: Sim, subscribe: (listener: () => void) => void): Promise<void> {
    checkDataplaneHost();
    this.sim = sim;
    this.swept = sweep();
    const swept = [...this.swept.namespaces, ...this.swept.links, ...this.swept.paths];
    if (swept.length > 0) {
      this.log(`swept what a killed run left: ${swept.join(' ')}`);
    }
    this.netns = new Netns(this.opts.run);
    this.configDrives = this.netns.tempPath('configdrive');
    try {
      this.fabric = await this.netns.addNamespace('fabric');
      // Before any interface exists: new interfaces take the `default` values.
      await this.netns.sysctl(this.fabric, {
        'net.ipv4.ip_forward': 1, 'net.ipv4.fib_multipath_hash_policy': 1,
        'net.ipv4.conf.all.rp_filter': 0, 'net.ipv4.conf.default.rp_filter': 0,
        'net.ipv4.conf.default.proxy_arp': 1,
      });
      if (this.pin) await this.iptables(['-t', 'mangle', '-A', 'PREROUTING', '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'CONNMARK', '--restore-mark']);
      this.client = await this.netns.addNamespace('client');
      // The client opens thousands of connections a second in the bench: with the default 28k
      // ephemeral ports and no TIME-WAIT reuse, waves of ports stuck in TIME-WAIT shaped every
      // `Connection: close` figure (connect errors, rate dips). A host load generator is set so.
      await this.netns.sysctl(this.client, { 'net.ipv4.tcp_tw_reuse': 1, 'net.ipv4.ip_local_port_range': '1024 65535' });
      await this.attachEndpoint(this.client, 'c', CLIENT_NET.address, 24, CLIENT_NET.gateway);
      for (const p of this.opts.poolServers ?? []) await this.addPoolServer(p);
    } catch (e) {
      await this.netns.close();
      throw e;
    }
    subscribe(() => this.schedule());
    this.schedule();
    await this.settled();
  }

  /** Resolves once every change seen so far is in the kernel. */
  async settled(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  /** Health-check seam: a withdrawn VMI leaves every group until restored. */
  withdraw(vmi: string): void {
    this.withdrawn.add(vmi);
    this.schedule();
  }

  restore(vmi: string): void {
    if (this.withdrawn.delete(vmi)) this.schedule();
  }

  /**
   * Fault seam for repair tests, one Nova does not see (the server stays ACTIVE): `all` hangs the
   * whole SE — its processes and everything in its namespace (a frozen VM: no heartbeat, no data
   * path) — `agent` only its SE processes (the control channel is lost, HAProxy serves on).
   * thawSE resumes them. False when no such server runs.
   */
  freezeSE(serverId: string, what: 'all' | 'agent'): boolean {
    const s = this.servers.get(serverId);
    if (s === undefined || s.procs.length === 0) return false;
    for (const p of s.procs) if (p.pid !== undefined) tryKill(p.pid, 'SIGSTOP');
    if (what === 'all') for (const pid of this.namespacePids(s.ns)) tryKill(pid, 'SIGSTOP');
    return true;
  }

  thawSE(serverId: string): boolean {
    const s = this.servers.get(serverId);
    if (s === undefined) return false;
    for (const pid of this.namespacePids(s.ns)) tryKill(pid, 'SIGCONT');
    for (const p of s.procs) if (p.pid !== undefined) tryKill(p.pid, 'SIGCONT');
    return true;
  }

  seNamespace(serverId: string): string | undefined {
    return this.servers.get(serverId)?.ns;
  }

  vnicOf(vmi: string): { seIf: string; fabricIf: string; address: string; nh: number } | undefined {
    const v = this.vnics.get(vmi);
    return v === undefined ? undefined : { seIf: v.seIf, fabricIf: v.fabricIf, address: v.address, nh: v.nh };
  }

  /**
   * Called (and awaited) just before a route loses next hops, while the leaving ones still carry
   * their pinned flows: a test samples "in flight at the withdrawal instant" here (flowsPinnedTo,
   * the leaving SE's HAProxy). Delays the rewrite by as long as it takes.
   */
  beforeWithdraw: ((w: { prefix: string; leaving: string[] }) => Promise<void>) | undefined = undefined;

  /** Called with every action the reconcile applies, and with each change of the probe set (a test's timeline). */
  onAction: ((what: string) => void) | undefined = undefined;

  /**
   * The TCP flows the fabric has pinned to VMI's next hop (conntrack entries carrying its mark)
   * towards DST: flow ("src:sport") → state (ESTABLISHED, SYN_RECV, TIME_WAIT, ...) — the flows
   * a withdrawal moves.
   */
  async flowsPinnedTo(vmi: string, dst: string): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const [flow, f] of await this.flowTable(dst)) if (f.vmi === vmi) out.set(flow, f.state);
    return out;
  }

  /**
   * Every TCP flow towards DST in the fabric's flow table, in one read: flow ("src:sport") →
   * its state and the VMI whose next hop it is pinned to ('' when its mark names none) — which
   * SE a client connection is on, told by the client's local port.
   */
  async flowTable(dst: string): Promise<Map<string, { state: string; vmi: string }>> {
    const byNh = new Map([...this.vnics].map(([vmi, v]) => [String(v.nh), vmi]));
    const out = new Map<string, { state: string; vmi: string }>();
    const table = await ip(['netns', 'exec', this.fabric, 'cat', '/proc/net/nf_conntrack']);
    for (const line of table.split('\n')) {
      if (!line.includes(' tcp ') || !line.includes(` dst=${dst} `)) continue;
      const m = / tcp +6 +\d+ +([A-Z_]+) +src=(\S+) dst=\S+ sport=(\d+)/.exec(line);
      const mark = / mark=(\d+) /.exec(line)?.[1] ?? '';
      if (m !== null) out.set(`${m[2]}:${m[3]}`, { state: m[1] ?? 'UNKNOWN', vmi: byNh.get(mark) ?? '' });
    }
    return out;
  }

  /** The kernel route of a prefix: its group id and member VMIs (for tests and the bench). */
  routeOf(kernelPrefix: string): { group?: number; members: string[] } | undefined {
    return this.routes.get(kernelPrefix);
  }

  private schedule(): void {
    if (this.closed) return;
    this.dirty = true;
    if (this.running !== undefined) return;
    this.running = (async () => {
      try {
        while (this.dirty && !this.closed) {
          this.dirty = false;
          await this.reconcile();
        }
      } finally {
        this.running = undefined;
      }
    })();
  }

  private applied(): DataplaneWant {
    return {
      servers: new Map([...this.servers].map(([k, v]) => [k, { id: v.id, name: v.name, status: v.status }])),
      vnics: this.vnics,
      routes: new Map([...this.routes].map(([k, v]) => [k, { prefix: k, network: v.network, members: v.members }])),
    };
  }

  private async reconcile(): Promise<void> {
    const want = snapshotModel(this.sim, this.map, this.opts);
    await this.updateProbes(snapshotProbes(this.sim, this.map, want));
    for (const a of planDataplane(this.applied(), want, this.withdrawn)) {
      if (this.closed) return;
      try {
        this.onAction?.(`${a.kind} ${JSON.stringify(a).slice(0, 200)}`);
        await this.apply(a);
      } catch (e) {
        const line = `${a.kind}: ${(e as Error).message}`;
        this.errors.push(line);
        this.log(line);
      }
    }
    if (this.closed) return;
    await this.applyNat(snapshotNat(this.sim, this.map)).catch((e: unknown) => {
      const line = `NAT: ${(e as Error).message}`;
      this.errors.push(line);
      this.log(line);
    });
  }

  /** Floating IPs: DNAT to the fixed address before routing (conntrack undoes it on replies). */
  private async applyNat(want: Map<string, string>): Promise<void> {
    const rule = (fip: string, fixed: string): string[] => ['PREROUTING', '-d', `${fip}/32`, '-j', 'DNAT', '--to-destination', fixed];
    for (const [fip, fixed] of [...this.nats]) {
      if (want.get(fip) === fixed) continue;
      await this.iptables(['-t', 'nat', '-D', ...rule(fip, fixed)]).catch(() => undefined);
      this.nats.delete(fip);
    }
    for (const [fip, fixed] of want) {
      if (this.nats.has(fip)) continue;
      if (!isBenchmarkAddress(fip) || !isBenchmarkAddress(fixed)) throw new Error(`refusing NAT ${fip} -> ${fixed}: not in 198.18.0.0/15`);
      await this.iptables(['-t', 'nat', '-A', ...rule(fip, fixed)]);
      this.nats.set(fip, fixed);
    }
  }

  private async apply(a: Action): Promise<void> {
    const n = this.netns;
    switch (a.kind) {
      case 'AddServer': {
        const ns = await n.addNamespace(`se-${a.server.id}`);
        await n.sysctl(ns, { 'net.ipv4.conf.all.rp_filter': 0, 'net.ipv4.conf.default.rp_filter': 0 });
        const s: ServerApplied = { ...a.server, status: 'BUILD', ns, procs: [] };
        this.servers.set(a.server.id, s);
        if (a.server.status !== 'BUILD') this.transition(s, a.server.status);
        return;
      }
      case 'AddVnic': {
        const s = this.servers.get(a.vnic.server);
        if (s === undefined) throw new Error(`vNIC ${a.vnic.vmi}: no namespace for server ${a.vnic.server}`);
        for (const addr of [a.vnic.address, a.vnic.gateway]) if (!isBenchmarkAddress(addr)) throw new Error(`refusing ${addr}: not in 198.18.0.0/15`);
        const { a: seIf, b: fabricIf } = await n.veth(s.ns, this.fabric, 'v', a.vnic.mac || undefined);
        await n.in(s.ns, ['addr', 'add', `${a.vnic.address}/${a.vnic.prefixLen}`, 'dev', seIf]);
        // The first data vNIC carries the default route, as DHCP gives it on a VM.
        const hasDefault = [...this.vnics.values()].some((v) => v.server === s.id);
        if (!hasDefault) await n.in(s.ns, ['route', 'replace', 'default', 'via', a.vnic.gateway, 'dev', seIf]);
        await this.fabricPort(fabricIf);
        await n.in(this.fabric, ['addr', 'add', `${a.vnic.gateway}/32`, 'dev', fabricIf]);
        const nh = this.nextId++;
        await n.in(this.fabric, ['nexthop', 'add', 'id', String(nh), 'via', a.vnic.address, 'dev', fabricIf, 'onlink']);
        if (this.pin) {
          // The flow table: a new flow leaving on this vNIC is marked with its nexthop id; later
          // packets carry the mark (restored in PREROUTING) and look up this vNIC's own table.
          await this.iptables(['-t', 'mangle', '-A', 'POSTROUTING', ...this.pinRule(fabricIf, nh)]);
          await n.in(this.fabric, ['rule', 'add', 'fwmark', String(nh), 'lookup', String(TABLE_BASE + nh), 'priority', '100']);
        }
        this.vnics.set(a.vnic.vmi, { ...a.vnic, seIf, fabricIf, nh });
        return;
      }
      case 'SetRoute': {
        const prefix = a.route.prefix;
        if (!isBenchmarkAddress(prefix.split('/')[0] ?? '')) throw new Error(`refusing ${prefix}: not in 198.18.0.0/15`);
        const cur = this.routes.get(prefix);
        const leaving = (cur?.members ?? []).filter((m) => !a.route.members.includes(m));
        if (leaving.length > 0 && this.beforeWithdraw !== undefined) await this.beforeWithdraw({ prefix, leaving }).catch((e: unknown) => this.log(`beforeWithdraw: ${(e as Error).message}`));
        await this.pinTables(prefix, cur?.members ?? [], a.route.members);
        const nhs = a.route.members.map((m) => this.vnics.get(m)?.nh).filter((x): x is number => x !== undefined);
        if (nhs.length === 0) {
          await n.in(this.fabric, ['route', 'replace', 'unreachable', prefix]);
          if (cur?.group !== undefined) await n.in(this.fabric, ['nexthop', 'del', 'id', String(cur.group)]);
          this.routes.set(prefix, { members: [], network: a.route.network });
          return;
        }
        const group = ['group', nhs.join('/'), 'type', 'resilient', 'buckets', String(this.buckets), 'idle_timer', String(this.idleTimer), 'unbalanced_timer', String(this.unbalancedTimer)];
        if (cur?.group !== undefined) {
          // In place: the buckets of the members that stay keep their next hop (and their flows).
          await n.in(this.fabric, ['nexthop', 'replace', 'id', String(cur.group), ...group]);
          this.routes.set(prefix, { members: a.route.members, network: a.route.network, group: cur.group });
          return;
        }
        const id = this.nextId++;
        await n.in(this.fabric, ['nexthop', 'add', 'id', String(id), ...group]);
        await n.in(this.fabric, ['route', 'replace', prefix, 'nhid', String(id)]);
        this.routes.set(prefix, { members: a.route.members, network: a.route.network, group: id });
        return;
      }
      case 'DelRoute': {
        const cur = this.routes.get(a.prefix);
        await this.pinTables(a.prefix, cur?.members ?? [], []);
        await n.in(this.fabric, ['route', 'del', a.prefix]).catch(() => undefined);
        if (cur?.group !== undefined) await n.in(this.fabric, ['nexthop', 'del', 'id', String(cur.group)]).catch(() => undefined);
        this.routes.delete(a.prefix);
        return;
      }
      case 'DelVnic': {
        const v = this.vnics.get(a.vmi);
        if (v === undefined) return;
        // Deleting the fabric end takes its peer, its nexthop, addresses and table routes with it.
        await n.in(this.fabric, ['link', 'del', v.fabricIf]).catch(() => undefined);
        if (this.pin) {
          await n.in(this.fabric, ['rule', 'del', 'fwmark', String(v.nh), 'lookup', String(TABLE_BASE + v.nh), 'priority', '100']).catch(() => undefined);
          await this.iptables(['-t', 'mangle', '-D', 'POSTROUTING', ...this.pinRule(v.fabricIf, v.nh)]).catch(() => undefined);
        }
        this.vnics.delete(a.vmi);
        // The default route went with the first vNIC: the next one of the server carries it.
        const s = this.servers.get(v.server);
        const next = [...this.vnics.values()].find((x) => x.server === v.server);
        if (s !== undefined && next !== undefined) {
          const has = await n.in(s.ns, ['route', 'show', 'default']);
          if (has.trim() === '') await n.in(s.ns, ['route', 'replace', 'default', 'via', next.gateway, 'dev', next.seIf]);
        }
        for (const [prefix, r] of this.routes) if (r.members.includes(a.vmi)) this.routes.set(prefix, { ...r, members: r.members.filter((m) => m !== a.vmi) });
        return;
      }
      case 'DelServer': {
        const s = this.servers.get(a.id);
        if (s === undefined) return;
        for (const p of s.procs) n.kill(p);
        await n.delNamespace(s.ns);
        removeConfigDrive(this.configDrives, a.id);
        this.servers.delete(a.id);
        return;
      }
      case 'ServerState': {
        const s = this.servers.get(a.id);
        if (s !== undefined) this.transition(s, a.to);
        return;
      }
    }
  }

  /** Sends the probe set to the fabric's prober (started on first use); failures withdraw. */
  private async updateProbes(targets: ReturnType<typeof snapshotProbes>): Promise<void> {
    const set = JSON.stringify(targets);
    if (set === this.probeSet) return;
    this.probeSet = set;
    this.onAction?.(`probes ${set.slice(0, 300)}`);
    for (const vmi of [...this.withdrawn]) if (!targets.some((t) => t.vmi === vmi)) this.withdrawn.delete(vmi);
    // The VMI's health as analytics reports it: a new check starts up (as the prober does), a
    // removed one is no longer reported.
    const probed = new Set(targets.map((t) => t.vmi));
    for (const vmi of [...this.sim.healthChecks.keys()]) if (!probed.has(vmi)) this.sim.healthChecks.delete(vmi);
    for (const vmi of probed) if (!this.sim.healthChecks.has(vmi)) this.sim.healthChecks.set(vmi, { up: true, reason: 'probe started', at: Date.now() });
    if (this.prober === undefined) {
      if (targets.length === 0) return;
      const p = this.netns.spawnIn(this.fabric, [NODE, procPath('prober'), `lbop-${this.netns.run}-prober`]);
      await readyLine(p, 'ready', 10_000);
      this.prober = p;
      let buf = '';
      p.stdout?.on('data', (d: Buffer) => {
        buf += d.toString('utf8');
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          const ev = JSON.parse(line) as { vmi: string; up: boolean; reason: string };
          this.probeEvents.push({ ...ev, at: Date.now() });
          if (this.sim.healthChecks.has(ev.vmi)) this.sim.healthChecks.set(ev.vmi, { up: ev.up, reason: ev.reason, at: Date.now() });
          this.log(`health check: ${ev.vmi} ${ev.up ? 'up' : 'down'} (${ev.reason})`);
          if (ev.up) this.restore(ev.vmi);
          else this.withdraw(ev.vmi);
        }
      });
    }
    this.prober.stdin?.write(JSON.stringify({ targets }) + '\n');
  }

  /** SE processes follow the server: ACTIVE runs, ERROR freezes (SIGSTOP), SHUTOFF stops. */
  private transition(s: ServerApplied, to: ServerStatus): void {
    const what = processTransition(s.status, to);
    s.status = to;
    const signalAll = (sig: NodeJS.Signals): void => {
      for (const p of s.procs) if (p.pid !== undefined) tryKill(p.pid, sig);
      for (const pid of this.namespacePids(s.ns)) tryKill(pid, sig);
    };
    switch (what) {
      case 'start': {
        const server = this.sim.compute.servers.get(s.id);
        const drive = server === undefined ? undefined : writeConfigDrive(this.configDrives, server, this.sim.compute.portsOf(server).map((p) => portMac(p)));
        s.procs = this.runner.start({ serverId: s.id, serverName: s.name, netns: s.ns, ...(drive === undefined ? {} : { configDrive: drive }) });
        for (const p of s.procs) this.netns.adopt(p);
        return;
      }
      case 'freeze': signalAll('SIGSTOP'); return;
      case 'thaw': signalAll('SIGCONT'); return;
      case 'stop':
        signalAll('SIGKILL');
        signalAll('SIGCONT');
        s.procs = [];
        return;
      case 'none': return;
    }
  }

  private pinRule(fabricIf: string, nh: number): string[] {
    return ['-o', fabricIf, '-m', 'conntrack', '--ctstate', 'NEW', '-j', 'CONNMARK', '--set-mark', String(nh)];
  }

  /** Each member's own table routes the prefix via that member only: its pinned flows stay. */
  private async pinTables(prefix: string, before: readonly string[], after: readonly string[]): Promise<void> {
    if (!this.pin) return;
    for (const m of before) {
      const v = this.vnics.get(m);
      if (v !== undefined && !after.includes(m)) await this.netns.in(this.fabric, ['route', 'del', prefix, 'table', String(TABLE_BASE + v.nh)]).catch(() => undefined);
    }
    for (const m of after) {
      const v = this.vnics.get(m);
      if (v !== undefined && !before.includes(m)) {
        await this.netns.in(this.fabric, ['route', 'replace', prefix, 'via', v.address, 'dev', v.fabricIf, 'onlink', 'table', String(TABLE_BASE + v.nh)]);
      }
    }
  }

  private async iptables(argv: string[]): Promise<void> {
    await ip(['netns', 'exec', this.fabric, 'iptables', '-w', '5', ...argv]);
  }

  /** A fabric port answers ARP for whatever it routes elsewhere (as a vRouter does), at once. */
  private async fabricPort(ifname: string): Promise<void> {
    await this.netns.sysctl(this.fabric, { [`net.ipv4.conf.${ifname}.proxy_arp`]: 1, [`net.ipv4.neigh.${ifname}.proxy_delay`]: 0 });
  }

  private namespacePids(ns: string): number[] {
    return this.netns.pidsIn(ns);
  }

  /**
   * Wires an endpoint namespace (client, pool server) to the fabric: ADDR/LEN on its end with a
   * default route via GATEWAY, the gateway on the fabric end and a host route back.
   */
  async attachEndpoint(ns: string, role: 'c' | 'p', address: string, len: number, gateway: string): Promise<{ nsIf: string; fabricIf: string }> {
    for (const addr of [address, gateway]) if (!isBenchmarkAddress(addr)) throw new Error(`refusing ${addr}: not in 198.18.0.0/15`);
    const { a, b } = await this.netns.veth(ns, this.fabric, role);
    await this.netns.in(ns, ['addr', 'add', `${address}/${len}`, 'dev', a]);
    await this.netns.in(ns, ['route', 'replace', 'default', 'via', gateway, 'dev', a]);
    await this.fabricPort(b);
    await this.netns.in(this.fabric, ['addr', 'add', `${gateway}/32`, 'dev', b]);
    await this.netns.in(this.fabric, ['route', 'replace', `${address}/32`, 'dev', b]);
    return { nsIf: a, fabricIf: b };
  }

  /**
   * A pool server: a namespace of its own on the fabric with a real HTTP server answering
   * {"server": MODEL_IP}. MODEL_IP is the model's address (e.g. 20.0.0.3); the kernel gets its image.
   */
  async addPoolServer(modelIp: string, port = 80): Promise<{ ns: string; address: string; proc: ChildProcess }> {
    const address = this.map.kernelOf(modelIp);
    const gateway = address.replace(/\.\d+$/, '.254');
    const ns = await this.netns.addNamespace(`pool-${modelIp}`);
    await this.attachEndpoint(ns, 'p', address, 24, gateway);
    const proc = await this.spawnIdentity(ns, address, port, modelIp, `lbop-${this.netns.run}-pool-${modelIp}`);
    return { ns, address, proc };
  }

  /** Starts procs/identity.ts in NS bound to ADDR:PORT answering ID; resolves once it listens. */
  async spawnIdentity(ns: string, address: string, port: number, id: string, title = `lbop-${this.netns.run}-identity`): Promise<ChildProcess> {
    const p = this.netns.spawnIn(ns, [NODE, procPath('identity'), address, String(port), id, title]);
    await readyLine(p, 'ready', 10_000);
    return p;
  }

  /** Starts procs/flows.ts in the client namespace: N long-lived connections to ADDR:PORT. */
  async openFlows(kernelAddress: string, port: number, count: number): Promise<Flows> {
    const p = this.netns.spawnIn(this.client, [NODE, procPath('flows'), kernelAddress, String(port), String(count), `lbop-${this.netns.run}-flows`]);
    const first = JSON.parse(await readyLine(p, '{', 10_000)) as { open: number };
    return new Flows(p, first.open);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.settled().catch(() => undefined);
    await this.netns?.close();
  }
}

export class Flows {
  constructor(private readonly proc: ChildProcess, readonly open: number) {}

  /** One request per connection: the SE (X-Lbop-Server) each one reached, or "error: …". */
  async probe(): Promise<string[]> {
    const line = readyLine(this.proc, '{', 10_000);
    this.proc.stdin?.write('probe\n');
    return (JSON.parse(await line) as { probe: string[] }).probe;
  }

  close(): void {
    this.proc.stdin?.end();
    this.proc.kill('SIGKILL');
  }
}

function tryKill(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone
  }
}

/** Resolves with the first stdout line starting with PREFIX; rejects on exit or after ms. */
export function readyLine(p: ChildProcess, prefix: string, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let err = '';
    const done = (fn: () => void): void => {
      clearTimeout(t);
      p.stdout?.off('data', onData);
      p.stderr?.off('data', onErr);
      p.off('exit', onExit);
      fn();
    };
    const onData = (d: Buffer): void => {
      buf += d.toString('utf8');
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.startsWith(prefix)) {
          if (buf !== '') p.stdout?.unshift(Buffer.from(buf));
          done(() => resolve(line));
          return;
        }
      }
    };
    const onErr = (d: Buffer): void => {
      err += d.toString('utf8');
    };
    const onExit = (): void => done(() => reject(new Error(`process exited before "${prefix}…": ${err.trim()}`)));
    const t = setTimeout(() => done(() => reject(new Error(`no "${prefix}…" line within ${ms} ms: ${err.trim()}`))), ms);
    p.stdout?.on('data', onData);
    p.stderr?.on('data', onErr);
    p.once('exit', onExit);
  });
}
