// npm run bench:sim — the simulator's throughput and memory. The simulator runs in its own
// process (as in the demo); this process is only the load generator (keep-alive, 16 in flight).
// Figures: requests/s for VNC create+ref-update and for Neutron port create, per core of the
// simulator's own CPU time, and its RSS / heapUsed once it holds 100k objects.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 16);
const OPS = Number(process.env['BENCH_OPS'] ?? 5000);
const TARGET_OBJECTS = Number(process.env['BENCH_OBJECTS'] ?? 100_000);

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function request(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; text: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(url, { method, agent, headers: { ...headers, ...(payload === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString(), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function json(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<Record<string, unknown>> {
  const r = await request(method, url, body, headers);
  if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${r.text}`);
  return r.text === '' ? {} : (JSON.parse(r.text) as Record<string, unknown>);
}

interface Proc { memory: { rss: number; heapUsed: number; heapTotal: number; external: number; arrayBuffers: number }; cpu: { user: number; system: number }; objects: number }

/** Runs `total` operations with CONCURRENCY workers; returns wall seconds and sim CPU seconds. */
async function load(control: string, total: number, op: (i: number) => Promise<number>): Promise<{ wall: number; cpu: number; requests: number }> {
  const p0 = (await json('GET', `${control}/sim/process`)) as unknown as Proc;
  let next = 0;
  let requests = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < total) {
      const n = await op(next++);
      requests += n;
    }
  }));
  const wall = (performance.now() - t0) / 1000;
  const p1 = (await json('GET', `${control}/sim/process`)) as unknown as Proc;
  const cpu = (p1.cpu.user + p1.cpu.system - p0.cpu.user - p0.cpu.system) / 1e6;
  return { wall, cpu, requests };
}

function report(name: string, r: { wall: number; cpu: number; requests: number }): void {
  const rps = r.requests / r.wall;
  const perCore = r.requests / r.cpu;
  console.log(`${name.padEnd(34)} ${String(r.requests).padStart(7)} req in ${r.wall.toFixed(2)} s  = ${rps.toFixed(0).padStart(6)} req/s wall, ${perCore.toFixed(0).padStart(6)} req/s per core of simulator CPU (${r.cpu.toFixed(2)} CPU-s)`);
}

async function main(): Promise<void> {
  const nodeFlags = (process.env['BENCH_NODE_FLAGS'] ?? '').split(' ').filter((f) => f !== '');
  const child = spawn(process.execPath, ['--expose-gc', ...nodeFlags, '--import', 'tsx', 'src/cli.ts', 'sim', '--seed', '1'], {
    cwd: fileURLToPath(new URL('../../', import.meta.url)), stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const first = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', (c) => reject(new Error(`simulator exited with ${String(c)}`)));
    });
    const urls = JSON.parse(first) as Record<string, string>;
    const { keystone, neutron, contrail, control } = urls as { keystone: string; neutron: string; contrail: string; control: string };
    const auth = await request('POST', `${keystone}/v3/auth/tokens`, { auth: { identity: { methods: ['password'], password: { user: { name: 'admin', domain: { name: 'Default' }, password: 'admin-secret' } } }, scope: { project: { name: 'demo', domain: { name: 'Default' } } } } });
    const token = String(auth.headers['x-subject-token']);
    const h = { 'X-Auth-Token': token };
    const base = (await json('GET', `${control}/sim/process?gc=1`)) as unknown as Proc;
    console.log(`simulator pid ${String(child.pid)}, concurrency ${CONCURRENCY} over keep-alive, ${OPS} operations per scenario`);
    console.log(`at start (${base.objects} objects): RSS ${(base.memory.rss / 1048576).toFixed(1)} MB, heapUsed ${(base.memory.heapUsed / 1048576).toFixed(1)} MB`);

    const sg = await json('POST', `${contrail}/security-groups`, { 'security-group': { fq_name: ['default-domain', 'demo', 'bench-sg'], parent_type: 'project' } }, h);
    const sgUuid = String((sg['security-group'] as Record<string, unknown>)['uuid']);
    const vnFq = ['default-domain', 'demo', 'vip-net'];
    const vnc = await load(control, OPS, async (i) => {
      const created = await json('POST', `${contrail}/virtual-machine-interfaces`, { 'virtual-machine-interface': { fq_name: ['default-domain', 'demo', `bench-vmi-${i}`], parent_type: 'project', virtual_network_refs: [{ to: vnFq }] } }, h);
      const uuid = String((created['virtual-machine-interface'] as Record<string, unknown>)['uuid']);
      await json('POST', `${contrail}/ref-update`, { type: 'virtual-machine-interface', uuid, 'ref-type': 'security-group', 'ref-uuid': sgUuid, 'ref-fq-name': null, operation: 'ADD', attr: null }, h);
      return 2;
    });
    report('VNC create VMI + ref-update', vnc);

    const net = await json('POST', `${neutron}/v2.0/networks`, { network: { name: 'bench-net' } }, h);
    const netId = String((net['network'] as Record<string, unknown>)['id']);
    await json('POST', `${neutron}/v2.0/subnets`, { subnet: { network_id: netId, cidr: '10.128.0.0/14', ip_version: 4 } }, h);
    const ports = await load(control, OPS, async () => {
      await json('POST', `${neutron}/v2.0/ports`, { port: { network_id: netId } }, h);
      return 1;
    });
    report('Neutron port create (VMI + IIP)', ports);

    let objects = ((await json('GET', `${control}/sim/process`)) as unknown as Proc).objects;
    const fill = Math.max(0, TARGET_OBJECTS - objects);
    const t0 = performance.now();
    await load(control, Math.ceil(fill / 2), async (i) => {
      await json('POST', `${neutron}/v2.0/ports`, { port: { network_id: netId, name: `fill-${i}` } }, h);
      return 1;
    });
    await json('GET', `${control}/sim/process?gc=1`);
    // Give V8's memory reducer an idle moment to hand back the heap the fill phase grew.
    await new Promise((r) => setTimeout(r, 3000));
    const proc = (await json('GET', `${control}/sim/process?gc=1`)) as unknown as Proc;
    objects = proc.objects;
    const mb = (b: number): string => `${(b / 1024 / 1024).toFixed(1)} MB`;
    console.log(`filled to ${objects} VNC objects in ${((performance.now() - t0) / 1000).toFixed(1)} s; after GC: RSS ${mb(proc.memory.rss)}, heapUsed ${mb(proc.memory.heapUsed)}, heapTotal ${mb(proc.memory.heapTotal)}, external ${mb(proc.memory.external)}`);
    const list = performance.now();
    await request('GET', `${contrail}/virtual-machine-interfaces?count=true`, undefined, h);
    const portList = performance.now();
    await request('GET', `${neutron}/v2.0/ports?device_id=0a1b2c3d-1111-4222-8333-444455556666`, undefined, h);
    console.log(`at ${objects} objects: VNC count list ${(portList - list).toFixed(1)} ms, Neutron device_id-filtered list ${(performance.now() - portList).toFixed(1)} ms`);
  } finally {
    agent.destroy();
    child.kill('SIGTERM');
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
});
