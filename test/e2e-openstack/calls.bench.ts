// Cloud calls per VirtualService: the same plain-Neutron scenario (one group with no buffer, the
// seed Pool and VirtualService on one SE, then teardown) against the simulator and against the
// real OpenStack of scripts/openstack-up.sh, counted from the operator's own
// lbop_cloud_api_requests_total. Prints a table; asserts nothing (a benchmark, not a test).
//   scripts/with-cluster.sh node --import tsx test/e2e-openstack/calls.bench.ts [sim|real ...]
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { conditionsOf, SECRETS_NAMESPACE, startHarness, type Harness } from '../e2e/harness.js';
import { vsStatus, condition } from '../e2e/vs-support.js';
import { repoRoot } from '../support/cluster.js';
import { openStackEnv } from './env.js';
import { RealCloud } from './real.js';

type Counts = Map<string, number>;

async function scrape(port: number): Promise<Counts> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out: Counts = new Map();
  for (const line of text.split('\n')) {
    const m = /^lbop_cloud_api_requests_total\{([^}]*)\} (\d+)/.exec(line);
    if (m === null) continue;
    const labels = Object.fromEntries([...(m[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    const key = `${labels['api'] ?? '?'} ${labels['op'] ?? '?'}`;
    out.set(key, (out.get(key) ?? 0) + Number(m[2]));
  }
  return out;
}

function diff(a: Counts, b: Counts): Counts {
  const out: Counts = new Map();
  for (const [k, v] of b) if (v - (a.get(k) ?? 0) > 0) out.set(k, v - (a.get(k) ?? 0));
  return out;
}

interface Phase { ms: number; calls: Counts }

async function scenario(target: 'sim' | 'real'): Promise<{ place: Phase; teardown: Phase }> {
  const h: Harness = await startHarness({ name: `calls-${target}`, mode: 'neutron', noCloud: true });
  const env = target === 'real' ? openStackEnv() : undefined;
  const real = env !== undefined ? new RealCloud(env) : undefined;
  let child: ChildProcess | undefined;
  try {
    let authURL = `${h.sim.urls.keystone}/v3`;
    let project = '';
    let vipSubnet = 'a834986a-385e-4616-9d9c-6b91cfaa51e0';
    if (env !== undefined) {
      authURL = `${env.keystoneURL}/v3`;
      project = env.ids['project-demo'] ?? '';
      vipSubnet = env.ids['vip-subnet'] ?? '';
    } else {
      const res = await fetch(`${h.sim.urls.keystone}/v3/auth/tokens`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: 'demo', domain: { id: 'default' }, password: 'demo-secret' } } }, scope: { project: { name: 'demo', domain: { id: 'default' } } } } }),
      });
      project = ((await res.json()) as { token: { project: { id: string } } }).token.project.id;
    }
    await h.apply('Cloud', h.cloudManifest({
      keystone: { authURL, region: 'RegionOne', credentialsSecretRef: { name: `calls-${target}-credentials`, namespace: SECRETS_NAMESPACE } },
      serviceEngine: { image: 'avi-se', flavor: target === 'real' ? 'm1.tiny' : 'm1.small', bootstrap: 'ConfigDrive' },
      tenants: [{ namespace: h.namespace, project }],
    }));
    const port = 19_000 + Math.floor(Math.random() * 1000);
    child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli.ts'), 'run', '--kubeconfig', h.cluster.kubeconfig,
      '--namespace', h.namespace, '--cluster-id', h.clusterID, '--metrics-addr', `127.0.0.1:${port}`, '--health-addr', '0',
      '--secrets-namespace', SECRETS_NAMESPACE, '--log-level', 'info'], { cwd: repoRoot, stdio: 'ignore', env: { ...process.env, KUBECONFIG: '' } });
    await h.waitFor(async () => conditionsOf(await h.get('Cloud', h.cloudName))['Ready']?.status === 'True', { what: 'Cloud Ready', timeoutMs: 120_000 });
    await h.apply('ServiceEngineGroup', { metadata: { name: 'default' }, spec: { cloudRef: h.cloudName, minScaleoutPerVS: 1, maxScaleoutPerVS: 2, maxSEs: 2, bufferSEs: 0 } });
    await h.apply('Pool', { metadata: { name: 'vs2-pool' }, spec: { cloudRef: h.cloudName, servers: [{ ip: '20.0.0.3', port: 80 }], lbAlgorithm: 'LeastConnections' } });
    await h.waitFor(async () => (await scrape(port)).size > 0 || undefined, { what: 'metrics up', timeoutMs: 30_000 });
    const a = await scrape(port);
    const t0 = Date.now();
    await h.apply('VirtualService', { metadata: { name: 'vs2' }, spec: {
      cloudRef: h.cloudName, poolRef: 'vs2-pool', vip: [{ vipID: '0', autoAllocateIP: true, subnetUUID: vipSubnet }],
      services: [{ port: 80 }], scaleout: { ecmp: false, minSEs: 1, maxSEs: 1 } } });
    await h.waitFor(async () => {
      const s = await vsStatus(h, 'vs2');
      return condition(s, 'Ready')?.status === 'True' && s?.seSummary === '1/1';
    }, { what: 'vs2 Ready on 1 SE', timeoutMs: 240_000, intervalMs: 200 });
    const t1 = Date.now();
    const b = await scrape(port);
    for (const [kind, name] of [['VirtualService', 'vs2'], ['Pool', 'vs2-pool'], ['ServiceEngineGroup', 'default']] as const) await h.remove(kind, name);
    await h.waitFor(async () => {
      if (real !== undefined) {
        const o = await real.ours(h.clusterID);
        return o.servers.length + o.ports.length + o.fips.length === 0;
      }
      return (await h.ourObjects()).length === 0;
    }, { what: 'nothing of ours left', timeoutMs: 240_000, intervalMs: 200 });
    const t2 = Date.now();
    const c = await scrape(port);
    return { place: { ms: t1 - t0, calls: diff(a, b) }, teardown: { ms: t2 - t1, calls: diff(b, c) } };
  } finally {
    child?.kill('SIGTERM');
    await h.stop();
  }
}

const total = (c: Counts): number => [...c.values()].reduce((x, y) => x + y, 0);
const targets = process.argv.slice(2).filter((x): x is 'sim' | 'real' => x === 'sim' || x === 'real');
const results: Record<string, { place: Phase; teardown: Phase }> = {};
for (const t of targets.length > 0 ? targets : ['sim', 'real'] as const) results[t] = await scenario(t);
const keys = [...new Set(Object.values(results).flatMap((r) => [...r.place.calls.keys(), ...r.teardown.calls.keys()]))].sort();
const names = Object.keys(results);
console.log(`cloud calls for one VirtualService (place on 1 SE incl. its boot, then teardown), per target: ${names.join(' / ')}`);
console.log(`${'api op'.padEnd(40)} ${names.map((n) => `${n} place`.padStart(12) + `${n} down`.padStart(11)).join('')}`);
for (const k of keys) console.log(`${k.padEnd(40)} ${names.map((n) => String(results[n]?.place.calls.get(k) ?? 0).padStart(12) + String(results[n]?.teardown.calls.get(k) ?? 0).padStart(11)).join('')}`);
console.log(`${'TOTAL'.padEnd(40)} ${names.map((n) => String(total(results[n]?.place.calls ?? new Map())).padStart(12) + String(total(results[n]?.teardown.calls ?? new Map())).padStart(11)).join('')}`);
console.log(`${'elapsed ms'.padEnd(40)} ${names.map((n) => String(results[n]?.place.ms).padStart(12) + String(results[n]?.teardown.ms).padStart(11)).join('')}`);
process.exit(0);
