// `contrail-lb-operator sim`: run the cloud simulator in the foreground. The first stdout line is
// one JSON object with the five base URLs, so scripts can read it and go.
import process from 'node:process';
import type { SimulatorOptions } from '../sim/index.js';
import { parseFlags, UsageError, type FlagTable, type Flags } from './flags.js';

// As DEFAULT_BOOT_TIME_MS in src/sim/index.ts (a unit test keeps them equal): the usage text
// must not load the simulator.
export const DEFAULT_BOOT_TIME_MS = 500;

const USAGE = `usage: contrail-lb-operator sim [flags]

  --topology FILE         YAML topology (default: the built-in one, src/sim/default-topology.yaml)
  --seed N                seed for uuids, tokens and fault draws (deterministic runs)
  --listen ADDR           address to bind (default 127.0.0.1)
  --port-keystone N       fixed ports (default: free ports); also --port-nova, --port-neutron,
  --port-contrail N         --port-contrail, --port-control
  --port-analytics N      serve Contrail analytics (UVEs) on a port of its own, as a deployment's
                          opserver (:8081); 0: a free port. Absent: analytics is served at the VNC port
  --boot-time-ms N        Nova BUILD → ACTIVE delay (default ${DEFAULT_BOOT_TIME_MS})
  --token-lifetime S      Keystone token lifetime in seconds (default 3600)
  --state FILE            persist the cloud to FILE (loaded at start, written on change and exit)
  --dataplane netns       real packets: SE, pool-server, client and fabric network namespaces (root)
  --se-command 'CMD ARGS' with --dataplane: run CMD per SE ({netns} {server} {name} {configdrive}; else --netns NAME appended)
  --pool-server IP        with --dataplane: an HTTP pool server answering on IP:80 in a namespace of its own (repeatable)

The first line on stdout is {"keystone","nova","neutron","contrail","control"} URLs (and "analytics"
with --port-analytics); with
--dataplane a second one is {"dataplane":{"client","fabric"}}, the namespaces to send traffic from.`;

const PORTS = ['keystone', 'nova', 'neutron', 'contrail', 'control'] as const;

// One row per flag; toOptions() below turns the parsed flags into SimulatorOptions.
export const SIM_FLAGS: FlagTable = {
  topology: { type: 'string' },
  seed: { type: 'string' },
  listen: { type: 'string' },
  'boot-time-ms': { type: 'string' },
  'token-lifetime': { type: 'string' },
  state: { type: 'string' },
  dataplane: { type: 'string' },
  'se-command': { type: 'string' },
  'pool-server': { type: 'string', multiple: true },
  'port-analytics': { type: 'string' },
  ...Object.fromEntries(PORTS.map((p) => [`port-${p}`, { type: 'string' } as const])),
};

function int(flags: Flags, name: string, min: number, max: number): number | undefined {
  const v = flags.string(name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new UsageError(`--${name} needs an integer in [${min}, ${max}], got '${v}'`);
  return Number(v);
}

function file(flags: Flags, name: string): string | undefined {
  const v = flags.string(name);
  if (v === '') throw new UsageError(`--${name} needs a file`);
  return v;
}

export function toOptions(flags: Flags): SimulatorOptions {
  const opts: SimulatorOptions = {};
  const set = <K extends keyof SimulatorOptions>(k: K, v: SimulatorOptions[K] | undefined): void => {
    if (v !== undefined) opts[k] = v;
  };
  set('topology', file(flags, 'topology'));
  set('seed', int(flags, 'seed', 0, 2 ** 32 - 1));
  set('listen', flags.string('listen'));
  set('bootTimeMs', int(flags, 'boot-time-ms', 0, 3_600_000));
  set('tokenLifetimeSeconds', int(flags, 'token-lifetime', 1, 10_000_000));
  set('statePath', file(flags, 'state'));
  const ports: NonNullable<SimulatorOptions['ports']> = {};
  for (const p of PORTS) {
    const n = int(flags, `port-${p}`, 0, 65535);
    if (n !== undefined) ports[p] = n;
  }
  const analytics = int(flags, 'port-analytics', 0, 65535);
  if (analytics !== undefined) {
    opts.separateAnalytics = true;
    ports.analytics = analytics;
  }
  if (Object.keys(ports).length > 0) opts.ports = ports;
  return opts;
}

/** The data-plane flags: undefined without --dataplane; the SE command split on blanks. */
export function dataplaneOf(flags: Flags): { seCommand?: string[]; poolServers?: string[] } | undefined {
  const mode = flags.string('dataplane');
  const cmd = flags.string('se-command');
  const pools = flags.strings('pool-server');
  if (mode === undefined) {
    if (cmd !== undefined) throw new UsageError('--se-command needs --dataplane netns');
    if (pools.length > 0) throw new UsageError('--pool-server needs --dataplane netns');
    return undefined;
  }
  if (mode !== 'netns') throw new UsageError(`--dataplane takes netns, got '${mode}'`);
  for (const p of pools) if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(p)) throw new UsageError(`--pool-server needs an IPv4 address, got '${p}'`);
  return {
    ...(cmd === undefined ? {} : { seCommand: cmd.split(/\s+/).filter((a) => a !== '') }),
    ...(pools.length === 0 ? {} : { poolServers: pools }),
  };
}

export async function run(argv: string[]): Promise<number> {
  let opts: SimulatorOptions;
  let dataplane: ReturnType<typeof dataplaneOf>;
  try {
    const flags = parseFlags(SIM_FLAGS, argv);
    if (flags.help()) {
      process.stdout.write(USAGE + '\n');
      return 0;
    }
    opts = toOptions(flags);
    dataplane = dataplaneOf(flags);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`sim: ${e.message} (see sim --help)\n`);
    return 2;
  }
  const { startSimulator, TopologyError } = await import('../sim/index.js');
  let netns: import('../sim/dataplane/dataplane.js').NetnsDataplane | undefined;
  if (dataplane !== undefined) {
    const { NetnsDataplane } = await import('../sim/dataplane/dataplane.js');
    const { commandSeRunner } = await import('../sim/dataplane/runner.js');
    const { seCommand, poolServers } = dataplane;
    netns = new NetnsDataplane({
      ...(seCommand === undefined ? {} : { runner: commandSeRunner(seCommand) }),
      ...(poolServers === undefined ? {} : { poolServers }),
    });
    opts.plugins = [netns];
  }
  let sim;
  try {
    sim = await startSimulator(opts);
  } catch (e) {
    const msg = e instanceof TopologyError ? e.message : `cannot start: ${e instanceof Error ? e.message : String(e)}`;
    process.stderr.write(`sim: ${msg}\n`);
    return 1;
  }
  process.stdout.write(JSON.stringify(sim.urls) + '\n');
  if (netns !== undefined) process.stdout.write(JSON.stringify({ dataplane: { client: netns.client, fabric: netns.fabric } }) + '\n');
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await sim.close();
  return 0;
}
