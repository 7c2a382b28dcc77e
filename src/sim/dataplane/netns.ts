// The namespace toolkit: `ip netns/link/addr/route/nexthop` and `ip netns exec` through argv
// arrays (no shell). Everything a run makes is named after the run and recorded here, removed on
// close() and — synchronously — on exit, SIGINT and SIGTERM; sweep() removes what a killed run
// left. Names: namespaces `lbop-<run>-<pid>-<what>` (the pid tells a sweep whether the run is
// alive), interfaces `lbop<run><role><n><side>` (IFNAMSIZ: at most 15 characters).
import { execFile, execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';

export class DataplaneUnavailable extends Error {}

const NS_RE = /^lbop-([0-9a-f]{4})-(\d+)-/;
const IF_RE = /^lbop([0-9a-f]{4})/;
const IFNAMSIZ = 15;

/** One clear line when the data plane cannot run here (not root, no iproute2). */
export function checkDataplaneHost(): void {
  if (process.platform !== 'linux') throw new DataplaneUnavailable('the netns data plane needs Linux network namespaces');
  if (process.getuid?.() !== 0) throw new DataplaneUnavailable('the netns data plane needs root (network namespaces, veths, nexthop groups); run as root or leave --dataplane out');
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
  } catch {
    throw new DataplaneUnavailable("the netns data plane needs iproute2's `ip` (apt-get install iproute2)");
  }
}

export class IpError extends Error {
  constructor(readonly argv: string[], readonly stderr: string) {
    super(`ip ${argv.join(' ')}: ${stderr.trim()}`);
  }
}

/** Runs `ip ARGV…`; resolves with stdout. */
export function ip(argv: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ip', argv, { encoding: 'utf8', maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err !== null) reject(new IpError(argv, stderr || err.message));
      else resolve(stdout);
    });
  });
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

export function listNamespaces(): string[] {
  const out = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return out.split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n !== '');
}

function rootLinks(): string[] {
  const out = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
  return out.split('\n').map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1] ?? '').filter((n) => n !== '');
}

function killNamespaceProcesses(ns: string): void {
  let pids: string;
  try {
    pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' });
  } catch {
    return;
  }
  for (const p of pids.split('\n').filter((x) => /^\d+$/.test(x))) {
    try {
      process.kill(Number(p), 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

function deleteNamespaceSync(ns: string): void {
  killNamespaceProcesses(ns);
  try {
    execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  } catch {
    // already gone
  }
}

export interface SweepResult { namespaces: string[]; links: string[]; paths: string[] }

/**
 * Removes what killed runs left: `lbop-<run>-<pid>-…` namespaces whose pid is dead (with the
 * processes still in them) and root-namespace `lbop<run>…` links of runs that are not alive.
 * Live runs — other simulators on this machine — are left alone.
 */
export function sweep(): SweepResult {
  const result: SweepResult = { namespaces: [], links: [], paths: [] };
  const liveRuns = new Set<string>();
  for (const ns of listNamespaces()) {
    const m = NS_RE.exec(ns);
    if (m === null) continue;
    if (alive(Number(m[2]))) {
      liveRuns.add(m[1] as string);
      continue;
    }
    deleteNamespaceSync(ns);
    result.namespaces.push(ns);
  }
  // Directories a run keeps under the temp dir (config drives): `lbop-<run>-<pid>-…`.
  for (const entry of readdirSync(tmpdir())) {
    const m = NS_RE.exec(entry);
    if (m === null || alive(Number(m[2]))) continue;
    rmSync(join(tmpdir(), entry), { recursive: true, force: true });
    result.paths.push(join(tmpdir(), entry));
  }
  for (const link of rootLinks()) {
    const m = IF_RE.exec(link);
    if (m === null || liveRuns.has(m[1] as string)) continue;
    try {
      execFileSync('ip', ['link', 'del', link], { stdio: 'ignore' });
      result.links.push(link);
    } catch {
      // went with its peer
    }
  }
  return result;
}

export type IfRole = 'v' | 'p' | 'c' | 'x'; // SE vNIC, pool server, client, other

export class Netns {
  readonly run: string;
  private readonly namespaces = new Set<string>();
  private readonly procs = new Set<ChildProcess>();
  private readonly paths = new Set<string>();
  private ifCounter = 0;
  private closed = false;
  private readonly onExit = (): void => this.closeSync();
  private readonly onSignal = (sig: NodeJS.Signals): void => {
    // The only listener: the default action (terminate) follows the clean-up. Otherwise the
    // program's own handler owns the exit (the CLI closes the simulator gracefully).
    const alone = process.listenerCount(sig) === 1;
    this.closeSync(); // unhooks
    if (alone) process.kill(process.pid, sig);
  };

  constructor(run?: string) {
    this.run = run ?? randomBytes(2).toString('hex');
    if (!/^[0-9a-f]{4}$/.test(this.run)) throw new Error(`run id must be 4 hex digits, got ${this.run}`);
    process.on('exit', this.onExit);
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  private unhook(): void {
    process.off('exit', this.onExit);
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }

  /** `lbop-<run>-<pid>-<what>`. */
  nsName(what: string): string {
    const safe = what.replace(/[^A-Za-z0-9_.-]/g, '-');
    return `lbop-${this.run}-${process.pid}-${safe}`;
  }

  /** A fresh interface name pair for one veth: `lbop<run><role><n>a|b`. */
  ifNames(role: IfRole): { a: string; b: string } {
    const n = (this.ifCounter++).toString(36);
    const a = `lbop${this.run}${role}${n}a`;
    if (a.length > IFNAMSIZ) throw new Error(`interface name ${a} is longer than ${IFNAMSIZ}`);
    return { a, b: `lbop${this.run}${role}${n}b` };
  }

  /** A directory of this run (`<tmp>/lbop-<run>-<pid>-<what>`), removed on close and swept. */
  tempPath(what: string): string {
    const p = join(tmpdir(), this.nsName(what));
    this.paths.add(p);
    return p;
  }

  get names(): string[] {
    return [...this.namespaces];
  }

  async addNamespace(what: string): Promise<string> {
    this.assertOpen();
    const ns = this.nsName(what);
    this.namespaces.add(ns); // recorded first: a crash between the two is swept on exit
    await ip(['netns', 'add', ns]);
    await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    return ns;
  }

  async delNamespace(ns: string): Promise<void> {
    for (const p of this.procs) if (p.spawnargs[3] === ns) this.kill(p);
    killNamespaceProcesses(ns);
    await ip(['netns', 'del', ns]).catch(() => undefined);
    this.namespaces.delete(ns);
  }

  /** A veth pair created straight into two namespaces (never in the root one); both ends up. */
  async veth(nsA: string, nsB: string, role: IfRole, macA?: string): Promise<{ a: string; b: string }> {
    this.assertOpen();
    const names = this.ifNames(role);
    const argv = ['link', 'add', names.a, 'netns', nsA];
    if (macA !== undefined) argv.push('address', macA);
    argv.push('type', 'veth', 'peer', 'name', names.b, 'netns', nsB);
    await ip(argv);
    await ip(['-n', nsA, 'link', 'set', names.a, 'up']);
    await ip(['-n', nsB, 'link', 'set', names.b, 'up']);
    return names;
  }

  /** `ip -n NS ARGV…`. */
  in(ns: string, argv: string[]): Promise<string> {
    return ip(['-n', ns, ...argv]);
  }

  async sysctl(ns: string, settings: Record<string, string | number>): Promise<void> {
    const argv = ['netns', 'exec', ns, 'sysctl', '-q', '-w', ...Object.entries(settings).map(([k, v]) => `${k}=${v}`)];
    await ip(argv);
  }

  /** Starts ARGV inside NS (`ip netns exec` execs it: the child's pid is the command's). */
  spawnIn(ns: string, argv: string[], opts: SpawnOptions = {}): ChildProcess {
    this.assertOpen();
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['pipe', 'pipe', 'pipe'], ...opts });
    this.procs.add(child);
    child.once('exit', () => this.procs.delete(child));
    return child;
  }

  /** Records a process started elsewhere (an SE runner's, in the root namespace) for close(). */
  adopt(p: ChildProcess): void {
    if (p.exitCode !== null || p.signalCode !== null) return;
    this.procs.add(p);
    p.once('exit', () => this.procs.delete(p));
  }

  /** Every process inside NS (`ip netns pids`). */
  pidsIn(ns: string): number[] {
    try {
      return execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split('\n').filter((x) => /^\d+$/.test(x)).map(Number);
    } catch {
      return [];
    }
  }

  kill(p: ChildProcess): void {
    if (p.exitCode === null && p.signalCode === null) {
      try {
        p.kill('SIGKILL');
      } catch {
        // gone
      }
    }
    this.procs.delete(p);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the data plane is closed');
  }

  /** Removes every process and namespace of this run (veths and nexthops go with them). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of [...this.procs]) this.kill(p);
    for (const ns of [...this.namespaces]) {
      killNamespaceProcesses(ns);
      await ip(['netns', 'del', ns]).catch(() => undefined);
      this.namespaces.delete(ns);
    }
    for (const p of this.paths) rmSync(p, { recursive: true, force: true });
    this.unhook();
  }

  /** The exit/signal path: no promises left to wait on. */
  closeSync(): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of [...this.procs]) this.kill(p);
    for (const ns of [...this.namespaces]) deleteNamespaceSync(ns);
    this.namespaces.clear();
    for (const p of this.paths) rmSync(p, { recursive: true, force: true });
    this.unhook();
  }
}
