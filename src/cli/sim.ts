// `contrail-lb-operator sim`: run the cloud simulator in the foreground. The first stdout line is
// one JSON object with the five base URLs, so scripts can read it and go.
import process from 'node:process';
import { DEFAULT_BOOT_TIME_MS, startSimulator, TopologyError, type SimulatorOptions } from '../sim/index.js';
import { NetnsDataplane } from '../sim/dataplane/dataplane.js';
import { commandSeRunner } from '../sim/dataplane/runner.js';

const USAGE = `usage: contrail-lb-operator sim [flags]

  --topology FILE         YAML topology (default: the built-in one, src/sim/default-topology.yaml)
  --seed N                seed for uuids, tokens and fault draws (deterministic runs)
  --listen ADDR           address to bind (default 127.0.0.1)
  --port-keystone N       fixed ports (default: free ports); also --port-nova, --port-neutron,
  --port-contrail N         --port-contrail, --port-control
  --boot-time-ms N        Nova BUILD → ACTIVE delay (default ${DEFAULT_BOOT_TIME_MS})
  --token-lifetime S      Keystone token lifetime in seconds (default 3600)
  --state FILE            persist the cloud to FILE (loaded at start, written on change and exit)
  --dataplane netns       real packets: SE, pool-server, client and fabric network namespaces (root)
  --se-command 'CMD ARGS' with --dataplane: run CMD per SE ({netns} {server} {name}; else --netns NAME appended)

The first line on stdout is {"keystone","nova","neutron","contrail","control"} URLs.`;

class UsageError extends Error {}

function parseArgs(argv: string[]): SimulatorOptions {
  const opts: SimulatorOptions = {};
  const ports: NonNullable<SimulatorOptions['ports']> = {};
  let dataplane = false;
  let seCommand: string[] | undefined;
  const int = (flag: string, v: string | undefined, min: number, max: number): number => {
    if (v === undefined || !/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
      throw new UsageError(`${flag} needs an integer in [${min}, ${max}]`);
    }
    return Number(v);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--topology': opts.topology = value() ?? ''; if (opts.topology === '') throw new UsageError('--topology needs a file'); break;
      case '--seed': opts.seed = int(flag, value(), 0, 2 ** 32 - 1); break;
      case '--listen': opts.listen = value() ?? ''; break;
      case '--boot-time-ms': opts.bootTimeMs = int(flag, value(), 0, 3_600_000); break;
      case '--token-lifetime': opts.tokenLifetimeSeconds = int(flag, value(), 1, 10_000_000); break;
      case '--state': opts.statePath = value() ?? ''; if (opts.statePath === '') throw new UsageError('--state needs a file'); break;
      case '--dataplane': if (value() !== 'netns') throw new UsageError('--dataplane takes netns'); dataplane = true; break;
      case '--se-command': seCommand = (value() ?? '').split(/\s+/).filter((a) => a !== ''); break;
      case '--port-keystone': case '--port-nova': case '--port-neutron': case '--port-contrail': case '--port-control':
        ports[flag.slice('--port-'.length) as keyof typeof ports] = int(flag, value(), 0, 65535);
        break;
      default: throw new UsageError(`unknown flag ${arg}`);
    }
  }
  if (Object.keys(ports).length > 0) opts.ports = ports;
  if (seCommand !== undefined && !dataplane) throw new UsageError('--se-command needs --dataplane netns');
  if (dataplane) opts.plugins = [new NetnsDataplane(seCommand === undefined ? {} : { runner: commandSeRunner(seCommand) })];
  return opts;
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  let opts: SimulatorOptions;
  try {
    opts = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`sim: ${(e as Error).message}\n\n${USAGE}\n`);
    return 2;
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
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await sim.close();
  return 0;
}
