// The e2e harness: a real kube-apiserver (the shared cluster, or a private one), a simulator, a
// namespace per test file, the credentials Secret and a Cloud pointing at the simulator, and the
// operator as a child process (`node --import tsx src/cli.ts run ...`) whose output is captured
// (for the "no secret in logs" scans) and which can be stopped, SIGKILLed and restarted.
//
//   const h = await startHarness({ name: 'se-basic' });   // namespace + Cloud `se-basic`
//   const op = h.startOperator();
//   await h.waitFor(async () => ..., { what: 'two SEs ACTIVE' });
//   await h.stop();                                        // operator output → .local/e2e-logs/<name>-<i>.log
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { useCluster, repoRoot, type TestCluster } from '../support/cluster.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/sim/index.js';
import { KubeClient, isConflict, isNotFound, type KubeObject } from '../../src/runtime/index.js';
import { kinds, type KindName } from '../../src/api/index.js';
import { registerSecret } from '../support/secrets.js';
import { bootstrapTokenRecorder } from '../support/se-secrets.js';
import { waitFor, type WaitOptions } from '../support/wait.js';

export const SECRETS_NAMESPACE = 'lb-system';
export const ADMIN = { username: 'admin', password: 'admin-secret' };

export interface HarnessOptions {
  /** Names the namespace, the Cloud and the cluster ID; unique per test file. */
  name: string;
  sim?: SimulatorOptions;
  /** Contrail mode (default) or a plain-Neutron Cloud. */
  mode?: 'contrail' | 'neutron';
  /** Cloud.spec.resyncPeriodSeconds (default 5, the CRD's minimum: one observation period). */
  resyncSeconds?: number;
  /** Skip creating the Cloud (tests that make their own). */
  noCloud?: boolean;
}

export interface OperatorProcess {
  readonly child: ChildProcess;
  /** Its /metrics endpoint (a free loopback port chosen at start; '' after the 8th operator). */
  readonly metricsURL: string;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  readonly exited: Promise<number | null>;
  /** SIGTERM and wait (SIGKILL after 15 s); resolves with the exit code. */
  stop(): Promise<number | null>;
  kill(): Promise<void>;
}

export type { WaitOptions };

export interface SimObject { api: string; type: string; uuid: string; name?: string; status?: string; owner: Record<string, string>; host?: string | null; members?: string[] }

export interface Harness {
  cluster: TestCluster;
  client: KubeClient;
  sim: Simulator;
  namespace: string;
  cloudName: string;
  clusterID: string;
  /** Every operator process started so far (their output is kept for scans). */
  operators: OperatorProcess[];
  startOperator(extraArgs?: string[]): OperatorProcess;
  /** GET the operator's /metrics text. */
  metrics(p: OperatorProcess): Promise<string>;
  apply<T extends KubeObject>(kind: KindName, obj: T): Promise<T>;
  get<T extends KubeObject>(kind: KindName, name: string, namespace?: string): Promise<T | undefined>;
  list<T extends KubeObject>(kind: KindName, namespace?: string): Promise<T[]>;
  remove(kind: KindName, name: string, namespace?: string): Promise<void>;
  events(namespace?: string): Promise<{ reason: string; note: string; regarding: { name: string; kind: string } }[]>;
  simObjects(query?: { api?: string; type?: string }): Promise<SimObject[]>;
  /** Objects in the simulator tagged with this harness's cluster ID. */
  ourObjects(): Promise<SimObject[]>;
  simControl<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  waitFor<T>(fn: () => Promise<T | undefined | false>, o?: WaitOptions): Promise<T>;
  cloudManifest(overrides?: Record<string, unknown>): KubeObject;
  stop(): Promise<void>;
}


export { waitFor };

function collection(kind: KindName, namespace: string | undefined): string {
  const k = kinds[kind];
  return `/apis/${k.apiVersion}${k.namespaced ? `/namespaces/${namespace ?? ''}` : ''}/${k.plural}`;
}

async function ensure(client: KubeClient, path: string, obj: unknown): Promise<void> {
  try {
    await client.create(path, obj);
  } catch (e) {
    if (!isConflict(e)) throw e;
  }
}

export async function startHarness(o: HarnessOptions): Promise<Harness> {
  const cluster = await useCluster();
  const client = await KubeClient.create(cluster.kubeconfig);
  // The bootstrap tokens the operator mints travel in the servers' user_data: recorded for the secret scan.
  const sim = await startSimulator({ seed: 7, ...o.sim, plugins: [...(o.sim?.plugins ?? []), bootstrapTokenRecorder()] });
  const namespace = o.name;
  const cloudName = o.name;
  const clusterID = `e2e-${o.name}-${randomBytes(3).toString('hex')}`;
  await ensure(client, '/api/v1/namespaces', { metadata: { name: SECRETS_NAMESPACE } });
  // Namespaces are never deleted here: a bare kube-apiserver has no namespace controller to
  // finish the deletion. A later run in the same cluster reuses the namespace.
  await ensure(client, '/api/v1/namespaces', { metadata: { name: namespace } });
  registerSecret('e2e-harness:ADMIN.password', ADMIN.password);
  const secretPath = `/api/v1/namespaces/${SECRETS_NAMESPACE}/secrets`;
  const secretName = `${o.name}-credentials`;
  await client.delete(`${secretPath}/${secretName}`).catch(() => undefined);
  await client.create(secretPath, { metadata: { name: secretName }, stringData: { username: ADMIN.username, password: ADMIN.password, projectName: 'admin' } });

  const cloudManifest = (overrides: Record<string, unknown> = {}): KubeObject => ({
    apiVersion: kinds.Cloud.apiVersion, kind: 'Cloud',
    metadata: { name: cloudName },
    spec: {
      keystone: { authURL: `${sim.urls.keystone}/v3`, region: 'RegionOne', credentialsSecretRef: { name: secretName, namespace: SECRETS_NAMESPACE } },
      ...(o.mode === 'neutron' ? {} : { contrail: { apiURL: sim.urls.contrail } }),
      managementNetwork: 'avi-mgmt',
      serviceEngine: { image: 'avi-se', flavor: 'm1.small', bootstrap: 'ConfigDrive' },
      tenants: [{ namespace, project: 'demo' }],
      resyncPeriodSeconds: o.resyncSeconds ?? 5,
      ...overrides,
    },
  });

  const operators: OperatorProcess[] = [];
  // Loopback ports the kernel just handed out (and we released), one per operator we may start.
  const freePorts = await Promise.all(Array.from({ length: 8 }, () => freePort()));
  const h: Harness = {
    cluster, client, sim, namespace, cloudName, clusterID, operators, cloudManifest,
    startOperator(extraArgs = []) {
      // Past the pre-allocated ports (many restarts), later operators run without /metrics.
      const metricsPort = freePorts.shift();
      const args = ['--import', 'tsx', join(repoRoot, 'src/cli.ts'), 'run', '--kubeconfig', cluster.kubeconfig,
        '--namespace', namespace, '--cluster-id', clusterID, '--metrics-addr', metricsPort === undefined ? '0' : `127.0.0.1:${metricsPort}`, '--health-addr', '0',
        '--secrets-namespace', SECRETS_NAMESPACE, '--log-level', 'debug', ...extraArgs];
      const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KUBECONFIG: '' } });
      let out = '';
      child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const p: OperatorProcess = {
        child, exited, metricsURL: metricsPort === undefined ? '' : `http://127.0.0.1:${metricsPort}/metrics`,
        output: () => out,
        async stop() {
          if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
          child.kill('SIGTERM');
          const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
          const code = await exited;
          clearTimeout(t);
          return code;
        },
        async kill() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          await exited;
        },
      };
      operators.push(p);
      return p;
    },
    async metrics(p: OperatorProcess): Promise<string> {
      const res = await fetch(p.metricsURL);
      return res.text();
    },
    async apply<T extends KubeObject>(kind: KindName, obj: T): Promise<T> {
      const ns = kinds[kind].namespaced ? (obj.metadata.namespace ?? namespace) : undefined;
      const body = { apiVersion: kinds[kind].apiVersion, kind, ...obj, metadata: { ...obj.metadata, ...(ns !== undefined ? { namespace: ns } : {}) } };
      return client.patch<T>(`${collection(kind, ns)}/${obj.metadata.name}`, body, 'apply', { query: { fieldManager: 'e2e', force: true } });
    },
    async get<T extends KubeObject>(kind: KindName, name: string, ns = namespace): Promise<T | undefined> {
      try {
        return await client.get<T>(`${collection(kind, ns)}/${name}`);
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },
    async list<T extends KubeObject>(kind: KindName, ns = namespace): Promise<T[]> {
      return (await client.get<{ items: T[] }>(collection(kind, ns))).items;
    },
    async remove(kind: KindName, name: string, ns = namespace): Promise<void> {
      await client.delete(`${collection(kind, ns)}/${name}`).catch((e: unknown) => {
        if (!isNotFound(e)) throw e;
      });
    },
    async events(ns = namespace) {
      return (await client.get<{ items: { reason: string; note: string; regarding: { name: string; kind: string } }[] }>(`/apis/events.k8s.io/v1/namespaces/${ns}/events`)).items;
    },
    async simControl<T>(method: string, path: string, body?: unknown): Promise<T> {
      const res = await fetch(`${sim.urls.control}${path}`, {
        method, ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
      return (text === '' ? undefined : JSON.parse(text)) as T;
    },
    async simObjects(query = {}) {
      const q = new URLSearchParams(query as Record<string, string>).toString();
      return (await h.simControl<{ objects: SimObject[] }>('GET', `/sim/objects${q === '' ? '' : `?${q}`}`)).objects;
    },
    async ourObjects() {
      return (await h.simObjects()).filter((x) => x.owner['lbop.cluster-id'] === clusterID);
    },
    waitFor,
    async stop() {
      await Promise.all(operators.map((p) => p.stop()));
      // Every operator's output, kept for after-the-fact debugging of a failed run.
      const logDir = join(repoRoot, '.local', 'e2e-logs');
      mkdirSync(logDir, { recursive: true });
      operators.forEach((p, i) => writeFileSync(join(logDir, `${o.name}-${i}.log`), p.output()));
      // What the operator wrote into the API (events, every object's status and conditions), kept
      // beside its logs for the final secret scan (make test-secrets).
      await dumpAPIState(h, join(logDir, `${o.name}-api.json`)).catch(() => undefined);
      await client.delete(`${collection('Cloud', undefined)}/${cloudName}`).catch(() => undefined);
      await client.delete(`${secretPath}/${secretName}`).catch(() => undefined);
      await sim.close();
      client.close();
    },
  };
  try {
    if (o.noCloud !== true) await h.apply('Cloud', cloudManifest());
  } catch (e) {
    await h.stop();
    throw e;
  }
  return h;
}

const DUMPED_KINDS: KindName[] = ['Cloud', 'ServiceEngineGroup', 'ServiceEngine', 'Pool', 'VirtualService'];

async function dumpAPIState(h: Harness, file: string): Promise<void> {
  const out: Record<string, unknown> = { events: await h.events().catch(() => []) };
  for (const k of DUMPED_KINDS) {
    const items = await h.list<KubeObject>(k).catch(() => [] as KubeObject[]);
    out[k] = items.map((x) => ({ name: x.metadata.name, status: x['status'] }));
  }
  writeFileSync(file, JSON.stringify(out, null, 1));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** The Cloud's conditions by type. */
export function conditionsOf(obj: KubeObject | undefined): Record<string, { status: string; reason: string; message: string }> {
  const conds = ((obj?.['status'] as { conditions?: { type: string; status: string; reason: string; message: string }[] } | undefined)?.conditions) ?? [];
  return Object.fromEntries(conds.map((c) => [c.type, c]));
}
