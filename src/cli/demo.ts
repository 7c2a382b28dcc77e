// `contrail-lb-operator demo` (`make demo`): the seed scenario of DESIGN.md §1, end to end on this
// machine. It starts a private kube-apiserver (its own instance directory, so it runs beside the
// tests), the cloud simulator with the seed topology and the operator; applies the seed samples
// (crds/samples/seed.yaml, pointed at the simulator, plus the credentials Secret); waits for vs2
// to be Ready; shows what kubectl and an Avi admin would see and the vRouter's ECMP next hops for
// the VIP; then scales vs2 out to 3 SEs and shows the next hops grow.
// As root (issue 14) the simulator runs its netns data plane with a real se-agent + HAProxy per SE
// (config drive, bootstrap token, mTLS to the operator's SE API on loopback) and a pool server,
// and the story is told in traffic: requests from the client namespace through the VIP on 1 SE,
// the split over 3 SEs after the scale-out, and traffic that keeps flowing while one SE's Nova
// server is deleted and the operator replaces it (src/demo/traffic.ts). Not root, or
// --no-traffic: placement only, and one line says why. Everything it started is stopped at the
// end (Ctrl-C too) unless --keep is given.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { parseFlags, UsageError, type FlagTable } from './flags.js';
// Types only: `demo --help` loads nothing beyond the flags (test/unit/cli.test.ts); the traffic
// modules are imported when the story needs them.
import type { Burst, DemoSE, DemoTraffic } from '../demo/traffic.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let DEMO_DIR = join(ROOT, '.local/demo');
let CLUSTER_DIR = join(DEMO_DIR, 'cluster');
const KUBECTL = join(ROOT, '.local/bin/kubectl');
const VIP_NET = '02b846e6-cd68-4c84-b7ab-3709946ed28b';
/** The simulator's seed admin (both topologies): the credentials Secret and the demo's own Nova calls. */
const SIM_ADMIN = { user: 'admin', password: 'admin-secret' };
/** The data-plane topology's pool server (server-net 198.18.30.0/24; the seed's is 20.0.0.3). */
const POOL_SERVER = '198.18.30.3';

const USAGE = `usage: contrail-lb-operator demo [--keep] [--no-traffic] [--dir DIR] [--timeout SECONDS]

Starts a private kube-apiserver, the cloud simulator and the operator, applies the seed sample
(Cloud jvnc2, Pool vs2-pool, VirtualService vs2 with scaleout.ecmp), waits for vs2 to be Ready,
prints its status and the vRouter's ECMP next hops, then scales vs2 out to 3 Service Engines.
As root it also serves real requests: the simulator's netns data plane with an se-agent and
HAProxy per SE and a pool server; requests through the VIP on 1 SE, the split over 3 SEs, then
one SE's Nova server deleted under load and replaced.

  --keep           leave the cluster, simulator and operator running afterwards
  --no-traffic     placement only, even as root (no namespaces, no SE agents)
  --dir DIR        logs, the cluster and the SEs' state here (default .local/demo)
  --timeout S      how long to wait for each step (default 180)`;

interface Options { keep: boolean; timeoutMs: number; noTraffic: boolean; dir: string }

const FLAGS: FlagTable = { keep: { type: 'boolean' }, timeout: { type: 'string' }, 'no-traffic': { type: 'boolean' }, dir: { type: 'string' } };

function parse(argv: string[]): Options | 'help' {
  const flags = parseFlags(FLAGS, argv);
  if (flags.help()) return 'help';
  const t = flags.string('timeout') ?? '180';
  if (!/^\d+$/.test(t) || Number(t) < 10) throw new UsageError(`--timeout needs a number of seconds >= 10, got '${t}'`);
  const dir = resolve(flags.string('dir') ?? join(ROOT, '.local/demo'));
  // The SE command is split on blanks by `sim --se-command`.
  if (/\s/.test(dir)) throw new UsageError(`--dir must not contain blanks, got '${dir}'`);
  return { keep: flags.bool('keep'), timeoutMs: Number(t) * 1000, noTraffic: flags.bool('no-traffic'), dir };
}

/** Why traffic is skipped, or undefined when the data plane can run (root on Linux). Pure. */
export function noTrafficReason(noTraffic: boolean, platform: string, uid: number | undefined): string | undefined {
  if (noTraffic) return 'no traffic (--no-traffic): placement only, no namespaces or SE agents';
  if (platform !== 'linux' || uid !== 0) return 'no traffic: serving real requests needs root (network namespaces for the SEs, client and pool server); showing placement only';
  return undefined;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
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

interface SimURLs { keystone: string; nova: string; contrail: string; control: string }

/** The seed samples with the Cloud pointed at the simulator. */
async function seedManifests(urls: SimURLs, poolServer?: string): Promise<string> {
  const { parseAllDocuments } = await import('yaml');
  const docs = parseAllDocuments(readFileSync(join(ROOT, 'crds/samples/seed.yaml'), 'utf8')).map((d) => d.toJS() as Record<string, unknown>);
  for (const d of docs) {
    if (d['kind'] === 'Pool' && poolServer !== undefined) (d['spec'] as { servers: { ip: string }[] }).servers = [{ ip: poolServer, port: 80 } as { ip: string }];
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

/** vs2 Ready on N SEs the vRouter routes to; with AGENTS, each of them connected (its agent heartbeating). */
async function readyWith(n: number, control: string, timeoutMs: number, agents: boolean): Promise<VSStatus> {
  return waitFor(`vs2 Ready on ${n} SE(s)${agents ? ' with their agents connected' : ''}`, timeoutMs, async () => {
    const s = vsStatus();
    const ready = s.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    const ip = s.vip?.[0]?.ipAddress;
    if (!ready || ip === undefined || s.seSummary !== `${n}/${n}`) return undefined;
    if (agents && (s.serviceEngines ?? []).filter((e) => e.connected === true).length !== n) return undefined;
    return (await nextHops(control, ip)).length === n ? s : undefined;
  });
}

/** The SEs vs2 lists as connected, with their Nova servers (for their HAProxy's stats). */
function connectedSEs(s: VSStatus): DemoSE[] {
  const objs = (JSON.parse(kubectl(['get', 'lbse', '-n', 'demo', '-o', 'json'])) as { items: { metadata: { name: string }; status?: { serverUUID?: string } }[] }).items;
  const uuid = new Map(objs.map((o) => [o.metadata.name, o.status?.serverUUID ?? '']));
  return (s.serviceEngines ?? []).filter((e) => e.connected === true && e.name !== undefined && (uuid.get(e.name) ?? '') !== '')
    .map((e) => ({ name: e.name as string, serverUUID: uuid.get(e.name as string) as string }));
}

/** Bursts until every one of SES took a share (the fabric rebalances new flows within ~1 s); the last burst. */
async function splitOver(t: DemoTraffic, ses: DemoSE[], requests: number): Promise<Burst> {
  const { sesServing } = await import('../demo/traffic.js');
  let b = await t.burst(ses, requests);
  for (let i = 0; i < 10 && sesServing(b) < ses.length; i++) {
    await sleep(500);
    b = await t.burst(ses, requests);
  }
  return b;
}

/** The traffic half of the story (root only): 1 SE, 3 SEs, one SE's Nova server deleted under load. */
async function trafficStory(t: DemoTraffic, urls: SimURLs, ip: string, timeoutMs: number, scaleOut: () => Promise<VSStatus>): Promise<void> {
  const { describeBurst } = await import('../demo/traffic.js');
  const { deleteServer } = await import('../demo/nova.js');
  step(`sending 200 requests from the client namespace to the VIP http://${ip}/ (a new connection each)`);
  const one = connectedSEs(vsStatus());
  say(describeBurst(await t.burst(one, 200)).join('\n'));

  const three = connectedSEs(await scaleOut());
  step(`300 new connections through the VIP, now on ${three.length} Service Engines`);
  say(describeBurst(await splitOver(t, three, 300)).join('\n'));

  const victim = three[three.length - 1] as DemoSE;
  step(`deleting ${victim.name}'s Nova server ${victim.serverUUID} under load (as a failed host would)`);
  const t0 = Date.now();
  await deleteServer({ keystone: urls.keystone, nova: urls.nova, ...SIM_ADMIN, project: 'demo' }, victim.serverUUID);
  let replaced: { ses: DemoSE[]; at: number } | undefined;
  const load = await t.sustain(100, timeoutMs, async (last) => {
    if (replaced === undefined) {
      const s = vsStatus();
      const ses = connectedSEs(s);
      const ready = s.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
      if (ready && ses.length === 3 && !ses.some((e) => e.serverUUID === victim.serverUUID)) replaced = { ses, at: Date.now() - t0 };
    }
    // Done once the replacement serves and the last burst (after it) failed nothing.
    return replaced !== undefined && last.failures === 0;
  });
  const kinds = Object.entries(load.errors).map(([k, n]) => `${k} ${n}`).join(', ');
  say(`  under load while the SE went: ${load.requests} requests answered, ${load.failures} failed${kinds === '' ? '' : ` (${kinds})`}`
    + `${load.refused > 0 ? `, ${load.refused} bursts refused outright` : ''} — ${load.bursts} bursts of 100 new connections in ${(load.ms / 1000).toFixed(1)} s`);
  if (!load.finished || replaced === undefined) throw new DemoError(`vs2 was not served by 3 SEs again, without failures, within ${timeoutMs / 1000} s of the delete`);
  say(`  ${load.lastFailureMs === undefined ? 'no request failed' : `the last failure ${(load.lastFailureMs / 1000).toFixed(1)} s after the delete; none after`}`);
  const fresh = replaced.ses.find((e) => !three.some((x) => x.serverUUID === e.serverUUID));
  say(`  replaced by ${fresh?.name ?? '?'} (Nova server ${fresh?.serverUUID ?? '?'}) ${(replaced.at / 1000).toFixed(1)} s after the delete`);
  step('300 new connections after the replacement');
  say(describeBurst(await splitOver(t, replaced.ses, 300)).join('\n'));
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
  DEMO_DIR = o.dir;
  CLUSTER_DIR = join(DEMO_DIR, 'cluster');
  const seState = join(DEMO_DIR, 'se');
  const skipTraffic = noTrafficReason(o.noTraffic, process.platform, process.getuid?.());

  const started: ChildProcess[] = [];
  let clusterUp = false;
  let stopping: Promise<void> | undefined;
  let interrupted = false;
  // Once, whoever asks first (the end of the story, a failure, or Ctrl-C racing either).
  const cleanup = (): Promise<void> => {
    if (o.keep) return Promise.resolve();
    stopping ??= (async () => {
      // The simulator removes the namespaces and stops the SE agents and their HAProxy on SIGTERM.
      for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
      await Promise.all(started.map((c) => (c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => { const t = setTimeout(() => { c.kill('SIGKILL'); r(undefined); }, 15_000); c.once('exit', () => { clearTimeout(t); r(undefined); }); }))));
      if (clusterUp) spawnSync(join(ROOT, 'scripts/cluster-down.sh'), [CLUSTER_DIR], { stdio: 'ignore' });
    })();
    return stopping;
  };
  const onSignal = (): void => {
    if (interrupted) return; // a second Ctrl-C must not cut the clean-up short
    interrupted = true;
    o.keep = false;
    say('\ninterrupted: stopping everything the demo started');
    void cleanup().then(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    step('set-up');
    if (skipTraffic !== undefined) say(skipTraffic);
    if (!existsSync(KUBECTL) || !existsSync(join(ROOT, '.local/bin/kube-apiserver'))) {
      say('building the local control plane binaries (make envtest)');
      sh('make', ['--no-print-directory', 'envtest']);
    }
    if (skipTraffic === undefined) sh(join(ROOT, 'scripts/ensure-debs.sh'), ['iproute2:ip', 'iptables:iptables', 'wrk:wrk', 'haproxy:haproxy']);
    if (existsSync(CLUSTER_DIR)) spawnSync(join(ROOT, 'scripts/cluster-down.sh'), [CLUSTER_DIR], { stdio: 'ignore' });
    // Only what an earlier demo left here: --dir may be a directory of the user's.
    for (const p of [CLUSTER_DIR, seState, ...['simulator', 'operator'].map((n) => join(DEMO_DIR, `${n}.log`))]) rmSync(p, { recursive: true, force: true });
    mkdirSync(DEMO_DIR, { recursive: true });

    step('starting a private kube-apiserver + etcd (with the CRDs)');
    say(sh(join(ROOT, 'scripts/cluster-up.sh'), [CLUSTER_DIR]).trim());
    clusterUp = true;

    const simArgs = ['sim', '--seed', '1'];
    if (skipTraffic === undefined) {
      step('starting the cloud simulator with its netns data plane (a namespace per SE, a fabric for the vRouters, a client, pool server ' + POOL_SERVER + ')');
      mkdirSync(seState, { recursive: true });
      simArgs.push('--topology', join(ROOT, 'src/demo/dataplane-topology.yaml'), '--dataplane', 'netns', '--pool-server', POOL_SERVER,
        '--se-command', [process.execPath, '--import', 'tsx', join(ROOT, 'src/cli.ts'), 'se-agent', '--config-drive', '{configdrive}', '--netns', '{netns}',
          '--state-dir', join(seState, '{server}'), '--log-level', 'warn'].join(' '));
    } else {
      step('starting the cloud simulator (seed topology: Keystone, Nova, Neutron, Contrail VNC + vRouter)');
    }
    const sim = background('simulator', simArgs);
    started.push(sim.child);
    const simLines = (): unknown[] => (existsSync(sim.log) ? readFileSync(sim.log, 'utf8').split('\n') : [])
      .filter((l) => l.startsWith('{')).map((l) => { try { return JSON.parse(l) as unknown; } catch { return undefined; } });
    const urls = await waitFor('the simulator', 30_000, () => {
      if (sim.child.exitCode !== null) throw new DemoError(`the simulator exited: ${readFileSync(sim.log, 'utf8').trim().split('\n').slice(-2).join(' | ')}`);
      return simLines().find((l): l is SimURLs => typeof (l as SimURLs | undefined)?.keystone === 'string');
    });
    say(`keystone ${urls.keystone}  contrail ${urls.contrail}  control ${urls.control}`);
    const client = skipTraffic !== undefined ? undefined : await waitFor('the data plane', 30_000, () =>
      simLines().map((l) => (l as { dataplane?: { client?: string } } | undefined)?.dataplane?.client).find((c) => c !== undefined));
    if (client !== undefined) say(`client namespace ${client}; SE agents log to ${sim.log}`);

    step('starting the operator');
    const opArgs = ['run', '--kubeconfig', kubeconfig(), '--namespace', 'demo', '--cluster-id', 'demo',
      '--metrics-addr', '0', '--health-addr', '0', '--secrets-namespace', 'lb-system'];
    // The SE API the agents bootstrap against (config-drive token → client certificate, then mTLS).
    if (skipTraffic === undefined) opArgs.push('--se-api-addr', `127.0.0.1:${await freePort()}`);
    const op = background('operator', opArgs);
    started.push(op.child);
    say(`logs: ${op.log}`);

    step('applying the seed sample (crds/samples/seed.yaml) and the credentials Secret');
    if (skipTraffic === undefined) say(`(the data-plane topology's pool server ${POOL_SERVER} in place of the seed's 20.0.0.3)`);
    kubectl(['create', 'namespace', 'lb-system']);
    kubectl(['-n', 'lb-system', 'create', 'secret', 'generic', 'jvnc2-credentials', `--from-literal=username=${SIM_ADMIN.user}`, `--from-literal=password=${SIM_ADMIN.password}`]);
    say(kubectl(['apply', '-f', '-'], await seedManifests(urls, skipTraffic === undefined ? POOL_SERVER : undefined)).trim());

    step(skipTraffic === undefined ? 'waiting for vs2 to be Ready (served: an SE agent connected and applied its config)' : 'waiting for vs2 to be Ready');
    const one = await readyWith(1, urls.control, o.timeoutMs, skipTraffic === undefined);
    say(kubectl(['get', 'lbvs,lbse,lbpool', '-A']).trim());
    say('');
    say(summary(one));
    const ip = one.vip?.[0]?.ipAddress ?? '';
    await showHops(urls.control, ip);

    const scaleOut = async (): Promise<VSStatus> => {
      step('scaling vs2 out to 3 Service Engines (spec.scaleout.minSEs: 3)');
      kubectl(['-n', 'demo', 'patch', 'lbvs', 'vs2', '--type', 'merge', '-p', '{"spec":{"scaleout":{"minSEs":3}}}']);
      const three = await readyWith(3, urls.control, o.timeoutMs, skipTraffic === undefined);
      say(kubectl(['get', 'lbvs,lbse', '-n', 'demo']).trim());
      say('');
      say(summary(three));
      await showHops(urls.control, ip);
      return three;
    };
    if (client === undefined) await scaleOut();
    else await trafficStory(new (await import('../demo/traffic.js')).DemoTraffic(client, ip, seState), urls, ip, o.timeoutMs, scaleOut);

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
    // After Ctrl-C the steps fail as their processes go; the signal handler has the last word.
    if (interrupted) return cleanup().then(() => new Promise<number>(() => undefined));
    process.stderr.write(`demo: ${e instanceof DemoError ? e.message : (e as Error).message}\n`);
    process.stderr.write(`logs are in ${DEMO_DIR}\n`);
    o.keep = false;
    await cleanup();
    return 1;
  } finally {
    if (!interrupted) {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    }
  }
}
