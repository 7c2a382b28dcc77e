// The test cluster's etcd as something a chaos test can take away and bring back: SIGKILL it
// (the apiserver stays up and answers what it can from its watch cache; every read through to
// storage and every write fails or waits) and restart it with the same command line over the
// same data directory. The restarted process is written to the instance's etcd.pid, so
// scripts/cluster-down.sh still stops it. SIGKILL loses nothing even with --unsafe-no-fsync:
// what etcd wrote is in the page cache; only a machine crash would lose it.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestCluster } from '../support/cluster.js';
import { waitFor } from '../support/wait.js';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
};

export class Etcd {
  private readonly argv: string[];
  private seq = 0;

  constructor(private readonly cluster: TestCluster) {
    this.argv = readFileSync(`/proc/${this.pid()}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
    if (!this.argv.includes('--data-dir')) throw new Error('the etcd command line has no --data-dir');
  }

  pid(): number {
    return Number(readFileSync(join(this.cluster.dir, 'etcd.pid'), 'utf8').trim());
  }

  alive(): boolean {
    return alive(this.pid());
  }

  async healthy(): Promise<boolean> {
    const r = await fetch(`${this.cluster.etcdURL}/health`, { signal: AbortSignal.timeout(1000) }).catch(() => undefined);
    return r !== undefined && r.ok && (await r.text()).includes('"health":"true"');
  }

  async kill(): Promise<void> {
    const pid = this.pid();
    process.kill(pid, 'SIGKILL');
    await waitFor(async () => !alive(pid) || undefined, { what: `etcd ${pid} gone`, timeoutMs: 10_000, intervalMs: 50 });
  }

  /** Starts etcd again with its original flags and data and waits until it reports healthy. */
  async start(): Promise<void> {
    const log = openSync(join(this.cluster.dir, `etcd-chaos-${++this.seq}.log`), 'a');
    const child = spawn(this.argv[0] as string, this.argv.slice(1), { stdio: ['ignore', log, log] });
    closeSync(log);
    // It outlives the test file: scripts/cluster-down.sh stops it by its pid file.
    child.unref();
    const pid = child.pid ?? 0;
    writeFileSync(join(this.cluster.dir, 'etcd.pid'), `${pid}\n`);
    await waitFor(async () => {
      if (!alive(pid)) throw new Error(`etcd exited during its restart (log ${this.cluster.dir}/etcd-chaos-${this.seq}.log)`);
      return (await this.healthy()) || undefined;
    }, { what: 'etcd healthy again', timeoutMs: 60_000, intervalMs: 100 });
  }
}
