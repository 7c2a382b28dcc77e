// The cluster and credentials of a kubeconfig's current context, read the way kubectl (client-go)
// reads them, without @kubernetes/client-node: importing that package loads its whole generated
// API (≈ 80 MiB RSS, 25 MiB heap in a bare node 24 process) for the few fields read here.
//
// What is read (kubectl's field names):
// - cluster: server, certificate-authority(-data), insecure-skip-tls-verify, tls-server-name,
//   proxy-url (checked by proxyFor in kubeconfig.ts);
// - user: client-certificate(-data), client-key(-data), token, tokenFile (re-read every refresh, as
//   client-go re-reads it), username/password (basic), as (Impersonate-User), exec credential
//   plugins (client.authentication.k8s.io ExecCredential: a token, or a client certificate and key;
//   a token is cached until its expirationTimestamp); auth-provider (gcp, azure, oidc — removed
//   from kubectl in 1.26) is refused with a reason instead of silently sending no credentials;
// - in-cluster: KUBERNETES_SERVICE_HOST/PORT with the ServiceAccount's token (re-read), CA and
//   namespace, as client-go's rest.InClusterConfig.
// The default order is client-node's loadFromDefault: $KUBECONFIG, ~/.kube/config, in-cluster.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { join } from 'node:path';
import { KubeconfigError, loadKubeconfig, selectContext, type KubeconfigDoc } from './kubeconfig.js';

export const SERVICEACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface ClusterTLS {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  rejectUnauthorized?: boolean;
  servername?: string;
}

export interface ClusterAccess {
  server: URL;
  proxyUrl: string | undefined;
  /** The current context's namespace (the in-cluster ServiceAccount's), if it names one. */
  namespace: string | undefined;
  tls: ClusterTLS;
  /** Request headers carrying the credentials, recomputed on each call (tokenFile, exec). */
  headers(): Promise<Record<string, string>>;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function named(doc: KubeconfigDoc, list: 'clusters' | 'users' | 'contexts', name: string | undefined, entry: string): Obj | undefined {
  if (name === undefined) return undefined;
  const n = (doc[list] ?? []).find((x) => x.name === name);
  return n === undefined ? undefined : obj(n[entry]);
}

/**
 * Base64 data, else a file's bytes. client-go: the -data field takes precedence over the file
 * (kubectl warns when both are set), for the CA and for the client certificate and key.
 */
function fileOrData(file: unknown, data: unknown, what: string): Buffer | undefined {
  const d = str(data);
  if (d !== undefined) return Buffer.from(d, 'base64');
  const f = str(file);
  if (f === undefined) return undefined;
  try {
    return readFileSync(f);
  } catch (e) {
    throw new KubeconfigError(`kubeconfig ${what} ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

interface ExecCredential {
  token?: string;
  cert?: Buffer;
  key?: Buffer;
  expiresAt?: number;
}

/** Runs an exec credential plugin once (client-go's exec.Authenticator, non-interactive). */
export function runExecPlugin(exec: Obj, cluster: Obj, signal?: AbortSignal): Promise<ExecCredential> {
  const command = str(exec['command']);
  if (command === undefined) return Promise.reject(new KubeconfigError('kubeconfig exec plugin has no command'));
  const args = Array.isArray(exec['args']) ? exec['args'].map(String) : [];
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const e of Array.isArray(exec['env']) ? exec['env'] : []) {
    const name = str(obj(e)['name']);
    if (name !== undefined) env[name] = String(obj(e)['value'] ?? '');
  }
  const apiVersion = str(exec['apiVersion']) ?? 'client.authentication.k8s.io/v1';
  const spec: Obj = { interactive: false };
  if (exec['provideClusterInfo'] === true) {
    spec['cluster'] = {
      server: cluster['server'],
      ...(cluster['certificate-authority-data'] !== undefined ? { 'certificate-authority-data': cluster['certificate-authority-data'] } : {}),
      ...(cluster['insecure-skip-tls-verify'] === true ? { 'insecure-skip-tls-verify': true } : {}),
    };
  }
  env['KUBERNETES_EXEC_INFO'] = JSON.stringify({ apiVersion, kind: 'ExecCredential', spec });
  return new Promise((resolve, reject) => {
    execFile(command, args, { env, timeout: 60_000, maxBuffer: 1 << 20, ...(signal !== undefined ? { signal } : {}) }, (err, stdout, stderr) => {
      // The plugin's stderr is its own diagnostics; its stdout holds the credential and is never logged.
      if (err !== null) return reject(new KubeconfigError(`kubeconfig exec plugin ${command}: ${err.message.split('\n')[0]}${stderr ? `: ${stderr.trim().split('\n')[0]}` : ''}`));
      let status: Obj;
      try {
        status = obj(obj(JSON.parse(stdout))['status']);
      } catch {
        return reject(new KubeconfigError(`kubeconfig exec plugin ${command}: its output is not an ExecCredential`));
      }
      const cert = str(status['clientCertificateData']);
      const key = str(status['clientKeyData']);
      const exp = str(status['expirationTimestamp']);
      const token = str(status['token']);
      if (token === undefined && (cert === undefined || key === undefined)) {
        return reject(new KubeconfigError(`kubeconfig exec plugin ${command}: the ExecCredential has neither a token nor a client certificate and key`));
      }
      resolve({
        ...(token !== undefined ? { token } : {}),
        ...(cert !== undefined && key !== undefined ? { cert: Buffer.from(cert), key: Buffer.from(key) } : {}),
        ...(exp !== undefined ? { expiresAt: Date.parse(exp) } : {}),
      });
    });
  });
}

/** The server URL, TLS and credentials of the doc's current context. */
export async function accessFromKubeconfig(doc: KubeconfigDoc): Promise<ClusterAccess> {
  const current = str(doc['current-context']);
  const context = named(doc, 'contexts', current, 'context');
  if (context === undefined) throw new KubeconfigError(current === undefined ? 'kubeconfig has no current-context' : `kubeconfig's current-context '${current}' is not among its contexts`);
  const cluster = named(doc, 'clusters', str(context['cluster']), 'cluster');
  const server = str(cluster?.['server']);
  if (cluster === undefined || server === undefined) throw new Error('kubeconfig has no current cluster');
  const user = named(doc, 'users', str(context['user']), 'user') ?? {};
  if (user['auth-provider'] !== undefined) {
    throw new KubeconfigError(`kubeconfig user '${String(context['user'])}': auth-provider ${str(obj(user['auth-provider'])['name']) ?? ''} is not supported (kubectl removed auth providers in 1.26); use an exec credential plugin`);
  }
  const tls: ClusterTLS = {};
  const ca = fileOrData(cluster['certificate-authority'], cluster['certificate-authority-data'], 'certificate-authority');
  if (ca !== undefined) tls.ca = ca;
  if (cluster['insecure-skip-tls-verify'] === true) tls.rejectUnauthorized = false;
  const servername = str(cluster['tls-server-name']);
  if (servername !== undefined) tls.servername = servername;
  const cert = fileOrData(user['client-certificate'], user['client-certificate-data'], 'client-certificate');
  const key = fileOrData(user['client-key'], user['client-key-data'], 'client-key');
  if (cert !== undefined) tls.cert = cert;
  if (key !== undefined) tls.key = key;

  const fixed: Record<string, string> = {};
  const as = str(user['as']);
  if (as !== undefined) fixed['Impersonate-User'] = as;
  const username = str(user['username']);
  if (username !== undefined) fixed['Authorization'] = `Basic ${Buffer.from(`${username}:${String(user['password'] ?? '')}`).toString('base64')}`;
  const token = str(user['token']);
  const tokenFile = str(user['tokenFile']) ?? str(user['token-file']);
  const exec = user['exec'] === undefined ? undefined : obj(user['exec']);

  let cached: ExecCredential | undefined;
  const execCredential = async (): Promise<ExecCredential> => {
    if (exec === undefined) return {};
    if (cached === undefined || (cached.expiresAt !== undefined && !(cached.expiresAt > Date.now()))) cached = await runExecPlugin(exec, cluster);
    return cached;
  };
  // A client certificate from the plugin goes into the agent's TLS options, read once here
  // (as before: the agent is built once; a plugin rotating certificates needs a restart).
  if (exec !== undefined) {
    const c = await execCredential();
    if (c.cert !== undefined && c.key !== undefined) Object.assign(tls, { cert: c.cert, key: c.key });
  }
  const headers = async (): Promise<Record<string, string>> => {
    const h = { ...fixed };
    // client-go's precedence: a static token over tokenFile; an exec plugin's token over both.
    let bearer = token;
    if (bearer === undefined && tokenFile !== undefined) {
      try {
        bearer = readFileSync(tokenFile, 'utf8').trim();
      } catch (e) {
        throw new KubeconfigError(`kubeconfig tokenFile ${tokenFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
    const fromExec = (await execCredential()).token;
    if (fromExec !== undefined) bearer = fromExec;
    if (bearer !== undefined && bearer !== '') h['Authorization'] = `Bearer ${bearer}`;
    return h;
  };
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new KubeconfigError(`kubeconfig cluster server '${server}' is not a URL`);
  }
  return { server: url, proxyUrl: str(cluster['proxy-url']), namespace: str(context['namespace']), tls, headers };
}

/**
 * The in-cluster kubeconfig (rest.InClusterConfig), or undefined outside a Pod: a cluster at
 * https://KUBERNETES_SERVICE_HOST:KUBERNETES_SERVICE_PORT with the ServiceAccount's CA, and its
 * token file (re-read, since the kubelet rotates projected tokens).
 */
export function inClusterKubeconfig(env: NodeJS.ProcessEnv = process.env, dir = SERVICEACCOUNT_DIR): KubeconfigDoc | undefined {
  const host = str(env['KUBERNETES_SERVICE_HOST']);
  const port = str(env['KUBERNETES_SERVICE_PORT']);
  if (host === undefined || port === undefined) return undefined;
  const tokenFile = join(dir, 'token');
  if (!existsSync(tokenFile)) return undefined;
  const nsFile = join(dir, 'namespace');
  const namespace = existsSync(nsFile) ? readFileSync(nsFile, 'utf8').trim() : undefined;
  const caFile = join(dir, 'ca.crt');
  return {
    apiVersion: 'v1', kind: 'Config', 'current-context': 'inCluster',
    clusters: [{ name: 'inCluster', cluster: { server: `https://${isIPv6(host) ? `[${host}]` : host}:${port}`, ...(existsSync(caFile) ? { 'certificate-authority': caFile } : {}) } }],
    users: [{ name: 'inCluster', user: { tokenFile } }],
    contexts: [{ name: 'inCluster', context: { cluster: 'inCluster', user: 'inCluster', ...(namespace ? { namespace } : {}) } }],
  };
}

/**
 * Where a kubeconfig comes from when none is given: $KUBECONFIG (a path list merged as kubectl
 * merges it), then ~/.kube/config, then in-cluster.
 */
export function defaultKubeconfig(env: NodeJS.ProcessEnv = process.env, dir = SERVICEACCOUNT_DIR): KubeconfigDoc {
  const setting = str(env['KUBECONFIG']);
  if (setting !== undefined) return loadKubeconfig(setting);
  const home = str(env['HOME']);
  if (home !== undefined && existsSync(join(home, '.kube', 'config'))) return loadKubeconfig(join(home, '.kube', 'config'));
  const inCluster = inClusterKubeconfig(env, dir);
  if (inCluster !== undefined) return inCluster;
  throw new KubeconfigError('no kubeconfig: set --kubeconfig or KUBECONFIG, create ~/.kube/config, or run in a Pod (KUBERNETES_SERVICE_HOST and a ServiceAccount token)');
}

/** The access for a kubeconfig setting, a loaded doc, or the defaults, with --context applied. */
export function kubeconfigFor(from: string | KubeconfigDoc | undefined, context: string | undefined): KubeconfigDoc {
  const doc = typeof from === 'string' ? loadKubeconfig(from) : from ?? defaultKubeconfig();
  return selectContext(doc, context);
}
