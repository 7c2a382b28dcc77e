// The Helm chart (deploy/helm/contrail-lb-operator): `helm lint` passes; with its defaults it
// renders the same objects as the kustomize base (deploy/), field for field apart from Helm's own
// labels, so the RBAC of both installs is the same; and what it renders, with the defaults and with
// every value changed, is accepted by a real kube-apiserver (`kubectl apply --server-side
// --dry-run=server`). helm is built from the Go module proxy by scripts/helm-build.sh.
// The monitoring pack (monitoring.serviceMonitor/prometheusRule/dashboards): off by default; on,
// the objects of deploy/components/monitoring field for field, from the chart's byte-for-byte copy
// of the component (files/monitoring, scripts/chart-sync.sh).
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { repoRoot, useCluster, type TestCluster } from '../support/cluster.js';

const HELM = join(repoRoot, '.local/bin/helm');
const CHART = join(repoRoot, 'deploy/helm/contrail-lb-operator');
const NS = 'lb-system';
const KUBE_VERSION = '1.35.4'; // the envtest apiserver's (scripts/envtest-build.sh)
const COMPONENT = join(repoRoot, 'deploy/components/monitoring');
/** The base with the monitoring component, as a user's overlay has it (also monitoring.test.ts's). */
const MONITORING_OVERLAY = join(repoRoot, 'test/monitoring/overlay');
const PACK = ['--set', 'monitoring.serviceMonitor.enabled=true', '--set', 'monitoring.prometheusRule.enabled=true', '--set', 'monitoring.dashboards.enabled=true'];
/** The Prometheus Operator's kinds: envtest has no CRDs for them (and the repository carries none). */
const isPrometheusOperatorKind = (o: Manifest): boolean => o.apiVersion.startsWith('monitoring.coreos.com/');

interface Manifest { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [k: string]: unknown }

function helm(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(HELM, args, { cwd: repoRoot, maxBuffer: 32 << 20, env: { ...process.env, HELM_CACHE_HOME: join(repoRoot, '.local/helm/cache'), HELM_CONFIG_HOME: join(repoRoot, '.local/helm/config'), HELM_DATA_HOME: join(repoRoot, '.local/helm/data') } },
      (err, stdout, stderr) => resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr }));
  });
}

// YAML 1.1, as Kubernetes reads it (0444 is octal there, decimal in YAML 1.2).
const docs = (text: string): Manifest[] => parseAllDocuments(text, { version: '1.1' }).map((d) => d.toJS() as Manifest | null).filter((d): d is Manifest => d !== null);
const id = (o: Manifest): string => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** Helm's bookkeeping labels are the only thing a chart adds. */
function normalise(o: Manifest): Manifest {
  const copy = JSON.parse(JSON.stringify(o)) as Manifest;
  const labels = copy.metadata.labels;
  if (labels !== undefined) {
    delete labels['app.kubernetes.io/managed-by'];
    delete labels['helm.sh/chart'];
  }
  return copy;
}

async function template(values: string[] = [], ns = NS): Promise<Manifest[]> {
  const r = await helm(['template', 'contrail-lb-operator', CHART, '--namespace', ns, '--kube-version', KUBE_VERSION, '--include-crds', ...values]);
  assert.equal(r.code, 0, r.stderr);
  return docs(r.stdout);
}

/** Every file under dir, as paths relative to it. */
function filesUnder(dir: string, rel = ''): string[] {
  return readdirSync(join(dir, rel), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(dir, join(rel, e.name)) : [join(rel, e.name)])).sort();
}

/** The chart's copy at `copy` holds exactly `files` of `source`, each byte for byte (scripts/chart-sync.sh makes it). */
function assertCopied(source: string, copy: string, files: string[]): void {
  assert.deepEqual(existsSync(copy) ? filesUnder(copy) : [], files, `${copy} does not hold the files of ${source}: run scripts/chart-sync.sh`);
  for (const f of files) assert.ok(readFileSync(join(copy, f), 'utf8') === readFileSync(join(source, f), 'utf8'), `${f} differs from ${join(source, f)}: run scripts/chart-sync.sh`);
}

describe('the Helm chart', () => {
  let cluster: TestCluster;
  let kustomized: Manifest[] = [];

  before(async () => {
    assert.ok(existsSync(HELM), `${HELM} missing: run scripts/helm-build.sh (make helm)`);
    cluster = await useCluster();
    const r = await cluster.kubectl(['kustomize', join(repoRoot, 'deploy')]);
    assert.equal(r.code, 0, r.stderr);
    kustomized = docs(r.stdout);
  });

  test('helm lint passes (also with --strict, and with the monitoring pack on)', async () => {
    for (const extra of [[], ['--strict'], ['--strict', ...PACK]]) {
      const r = await helm(['lint', CHART, '--kube-version', KUBE_VERSION, ...extra]);
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    }
  });

  test('the chart carries the CRDs of crds/ byte for byte', () => {
    const ours = readdirSync(join(repoRoot, 'crds')).filter((f) => f.endsWith('.yaml')).sort(); // not crds/samples
    assertCopied(join(repoRoot, 'crds'), join(CHART, 'crds'), ours);
  });

  test('the chart carries deploy/components/monitoring byte for byte (files/monitoring)', () => {
    const ours = filesUnder(COMPONENT);
    assert.ok(ours.includes('prometheusrule.yaml') && ours.includes('kustomization.yaml'), ours.join(' '));
    assertCopied(COMPONENT, join(CHART, 'files/monitoring'), ours);
  });

  test('with its defaults (and namespace.create) it renders the objects of the kustomize base, field for field', async () => {
    const charted = await template(['--set', 'namespace.create=true']);
    assert.deepEqual(charted.map(id).sort(), kustomized.map(id).sort());
    const byId = new Map(kustomized.map((o) => [id(o), o]));
    for (const o of charted) {
      assert.ok(o.metadata.labels === undefined || o.kind === 'Namespace' || o.kind === 'CustomResourceDefinition' || o.metadata.labels['app.kubernetes.io/managed-by'] === 'Helm', `${id(o)}: Helm labels`);
      assert.deepEqual(normalise(o), byId.get(id(o)), `${id(o)} differs between the chart and deploy/`);
    }
  });

  test('chart and kustomize agree on RBAC (rules, bindings, subjects), also in another namespace', async () => {
    const rbac = (objs: Manifest[], ns: string): unknown[] => objs
      .filter((o) => ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'].includes(o.kind))
      .map((o) => ({ kind: o.kind, name: o.metadata.name, namespace: o.metadata.namespace === undefined ? undefined : o.metadata.namespace === ns ? 'NS' : o.metadata.namespace,
        rules: o['rules'], roleRef: o['roleRef'], subjects: (o['subjects'] as { namespace?: string }[] | undefined)?.map((s) => ({ ...s, namespace: s.namespace === ns ? 'NS' : s.namespace })) }))
      .sort((a, b) => `${a.kind}/${a.name}`.localeCompare(`${b.kind}/${b.name}`));
    const want = rbac(kustomized, NS);
    assert.ok(want.length >= 5);
    assert.deepEqual(rbac(await template(), NS), want);
    const elsewhere = await helm(['template', 'contrail-lb-operator', CHART, '--namespace', 'lbop-helm-elsewhere', '--kube-version', KUBE_VERSION]);
    assert.equal(elsewhere.code, 0, elsewhere.stderr);
    const other = docs(elsewhere.stdout);
    assert.deepEqual(rbac(other, 'lbop-helm-elsewhere'), want);
    const policy = other.find((o) => o.kind === 'ValidatingAdmissionPolicy') as { spec: { matchConditions: { expression: string }[] } } | undefined;
    assert.match(policy?.spec.matchConditions[0]?.expression ?? '', /system:serviceaccount:lbop-helm-elsewhere:contrail-lb-operator/);
  });

  test('the values change what they say: image, replicas, resources, clusterID, namespaces, monitoring', async () => {
    const objs = await template(['--set', 'image.repository=reg.example/lbop', '--set', 'image.digest=sha256:' + 'ab'.repeat(32), '--set', 'replicas=3',
      '--set', 'resources.limits.memory=1Gi', '--set', 'maxOldSpaceSizeMiB=768', '--set', 'clusterID=prod-1', '--set', 'namespaces={team-a,team-b}',
      '--set', 'monitoring.certSecret=lbop-metrics-tls', '--set', 'monitoring.networkPolicy=false', '--set', 'monitoring.metricsReaderRole=false']);
    type Container = { image: string; args: string[]; resources: { limits: { memory: string } }; env: { name: string; value?: string }[]; volumeMounts: { name: string }[] };
    const d = objs.find((o) => o.kind === 'Deployment') as unknown as { spec: { replicas: number; template: { spec: { containers: Container[]; volumes: { name: string; secret?: { secretName: string } }[] } } } };
    const c = d.spec.template.spec.containers[0] as Container;
    assert.equal(c.image, `reg.example/lbop@sha256:${'ab'.repeat(32)}`);
    assert.equal(d.spec.replicas, 3);
    assert.equal(c.resources.limits.memory, '1Gi');
    assert.equal(c.env.find((e) => e.name === 'NODE_OPTIONS')?.value, '--max-old-space-size=768 --max-semi-space-size=2');
    for (const a of ['--cluster-id=prod-1', '--namespace=team-a', '--namespace=team-b', '--metrics-cert-dir=/etc/contrail-lb-operator/metrics-tls']) assert.ok(c.args.includes(a), `${a} in ${c.args.join(' ')}`);
    assert.equal(d.spec.template.spec.volumes.find((v) => v.name === 'metrics-tls')?.secret?.secretName, 'lbop-metrics-tls');
    assert.equal(objs.some((o) => o.kind === 'NetworkPolicy'), false);
    assert.equal(objs.some((o) => o.metadata.name === 'contrail-lb-operator-metrics-reader'), false);
    const off = await template(['--set', 'monitoring.enabled=false']);
    const offArgs = ((off.find((o) => o.kind === 'Deployment') as unknown as { spec: { template: { spec: { containers: Container[] } } } }).spec.template.spec.containers[0] as Container).args;
    assert.ok(offArgs.includes('--metrics-addr=0'));
    assert.equal(off.some((o) => (o.kind === 'Service' && o.metadata.name !== 'contrail-lb-operator-se-api') || o.kind === 'NetworkPolicy'), false);
    assert.equal(off.some((o) => o.kind === 'Service' && o.metadata.name === 'contrail-lb-operator-se-api'), true, 'the SE API Service does not depend on monitoring');
  });

  test('the monitoring pack is off by default: no ServiceMonitor, PrometheusRule or dashboard ConfigMap', async () => {
    const objs = await template();
    assert.deepEqual(objs.filter((o) => isPrometheusOperatorKind(o) || o.kind === 'ConfigMap').map(id), []);
    // Asked for without the metrics endpoint it would scrape nothing: refused, not silently dropped.
    const r = await helm(['template', 'contrail-lb-operator', CHART, '--namespace', NS, '--kube-version', KUBE_VERSION, '--set', 'monitoring.enabled=false', ...PACK]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /need monitoring\.enabled/);
  });

  test('with the pack on it renders the objects of the base plus deploy/components/monitoring, field for field', async () => {
    const r = await cluster.kubectl(['kustomize', MONITORING_OVERLAY]);
    assert.equal(r.code, 0, r.stderr);
    const want = docs(r.stdout);
    assert.equal(want.filter((o) => isPrometheusOperatorKind(o) || o.kind === 'ConfigMap').length, 3, 'the component renders its three objects');
    const charted = await template(['--set', 'namespace.create=true', ...PACK]);
    assert.deepEqual(charted.map(id).sort(), want.map(id).sort());
    const byId = new Map(want.map((o) => [id(o), o]));
    for (const o of charted) assert.deepEqual(normalise(o), byId.get(id(o)), `${id(o)} differs between the chart and the monitoring overlay`);
    for (const o of charted.filter((c) => isPrometheusOperatorKind(c) || c.kind === 'ConfigMap')) assert.equal(o.metadata.labels?.['app.kubernetes.io/managed-by'], 'Helm', `${id(o)}: Helm labels`);
  });

  test('in any release namespace the ServiceMonitor selects the metrics Service next to it, under the job the rules and dashboard select', async () => {
    const ns = 'lbop-helm-elsewhere';
    const objs = await template(PACK, ns);
    type Monitor = { metadata: { namespace: string }; spec: { jobLabel: string; selector: { matchLabels: Record<string, string> }; namespaceSelector?: unknown; endpoints: { port: string }[] } };
    const monitor = objs.find((o) => o.kind === 'ServiceMonitor') as unknown as Monitor;
    assert.equal(monitor.metadata.namespace, ns);
    assert.equal(monitor.spec.namespaceSelector, undefined, 'its own namespace');
    const selected = objs.filter((o) => o.kind === 'Service' && o.metadata.namespace === ns
      && Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => o.metadata.labels?.[k] === v));
    assert.deepEqual(selected.map((s) => s.metadata.name), ['contrail-lb-operator-metrics']);
    const service = selected[0] as Manifest & { spec: { ports: { name: string }[] } };
    for (const e of monitor.spec.endpoints) assert.ok(service.spec.ports.some((p) => p.name === e.port), `port ${e.port} on the Service`);
    const job = service.metadata.labels?.[monitor.spec.jobLabel];
    const rule = objs.find((o) => o.kind === 'PrometheusRule') as Manifest;
    assert.equal(rule.metadata.namespace, ns);
    const dashboard = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'contrail-lb-operator-dashboard') as Manifest & { data: Record<string, string> };
    assert.equal(dashboard.metadata.namespace, ns);
    const selectedJobs = [...JSON.stringify(rule['spec']).matchAll(/job=\\"([^"\\]+)\\"/g), ...Object.values(dashboard.data).join('').matchAll(/job=\\"([^"\\]+)\\"/g)].map((m) => m[1]);
    assert.ok(selectedJobs.length >= 10, `${selectedJobs.length} job= selectors`);
    assert.deepEqual([...new Set(selectedJobs)], [job]);
  });

  test('the pack values change what they say: labels, interval, namespaces, sidecar label, insecure metrics', async () => {
    const objs = await template([...PACK, '--set', 'monitoring.serviceMonitor.labels.release=kps', '--set', 'monitoring.serviceMonitor.interval=15s',
      '--set', 'monitoring.prometheusRule.labels.role=alert-rules', '--set', 'monitoring.dashboards.namespace=grafana',
      '--set', 'monitoring.dashboards.sidecarLabel=dashboards', '--set-string', 'monitoring.dashboards.sidecarLabelValue=lbop']);
    const monitor = objs.find((o) => o.kind === 'ServiceMonitor') as Manifest & { spec: { endpoints: { interval: string; scheme: string; bearerTokenFile?: string }[] } };
    assert.equal(monitor.metadata.labels?.['release'], 'kps');
    assert.equal(monitor.metadata.labels?.['app.kubernetes.io/component'], 'monitoring', 'the pack\'s labels stay');
    assert.deepEqual(monitor.spec.endpoints.map((e) => [e.interval, e.scheme, e.bearerTokenFile !== undefined]), [['15s', 'https', true]]);
    const rule = objs.find((o) => o.kind === 'PrometheusRule') as Manifest;
    assert.equal(rule.metadata.labels?.['role'], 'alert-rules');
    assert.equal(rule.metadata.labels?.['release'], undefined, 'each object gets its own labels');
    const dashboard = objs.find((o) => o.kind === 'ConfigMap') as Manifest;
    assert.equal(dashboard.metadata.namespace, 'grafana');
    assert.equal(dashboard.metadata.labels?.['dashboards'], 'lbop');
    assert.equal(dashboard.metadata.labels?.['grafana_dashboard'], undefined, 'the sidecar label replaces the pack\'s');
    assert.equal(monitor.metadata.namespace, NS, 'only the dashboard moves');
    // --metrics-insecure serves plain HTTP without authentication: the ServiceMonitor follows.
    const insecure = (await template([...PACK, '--set', 'monitoring.insecure=true'])).find((o) => o.kind === 'ServiceMonitor') as Manifest & { spec: { endpoints: Record<string, unknown>[] } };
    assert.deepEqual(insecure.spec.endpoints.map((e) => [e['scheme'], e['bearerTokenFile'], e['tlsConfig']]), [['http', undefined, undefined]]);
  });

  test('helm template | kubectl apply --server-side --dry-run=server: accepted by the apiserver (defaults and changed values)', async () => {
    // With the monitoring pack on, the ServiceMonitor and PrometheusRule are left out: their CRDs
    // (the Prometheus Operator's) are not in envtest, and the repository downloads none. The
    // dashboard ConfigMap is applied.
    for (const values of [['--set', 'namespace.create=true'], ['--set', 'clusterID=prod-1', '--set', 'namespaces={team-a}', '--set', 'monitoring.certSecret=x', '--set', 'monitoring.networkPolicyFrom[0].namespaceSelector.matchLabels.name=monitoring', '--set', 'priorityClassName=system-cluster-critical'], PACK]) {
      const r = await helm(['template', 'contrail-lb-operator', CHART, '--namespace', NS, '--kube-version', KUBE_VERSION, '--include-crds', ...values]);
      assert.equal(r.code, 0, r.stderr);
      const objs = docs(r.stdout).filter((o) => !isPrometheusOperatorKind(o));
      // The namespace must exist for namespaced objects in a server dry run.
      await cluster.kubectl(['apply', '-f', join(repoRoot, 'deploy/base/namespace.yaml')]);
      const applied = await cluster.kubectl(['apply', '--server-side', '--dry-run=server', '--field-manager=lbop-helm-test', '--force-conflicts', '-f', '-'], { input: objs.map((o) => JSON.stringify(o)).join('\n') });
      assert.equal(applied.code, 0, `${values.join(' ')}:\n${applied.stderr}`);
      const lines = applied.stdout.trim().split('\n');
      assert.equal(lines.length, objs.length, applied.stdout);
      if (values === PACK) assert.ok(lines.some((l) => l.startsWith('configmap/contrail-lb-operator-dashboard ')), applied.stdout);
      assert.ok(lines.every((l) => l.endsWith('(server dry run)')), applied.stdout);
    }
  });
});
