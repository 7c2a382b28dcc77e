// npm run bench:cloud — (1) reads per CloudView refresh period for 1000 and 10k owned objects
// (goal: a constant number of list calls per kind, whatever the object count, paging aside), and
// (2) client overhead per request against the simulator (no injected latency) vs a raw fetch.
//   LBOP_BENCH_SIZES=1000,10000   LBOP_BENCH_REQUESTS=2000
import process from 'node:process';
import { Registry } from 'prom-client';
import { startSimulator } from '../../src/sim/index.js';
import {
  CloudView, contrailSources, neutronSources, objectName, openCloud, ownerDescription, stampAnnotations, type Cloud,
} from '../../src/cloud/index.js';

const sizes = (process.env['LBOP_BENCH_SIZES'] ?? '1000,10000').split(',').map(Number);
const requests = Number(process.env['LBOP_BENCH_REQUESTS'] ?? 2000);
const VIP_NET = '02b846e6-cd68-4c84-b7ab-3709946ed28b';

async function totalRequests(registry: Registry): Promise<Map<string, number>> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === 'lbop_cloud_api_requests_total');
  const out = new Map<string, number>();
  for (const v of m?.values ?? []) out.set(String(v.labels['op']), (out.get(String(v.labels['op'])) ?? 0) + v.value);
  return out;
}

function delta(after: Map<string, number>, before: Map<string, number>): Record<string, number> {
  const d: Record<string, number> = {};
  for (const [k, v] of after) if (v - (before.get(k) ?? 0) > 0) d[k] = v - (before.get(k) ?? 0);
  return d;
}

async function populate(cloud: Cloud, n: number): Promise<void> {
  const vnc = cloud.contrail;
  if (vnc === undefined) throw new Error('no contrail');
  const vn = await vnc.read('virtual-network', VIP_NET);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < n; i = next++) {
      const uid = `${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`;
      await vnc.create('virtual-machine-interface', {
        fq_name: ['default-domain', 'demo', objectName(uid, 'data')], parent_type: 'project',
        virtual_network_refs: [{ to: vn.fq_name, uuid: vn.uuid }],
        annotations: stampAnnotations({ clusterID: 'bench', kind: 'ServiceEngine', namespace: 'lb', name: `se-${i}`, uid }),
      });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/** N owned Neutron ports (owner in the description) on a network of their own. */
async function populatePorts(cloud: Cloud, n: number): Promise<void> {
  const neutron = cloud.neutron({ name: 'admin' });
  const token = (await cloud.keystone.token({ name: 'admin' })).value;
  const base = await cloud.keystone.endpoint({ name: 'admin' }, 'network');
  const net = await cloud.http.request<{ network: { id: string } }>({ api: 'neutron', op: 'createNetwork', method: 'POST', url: `${base}/v2.0/networks`, headers: { 'x-auth-token': token }, json: { network: { name: 'bench-net' } } });
  // A /16 so that 10k ports never exhaust it.
  await cloud.http.request({ api: 'neutron', op: 'createSubnet', method: 'POST', url: `${base}/v2.0/subnets`, headers: { 'x-auth-token': token }, json: { subnet: { network_id: net.body.network.id, ip_version: 4, cidr: '172.16.0.0/16' } } });
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < n; i = next++) {
      const uid = `${i.toString(16).padStart(8, '0')}-1111-4000-8000-000000000000`;
      await neutron.createPort({ network_id: net.body.network.id, name: objectName(uid, 'data'), description: ownerDescription({ clusterID: 'bench', kind: 'ServiceEngine', namespace: 'lb', name: `se-${i}`, uid }) });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

async function refreshBench(n: number): Promise<void> {
  const sim = await startSimulator({ seed: 1 });
  const registry = new Registry();
  const cloud = openCloud({ name: 'bench', keystone: { authURL: sim.urls.keystone }, credentials: { kind: 'password', username: 'admin', password: 'admin-secret' }, contrail: { apiURL: sim.urls.contrail }, registry });
  try {
    let t = performance.now();
    await populate(cloud, n);
    await populatePorts(cloud, n);
    console.log(`\n${n} owned VMIs (VNC) + ${n} owned ports (Neutron) created in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const novas = [cloud.nova({ name: 'demo' })];
    const views = {
      contrail: new CloudView({ cloud: 'bench', sources: contrailSources({ contrail: cloud.contrail as NonNullable<Cloud['contrail']>, novas, clusterID: 'bench' }) }),
      neutron: new CloudView({ cloud: 'bench', sources: neutronSources({ neutron: cloud.neutron({ name: 'admin' }), novas, clusterID: 'bench' }) }),
    };
    for (const [mode, view] of Object.entries(views)) {
      for (let round = 1; round <= 3; round++) {
        const before = await totalRequests(registry);
        const listsBefore = view.listCalls;
        t = performance.now();
        await view.refresh();
        const ms = performance.now() - t;
        const d = delta(await totalRequests(registry), before);
        const http = Object.values(d).reduce((a, b) => a + b, 0);
        const owned = mode === 'contrail' ? view.list('virtual-machine-interface').length : view.list('port').length;
        console.log(`  ${mode.padEnd(8)} refresh ${round}: ${view.listCalls - listsBefore} lists, ${http} HTTP requests, ${ms.toFixed(0)} ms, ${owned} owned in view  ${JSON.stringify(d)}`);
      }
    }
  } finally { cloud.close(); await sim.close(); }
}

function stats(samples: number[]): string {
  const s = [...samples].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
  return `mean ${(mean * 1000).toFixed(0)} µs, p50 ${(q(0.5) * 1000).toFixed(0)} µs, p99 ${(q(0.99) * 1000).toFixed(0)} µs`;
}

async function overheadBench(): Promise<void> {
  const sim = await startSimulator({ seed: 1 });
  const registry = new Registry();
  const cloud = openCloud({ name: 'bench', keystone: { authURL: sim.urls.keystone }, credentials: { kind: 'password', username: 'admin', password: 'admin-secret' }, registry });
  try {
    const neutron = cloud.neutron({ name: 'demo' });
    const token = (await cloud.keystone.token({ name: 'demo' })).value;
    const url = `${sim.urls.neutron}/v2.0/networks/${VIP_NET}`;
    const raw = async (): Promise<void> => { const r = await fetch(url, { headers: { 'x-auth-token': token, accept: 'application/json' } }); await r.json(); };
    const http = async (): Promise<void> => { await cloud.http.request({ api: 'neutron', op: 'bench', method: 'GET', url, headers: { 'x-auth-token': token } }); };
    const client = async (): Promise<void> => { await neutron.getNetwork(VIP_NET); };
    const results: Record<string, number[]> = { 'raw fetch': [], 'CloudHTTP.request': [], 'NeutronClient.getNetwork': [] };
    const fns: [string, () => Promise<void>][] = [['raw fetch', raw], ['CloudHTTP.request', http], ['NeutronClient.getNetwork', client]];
    for (const [, f] of fns) for (let i = 0; i < 300; i++) await f(); // warm-up: JIT, sockets, token
    // Interleave in rounds so drift on a shared machine hits all three alike.
    for (let round = 0; round < 10; round++) {
      for (const [name, f] of fns) {
        for (let i = 0; i < requests / 10; i++) {
          const t = performance.now();
          await f();
          results[name]?.push(performance.now() - t);
        }
      }
    }
    console.log(`\nper-request latency, sequential GET /v2.0/networks/{id} on the simulator, ${requests} each:`);
    for (const [name, s] of Object.entries(results)) console.log(`  ${name.padEnd(26)} ${stats(s)}`);
    const mean = (n: string): number => (results[n] ?? []).reduce((a, b) => a + b, 0) / (results[n]?.length ?? 1);
    const p50 = (n: string): number => { const x = [...(results[n] ?? [])].sort((a, b) => a - b); return x[Math.floor(x.length / 2)] ?? 0; };
    const diff = (f: (n: string) => number): string => ((f('NeutronClient.getNetwork') - f('raw fetch')) * 1000).toFixed(0);
    // The median is the robust figure on a shared machine; the mean carries scheduling noise.
    console.log(`  client overhead vs raw fetch: p50 ${diff(p50)} µs, mean ${diff(mean)} µs per request`);
  } finally { cloud.close(); await sim.close(); }
}

console.log(`bench:cloud (node ${process.version})`);
for (const n of sizes) await refreshBench(n);
await overheadBench();
