// The test cluster's kube-apiserver as something a chaos test can take away and bring back:
// SIGKILL it (an abrupt outage: connections reset, then refused), run a second apiserver with the
// same flags on another loopback port over the same etcd (so the test can change specs while the
// operator's apiserver is gone), and restart the original on its own port. The restarted process
// is written to the instance's apiserver.pid, so scripts/cluster-down.sh still stops it.
import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeClient } from '../../src/runtime/index.js';
import type { TestCluster } from '../support/cluster.js';
import { waitFor } from '../support/wait.js';

export interface ApiserverProcess {
  readonly pid: number;
  readonly port: number;
  /** An admin client on this apiserver. */
  readonly client: KubeClient;
  kill(): Promise<void>;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** argv of a running process (NUL-separated /proc/PID/cmdline). */
const argvOf = (pid: number): string[] => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');

export class ControlPlane {
  private readonly argv: string[];
  private readonly kubeconfig: string;
  private seq = 0;

  constructor(private readonly cluster: TestCluster) {
    this.argv = argvOf(this.mainPID());
    this.kubeconfig = readFileSync(cluster.kubeconfig, 'utf8');
  }

  /** The pid scripts/cluster-down.sh will stop. */
  mainPID(): number {
    return Number(readFileSync(join(this.cluster.dir, 'apiserver.pid'), 'utf8').trim());
  }

  get mainPort(): number {
    return Number(new URL(this.cluster.server).port);
  }

  /** Whether the cluster's own apiserver runs (a failed test must bring it back for its cleanup). */
  mainAlive(): boolean {
    return alive(this.mainPID());
  }

  /** SIGKILLs the cluster's own apiserver and waits until it is gone. */
  async killMain(): Promise<void> {
    const pid = this.mainPID();
    process.kill(pid, 'SIGKILL');
    await waitFor(async () => !alive(pid) || undefined, { what: `apiserver ${pid} gone`, timeoutMs: 10_000, intervalMs: 50 });
  }

  /**
   * Starts an apiserver with the original flags on `port` and waits until it serves `readyPath`
   * (a CRD's collection: /readyz answers before the CRDs' paths are installed, and a request
   * then gets 503).
   */
  async start(port: number, asMain: boolean, readyPath = '/api/v1/namespaces'): Promise<ApiserverProcess> {
    const args = this.argv.slice(1);
    const i = args.indexOf('--secure-port');
    if (i < 0) throw new Error('the apiserver command line has no --secure-port');
    args[i + 1] = String(port);
    const log = openSync(join(this.cluster.dir, `apiserver-chaos-${++this.seq}.log`), 'a');
    const child = spawn(this.argv[0] as string, args, { stdio: ['ignore', log, log], detached: false });
    closeSync(log);
    // Not a handle that keeps the test process alive: a restarted main apiserver outlives the test
    // file (scripts/cluster-down.sh stops it by its pid file); a side one is killed by the test.
    child.unref();
    const pid = child.pid ?? 0;
    if (asMain) writeFileSync(join(this.cluster.dir, 'apiserver.pid'), `${pid}\n`);
    const kubeconfigPath = join(this.cluster.dir, `kubeconfig-chaos-${port}`);
    writeFileSync(kubeconfigPath, this.kubeconfig.replace(`127.0.0.1:${this.mainPort}`, `127.0.0.1:${port}`), { mode: 0o600 });
    const client = await KubeClient.create(kubeconfigPath);
    await waitFor(async () => {
      if (!alive(pid)) throw new Error(`the apiserver on port ${port} exited during start-up (log ${this.cluster.dir}/apiserver-chaos-${this.seq}.log)`);
      return (await client.get(readyPath, { query: { limit: '1' } }).then(() => true, () => false)) || undefined;
    }, { what: `apiserver on :${port} ready`, timeoutMs: 60_000, intervalMs: 200 });
    return {
      pid, port, client,
      async kill() {
        client.close();
        if (!alive(pid)) return;
        child.kill('SIGTERM');
        await waitFor(async () => child.exitCode !== null || child.signalCode !== null || undefined, { what: `apiserver ${pid} stopped`, timeoutMs: 20_000, intervalMs: 100 })
          .catch(() => child.kill('SIGKILL'));
      },
    };
  }
}
