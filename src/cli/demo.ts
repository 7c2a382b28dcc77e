// `contrail-lb-operator demo` (`make demo`): the seed scenario of DESIGN.md §1, end to end on this
// machine. It starts a private kube-apiserver (its own instance directory, so it runs beside the
// tests), the cloud simulator with the seed topology and the operator; applies the seed samples
// (crds/samples/seed.yaml, pointed at the simulator, plus the credentials Secret); waits for vs2
// to be Ready; shows what kubectl and an Avi admin would see and the vRouter's ECMP next hops for
// the VIP; then scales vs2 out to 3 SEs and shows the next hops grow. Everything it started is
// stopped at the end unless --keep is given.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { parseFlags, UsageError, type FlagTable } from './flags.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DEMO_DIR = join(ROOT, '.local/demo');
const CLUSTER_DIR = join(DEMO_DIR, 'cluster');
const KUBECTL = join(ROOT, '.local/bin/kubectl');
const VIP_NET = '02b846e6-cd68-4c84-b7ab-3709946ed28b';

const USAGE = `usage: contrail-lb-operator demo [--keep] [--timeout SECONDS]

Starts a private kube-apiserver, the cloud simulator and the operator, applies the seed sample
(Cloud jvnc2, Pool vs2-pool, VirtualService vs2 with scaleout.ecmp), waits for vs2 to be Ready,
prints its status and the vRouter's ECMP next hops, then scales vs2 out to 3 Service Engines.

  --keep           leave the cluster, simulator and operator running afterwards
  --timeout S      how long to wait for each step (default 180)`;

interface Options { keep: boolean; timeoutMs: number }

const FLAGS: FlagTable = { keep: { type: 'boolean' }, timeout: { type: 'string' } };

function parse(argv: string[]): Options | 'help' {
  const flags = parseFlags(FLAGS, argv);
  if (flags.help()) return 'help';
  const t = flags.string('timeout') ?? '180';
  if (!/^\d+$/.test(t) || Number(t) < 10) throw new UsageError(`--timeout needs a number of seconds >= 10, got '${t}'`);
  return { keep: flags.bool('keep'), timeoutMs: Number(t) * 1000 };
}

const say = (s: string): void => { process.stdout.write(`${s}\n`); };
const step = (s: string): void => say(`\n==> ${s}`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

class DemoError extends Error {}

/** Runs a command to completion; a failure is a DemoError with its stderr. */
function sh(cmd: string, args: string[], input?: string): string {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', ...(input !== undefined ? { input } : {}), env: { ...process.env, KUBECACHEDIR: join(CLUSTER_DIR, 'kubecache') } });
  if (r.error !== undefined) throw new DemoError(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new DemoError(`${[cmd, ...args].join(' ')} failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`);
  return r.stdout;
}

const kubeconfig = (): string => join(CLUSTER_DIR, 'kubeconfig');
const kubectl = (args: string[], input?: string): string => sh(KUBECTL, ['--kubeconfig', kubeconfig(), ...args], input);

/** A long-lived child whose output goes to a log file (so --keep can leave it running). */
function background(name: string, args: string[]): { child: ChildProcess; log: string } {
  const log = join(DEMO_DIR, `${name}.log`);
  const fd = openSync(log, 'w');
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli.ts'), ...args], { cwd: ROOT, stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  return { child, log };
}

async function waitFor<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) { last = (e as Error).message; }
    if (Date.now() > deadline) throw new DemoError(`timed out waiting for ${what}${last !== '' ? ` (${last})` : ''}`);
    await sleep(500);
  }
}

interface SimURLs { keystone: string; contrail: string; control: string }

/** The seed samples with the Cloud pointed at the simulator. */
async function seedManifests(urls: SimURLs): Promise<string> {
  const { parseAllDocuments } = await import('yaml');
  const docs = parseAllDocuments(readFileSync(join(ROOT, 'crds/samples/seed.yaml'), 'utf8')).map((d) => d.toJS() as Record<string, unknown>);
  for (const d of docs) {
    if (d['kind'] !== 'Cloud') continue;
    const spec = d['spec'] as { keystone: { authURL: string }; contrail?: { apiURL: string }; resyncPeriodSeconds?: number };
    spec.keystone.authURL = `${urls.keystone}/v3`;
    spec.contrail = { apiURL: urls.contrail };
    spec.resyncPeriodSeconds = 5;
  }
  return docs.map((d) => JSON.stringify(d)).join('\n');
}

interface VSStatus {
  operStatus?: { state?: string; reason?: string[] };
  percentSEsUp?: number;
  seSummary?: string;
  vip?: { vipID?: string; ipAddress?: string; subnet?: string; portUUID?: string; floatingIP?: string }[];
  serviceEngines?: { name?: string; primary?: boolean; connected?: boolean; cloudProgrammingDone?: boolean }[];
  conditions?: { type: string; status: string }[];
}

const vsStatus = (): VSStatus => (JSON.parse(kubectl(['get', 'lbvs', 'vs2', '-n', 'demo', '-o', 'json'])) as { status?: VSStatus }).status ?? {};

function summary(s: VSStatus): string {
  const vip = s.vip?.[0];
  const lines = [
    'Virtual Service vs2 (namespace demo)',
    `  oper state        ${s.operStatus?.state ?? '-'}${(s.operStatus?.reason ?? []).length > 0 ? ` (${(s.operStatus?.reason ?? []).join('; ')})` : ''}`,
    `  percent SEs up    ${s.percentSEsUp ?? 0}%  (${s.seSummary ?? '-'})`,
    `  VIP ${vip?.vipID ?? '0'}             ${vip?.ipAddress ?? '-'}  subnet ${vip?.subnet ?? '-'}  port ${vip?.portUUID ?? '-'}${vip?.floatingIP !== undefined ? `  floating ${vip.floatingIP}` : ''}`,
    '  service engines',
    ...(s.serviceEngines ?? []).map((se) => `    ${(se.name ?? '').padEnd(22)} ${se.primary === true ? 'primary ' : 'ecmp    '} ${se.connected === true ? 'connected' : 'not connected'}  ${se.cloudProgrammingDone === true ? 'programmed' : 'programming'}`),
  ];
  return lines.join('\n');
}

interface Hop { vmi: string; server_id: string; server_name: string }

async function nextHops(control: string, ip: string): Promise<Hop[]> {
  const r = await fetch(`${control}/sim/routes?network=${VIP_NET}`);
  const body = (await r.json()) as { networks: { uuid: string; routes: { prefix: string; nexthops: Hop[] }[] }[] };
  return body.networks.find((n) => n.uuid === VIP_NET)?.routes.find((x) => x.prefix === `${ip}/32`)?.nexthops ?? [];
}

async function showHops(control: string, ip: string): Promise<number> {
  const hops = await nextHops(control, ip);
  say(`vRouter ECMP next hops for ${ip}/32 in vip-net (${hops.length}):`);
  for (const h of hops) say(`    ${h.server_name.padEnd(28)} server ${h.server_id}  via VMI ${h.vmi}`);
  return hops.length;
}

async function readyWith(n: number, control: string, timeoutMs: number): Promise<VSStatus> {
  return waitFor(`vs2 Ready on ${n} SE(s)`, timeoutMs, async () => {
    const s = vsStatus();
    const ready = s.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    const ip = s.vip?.[0]?.ipAddress;
    if (!ready || ip === undefined || s.seSummary !== `${n}/${n}`) return undefined;
    return (await nextHops(control, ip)).length === n ? s : undefined;
  });
}

export async function run(argv: string[]): Promise<number> {
  let o: Options;
  try {
    const parsed = parse(argv);
    if (parsed === 'help') { say(USAGE); return 0; }
    o = parsed;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`demo: ${e.message} (see demo --help)\n`);
    return 2;
  }

  const started: ChildProcess[] = [];
  let clusterUp = false;
  const cleanup = async (): Promise<void> => {
    if (o.keep) return;
    for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    await Promise.all(started.map((c) => (c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => { const t = setTimeout(() => { c.kill('SIGKILL'); r(undefined); }, 15_000); c.once('exit', () => { clearTimeout(t); r(undefined); }); }))));
    if (clusterUp) spawnSync(join(ROOT, 'scripts/cluster-down.sh'), [CLUSTER_DIR], { stdio: 'ignore' });
  };
  const onSignal = (): void => { void cleanup().then(() => process.exit(130)); };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    step('set-up');
    if (!existsSync(KUBECTL) || !existsSync(join(ROOT, '.local/bin/kube-apiserver'))) {
      say('building the local control plane binaries (make envtest)');
      sh('make', ['--no-print-directory', 'envtest']);
    }
    if (existsSync(CLUSTER_DIR)) spawnSync(join(ROOT, 'scripts/cluster-down.sh'), [CLUSTER_DIR], { stdio: 'ignore' });
    rmSync(DEMO_DIR, { recursive: true, force: true });
    mkdirSync(DEMO_DIR, { recursive: true });

    step('starting a private kube-apiserver + etcd (with the CRDs)');
    say(sh(join(ROOT, 'scripts/cluster-up.sh'), [CLUSTER_DIR]).trim());
    clusterUp = true;

    step('starting the cloud simulator (seed topology: Keystone, Nova, Neutron, Contrail VNC + vRouter)');
    const sim = background('simulator', ['sim', '--seed', '1']);
    started.push(sim.child);
    const urls = await waitFor('the simulator', 30_000, () => {
      const first = existsSync(sim.log) ? readFileSync(sim.log, 'utf8').split('\n')[0] ?? '' : '';
      return first.startsWith('{') ? (JSON.parse(first) as SimURLs) : undefined;
    });
    say(`keystone ${urls.keystone}  contrail ${urls.contrail}  control ${urls.control}`);

    step('starting the operator');
    const op = background('operator', ['run', '--kubeconfig', kubeconfig(), '--namespace', 'demo', '--cluster-id', 'demo',
      '--metrics-addr', '0', '--health-addr', '0', '--secrets-namespace', 'lb-system']);
    started.push(op.child);
    say(`logs: ${op.log}`);

    step('applying the seed sample (crds/samples/seed.yaml) and the credentials Secret');
    kubectl(['create', 'namespace', 'lb-system']);
    kubectl(['-n', 'lb-system', 'create', 'secret', 'generic', 'jvnc2-credentials', '--from-literal=username=admin', '--from-literal=password=admin-secret']);
    say(kubectl(['apply', '-f', '-'], await seedManifests(urls)).trim());

    step('waiting for vs2 to be Ready');
    const one = await readyWith(1, urls.control, o.timeoutMs);
    say(kubectl(['get', 'lbvs,lbse,lbpool', '-A']).trim());
    say('');
    say(summary(one));
    const ip = one.vip?.[0]?.ipAddress ?? '';
    await showHops(urls.control, ip);

    step('scaling vs2 out to 3 Service Engines (spec.scaleout.minSEs: 3)');
    kubectl(['-n', 'demo', 'patch', 'lbvs', 'vs2', '--type', 'merge', '-p', '{"spec":{"scaleout":{"minSEs":3}}}']);
    const three = await readyWith(3, urls.control, o.timeoutMs);
    say(kubectl(['get', 'lbvs,lbse', '-n', 'demo']).trim());
    say('');
    say(summary(three));
    await showHops(urls.control, ip);

    if (o.keep) {
      step('left running (--keep)');
      say(`kubectl --kubeconfig ${kubeconfig()} get contrail-lb -A`);
      say(`stop it all: kill ${started.map((c) => c.pid).join(' ')}; scripts/cluster-down.sh ${CLUSTER_DIR}`);
      for (const c of started) c.unref();
    } else {
      step('stopping everything (use --keep to leave it running)');
    }
    await cleanup();
    say('demo finished');
    return 0;
  } catch (e) {
    process.stderr.write(`demo: ${e instanceof DemoError ? e.message : (e as Error).message}\n`);
    process.stderr.write(`logs are in ${DEMO_DIR}\n`);
    const keep = o.keep;
    o.keep = false;
    await cleanup();
    o.keep = keep;
    return 1;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
