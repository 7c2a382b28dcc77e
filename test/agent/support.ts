// Test ground for the SE agent as a process: real HTTP backends on 127.0.0.1 answering their
// identity, the agent spawned as `contrail-lb-operator se-agent --static-config`, its report file
// read back, conditions awaited with deadlines.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Heartbeat, SEConfig, VipIntent } from '../../src/seapi/protocol.js';
import { waitFor as waitForCondition } from '../support/wait.js';
import { registerAgentKeys } from '../support/se-secrets.js';

export const repoRoot = new URL('../../', import.meta.url).pathname;

export function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 15_000, intervalMs = 25): Promise<T> {
  return waitForCondition(fn, { what, timeoutMs, intervalMs });
}

export interface Backend {
  name: string;
  port: number;
  hits: number;
  /** Health endpoint answers this status (200 unless changed). */
  healthStatus: number;
  close(): Promise<void>;
}

export async function startBackend(name: string): Promise<Backend> {
  const b: Backend = { name, port: 0, hits: 0, healthStatus: 200, close: async () => {} };
  const server: Server = createHttpServer((req, res) => {
    if (req.url?.startsWith('/healthz')) {
      res.writeHead(b.healthStatus).end('health');
      return;
    }
    b.hits++;
    res.writeHead(200, { 'content-type': 'text/plain' }).end(name);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  b.port = (server.address() as { port: number }).port;
  b.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return b;
}

export { freePort } from '../support/net.js';

/** GET over a fresh connection (no keep-alive): the body, or a thrown error. */
export async function get(port: number, host = '127.0.0.1', timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: '/', agent: false, headers: { connection: 'close' }, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}: ${body.slice(0, 100)}`));
        else resolve(body);
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

export function seConfig(version: number, vips: VipIntent[]): SEConfig {
  return {
    version,
    hash: createHash('sha256').update(JSON.stringify(vips)).digest('hex'),
    serviceEngine: { namespace: 'lbop-test', name: 'se-1', uid: '00000000-0000-4000-8000-000000000001' },
    vips,
  };
}

export function httpVip(opts: {
  name: string;
  port: number;
  backends: { backend: Backend; weight?: number; enabled?: boolean }[];
  algorithm?: VipIntent['pool']['algorithm'];
  monitor?: boolean;
  draining?: boolean;
  address?: string;
}): VipIntent {
  const vip: VipIntent = {
    id: `lbop-test/${opts.name}/vip0`,
    virtualService: { namespace: 'lbop-test', name: opts.name, uid: '00000000-0000-4000-8000-0000000000aa' },
    address: opts.address ?? '127.0.0.1',
    listeners: [{ port: opts.port, protocol: 'TCP', http: true }],
    pool: {
      name: `lbop-test/${opts.name}-pool`,
      algorithm: opts.algorithm ?? 'roundrobin',
      members: opts.backends.map((b) => ({ id: `127.0.0.1:${b.backend.port}`, ip: '127.0.0.1', port: b.backend.port, weight: b.weight ?? 1, enabled: b.enabled ?? true })),
    },
    draining: opts.draining ?? false,
    drainTimeoutSeconds: 5,
  };
  if (opts.monitor === true) {
    vip.pool.healthMonitor = { type: 'HTTP', intervalSeconds: 1, timeoutSeconds: 1, maxRetries: 2, httpPath: '/healthz', expectedCodes: '200-299' };
  }
  return vip;
}

export class AgentProcess {
  private child: ChildProcess | undefined;
  stderr = '';
  readonly configFile: string;
  readonly reportFile: string;

  private constructor(readonly dir: string, readonly stateDir: string) {
    this.configFile = join(dir, 'se-config.json');
    this.reportFile = join(dir, 'report.json');
  }

  static async create(prefix: string): Promise<AgentProcess> {
    const dir = await mkdtemp(join(tmpdir(), `lbop-${prefix}-`));
    return new AgentProcess(dir, join(dir, 'state'));
  }

  /** Writes the static config (through a rename, as an editor would). */
  async writeConfig(config: unknown): Promise<void> {
    await writeFile(`${this.configFile}.tmp`, JSON.stringify(config));
    await rename(`${this.configFile}.tmp`, this.configFile);
  }

  start(extra: string[] = [], mode: 'static' | string[] = 'static'): void {
    const args =
      mode === 'static'
        ? ['--static-config', this.configFile, '--report-file', this.reportFile, '--report-interval-ms', '100']
        : mode;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'se-agent', ...args, '--state-dir', this.stateDir, ...extra], {
      cwd: repoRoot,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      this.stderr += d;
      if (this.stderr.length > 200_000) this.stderr = this.stderr.slice(-100_000);
    });
    this.child = child;
  }

  async report(): Promise<Heartbeat | undefined> {
    try {
      return JSON.parse(await readFile(this.reportFile, 'utf8')) as Heartbeat;
    } catch {
      return undefined;
    }
  }

  /** Waits until the report says `version` is applied (and not rejected). */
  async applied(version: number, timeoutMs = 15_000): Promise<Heartbeat> {
    return waitFor(`config ${version} applied`, async () => {
      const r = await this.report();
      return r !== undefined && r.applied.version === version && r.applied.rejected === undefined ? r : undefined;
    }, timeoutMs, 10);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000)]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  async cleanup(): Promise<void> {
    await this.stop();
    registerAgentKeys(this.dir); // an enrolled agent's key, for the final secret scan
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** A bounded load loop: `clients` sequential requesters until stop() or maxRequests/maxMs. */
export function loadLoop(port: number, opts: { clients?: number; maxRequests?: number; maxMs?: number } = {}): {
  stop: () => Promise<{ ok: number; failed: number; errors: string[] }>;
} {
  const maxRequests = opts.maxRequests ?? 200_000;
  const deadline = Date.now() + (opts.maxMs ?? 120_000);
  let running = true;
  let sent = 0;
  const result = { ok: 0, failed: 0, errors: [] as string[] };
  const client = async (): Promise<void> => {
    while (running && sent < maxRequests && Date.now() < deadline) {
      sent++;
      try {
        await get(port);
        result.ok++;
      } catch (e) {
        result.failed++;
        if (result.errors.length < 10) result.errors.push((e as Error).message);
      }
    }
  };
  const clients = Array.from({ length: opts.clients ?? 4 }, () => client());
  return {
    stop: async () => {
      running = false;
      await Promise.all(clients);
      return result;
    },
  };
}
