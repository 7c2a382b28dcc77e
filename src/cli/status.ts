// `contrail-lb-operator status [VS] [-n NS | -A] [-o text|json] [--watch]` — and, through
// bin/kubectl-lb, `kubectl lb status vs2 -n demo`: an Avi-style `show virtualservice summary`
// read from the apiserver (the VirtualService, its Pool and its ServiceEngines). The view is a
// pure function of those objects (summarize, render); statusMain does the reading and --watch.
import process from 'node:process';
import { kinds, type KindName } from '../api/kinds.js';
import type { Pool, ServiceEngine, VirtualService } from '../api/types.gen.js';
// Types only: the Kubernetes client is imported when there is something to read, not for --help.
import type { KubeClient } from '../runtime/kube.js';
import { parseFlags, UsageError, type FlagTable } from './flags.js';

export const STATUS_USAGE = `usage: contrail-lb-operator status [VS] [-n NAMESPACE | -A] [-o text|json] [--watch] [--kubeconfig PATH] [--context NAME]
       kubectl lb status [VS] ...          (bin/kubectl-lb on PATH)

Shows virtual services as the apiserver has them: oper state, percent SEs up, VIPs, the Service
Engines (primary, connected, programmed), the pool members and the autoscaler's last decision.

  VS                    one virtual service (default: every one in the namespace)
  -n, --namespace NS    the namespace (default: the kubeconfig context's, else default)
  -A, --all-namespaces  every namespace
  -o, --output FORMAT   text (default) or json
  -w, --watch           print again whenever anything shown changes (json: one document per change)
      --interval SEC    how often --watch reads (default 2)
      --kubeconfig PATH the kubeconfig (default: $KUBECONFIG, ~/.kube/config, in-cluster)
      --context NAME    the kubeconfig context
  -h, --help            this help

Exit status: 0 shown, 1 not found or the apiserver refused, 2 usage error.`;

export interface StatusArgs {
  name?: string;
  namespace?: string;
  allNamespaces: boolean;
  output: 'text' | 'json';
  watch: boolean;
  intervalSeconds: number;
  kubeconfig?: string;
  context?: string;
  help: boolean;
}

/** A usage error (the CLI's one parser, src/cli/flags.ts, throws the same class). */
export { UsageError as StatusUsageError };

const FLAGS: FlagTable = {
  namespace: { type: 'string', short: 'n' },
  'all-namespaces': { type: 'boolean', short: 'A' },
  output: { type: 'string', short: 'o' },
  watch: { type: 'boolean', short: 'w' },
  interval: { type: 'string' },
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
};

export function parseStatusArgs(argv: readonly string[]): StatusArgs {
  const flags = parseFlags(FLAGS, argv, { positionals: true });
  const output = flags.string('output') ?? 'text';
  if (output !== 'text' && output !== 'json') throw new UsageError(`--output must be text or json, not '${output}'`);
  const a: StatusArgs = { allNamespaces: flags.bool('all-namespaces'), output, watch: flags.bool('watch'), intervalSeconds: 2, help: flags.help() };
  const [name, second] = flags.positionals;
  if (second !== undefined) throw new UsageError(`one virtual service at most (got '${name ?? ''}' and '${second}')`);
  if (name !== undefined) a.name = name;
  for (const k of ['namespace', 'kubeconfig', 'context'] as const) {
    const v = flags.string(k);
    if (v !== undefined) a[k] = v;
  }
  const interval = flags.string('interval');
  if (interval !== undefined) {
    const v = Number(interval);
    if (interval.trim() === '' || !Number.isFinite(v) || v < 0.2 || v > 3600) throw new UsageError(`--interval must be between 0.2 and 3600 seconds, got '${interval}'`);
    a.intervalSeconds = v;
  }
  if (a.allNamespaces && a.namespace !== undefined) throw new UsageError('-A and -n exclude each other');
  if (a.allNamespaces && a.name !== undefined) throw new UsageError('a virtual service name needs a namespace, not -A');
  return a;
}

// ------------------------------------------------------------------------------------------
// The view: pure.

export interface SEView {
  name: string;
  role: 'primary' | 'standby' | 'active';
  connected: boolean;
  programmed: boolean;
  state?: string;
  managementIP?: string;
  fault?: string;
}

export interface MemberView {
  server: string;
  enabled: boolean;
  resolved?: boolean;
  reason?: string;
  networkUUID?: string;
  /** Health over the SEs hosting the pool (written only with the SE API on). */
  operStatus?: string;
}

export interface VSView {
  namespace: string;
  name: string;
  operState: string;
  reasons: string[];
  ready?: string;
  percentSEsUp: number;
  seSummary: string;
  vips: { vipID: string; ipAddress?: string; floatingIP?: string; subnet?: string; numSEsAssigned?: number; numSEsRequested?: number }[];
  services: string[];
  serviceEngines: SEView[];
  pool: { name: string; found: boolean; lbAlgorithm?: string; members: MemberView[] };
  autoscale?: { metric: string; target: number; currentMetric?: number; desiredSEs?: number; reason?: string; lastScaleTime?: string; message?: string };
}

export function summarize(vs: VirtualService, pool: Pool | undefined, ses: readonly ServiceEngine[]): VSView {
  const st = vs.status ?? {};
  const seByName = new Map(ses.map((s) => [s.metadata.name ?? '', s]));
  const ecmp = vs.spec.scaleout?.ecmp === true;
  const policy = vs.spec.scaleout?.autoscale;
  const resolved = new Map((pool?.status?.servers ?? []).map((s) => [`${s.ip ?? ''}:${String(s.port ?? '')}`, s]));
  const ready = st.conditions?.find((c) => c.type === 'Ready')?.status;
  return {
    namespace: vs.metadata.namespace ?? '',
    name: vs.metadata.name ?? '',
    operState: st.operStatus?.state ?? 'OPER_UNKNOWN',
    reasons: st.operStatus?.reason ?? [],
    ...(ready !== undefined ? { ready } : {}),
    percentSEsUp: st.percentSEsUp ?? 0,
    seSummary: st.seSummary ?? '0/0',
    vips: (st.vip ?? []).map((v) => ({
      vipID: v.vipID ?? '',
      ...(v.ipAddress !== undefined ? { ipAddress: v.ipAddress } : {}),
      ...(v.floatingIP !== undefined ? { floatingIP: v.floatingIP } : {}),
      ...(v.subnet !== undefined ? { subnet: v.subnet } : {}),
      ...(v.numSEsAssigned !== undefined ? { numSEsAssigned: v.numSEsAssigned } : {}),
      ...(v.numSEsRequested !== undefined ? { numSEsRequested: v.numSEsRequested } : {}),
    })),
    services: vs.spec.services.map((s) => `${String(s.port)}${s.portRangeEnd !== undefined ? `-${String(s.portRangeEnd)}` : ''}/${s.protocol ?? 'TCP'}${s.enableSSL === true ? '+SSL' : ''}`),
    serviceEngines: (st.serviceEngines ?? []).map((p): SEView => {
      const se = seByName.get(p.name ?? '');
      return {
        name: p.name ?? '',
        role: p.primary === true ? 'primary' : ecmp ? 'active' : 'standby',
        connected: p.connected === true,
        programmed: p.cloudProgrammingDone === true,
        ...(se?.status?.state !== undefined ? { state: se.status.state } : {}),
        ...(se?.status?.managementIP !== undefined ? { managementIP: se.status.managementIP } : {}),
        ...(se?.status?.fault !== undefined ? { fault: se.status.fault } : {}),
      };
    }),
    pool: {
      name: vs.spec.poolRef,
      found: pool !== undefined,
      ...(pool?.spec.lbAlgorithm !== undefined ? { lbAlgorithm: pool.spec.lbAlgorithm } : {}),
      members: (pool?.spec.servers ?? []).map((s): MemberView => {
        const server = `${s.ip}:${String(s.port ?? pool?.spec.defaultServerPort ?? '')}`;
        const r = resolved.get(server);
        return {
          server, enabled: s.enabled !== false,
          ...(r?.resolved !== undefined ? { resolved: r.resolved } : {}),
          ...(r?.reason !== undefined ? { reason: r.reason } : {}),
          ...(r?.networkUUID !== undefined ? { networkUUID: r.networkUUID } : {}),
          ...(r?.operStatus !== undefined ? { operStatus: r.operStatus } : {}),
        };
      }),
    },
    ...(policy !== undefined ? {
      autoscale: {
        metric: policy.metric, target: policy.target,
        ...(st.autoscale?.currentMetric !== undefined ? { currentMetric: st.autoscale.currentMetric } : {}),
        ...(st.autoscale?.desiredSEs !== undefined ? { desiredSEs: st.autoscale.desiredSEs } : {}),
        ...(st.autoscale?.reason !== undefined ? { reason: st.autoscale.reason } : {}),
        ...(st.autoscale?.lastScaleTime !== undefined ? { lastScaleTime: st.autoscale.lastScaleTime } : {}),
        ...(st.autoscale?.message !== undefined ? { message: st.autoscale.message } : {}),
      },
    } : {}),
  };
}

const yes = (b: boolean | undefined): string => (b === undefined ? '-' : b ? 'yes' : 'no');

function table(rows: readonly (readonly string[])[], indent: string): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => indent + r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]! + 2))).join('').trimEnd());
}

export function renderText(v: VSView): string {
  const out: string[] = [];
  out.push(`${v.namespace}/${v.name}: ${v.operState}, ${v.percentSEsUp}% SEs up (${v.seSummary})${v.ready !== undefined ? `, Ready=${v.ready}` : ''}`);
  for (const r of v.reasons) out.push(`  reason: ${r}`);
  for (const vip of v.vips) {
    const where = vip.numSEsAssigned !== undefined ? `, on ${vip.numSEsAssigned}/${vip.numSEsRequested ?? '?'} SEs` : '';
    out.push(`  VIP ${vip.vipID}: ${vip.ipAddress ?? '(allocating)'}${vip.subnet !== undefined ? ` in ${vip.subnet}` : ''}${vip.floatingIP !== undefined ? `, floating ${vip.floatingIP}` : ''}${where}`);
  }
  out.push(`  services: ${v.services.join(', ')}`);
  if (v.serviceEngines.length === 0) out.push('  Service Engines: none yet');
  else {
    out.push('  Service Engines:');
    out.push(...table([
      ['NAME', 'ROLE', 'CONNECTED', 'PROGRAMMED', 'STATE', 'MGMT-IP'],
      ...v.serviceEngines.map((s) => [s.name, s.role, yes(s.connected), yes(s.programmed), s.state ?? '-', s.managementIP ?? '-']),
    ], '    '));
    for (const s of v.serviceEngines) if (s.fault !== undefined) out.push(`    ${s.name}: ${s.fault}`);
  }
  if (!v.pool.found) out.push(`  Pool ${v.pool.name}: not found`);
  else {
    out.push(`  Pool ${v.pool.name}${v.pool.lbAlgorithm !== undefined ? ` (${v.pool.lbAlgorithm})` : ''}: ${v.pool.members.length} member(s)`);
    if (v.pool.members.length > 0) {
      out.push(...table([
        ['SERVER', 'ENABLED', 'RESOLVED', 'HEALTH', 'NETWORK'],
        ...v.pool.members.map((m) => [m.server, yes(m.enabled), yes(m.resolved), m.operStatus ?? '-', m.networkUUID ?? m.reason ?? '-']),
      ], '    '));
    }
  }
  if (v.autoscale !== undefined) {
    const a = v.autoscale;
    const observed = a.currentMetric !== undefined ? `${a.currentMetric}` : 'no sample';
    out.push(`  autoscale: ${a.metric} ${observed} / target ${a.target} → ${a.desiredSEs ?? '?'} SEs${a.reason !== undefined ? ` (${a.reason})` : ''}${a.lastScaleTime !== undefined ? `, last scaled ${a.lastScaleTime}` : ''}`);
  }
  return out.join('\n');
}

// ------------------------------------------------------------------------------------------
// Reading from the apiserver.

interface List<T> { items: T[] }

function path(kind: KindName, namespace: string | undefined, name?: string): string {
  const k = kinds[kind];
  const ns = namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `/apis/${k.group}/${k.version}${ns}/${k.plural}${name !== undefined ? `/${encodeURIComponent(name)}` : ''}`;
}

export class VSNotFound extends Error {}

/** Every view asked for, sorted by namespace and name. */
export async function readViews(client: KubeClient, args: { name?: string; namespace?: string }): Promise<VSView[]> {
  let vss: VirtualService[];
  if (args.name !== undefined) {
    try {
      vss = [await client.get<VirtualService>(path('VirtualService', args.namespace, args.name))];
    } catch (e) {
      if ((await import('../runtime/kube.js')).isNotFound(e)) throw new VSNotFound(`virtual service ${args.namespace ?? ''}/${args.name} not found`);
      throw e;
    }
  } else {
    vss = (await client.get<List<VirtualService>>(path('VirtualService', args.namespace))).items;
  }
  const namespaces = [...new Set(vss.map((v) => v.metadata.namespace ?? ''))];
  const pools = new Map<string, Pool>();
  const ses = new Map<string, ServiceEngine[]>();
  // One list per namespace and kind, not one GET per VS.
  await Promise.all(namespaces.map(async (ns) => {
    const [p, s] = await Promise.all([
      client.get<List<Pool>>(path('Pool', ns)),
      client.get<List<ServiceEngine>>(path('ServiceEngine', ns)),
    ]);
    for (const pool of p.items) pools.set(`${ns}/${pool.metadata.name ?? ''}`, pool);
    ses.set(ns, s.items);
  }));
  return vss
    .map((vs) => {
      const ns = vs.metadata.namespace ?? '';
      return summarize(vs, pools.get(`${ns}/${vs.spec.poolRef}`), ses.get(ns) ?? []);
    })
    .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
}

function render(views: readonly VSView[], args: StatusArgs): string {
  if (args.output === 'json') return JSON.stringify(args.name !== undefined ? views[0] : { items: views }, null, args.watch ? undefined : 2);
  if (views.length === 0) return `no virtual services${args.allNamespaces ? '' : ` in namespace ${args.namespace ?? ''}`}`;
  return views.map(renderText).join('\n\n');
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });
}

export async function statusMain(argv: string[]): Promise<number> {
  let args: StatusArgs;
  try {
    args = parseStatusArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`status: ${e.message} (see status --help)\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${STATUS_USAGE}\n`);
    return 0;
  }
  // The operator's own loading: KUBECONFIG lists merged as kubectl does, --context checked,
  // the cluster's proxy-url honoured, the project's User-Agent (src/runtime/kubeconfig.ts).
  let client: KubeClient;
  try {
    const { KubeClient: Client } = await import('../runtime/kube.js');
    client = await Client.create(args.kubeconfig, args.context !== undefined ? { context: args.context } : {});
  } catch (e) {
    process.stderr.write(`contrail-lb-operator status: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  if (!args.allNamespaces && args.namespace === undefined) args.namespace = client.namespace ?? 'default';
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const scope = { ...(args.name !== undefined ? { name: args.name } : {}), ...(args.allNamespaces ? {} : { namespace: args.namespace }) };
    let last: string | undefined;
    // --watch polls: simple, survives apiserver restarts, and `status` is a human's view (a
    // read of three lists every couple of seconds), not a controller.
    for (;;) {
      let text: string;
      try {
        text = render(await readViews(client, scope), args);
      } catch (e) {
        if (!args.watch) throw e;
        text = `(${e instanceof Error ? e.message : String(e)}; retrying)`;
      }
      if (text !== last) {
        if (args.watch && args.output === 'text' && last !== undefined) process.stdout.write(`\n--- ${new Date().toISOString()}\n`);
        process.stdout.write(`${text}\n`);
        last = text;
      }
      if (!args.watch || stop.signal.aborted) return 0;
      await sleep(args.intervalSeconds * 1000, stop.signal);
      if (stop.signal.aborted) return 0;
    }
  } catch (e) {
    process.stderr.write(`contrail-lb-operator status: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    client.close();
  }
}

/** The dispatcher's entry point (src/cli.ts). */
export const run = statusMain;
