// The Helm chart (deploy/helm/contrail-lb-operator): `helm lint` passes; with its defaults it
// renders the same objects as the kustomize base (deploy/), field for field apart from Helm's own
// labels, so the RBAC of both installs is the same; and what it renders, with the defaults and with
// every value changed, is accepted by a real kube-apiserver (`kubectl apply --server-side
// --dry-run=server`). helm is built from the Go module proxy by scripts/helm-build.sh.
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

async function template(values: string[] = []): Promise<Manifest[]> {
  const r = await helm(['template', 'contrail-lb-operator', CHART, '--namespace', NS, '--kube-version', KUBE_VERSION, '--include-crds', ...values]);
  assert.equal(r.code, 0, r.stderr);
  return docs(r.stdout);
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

  test('helm lint passes (also with --strict)', async () => {
    for (const extra of [[], ['--strict']]) {
      const r = await helm(['lint', CHART, '--kube-version', KUBE_VERSION, ...extra]);
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    }
  });

  test('the chart carries the CRDs of crds/ byte for byte', () => {
    const ours = readdirSync(join(repoRoot, 'crds')).filter((f) => f.endsWith('.yaml')).sort();
    assert.deepEqual(readdirSync(join(CHART, 'crds')).sort(), ours);
    for (const f of ours) assert.equal(readFileSync(join(CHART, 'crds', f), 'utf8'), readFileSync(join(repoRoot, 'crds', f), 'utf8'), `${f} differs: cp crds/${f} ${CHART}/crds/`);
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
    assert.equal(c.env.find((e) => e.name === 'NODE_OPTIONS')?.value, '--max-old-space-size=768');
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

  test('helm template | kubectl apply --server-side --dry-run=server: accepted by the apiserver (defaults and changed values)', async () => {
    for (const values of [['--set', 'namespace.create=true'], ['--set', 'clusterID=prod-1', '--set', 'namespaces={team-a}', '--set', 'monitoring.certSecret=x', '--set', 'monitoring.networkPolicyFrom[0].namespaceSelector.matchLabels.name=monitoring', '--set', 'priorityClassName=system-cluster-critical']]) {
      const r = await helm(['template', 'contrail-lb-operator', CHART, '--namespace', NS, '--kube-version', KUBE_VERSION, '--include-crds', ...values]);
      assert.equal(r.code, 0, r.stderr);
      // The namespace must exist for namespaced objects in a server dry run.
      await cluster.kubectl(['apply', '-f', join(repoRoot, 'deploy/base/namespace.yaml')]);
      const applied = await cluster.kubectl(['apply', '--server-side', '--dry-run=server', '--field-manager=lbop-helm-test', '--force-conflicts', '-f', '-'], { input: r.stdout });
      assert.equal(applied.code, 0, `${values.join(' ')}:\n${applied.stderr}`);
      const lines = applied.stdout.trim().split('\n');
      assert.equal(lines.length, docs(r.stdout).length, applied.stdout);
      assert.ok(lines.every((l) => l.endsWith('(server dry run)')), applied.stdout);
    }
  });
});
