// `contrail-lb-operator run`: the operator. Parses flags/env into the typed config
// (src/controllers/config.ts), connects to Kubernetes (kubeconfig or in-cluster), resolves the
// cluster ID, builds the manager with every controller, and runs until SIGTERM/SIGINT (exit 0)
// or a lost lease (exit 1, so the pod restarts and campaigns with fresh caches).
import process from 'node:process';
import { ConfigError, parseRunConfig, RUN_USAGE, type OperatorConfig } from '../controllers/config.js';
import { buildOperator, defaultClusterID } from '../controllers/operator.js';
import { createLogger, KubeClient, redactText } from '../runtime/index.js';

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(RUN_USAGE + '\n');
    return 0;
  }
  let config: OperatorConfig;
  try {
    config = parseRunConfig(argv, process.env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`run: ${e.message}\n\n${RUN_USAGE}\n`);
    return 2;
  }
  const logger = createLogger({ level: config.logLevel });
  let client: KubeClient;
  try {
    client = await KubeClient.create(config.kubeconfig);
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
    const operator = buildOperator(config, { client, logger, clusterID });
    logger.info('operator starting', {
      clusterID, namespaces: config.namespaces.length === 0 ? 'all' : config.namespaces, workers: config.workers,
      leaderElection: config.leaderElection.enabled ? `${config.leaderElection.namespace}/${config.leaderElection.name}` : 'off',
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
    }
  } finally {
    client.close();
    await new Promise<void>((resolve) => logger.on('finish', resolve).end());
  }
}
