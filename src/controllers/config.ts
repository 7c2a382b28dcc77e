// The operator's configuration: flags and environment parsed once into a typed value that is
// passed down (STYLE.md: "configuration has one home"). Flags win over environment variables.
//
//   --kubeconfig PATH        (KUBECONFIG)            absent: in-cluster, then ~/.kube/config
//   --namespace NS           (LBOP_NAMESPACES, comma-separated) repeatable; absent: all namespaces
//   --workers N              (LBOP_WORKERS)          workers per controller, default 4
//   --leader-elect           (LBOP_LEADER_ELECT=true) campaign for a Lease before reconciling
//   --lease-name NAME        (LBOP_LEASE_NAME)       default contrail-lb-operator
//   --lease-namespace NS     (LBOP_LEASE_NAMESPACE, else POD_NAMESPACE) default lb-system
//   --lease-duration S       (LBOP_LEASE_DURATION_SECONDS) default 15; --renew-deadline S
//                            (LBOP_RENEW_DEADLINE_SECONDS) default 10; --retry-period S
//                            (LBOP_RETRY_PERIOD_SECONDS) default 2; retry < renew < duration
//   --metrics-addr HOST:PORT (LBOP_METRICS_ADDR)     /metrics, default 127.0.0.1:8080 ("0" disables)
//   --health-addr HOST:PORT  (LBOP_HEALTH_ADDR)      /healthz /readyz, default 127.0.0.1:8081 ("0" disables)
//   --cluster-id ID          (LBOP_CLUSTER_ID)       stamped on every cloud object; default: the uid
//                                                    of the kube-system namespace (stable per cluster)
//   --secrets-namespace NS   (LBOP_SECRETS_NAMESPACE) Secrets watched for prompt re-checks, default
//                                                    the lease namespace (others are read on the period)
//   --orphan-sweep-period S  (LBOP_ORPHAN_SWEEP_SECONDS) default 600
//   --log-level LEVEL        (LBOP_LOG_LEVEL)        error|warn|info|debug, default info
//   --controllers a,b        (LBOP_CONTROLLERS)      run only these controllers (default all): cloud,
//                                                    serviceenginegroup, serviceengine, orphan-sweep, pool,
//                                                    virtualservice (tests of one controller's contract)
//   --watch-label-selector S (LBOP_WATCH_LABEL_SELECTOR) a shard: list/watch only Clouds, groups, SEs,
//                                                    VSs and Pools matching S (docs/scaling.md)
//   --metrics-se-labels B    (LBOP_METRICS_SE_LABELS) false: per-VS and pool member series without
//                                                    the se label, summed over SEs (docs/metrics.md)

import { parseLabelSelector } from '../runtime/labelselector.js';

export interface HostPort { host: string; port: number }

export interface OperatorConfig {
  kubeconfig: string | undefined;
  /** [] = every namespace. */
  namespaces: string[];
  workers: number;
  leaderElection: { enabled: boolean; name: string; namespace: string; leaseDurationMs: number; renewDeadlineMs: number; retryPeriodMs: number };
  metricsAddr: HostPort | undefined;
  healthAddr: HostPort | undefined;
  /** undefined: resolved at start from the kube-system namespace uid. */
  clusterID: string | undefined;
  secretsNamespace: string;
  orphanSweepPeriodMs: number;
  logLevel: 'error' | 'warn' | 'info' | 'debug';
  /** undefined = every controller. */
  controllers: string[] | undefined;
  /** This replica's shard: only reconciled objects matching it are listed/watched; undefined = all. */
  watchLabelSelector: string | undefined;
  /** Per-SE `se` label on the per-VS and pool member series (default true). */
  metricsSELabels?: boolean;
}

export const CONTROLLER_NAMES = ['cloud', 'serviceenginegroup', 'serviceengine', 'orphan-sweep', 'pool', 'virtualservice', 'autoscale'] as const;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const CONTROLLER_NAMES_TEXT = 'cloud, serviceenginegroup, serviceengine, orphan-sweep, pool, virtualservice, autoscale';

export const RUN_USAGE = `usage: contrail-lb-operator run [flags]

  --kubeconfig PATH         kubeconfig (env KUBECONFIG); default in-cluster, then ~/.kube/config
  --namespace NS            namespace to watch, repeatable (env LBOP_NAMESPACES=a,b); default all
  --workers N               reconcile workers per controller (env LBOP_WORKERS), default 4
  --leader-elect            campaign for a Lease first (env LBOP_LEADER_ELECT=true)
  --lease-name NAME         Lease name (env LBOP_LEASE_NAME), default contrail-lb-operator
  --lease-namespace NS      Lease namespace (env LBOP_LEASE_NAMESPACE or POD_NAMESPACE), default lb-system
  --lease-duration S        seconds a standby waits after the last renewal it saw before taking over
                            (env LBOP_LEASE_DURATION_SECONDS), default 15
  --renew-deadline S        seconds the leader keeps leading without a renewal (env
                            LBOP_RENEW_DEADLINE_SECONDS), default 10; must be below --lease-duration
  --retry-period S          seconds between renewals (env LBOP_RETRY_PERIOD_SECONDS), default 2;
                            must be below --renew-deadline
  --metrics-addr HOST:PORT  /metrics (env LBOP_METRICS_ADDR), default 127.0.0.1:8080; 0 disables
  --health-addr HOST:PORT   /healthz /readyz (env LBOP_HEALTH_ADDR), default 127.0.0.1:8081; 0 disables
  --cluster-id ID           tag on every cloud object (env LBOP_CLUSTER_ID); default the kube-system
                            namespace's uid. Two clusters sharing a cloud must differ.
  --secrets-namespace NS    namespace of credentials Secrets watched for changes (env
                            LBOP_SECRETS_NAMESPACE), default the lease namespace
  --orphan-sweep-period S   seconds between orphan sweeps (env LBOP_ORPHAN_SWEEP_SECONDS), default 600
  --log-level LEVEL         error|warn|info|debug (env LBOP_LOG_LEVEL), default info
  --controllers a,b         run only these controllers (env LBOP_CONTROLLERS), default all:
                            ${CONTROLLER_NAMES_TEXT}
  --watch-label-selector S  shard by label (env LBOP_WATCH_LABEL_SELECTOR), e.g.
                            sharding.fluxcd.io/key=shard1: list/watch only the Clouds, groups, SEs,
                            VSs and Pools matching S; '!sharding.fluxcd.io/key' for the unsharded rest
  --metrics-se-labels B     true|false (env LBOP_METRICS_SE_LABELS), default true; false drops the se
                            label of the per-VS and pool member series (summed over SEs)`;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const LEVELS = ['error', 'warn', 'info', 'debug'] as const;

function parseHostPort(flag: string, v: string): HostPort | undefined {
  if (v === '0' || v === '') return undefined;
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(v);
  if (m === null || Number(m[3]) > 65535) throw new ConfigError(`${flag} must be HOST:PORT (e.g. 127.0.0.1:8080) or 0, got '${v}'`);
  return { host: m[1] ?? (m[2] === '' ? '127.0.0.1' : (m[2] as string)), port: Number(m[3]) };
}

function positiveInt(flag: string, v: string, max: number): number {
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > max) throw new ConfigError(`${flag} must be an integer in [1, ${max}], got '${v}'`);
  return Number(v);
}

function namespaceName(flag: string, v: string): string {
  if (!DNS_LABEL.test(v)) throw new ConfigError(`${flag}: '${v}' is not a valid namespace name`);
  return v;
}

/** `--flag value`, `--flag=value` and boolean flags into flag → values (repeatable). */
function parseFlags(argv: readonly string[]): Map<string, string[]> {
  const known = new Set(['--kubeconfig', '--namespace', '--workers', '--leader-elect', '--lease-name', '--lease-namespace',
    '--lease-duration', '--renew-deadline', '--retry-period',
    '--metrics-addr', '--health-addr', '--cluster-id', '--secrets-namespace', '--orphan-sweep-period', '--log-level', '--controllers',
    '--watch-label-selector', '--metrics-se-labels']);
  const flags = new Map<string, string[]>();
  const boolFlags = new Set(['--leader-elect']);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument '${arg}'`);
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg : arg.slice(0, eq);
    if (!known.has(name)) throw new ConfigError(`unknown flag ${name}`);
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else if (boolFlags.has(name)) value = 'true';
    else {
      const next = argv[++i];
      if (next === undefined) throw new ConfigError(`${name} needs a value`);
      value = next;
    }
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  return flags;
}

/** Parses `run` flags over the environment. Pure: throws ConfigError with a one-line reason. */
export function parseRunConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): OperatorConfig {
  const flags = parseFlags(argv);
  const one = (flag: string, envName?: string): string | undefined => {
    const vs = flags.get(flag);
    if (vs !== undefined) return vs[vs.length - 1];
    const e = envName === undefined ? undefined : env[envName];
    return e === undefined || e === '' ? undefined : e;
  };

  const nsList = flags.get('--namespace') ?? (env['LBOP_NAMESPACES'] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const namespaces = [...new Set(nsList.map((n) => namespaceName('--namespace', n)))];
  const leaseNamespace = namespaceName('--lease-namespace', one('--lease-namespace', 'LBOP_LEASE_NAMESPACE') ?? env['POD_NAMESPACE'] ?? 'lb-system');
  const le = one('--leader-elect', 'LBOP_LEADER_ELECT') ?? 'false';
  if (!['true', 'false'].includes(le)) throw new ConfigError(`--leader-elect must be true or false, got '${le}'`);
  const level = one('--log-level', 'LBOP_LOG_LEVEL') ?? 'info';
  if (!(LEVELS as readonly string[]).includes(level)) throw new ConfigError(`--log-level must be one of ${LEVELS.join(', ')}, got '${level}'`);
  const clusterID = one('--cluster-id', 'LBOP_CLUSTER_ID');
  if (clusterID !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(clusterID)) {
    throw new ConfigError(`--cluster-id must be 1-63 characters of [A-Za-z0-9._-], got '${clusterID}'`);
  }
  const ctl = one('--controllers', 'LBOP_CONTROLLERS');
  const controllers = ctl === undefined ? undefined : ctl.split(',').map((x) => x.trim()).filter((x) => x !== '');
  for (const c of controllers ?? []) {
    if (!(CONTROLLER_NAMES as readonly string[]).includes(c)) throw new ConfigError(`--controllers: unknown controller '${c}' (have ${CONTROLLER_NAMES.join(', ')})`);
  }
  const watchLabelSelector = one('--watch-label-selector', 'LBOP_WATCH_LABEL_SELECTOR');
  if (watchLabelSelector !== undefined) {
    try {
      parseLabelSelector(watchLabelSelector);
    } catch (e) {
      throw new ConfigError(`--watch-label-selector: ${(e as Error).message}`);
    }
  }
  const seLabels = one('--metrics-se-labels', 'LBOP_METRICS_SE_LABELS') ?? 'true';
  if (!['true', 'false'].includes(seLabels)) throw new ConfigError(`--metrics-se-labels must be true or false, got '${seLabels}'`);
  const leaseName = one('--lease-name', 'LBOP_LEASE_NAME') ?? 'contrail-lb-operator';
  if (!/^[a-z0-9]([-.a-z0-9]{0,251}[a-z0-9])?$/.test(leaseName)) throw new ConfigError(`--lease-name: '${leaseName}' is not a valid object name`);
  const leaseDurationMs = positiveInt('--lease-duration', one('--lease-duration', 'LBOP_LEASE_DURATION_SECONDS') ?? '15', 3600) * 1000;
  const renewDeadlineMs = positiveInt('--renew-deadline', one('--renew-deadline', 'LBOP_RENEW_DEADLINE_SECONDS') ?? '10', 3600) * 1000;
  const retryPeriodMs = positiveInt('--retry-period', one('--retry-period', 'LBOP_RETRY_PERIOD_SECONDS') ?? '2', 3600) * 1000;
  // The leader must stop (renew deadline) before a standby may start (lease duration), and renew
  // at least once within its deadline.
  if (!(renewDeadlineMs < leaseDurationMs)) throw new ConfigError(`--renew-deadline (${renewDeadlineMs / 1000}) must be below --lease-duration (${leaseDurationMs / 1000})`);
  if (!(retryPeriodMs < renewDeadlineMs)) throw new ConfigError(`--retry-period (${retryPeriodMs / 1000}) must be below --renew-deadline (${renewDeadlineMs / 1000})`);
  return {
    kubeconfig: one('--kubeconfig', 'KUBECONFIG'),
    namespaces,
    workers: positiveInt('--workers', one('--workers', 'LBOP_WORKERS') ?? '4', 64),
    leaderElection: { enabled: le === 'true', name: leaseName, namespace: leaseNamespace, leaseDurationMs, renewDeadlineMs, retryPeriodMs },
    metricsAddr: parseHostPort('--metrics-addr', one('--metrics-addr', 'LBOP_METRICS_ADDR') ?? '127.0.0.1:8080'),
    healthAddr: parseHostPort('--health-addr', one('--health-addr', 'LBOP_HEALTH_ADDR') ?? '127.0.0.1:8081'),
    clusterID,
    secretsNamespace: namespaceName('--secrets-namespace', one('--secrets-namespace', 'LBOP_SECRETS_NAMESPACE') ?? leaseNamespace),
    orphanSweepPeriodMs: positiveInt('--orphan-sweep-period', one('--orphan-sweep-period', 'LBOP_ORPHAN_SWEEP_SECONDS') ?? '600', 86_400) * 1000,
    logLevel: level as OperatorConfig['logLevel'],
    controllers,
    watchLabelSelector,
    metricsSELabels: seLabels === 'true',
  };
}
