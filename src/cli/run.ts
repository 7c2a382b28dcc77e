// `contrail-lb-operator run`: the operator. Parses flags (src/cli/flags.ts) and hands the
// operator's own to the typed config (src/controllers/config.ts), connects to Kubernetes
// (kubeconfig or in-cluster), resolves the cluster ID, builds the manager with every controller,
// serves /metrics (HTTPS + TokenReview/SubjectAccessReview unless told otherwise), and runs until
// SIGTERM/SIGINT (exit 0) or a lost lease (exit 1, so the pod restarts with fresh caches).
// Nothing heavy is imported before the flags are known to be good: `run --help` stays instant.
import process from 'node:process';
import { ConfigError, parseRunConfig, RUN_USAGE, type HostPort, type OperatorConfig } from '../controllers/config.js';
import type { KubeClient } from '../runtime/kube.js';
import { parseSEApiConfig, SEApiConfigError, SE_API_USAGE, type SEApiConfig } from '../seapi/config.js';
import { argvOf, parseFlags, UsageError, type FlagTable, type Flags } from './flags.js';

/** The flags src/controllers/config.ts parses (a unit test keeps this equal to RUN_USAGE). */
export const CONFIG_FLAGS: FlagTable = {
  kubeconfig: { type: 'string' },
  namespace: { type: 'string', multiple: true },
  workers: { type: 'string' },
  'leader-elect': { type: 'boolean' },
  'lease-name': { type: 'string' },
  'lease-namespace': { type: 'string' },
  'lease-duration': { type: 'string' },
  'renew-deadline': { type: 'string' },
  'retry-period': { type: 'string' },
  'metrics-addr': { type: 'string' },
  'health-addr': { type: 'string' },
  'cluster-id': { type: 'string' },
  'secrets-namespace': { type: 'string' },
  'orphan-sweep-period': { type: 'string' },
  'log-level': { type: 'string' },
  controllers: { type: 'string' },
  'watch-label-selector': { type: 'string' },
  'metrics-se-labels': { type: 'string' },
};

/** The flags of the process around the operator: which apiserver, how /metrics is served. */
export const CLI_FLAGS: FlagTable = {
  context: { type: 'string' },
  'metrics-insecure': { type: 'boolean' },
  'metrics-cert-dir': { type: 'string' },
  'se-api-url': { type: 'string', multiple: true },
};

/** The SE API's flags, parsed by src/seapi/config.ts (SE_API_FLAGS). */
export const SE_API_TABLE: FlagTable = {
  'se-api-addr': { type: 'string' },
  'se-api-ca-secret': { type: 'string' },
  'se-api-san': { type: 'string', multiple: true },
  'se-api-client-cert-ttl': { type: 'string' },
  'se-api-token-ttl': { type: 'string' },
  'se-heartbeat-timeout': { type: 'string' },
  'se-failure-timeout': { type: 'string' },
  'se-repair-breaker': { type: 'string' },
  'se-repair-max-in-flight': { type: 'string' },
};

export const USAGE = `${RUN_USAGE}
  --context NAME            kubeconfig context to use instead of its current-context
                            (a kubeconfig path list a:b is merged as kubectl merges KUBECONFIG)
  --metrics-cert-dir DIR    tls.crt and tls.key for /metrics; default a self-signed certificate
  --metrics-insecure        serve /metrics as plain HTTP with no authentication, on any address.
                            Without it /metrics on a non-loopback address is HTTPS, and a scrape needs
                            a bearer token whose user may 'get' the non-resource URL /metrics (the
                            metrics-reader ClusterRole), checked by TokenReview + SubjectAccessReview.
                            A loopback address (the default 127.0.0.1:8080) is plain HTTP.
${SE_API_USAGE.replace('default 127.0.0.1:9443; 0 disables', 'off unless given (the Deployment sets 0.0.0.0:9443)')}
  --se-api-url URL          what SEs dial (repeatable, in order); default https://<the bound address>`;

export type MetricsServing =
  | { mode: 'off' }
  | { mode: 'http'; addr: HostPort }
  | { mode: 'https'; addr: HostPort; certDir: string | undefined };

const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || /^127\./.test(host);

/** How /metrics is served. Pure. Off-host plain HTTP only when asked for by --metrics-insecure. */
export function metricsServing(addr: HostPort | undefined, flags: Flags): MetricsServing {
  const certDir = flags.string('metrics-cert-dir');
  if (flags.bool('metrics-insecure') && certDir !== undefined) throw new UsageError('--metrics-insecure and --metrics-cert-dir exclude each other');
  if (addr === undefined) return { mode: 'off' };
  if (flags.bool('metrics-insecure')) return { mode: 'http', addr };
  if (isLoopback(addr.host) && certDir === undefined) return { mode: 'http', addr };
  return { mode: 'https', addr, certDir };
}

function parse(argv: string[]): { config: OperatorConfig; flags: Flags; seapi: SEApiConfig | undefined } | 'help' {
  const flags = parseFlags({ ...CONFIG_FLAGS, ...CLI_FLAGS, ...SE_API_TABLE }, argv);
  if (flags.help()) return 'help';
  const config = parseRunConfig(argvOf(flags, new Set(Object.keys(CONFIG_FLAGS))), process.env);
  // Off unless asked for (flag or LBOP_SE_API_ADDR): an operator without SE agents is unchanged.
  const asked = flags.has('se-api-addr') || (process.env['LBOP_SE_API_ADDR'] ?? '') !== '';
  const parsed = asked ? parseSEApiConfig(argvOf(flags, new Set(Object.keys(SE_API_TABLE))), process.env, config.leaderElection.namespace) : undefined;
  const seapi = parsed?.addr !== undefined ? parsed : undefined;
  for (const u of flags.strings('se-api-url')) if (!/^https:\/\/[^\s/]+(\/\S*)?$/.test(u)) throw new UsageError(`--se-api-url must be https://HOST[:PORT], got '${u}'`);
  return { config, flags, seapi };
}

export async function run(argv: string[]): Promise<number> {
  let config: OperatorConfig;
  let flags: Flags;
  let serving: MetricsServing;
  let seapiConfig: SEApiConfig | undefined;
  try {
    const parsed = parse(argv);
    if (parsed === 'help') {
      process.stdout.write(USAGE + '\n');
      return 0;
    }
    ({ config, flags, seapi: seapiConfig } = parsed);
    serving = metricsServing(config.metricsAddr, flags);
  } catch (e) {
    if (!(e instanceof ConfigError) && !(e instanceof UsageError) && !(e instanceof SEApiConfigError)) throw e;
    process.stderr.write(`run: ${e.message} (see run --help)\n`);
    return 2;
  }
  const [{ buildOperator, defaultClusterID }, rt, { Registry }] = await Promise.all([
    import('../controllers/operator.js'), import('../runtime/index.js'), import('prom-client'),
  ]);
  const { createLogger, redactText, startHealthServer, processMetrics } = rt;
  const logger = createLogger({ level: config.logLevel });
  const registry = new Registry();
  processMetrics(registry);
  const context = flags.string('context');
  let client: KubeClient;
  try {
    client = await rt.KubeClient.create(config.kubeconfig, { registry, ...(context !== undefined ? { context } : {}) });
  } catch (e) {
    process.stderr.write(`run: cannot load Kubernetes credentials: ${redactText((e as Error).message)}\n`);
    return 1;
  }
  try {
    let clusterID = config.clusterID;
    if (clusterID === undefined) {
      try {
        clusterID = await defaultClusterID(client);
      } catch (e) {
        process.stderr.write(`run: --cluster-id not given and the kube-system namespace's uid could not be read (${redactText((e as Error).message)}); pass --cluster-id\n`);
        return 1;
      }
    }
    // The CLI serves /metrics itself (secure serving needs the client for TokenReview/SAR).
    let seapi: Parameters<typeof buildOperator>[1]['seapi'];
    if (seapiConfig !== undefined) {
      const { loadCA } = await import('../seapi/pki.js');
      try {
        const ca = await loadCA(client, { namespace: seapiConfig.namespace, secretName: seapiConfig.caSecret.name, userProvided: seapiConfig.caSecret.userProvided }, logger);
        const urls = flags.strings('se-api-url');
        seapi = { config: seapiConfig, ca, ...(urls.length > 0 ? { controllerURLs: urls } : {}) };
      } catch (e) {
        process.stderr.write(`run: cannot load the SE API CA: ${redactText((e as Error).message)}\n`);
        return 1;
      }
    }
    const operator = buildOperator({ ...config, metricsAddr: undefined }, { client, logger, clusterID, registry, ...(seapi !== undefined ? { seapi } : {}) });
    let metrics: Awaited<ReturnType<typeof startHealthServer>> | undefined;
    let stopCertWatch: (() => void) | undefined;
    if (serving.mode !== 'off') {
      try {
        metrics = await startHealthServer({ registry, checks: {}, host: serving.addr.host, port: serving.addr.port, ...(serving.mode === 'https' ? await secure(serving, client) : {}),
          onAuthError: (m) => logger.debug(m) });
      } catch (e) {
        process.stderr.write(`run: cannot serve /metrics on ${serving.addr.host}:${serving.addr.port}: ${redactText((e as Error).message)}\n`);
        return 1;
      }
      if (serving.mode === 'https' && serving.certDir !== undefined) {
        const { readCertDir, watchCertDir } = await import('../runtime/metricsauth.js');
        const server = metrics;
        stopCertWatch = watchCertDir(serving.certDir, readCertDir(serving.certDir), (tls) => {
          server.setTLS(tls);
          logger.info('metrics certificate reloaded', { dir: serving.certDir });
        }, (m) => logger.warn('metrics certificate', { error: m }));
      }
      logger.info('serving metrics', { url: `${metrics.url}/metrics`, auth: serving.mode === 'https' ? 'TokenReview+SubjectAccessReview' : 'none' });
    }
    logger.info('operator starting', {
      clusterID, namespaces: config.namespaces.length === 0 ? 'all' : config.namespaces, workers: config.workers,
      leaderElection: config.leaderElection.enabled ? `${config.leaderElection.namespace}/${config.leaderElection.name}` : 'off',
      shard: config.watchLabelSelector ?? 'all',
    });
    const stop = new AbortController();
    const onSignal = (sig: NodeJS.Signals): void => {
      logger.info('shutting down', { signal: sig });
      stop.abort();
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    try {
      const exit = await operator.run(stop.signal);
      return exit === 'stopped' ? 0 : 1;
    } finally {
      process.removeListener('SIGTERM', onSignal);
      process.removeListener('SIGINT', onSignal);
      stopCertWatch?.();
      await metrics?.close();
    }
  } finally {
    client.close();
    await new Promise<void>((resolve) => logger.on('finish', resolve).end());
  }
}

async function secure(serving: Extract<MetricsServing, { mode: 'https' }>, client: KubeClient) {
  const { kubeAuthorizer, readCertDir, selfSignedCert } = await import('../runtime/metricsauth.js');
  const { hostname } = await import('node:os');
  const tls = serving.certDir !== undefined ? readCertDir(serving.certDir) : await selfSignedCert([hostname(), 'localhost', '127.0.0.1', ...(serving.addr.host !== '0.0.0.0' && serving.addr.host !== '::' ? [serving.addr.host] : [])]);
  return { tls, authorizer: kubeAuthorizer(client) };
}
