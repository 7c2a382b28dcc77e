import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseRunConfig } from './config.js';

test('defaults: all namespaces, 4 workers, loopback probes, no election, cluster ID resolved later', () => {
  const c = parseRunConfig([], {});
  assert.deepEqual(c.namespaces, []);
  assert.equal(c.workers, 4);
  assert.deepEqual(c.metricsAddr, { host: '127.0.0.1', port: 8080 });
  assert.deepEqual(c.healthAddr, { host: '127.0.0.1', port: 8081 });
  assert.deepEqual(c.leaderElection, { enabled: false, name: 'contrail-lb-operator', namespace: 'lb-system', leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2000 });
  assert.equal(c.clusterID, undefined);
  assert.equal(c.secretsNamespace, 'lb-system');
  assert.equal(c.orphanSweepPeriodMs, 600_000);
  assert.equal(c.logLevel, 'info');
});

test('flags win over env; --namespace repeats; --flag=value and --flag value both work', () => {
  const c = parseRunConfig(
    ['--namespace', 'a', '--namespace=b', '--workers=8', '--leader-elect', '--lease-namespace', 'ops', '--metrics-addr', '0', '--cluster-id', 'prod-1'],
    { LBOP_WORKERS: '2', LBOP_NAMESPACES: 'x,y', LBOP_CLUSTER_ID: 'env-id', LBOP_LOG_LEVEL: 'debug', POD_NAMESPACE: 'pod-ns' },
  );
  assert.deepEqual(c.namespaces, ['a', 'b']);
  assert.equal(c.workers, 8);
  assert.deepEqual(c.leaderElection, { enabled: true, name: 'contrail-lb-operator', namespace: 'ops', leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2000 });
  assert.equal(c.metricsAddr, undefined);
  assert.equal(c.clusterID, 'prod-1');
  assert.equal(c.logLevel, 'debug');
  assert.equal(c.secretsNamespace, 'ops');
});

test('env alone configures it (in-cluster Deployment style)', () => {
  const c = parseRunConfig([], { LBOP_NAMESPACES: 'x, y', POD_NAMESPACE: 'pod-ns', LBOP_LEADER_ELECT: 'true', LBOP_HEALTH_ADDR: '0.0.0.0:9000' });
  assert.deepEqual(c.namespaces, ['x', 'y']);
  assert.equal(c.leaderElection.namespace, 'pod-ns');
  assert.equal(c.leaderElection.enabled, true);
  assert.deepEqual(c.healthAddr, { host: '0.0.0.0', port: 9000 });
});

test('lease timing: flags and env in seconds, and retry < renew < duration enforced', () => {
  const c = parseRunConfig(['--lease-duration', '4', '--renew-deadline=3'], { LBOP_RETRY_PERIOD_SECONDS: '1' });
  assert.deepEqual([c.leaderElection.leaseDurationMs, c.leaderElection.renewDeadlineMs, c.leaderElection.retryPeriodMs], [4000, 3000, 1000]);
  assert.throws(() => parseRunConfig(['--lease-duration', '10'], {}), /--renew-deadline \(10\) must be below --lease-duration \(10\)/);
  assert.throws(() => parseRunConfig(['--lease-duration', '4', '--renew-deadline', '3', '--retry-period', '3'], {}), /--retry-period \(3\) must be below --renew-deadline \(3\)/);
  assert.throws(() => parseRunConfig(['--retry-period', '0.5'], {}), /--retry-period must be an integer/);
});

test('bad input is a one-line ConfigError naming the flag', () => {
  const bad: [string[], RegExp][] = [
    [['--workers', '0'], /--workers/],
    [['--namespace', 'Not_A_NS'], /--namespace/],
    [['--metrics-addr', 'nope'], /--metrics-addr/],
    [['--log-level', 'loud'], /--log-level/],
    [['--cluster-id', 'has space'], /--cluster-id/],
    [['--bogus'], /unknown flag --bogus/],
    [['--kubeconfig'], /--kubeconfig needs a value/],
    [['--controllers', 'cloud,nonsense'], /--controllers/],
  ];
  for (const [argv, re] of bad) assert.throws(() => parseRunConfig(argv, {}), (e: unknown) => e instanceof ConfigError && re.test(e.message), argv.join(' '));
});

test('--controllers selects controllers by name', () => {
  assert.equal(parseRunConfig([], {}).controllers, undefined);
  assert.deepEqual(parseRunConfig(['--controllers', 'cloud,serviceengine'], {}).controllers, ['cloud', 'serviceengine']);
});

test('--watch-label-selector (or LBOP_WATCH_LABEL_SELECTOR) names the shard; a selector the API server would reject is refused at start', () => {
  assert.equal(parseRunConfig([], {}).watchLabelSelector, undefined);
  assert.equal(parseRunConfig(['--watch-label-selector', 'sharding.fluxcd.io/key=shard1'], {}).watchLabelSelector, 'sharding.fluxcd.io/key=shard1');
  assert.equal(parseRunConfig([], { LBOP_WATCH_LABEL_SELECTOR: '!sharding.fluxcd.io/key' }).watchLabelSelector, '!sharding.fluxcd.io/key');
  assert.throws(() => parseRunConfig(['--watch-label-selector', 'a b'], {}), /--watch-label-selector: .*not a valid label key/);
  assert.throws(() => parseRunConfig(['--watch-label-selector='], {}), /--watch-label-selector: label selector is empty/);
});

test('--metrics-se-labels: default true, false from flag or env, anything else refused', () => {
  assert.equal(parseRunConfig([], {}).metricsSELabels, true);
  assert.equal(parseRunConfig(['--metrics-se-labels=false'], {}).metricsSELabels, false);
  assert.equal(parseRunConfig([], { LBOP_METRICS_SE_LABELS: 'false' }).metricsSELabels, false);
  assert.throws(() => parseRunConfig(['--metrics-se-labels', 'no'], {}), /--metrics-se-labels must be true or false, got 'no'/);
});
