// Flags of `contrail-lb-operator se-agent`, on the CLI's one parser (src/cli/flags.ts: parseArgs,
// `--flag=value` and `--flag value` alike, unknown flags refused in one line). Light on purpose:
// `se-agent --help` loads this and nothing of the agent itself.
import { parseFlags, UsageError, type FlagTable } from '../cli/flags.js';
import type { BootstrapSource } from './bootstrap.js';

export { UsageError };

export const USAGE = `usage: contrail-lb-operator se-agent [flags]

  --static-config FILE    serve this SEConfig JSON (re-read on change); no controller
  --report-file FILE      static mode: write the latest heartbeat report JSON here
  --report-interval-ms N  static mode: report period (default 2000, ±10 % jitter)
  --config-drive DIR      read openstack/latest/{meta_data.json,user_data} from DIR
  --metadata-url URL      else from the metadata service at URL (GET /openstack/latest/...)
  --state-dir DIR         last good config, HAProxy sockets, TLS files (default /var/lib/contrail-lb-se)
  --netns NAME            run HAProxy in network namespace NAME and put the VIPs on its lo
  --health-check-port N   HAProxy answers GET /lbop-health on every address at N (the vRouter's
                          data-path probe; 0 = off); default 8404 with --netns, else off
  --haproxy PATH          HAProxy binary (default haproxy)
  --log-level LEVEL       error|warn|info|debug (default info)
  -h, --help              this help`;

export interface AgentFlags {
  staticConfig?: string;
  reportFile?: string;
  reportIntervalMs: number;
  source?: BootstrapSource;
  stateDir: string;
  netns?: string;
  /** undefined: the default (8404 with --netns, else off); 0: off. */
  healthCheckPort?: number;
  haproxy: string;
  logLevel: string;
  help: boolean;
}

const FLAGS: FlagTable = {
  'static-config': { type: 'string' },
  'report-file': { type: 'string' },
  'report-interval-ms': { type: 'string' },
  'config-drive': { type: 'string' },
  'metadata-url': { type: 'string' },
  'state-dir': { type: 'string' },
  netns: { type: 'string' },
  'health-check-port': { type: 'string' },
  haproxy: { type: 'string' },
  'log-level': { type: 'string' },
};

const LOG_LEVELS = new Set(['error', 'warn', 'info', 'debug']);

export function parseAgentFlags(argv: readonly string[]): AgentFlags {
  const flags = parseFlags(FLAGS, argv);
  const value = (name: string): string | undefined => {
    const v = flags.string(name);
    if (v === '') throw new UsageError(`--${name} needs a value`);
    return v;
  };
  const f: AgentFlags = {
    reportIntervalMs: 2000,
    stateDir: value('state-dir') ?? '/var/lib/contrail-lb-se',
    haproxy: value('haproxy') ?? 'haproxy',
    logLevel: value('log-level') ?? 'info',
    help: flags.help(),
  };
  if (!LOG_LEVELS.has(f.logLevel)) throw new UsageError(`--log-level must be one of error, warn, info, debug, not '${f.logLevel}'`);
  const staticConfig = value('static-config');
  if (staticConfig !== undefined) f.staticConfig = staticConfig;
  const reportFile = value('report-file');
  if (reportFile !== undefined) f.reportFile = reportFile;
  const interval = value('report-interval-ms');
  if (interval !== undefined) {
    if (!/^\d+$/.test(interval) || Number(interval) < 50 || Number(interval) > 600_000) throw new UsageError(`--report-interval-ms needs an integer in [50, 600000], got '${interval}'`);
    f.reportIntervalMs = Number(interval);
  }
  const drive = value('config-drive');
  const metadata = value('metadata-url');
  if (drive !== undefined && metadata !== undefined) throw new UsageError('--config-drive and --metadata-url exclude each other');
  if (drive !== undefined) f.source = { configDrive: drive };
  if (metadata !== undefined) f.source = { metadataURL: metadata };
  const netns = value('netns');
  if (netns !== undefined) {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(netns)) throw new UsageError(`--netns needs a namespace name, got '${netns}'`);
    f.netns = netns;
  }
  const port = value('health-check-port');
  if (port !== undefined) {
    if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) throw new UsageError(`--health-check-port needs a port number (0 = off), got '${port}'`);
    f.healthCheckPort = Number(port);
  }
  if (f.staticConfig !== undefined && f.source !== undefined) throw new UsageError('--static-config excludes --config-drive/--metadata-url');
  if (f.staticConfig === undefined && f.source === undefined) f.source = { configDrive: '/mnt/config' };
  return f;
}
