// The HAProxy process: master-worker (-W) with a master CLI (-S). A reload is the master's: it
// re-executes itself and starts a new worker that takes the listening sockets from the old one
// (the stats socket's `expose-fd listeners`; 2.6's master passes `-x sockpair@` itself), so no
// connection is refused; the old worker finishes its connections and exits. Every config is
// checked with `haproxy -c` first; a reload is done when the new worker answers on the stats
// socket. With --netns the master runs under `ip netns exec`, so every worker binds in the SE's
// namespace while its unix sockets stay reachable from the agent.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../runtime/log.js';
import { cliCommand, currentWorkers, failedReloads } from './socket.js';

export interface HAProxyPaths {
  config: string;
  masterSocket: string;
  statsSocket: string;
  pidFile: string;
  serverStateFile: string;
}

export interface HAProxyOptions {
  binary: string;
  paths: HAProxyPaths;
  netns?: string;
  log: Logger;
  /** How long a start or a reload may take before it counts as failed. */
  timeoutMs?: number;
}

export type CheckResult = { ok: true } | { ok: false; error: string };

export class HAProxyError extends Error {}

export class HAProxy {
  private child: ChildProcess | undefined;
  private masterPID: number | undefined;
  /** Recent stderr lines of the master and its workers, for HAProxy's own error text. */
  private stderrLines: string[] = [];
  private stderrSeq = 0;
  private readonly timeoutMs: number;

  constructor(private readonly o: HAProxyOptions) {
    this.timeoutMs = o.timeoutMs ?? 15_000;
  }

  /** `haproxy -c -f FILE`: HAProxy's own parser; on failure its alerts are the error. */
  async check(configPath: string): Promise<CheckResult> {
    return new Promise((resolve) => {
      execFile(this.o.binary, ['-c', '-q', '-f', configPath], { timeout: 30_000 }, (err, stdout, stderr) => {
        if (err === null) return resolve({ ok: true });
        resolve({ ok: false, error: haproxyMessage(`${stderr}\n${stdout}`) || `haproxy -c failed: ${err.message}` });
      });
    });
  }

  get running(): boolean {
    return this.masterPID !== undefined;
  }

  /** Adopts a master left running by a previous agent process, else starts one. */
  async start(): Promise<void> {
    const proc = await this.showProc().catch(() => undefined);
    if (proc !== undefined && currentWorkers(proc).length > 0) {
      const m = /^\s*(\d+)\s+master/m.exec(proc);
      this.masterPID = m === null ? undefined : Number(m[1]);
      this.o.log.info('adopted the running HAProxy master', { pid: this.masterPID });
      return;
    }
    const args = ['-W', '-S', `${this.o.paths.masterSocket},mode,600`, '-f', this.o.paths.config, '-p', this.o.paths.pidFile];
    const [cmd, argv] = this.o.netns === undefined ? [this.o.binary, args] : ['ip', ['netns', 'exec', this.o.netns, this.o.binary, ...args]];
    const since = this.stderrSeq;
    const child = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    let exited: string | undefined;
    child.on('exit', (code, signal) => {
      exited = `HAProxy exited (${signal ?? `code ${code}`})`;
      if (this.child === child && this.masterPID !== undefined) this.o.log.warn('HAProxy master exited', { code, signal });
      if (this.child === child) {
        this.child = undefined;
        this.masterPID = undefined;
      }
    });
    let partial = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      const lines = (partial + d).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) this.noteStderr(line);
    });
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      if (exited !== undefined) throw new HAProxyError(this.errorsSince(since) || exited);
      const p = await this.showProc().catch(() => undefined);
      const workers = p === undefined ? [] : currentWorkers(p);
      if (workers.length > 0 && (await this.workerPID().catch(() => undefined)) === workers[0]) break;
      if (Date.now() > deadline) throw new HAProxyError(this.errorsSince(since) || 'HAProxy did not start in time');
      await sleep(25);
    }
    this.masterPID = child.pid;
    this.o.log.info('HAProxy started', { pid: child.pid, netns: this.o.netns });
  }

  /** Seamless reload through the master CLI; resolves when the new worker serves the stats socket. */
  async reload(): Promise<void> {
    const before = await this.showProc();
    const old = new Set(currentWorkers(before));
    const failedBefore = failedReloads(before) ?? 0;
    const since = this.stderrSeq;
    // The new worker loads these states instead of assuming every server UP.
    await writeFile(this.o.paths.serverStateFile, await this.command('show servers state'), { mode: 0o600 });
    await cliCommand(this.o.paths.masterSocket, 'reload').catch(() => '');
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      await sleep(20);
      // The master re-executes itself: its socket refuses for a moment.
      const p = await this.showProc().catch(() => undefined);
      if (p !== undefined) {
        if ((failedReloads(p) ?? 0) > failedBefore) throw new HAProxyError(this.errorsSince(since) || 'HAProxy reload failed');
        const fresh = currentWorkers(p).find((pid) => !old.has(pid));
        if (fresh !== undefined && (await this.workerPID().catch(() => undefined)) === fresh) return;
      }
      if (!this.running) throw new HAProxyError(this.errorsSince(since) || 'HAProxy exited during a reload');
      if (Date.now() > deadline) throw new HAProxyError(this.errorsSince(since) || 'HAProxy reload timed out');
    }
  }

  /** A Runtime API command on the current worker; HAProxy answers nothing (or a blank line) on success. */
  async command(cmd: string): Promise<string> {
    return cliCommand(this.o.paths.statsSocket, cmd);
  }

  async runtime(commands: string[]): Promise<void> {
    for (const cmd of commands) {
      const answer = (await this.command(cmd)).trim();
      if (answer !== '') throw new HAProxyError(`${cmd}: ${answer}`);
    }
  }

  async showStat(): Promise<string> {
    return this.command('show stat');
  }

  async stop(): Promise<void> {
    const pid = this.masterPID;
    const child = this.child;
    if (pid === undefined) return;
    this.masterPID = undefined;
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      return;
    }
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      if (child !== undefined ? child.exitCode !== null || child.signalCode !== null : !alive(pid)) return;
      await sleep(20);
    }
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }

  private async showProc(): Promise<string> {
    return cliCommand(this.o.paths.masterSocket, 'show proc', 2000);
  }

  private async workerPID(): Promise<number | undefined> {
    const info = await cliCommand(this.o.paths.statsSocket, 'show info', 2000);
    const m = /^Pid:\s*(\d+)/m.exec(info);
    return m === null ? undefined : Number(m[1]);
  }

  private noteStderr(line: string): void {
    this.stderrSeq++;
    this.stderrLines.push(line);
    if (this.stderrLines.length > 200) this.stderrLines.shift();
    if (line.includes('[ALERT]')) this.o.log.warn('haproxy', { line: line.slice(0, 500) });
    else this.o.log.debug('haproxy', { line: line.slice(0, 500) });
  }

  private errorsSince(seq: number): string {
    const count = this.stderrSeq - seq;
    const lines = count <= 0 ? [] : this.stderrLines.slice(-Math.min(count, this.stderrLines.length));
    return haproxyMessage(lines.join('\n'));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** HAProxy's ALERT lines, without the "(pid)" noise, bounded. */
export function haproxyMessage(output: string): string {
  const alerts = output
    .split('\n')
    .filter((l) => l.includes('[ALERT]'))
    .map((l) => l.replace(/^\[ALERT\]\s*\(\d+\)\s*:\s*/, '').trim());
  return alerts.join('\n').slice(0, 4000);
}
