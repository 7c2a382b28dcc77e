// deploy/ on a real kube-apiserver: it applies (server dry run, then for real), the operator's
// ServiceAccount may do exactly what the operator needs (kubectl auth can-i, both ways), the
// admission policy keeps its finalizer `patch` from touching spec, and — the proof that the RBAC
// is sufficient, not just small — the operator run with that ServiceAccount's token (TokenRequest)
// and the Deployment's own flags reconciles the seed sample against the simulator and tears it
// down again. The cluster is shared with other files: lb-system is reused as is (everything here
// is idempotent), the rest lives in namespace `lbop-deploy` and Cloud `lbop-deploy`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { kubectlPath, repoRoot, useCluster, type TestCluster } from '../support/cluster.js';
import { kinds, type KindName } from '../../src/api/index.js';
import { startSimulator } from '../../src/sim/index.js';
import { ApiError, KubeClient, addFinalizer, removeFinalizer, updateStatus, type KubeObject, type ResourceType } from '../../src/runtime/index.js';

const NS = 'lb-system';
const SA = 'contrail-lb-operator';
const AS = `system:serviceaccount:${NS}:${SA}`;
const TEST_NS = 'lbop-deploy';
const GROUP = 'lb.contrail-operator.io';

interface Manifest { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown }

const rt = (kind: KindName): ResourceType => {
  const k = kinds[kind];
  return { group: k.group, version: k.version, plural: k.plural, namespaced: k.namespaced, kind: k.kind };
};

async function ok(cluster: TestCluster, args: string[], input?: string): Promise<string> {
  const r = await cluster.kubectl(args, input === undefined ? undefined : { input });
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout;
}

async function render(cluster: TestCluster, dir: string): Promise<Manifest[]> {
  return parseAllDocuments(await ok(cluster, ['kustomize', join(repoRoot, dir)])).map((d) => d.toJS() as Manifest);
}

async function pool<T, R>(items: T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  }));
  return out;
}

async function waitFor<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last === undefined ? '' : ` (last error: ${(last as Error).message})`}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// What the operator needs, and what it must not be able to do. Each row is `kubectl auth can-i`
// arguments; the reason is in docs/install.md ("What the operator may do").
const KINDS = ['clouds', 'serviceenginegroups', 'serviceengines', 'pools', 'virtualservices'];
const ours = (plural: string): string => `${plural}.${GROUP}`;
const NEEDED: string[][] = [
  ...KINDS.flatMap((k) => ['get', 'list', 'watch'].map((v) => [v, ours(k), '--all-namespaces'])),
  ...KINDS.flatMap((k) => ['update', 'patch'].map((v) => [v, ours(k), '--subresource=status', '-n', TEST_NS])),
  ['patch', ours('virtualservices'), '-n', TEST_NS], // finalizer
  ['patch', ours('serviceenginegroups'), '-n', TEST_NS], // finalizer
  ['update', `${ours('serviceenginegroups')}`, '--subresource=finalizers', '-n', TEST_NS], // SE ownerReferences
  ...['create', 'update', 'patch', 'delete'].map((v) => [v, ours('serviceengines'), '-n', TEST_NS]),
  ['create', 'events.events.k8s.io', '-n', TEST_NS],
  ['patch', 'events.events.k8s.io', '-n', TEST_NS],
  ['create', 'events.events.k8s.io', '-n', 'default'], // events about (cluster-scoped) Clouds
  ['get', 'namespaces/kube-system'], // default cluster ID
  ['create', 'leases.coordination.k8s.io', '-n', NS],
  ['create', 'secrets', '-n', NS], // the SE API's CA, made on first start
  ['get', 'leases.coordination.k8s.io/contrail-lb-operator', '-n', NS],
  ['update', 'leases.coordination.k8s.io/contrail-lb-operator', '-n', NS],
  ...['get', 'list', 'watch'].map((v) => [v, 'secrets', '-n', NS]),
  ['create', 'tokenreviews.authentication.k8s.io'], // /metrics authentication
  ['create', 'subjectaccessreviews.authorization.k8s.io'], // /metrics authorization
];
const FORBIDDEN: string[][] = [
  // Secrets anywhere but lb-system, and no writes to Secrets at all.
  ...['get', 'list', 'watch'].map((v) => [v, 'secrets', '-n', 'default']),
  ['get', 'secrets', '-n', TEST_NS],
  ['list', 'secrets', '--all-namespaces'],
  ...['update', 'patch', 'delete'].map((v) => [v, 'secrets', '-n', NS]),
  // The API itself.
  ...['create', 'update', 'patch', 'delete'].map((v) => [v, 'customresourcedefinitions.apiextensions.k8s.io']),
  // Workloads and other core objects.
  ['create', 'pods', '-n', NS],
  ['create', 'pods', '-n', 'default'],
  ['create', 'pods/exec', '-n', NS],
  ['get', 'configmaps', '-n', NS],
  ['create', 'serviceaccounts/token', '-n', NS],
  ['list', 'namespaces'],
  ['get', 'namespaces/default'],
  ['update', 'namespaces/kube-system'],
  ['create', 'events', '-n', TEST_NS], // core/v1 events: the operator writes events.k8s.io/v1 only
  ['delete', 'events.events.k8s.io', '-n', TEST_NS],
  // Our kinds: it creates and deletes ServiceEngines only; it never writes Clouds or Pools.
  ...['create', 'delete', 'update'].map((v) => [v, ours('virtualservices'), '-n', TEST_NS]),
  ...['create', 'delete', 'update'].map((v) => [v, ours('serviceenginegroups'), '-n', TEST_NS]),
  ...['create', 'delete', 'update', 'patch'].map((v) => [v, ours('pools'), '-n', TEST_NS]),
  ...['create', 'delete', 'update', 'patch'].map((v) => [v, ours('clouds')]),
  ['update', ours('virtualservices'), '--subresource=finalizers', '-n', TEST_NS],
  ['deletecollection', ours('serviceengines'), '-n', TEST_NS],
  // Leases: its own, in its own namespace.
  ['update', 'leases.coordination.k8s.io/kube-controller-manager', '-n', NS],
  ['create', 'leases.coordination.k8s.io', '-n', 'kube-system'],
  ['delete', 'leases.coordination.k8s.io/contrail-lb-operator', '-n', NS],
  // No way to grow its own privileges.
  ['escalate', 'clusterroles.rbac.authorization.k8s.io'],
  ['bind', 'clusterroles.rbac.authorization.k8s.io'],
  ['create', 'clusterrolebindings.rbac.authorization.k8s.io'],
  ['create', 'rolebindings.rbac.authorization.k8s.io', '-n', NS],
  ['impersonate', 'users'],
  ['impersonate', 'serviceaccounts', '-n', NS],
  ['update', 'validatingadmissionpolicies.admissionregistration.k8s.io'],
  ['*', '*', '--all-namespaces'],
];

/**
 * `kubectl auth can-i … --as <the SA>`. Spawned here with stdin closed: many short-lived kubectl
 * processes in parallel, none of which reads input.
 */
function canI(cluster: TestCluster, args: string[]): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const child = spawn(kubectlPath, ['--kubeconfig', cluster.kubeconfig, '--cache-dir', join(cluster.dir, 'kubecache'), 'auth', 'can-i', ...args, '--as', AS], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.once('error', reject);
    child.once('close', () => {
      const answer = out.trim();
      if (answer === 'yes' || answer === 'no') resolve(answer === 'yes');
      else reject(new Error(`kubectl auth can-i ${args.join(' ')}: ${err.trim() || answer}`));
    });
  });
}

const cluster = await useCluster();

describe('deploy/ on a real API server', () => {
  let saKubeconfig = '';
  let admin: KubeClient;

  before(async () => {
    admin = await KubeClient.create(cluster.kubeconfig);
    // Namespaced objects of a server-side dry run need their namespace to exist (a dry run
    // creates nothing): the install docs apply the Namespace first for the same reason.
    await ok(cluster, ['apply', '-f', join(repoRoot, 'deploy/base/namespace.yaml')]);
    await ok(cluster, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: TEST_NS } }));
  });

  after(() => admin.close());

  test('kubectl apply --dry-run=server accepts every object of deploy/ and of the production overlay', async () => {
    for (const dir of ['deploy', 'deploy/overlays/production']) {
      const objects = await render(cluster, dir);
      const out = await ok(cluster, ['apply', '--dry-run=server', '-k', join(repoRoot, dir)]);
      for (const o of objects) {
        const line = out.split('\n').find((l) => l.includes(`/${o.metadata.name} `) && l.toLowerCase().startsWith(o.kind.toLowerCase()));
        assert.ok(line?.endsWith('(server dry run)'), `${dir}: no server dry-run line for ${o.kind} ${o.metadata.name}:\n${out}`);
      }
    }
  });

  test('kubectl apply -k deploy/ creates every object, as written', async () => {
    const objects = await render(cluster, 'deploy');
    const kindsRendered = objects.map((o) => o.kind).sort();
    assert.deepEqual([...new Set(kindsRendered)], ['ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'Deployment', 'Namespace',
      'NetworkPolicy', 'PodDisruptionBudget', 'Role', 'RoleBinding', 'Service', 'ServiceAccount', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']);
    assert.equal(kindsRendered.filter((k) => k === 'CustomResourceDefinition').length, 5, 'the five CRDs from crds/');
    await ok(cluster, ['apply', '-k', join(repoRoot, 'deploy')]);
    const versions = async (): Promise<string[]> =>
      pool(objects, 4, async (o) => {
        const group = o.apiVersion.includes('/') ? `.${o.apiVersion.split('/')[0]}` : '';
        const args = ['get', `${o.kind.toLowerCase()}${group}`, o.metadata.name, '-o', 'json', ...(o.metadata.namespace ? ['-n', o.metadata.namespace] : [])];
        const live = JSON.parse(await ok(cluster, args)) as Manifest & { metadata: { resourceVersion: string } };
        assert.equal(live.metadata.name, o.metadata.name);
        return `${o.kind}/${o.metadata.name}@${live.metadata.resourceVersion}`;
      });
    const first = await versions();
    // Applying again writes nothing (GitOps tools re-apply all the time). kubectl still says
    // "configured" for objects with atomic lists (client-side apply re-sends them), so compare
    // resourceVersions, which only a real write changes.
    await ok(cluster, ['apply', '-k', join(repoRoot, 'deploy')]);
    assert.deepEqual(await versions(), first, 'a second apply changed objects');
  });

  test('the Deployment as stored: 2 leader-elected replicas, probes, hardened pod, projected token only', async () => {
    const d = JSON.parse(await ok(cluster, ['get', 'deployment', SA, '-n', NS, '-o', 'json'])) as {
      spec: { replicas: number; template: { spec: Record<string, unknown> & { containers: Record<string, unknown>[]; volumes: { name: string; projected?: { sources: Record<string, unknown>[] } }[] } } };
    };
    const pod = d.spec.template.spec;
    const c = pod.containers[0] as { args: string[]; securityContext: Record<string, unknown>; readinessProbe: { httpGet: { path: string } }; livenessProbe: { httpGet: { path: string } }; resources: { requests: Record<string, string>; limits: Record<string, string> } };
    assert.equal(d.spec.replicas, 2);
    assert.ok(c.args.includes('--leader-elect'));
    assert.equal(c.readinessProbe.httpGet.path, '/readyz');
    assert.equal(c.livenessProbe.httpGet.path, '/healthz');
    assert.ok(c.resources.requests['memory'] && c.resources.limits['memory'] && c.resources.requests['cpu']);
    assert.deepEqual(pod['securityContext'], { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    assert.deepEqual(c.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, privileged: false, capabilities: { drop: ['ALL'] } });
    assert.equal(pod['automountServiceAccountToken'], false);
    assert.ok((pod['terminationGracePeriodSeconds'] as number) > 30, 'grace period beyond the runtime\'s 30 s shutdown budget');
    assert.equal((pod['topologySpreadConstraints'] as unknown[]).length, 2);
    const token = pod.volumes.find((v) => v.name === 'kube-api-access')?.projected?.sources.find((s) => 'serviceAccountToken' in s) as { serviceAccountToken: { expirationSeconds: number } } | undefined;
    assert.ok(token !== undefined && token.serviceAccountToken.expirationSeconds <= 3600, 'a projected, short-lived token');
    const sa = JSON.parse(await ok(cluster, ['get', 'serviceaccount', SA, '-n', NS, '-o', 'json'])) as { automountServiceAccountToken?: boolean; secrets?: unknown[] };
    assert.equal(sa.automountServiceAccountToken, false);
    assert.equal(sa.secrets, undefined, 'no long-lived token Secret');
  });

  test('the ServiceAccount may do everything the operator needs (kubectl auth can-i … --as the SA)', async () => {
    const answers = await pool(NEEDED, 4, (args) => canI(cluster, args));
    const denied = NEEDED.filter((_, i) => !answers[i]).map((a) => a.join(' '));
    assert.deepEqual(denied, [], 'needed but not granted');
  });

  test('… and none of the things it must not do', async () => {
    const answers = await pool(FORBIDDEN, 4, (args) => canI(cluster, args));
    const allowed = FORBIDDEN.filter((_, i) => answers[i]).map((a) => a.join(' '));
    assert.deepEqual(allowed, [], 'granted but must not be');
  });

  test('as the ServiceAccount: finalizer and status writes pass; changing a VirtualService spec or labels is denied', async () => {
    saKubeconfig = await cluster.serviceAccountKubeconfig(NS, SA);
    // serviceAccountKubeconfig re-applies a bare ServiceAccount; restore ours (idempotent).
    await ok(cluster, ['apply', '-k', join(repoRoot, 'deploy')]);
    const vsRT = rt('VirtualService');
    const path = `/apis/${GROUP}/v1alpha1/namespaces/${TEST_NS}/virtualservices`;
    const name = 'policy-check';
    await admin.delete(`${path}/${name}`).catch(() => undefined);
    await waitFor('leftover policy-check gone', 10_000, async () => {
      try {
        const o = await admin.get<KubeObject>(`${path}/${name}`);
        if ((o.metadata.finalizers ?? []).length > 0) await admin.patch(`${path}/${name}`, { metadata: { finalizers: null } }, 'merge');
        return undefined;
      } catch {
        return true;
      }
    });
    await admin.create(path, {
      apiVersion: `${GROUP}/v1alpha1`, kind: 'VirtualService', metadata: { name, namespace: TEST_NS },
      spec: { cloudRef: 'none', poolRef: 'none', vip: [{ vipID: '0', subnetUUID: 'a834986a-385e-4616-9d9c-6b91cfaa51e0' }], services: [{ port: 80 }] },
    });
    const sa = await KubeClient.create(saKubeconfig);
    try {
      const ref = { namespace: TEST_NS, name };
      const withFinalizer = await addFinalizer<KubeObject>(sa, vsRT, ref, 'lb.contrail-operator.io/deploy-test');
      assert.deepEqual(withFinalizer?.metadata.finalizers, ['lb.contrail-operator.io/deploy-test']);
      const st = await updateStatus<KubeObject & { status?: { observedGeneration?: number } }>(sa, vsRT, ref, { mutate: (o) => { o.status = { observedGeneration: 1 }; } });
      assert.equal(st.changed, true);

      const denied = async (body: unknown, what: RegExp): Promise<void> => {
        await assert.rejects(sa.patch(`${path}/${name}`, body, 'merge'), (e: unknown) => {
          assert.ok(e instanceof ApiError, String(e));
          assert.equal(e.status, 403);
          assert.match(e.message, /contrail-lb-operator-finalizers-only/);
          assert.match(e.message, what);
          return true;
        });
      };
      await denied({ spec: { poolRef: 'hijacked' } }, /not its spec/);
      await denied({ metadata: { labels: { team: 'x' } } }, /not its labels or annotations/);
      await denied({ metadata: { annotations: { 'example.com/x': 'y' } } }, /not its labels or annotations/);
      // Its own placement reservation (docs/scaling.md) is the one annotation it may write and remove.
      const reservation = 'lb.contrail-operator.io/se-reservation';
      const reserved = await sa.patch<KubeObject>(`${path}/${name}`, { metadata: { annotations: { [reservation]: '{"holder":"t","nonce":"n","expires":"2026-12-03T00:00:00Z"}' } } }, 'merge');
      assert.ok(reserved.metadata.annotations?.[reservation] !== undefined);
      await denied({ metadata: { annotations: { [reservation]: null, 'example.com/x': 'y' } } }, /not its labels or annotations/);
      const released = await sa.patch<KubeObject>(`${path}/${name}`, { metadata: { annotations: { [reservation]: null } } }, 'merge');
      assert.equal(released.metadata.annotations?.[reservation], undefined);
      // The same writes by someone else are not this policy's business.
      await admin.patch(`${path}/${name}`, { metadata: { labels: { team: 'x' } } }, 'merge');
      // Deleting a VirtualService is RBAC-forbidden outright.
      await assert.rejects(sa.delete(`${path}/${name}`), (e: unknown) => e instanceof ApiError && e.status === 403);

      await removeFinalizer(sa, vsRT, ref, 'lb.contrail-operator.io/deploy-test');
      const after = await admin.get<KubeObject>(`${path}/${name}`);
      assert.equal(after.metadata.finalizers, undefined);
    } finally {
      sa.close();
      await admin.delete(`${path}/${name}`).catch(() => undefined);
    }
  });
  test('the operator run with the ServiceAccount token and the Deployment\'s flags reconciles the seed sample, then tears it down', async () => {
    assert.ok(saKubeconfig !== '', 'the previous test made the ServiceAccount kubeconfig');
    // A namespace and Cloud of this run's own: objects a failed earlier run left behind (with
    // finalizers no operator will remove) cannot get in the way.
    const seedNS = `lbop-deploy-${randomBytes(3).toString('hex')}`;
    const cloud = seedNS;
    const secret = `${seedNS}-credentials`;
    await ok(cluster, ['create', 'namespace', seedNS]);
    const sim = await startSimulator({ seed: 7 });
    const objects = await seedObjects(seedNS, cloud, sim.urls.keystone, sim.urls.contrail, secret);
    const secretYAML = JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: secret, namespace: NS }, stringData: { username: 'admin', password: 'admin-secret', projectName: 'admin' } });
    await ok(cluster, ['apply', '-f', '-'], secretYAML);
    await ok(cluster, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));

    // The container's args exactly as deployed, with loopback ports instead of 0.0.0.0:808x.
    const deployment = (await render(cluster, 'deploy')).find((o) => o.kind === 'Deployment') as Manifest & { spec: { template: { spec: { containers: { args: string[] }[] } } } };
    const [healthPort, metricsPort, seApiPort] = [await freePort(), await freePort(), await freePort()];
    const args = (deployment.spec.template.spec.containers[0]?.args ?? []).map((a) =>
      a.startsWith('--health-addr=') ? `--health-addr=127.0.0.1:${healthPort}` : a.startsWith('--metrics-addr=') ? `--metrics-addr=127.0.0.1:${metricsPort}`
        : a.startsWith('--se-api-addr=') ? `--se-api-addr=127.0.0.1:${seApiPort}` : a);
    // Only this file's namespace: the shared cluster holds other files' objects.
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli.ts'), 'run', ...args, '--kubeconfig', saKubeconfig, '--namespace', seedNS], {
      cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KUBECONFIG: '', POD_NAMESPACE: NS },
    });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    // A 403 anywhere is a missing permission — except Clouds of other test files whose Secret lies
    // outside lb-system (refused by design, reported as CredentialsSecretForbidden on that Cloud).
    const refused = (): string[] => output.split('\n')
      .filter((l) => /forbidden|\b403\b/i.test(l))
      .filter((l) => !/CredentialsSecretForbidden/.test(l) || l.includes(cloud));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const vsPath = `/apis/${GROUP}/v1alpha1/namespaces/${seedNS}/virtualservices/vs2`;
    type Status = { conditions?: { type: string; status: string }[]; observedGeneration?: number };
    try {
      // The kubelet's view: /readyz turns 200 once every cache synced (list+watch allowed) and the
      // Lease was read or taken (leases allowed).
      await waitFor('/readyz 200', 60_000, async () => {
        if (child.exitCode !== null) throw new Error(`operator exited ${child.exitCode}:\n${output}`);
        const r = await fetch(`http://127.0.0.1:${healthPort}/readyz`).catch(() => undefined);
        return r?.status === 200 ? true : undefined;
      });
      const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      assert.match(metrics, /^# HELP /m);

      // Ready with the current generation observed: the GitOps health rule of docs/gitops.md.
      const vs = await waitFor('vs2 Ready=True for its current generation', 120_000, async () => {
        if (child.exitCode !== null) throw new Error(`operator exited ${child.exitCode}:\n${output}`);
        const o = await admin.get<KubeObject & { status?: Status }>(vsPath);
        const ready = o.status?.conditions?.find((c) => c.type === 'Ready') as { status: string; reason?: string } | undefined;
        const placed = o.status?.conditions?.find((c) => c.type === 'Placed') as { status: string; reason?: string } | undefined;
        // The Deployment serves the SE API, so Ready means served by an SE agent, and an SE joins
        // the VIP's ECMP set only once its agent serves the VS; this cluster runs none
        // (test-e2e-dataplane does): an SE assigned and waiting for its agent is the furthest it gets.
        const assigned = (o.status as { serviceEngines?: unknown[] } | undefined)?.serviceEngines ?? [];
        const served = ready?.status === 'True' || (placed?.reason === 'WaitingForSEs' && assigned.length >= 1);
        return served && o.status?.observedGeneration === o.metadata.generation ? o : undefined;
      }).catch((e: unknown) => {
        throw new Error(`${(e as Error).message}; requests refused meanwhile:\n${refused().join('\n') || '(none)'}`);
      });
      assert.ok(vs.metadata.finalizers?.includes('lb.contrail-operator.io/virtualservice'));
      const ca = await admin.get<KubeObject & { data?: Record<string, string> }>(`/api/v1/namespaces/${NS}/secrets/lbop-se-api-ca`);
      assert.ok(ca.data?.['tls.crt'] !== undefined, 'the SE API made its CA Secret with the Role it has');
      const ses = await admin.get<{ items: (KubeObject & { status?: Status })[] }>(`/apis/${GROUP}/v1alpha1/namespaces/${seedNS}/serviceengines`);
      assert.ok(ses.items.length >= 1, 'the operator created a ServiceEngine');
      const events = await admin.get<{ items: { reportingController: string }[] }>(`/apis/events.k8s.io/v1/namespaces/${seedNS}/events`);
      assert.ok(events.items.some((e) => e.reportingController === 'lb.contrail-operator.io/contrail-lb-operator'), 'events written');
      const cloudStatus = (await admin.get<KubeObject & { status?: Status }>(`/apis/${GROUP}/v1alpha1/clouds/${cloud}`)).status;
      assert.equal(cloudStatus?.conditions?.find((c) => c.type === 'Ready')?.status, 'True', 'Cloud Ready: the credentials Secret was readable');

      // Uninstalling the sample: deletes wait for the operator's finalizers (cloud objects first).
      for (const o of [...objects].reverse().filter((x) => x.kind !== 'Cloud')) {
        await ok(cluster, ['delete', `${o.kind.toLowerCase()}.${GROUP}`, o.metadata.name, '-n', seedNS, '--wait=false']);
      }
      await waitFor('the seed objects and their ServiceEngines gone', 120_000, async () => {
        if (child.exitCode !== null) throw new Error(`operator exited ${child.exitCode}:\n${output}`);
        for (const plural of ['virtualservices', 'pools', 'serviceenginegroups', 'serviceengines']) {
          const l = await admin.get<{ items: unknown[] }>(`/apis/${GROUP}/v1alpha1/namespaces/${seedNS}/${plural}`);
          if (l.items.length > 0) return undefined;
        }
        return true;
      });
      const left = (await (await fetch(`${sim.urls.control}/sim/objects?api=nova&type=server`)).json()) as { objects: unknown[] };
      assert.deepEqual(left.objects, [], 'every server deleted in the cloud');
      // Nothing the operator tried was refused: the RBAC is sufficient, not just small.
      assert.deepEqual(refused(), [], 'requests refused by the API server');
    } finally {
      const t0 = Date.now();
      if (child.exitCode === null) child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 45_000); // terminationGracePeriodSeconds
      const code = await exited;
      clearTimeout(killer);
      process.stdout.write(`# operator stopped ${Date.now() - t0} ms after SIGTERM (exit ${code})\n`);
      await ok(cluster, ['delete', `clouds.${GROUP}`, cloud, '--ignore-not-found']);
      await ok(cluster, ['delete', 'secret', secret, '-n', NS, '--ignore-not-found']);
      await sim.close();
      assert.equal(code, 0, `graceful exit on SIGTERM:\n${output.slice(-2000)}`);
    }
  });
});

// The seed sample (crds/samples/seed.yaml) pointed at the simulator, in the given namespace.
async function seedObjects(namespace: string, cloud: string, keystone: string, contrail: string, secret: string): Promise<Manifest[]> {
  const docs = parseAllDocuments(await readFile(join(repoRoot, 'crds/samples/seed.yaml'), 'utf8')).map((d) => d.toJS() as Manifest & { spec: Record<string, unknown> });
  return docs
    .filter((d) => d.kind !== 'Namespace')
    .map((d) => {
      if (d.kind === 'Cloud') {
        const spec = d.spec as { keystone: Record<string, unknown>; contrail: Record<string, unknown>; tenants: unknown[] };
        return {
          ...d, metadata: { name: cloud },
          spec: { ...spec, keystone: { ...spec.keystone, authURL: `${keystone}/v3`, credentialsSecretRef: { name: secret, namespace: NS } },
            contrail: { apiURL: contrail }, tenants: [{ namespace, project: 'demo' }], resyncPeriodSeconds: 5 },
        };
      }
      return { ...d, metadata: { ...d.metadata, namespace }, spec: { ...d.spec, cloudRef: cloud } };
    });
}
