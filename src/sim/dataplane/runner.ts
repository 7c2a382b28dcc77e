// SE processes: what runs for each Nova server. By default nothing (the namespace and its vNICs
// are the whole SE); with a command, one process per server started in the ROOT namespace with
// the SE's namespace name — the se-agent keeps its management plane on loopback there and drives
// HAProxy inside the namespace (`--netns NAME`).
import { spawn, type ChildProcess } from 'node:child_process';

export interface SeContext {
  serverId: string;
  serverName: string;
  /** The SE's network namespace (`lbop-<run>-<pid>-se-<server id>`). */
  netns: string;
  /** The server's config drive directory (openstack/latest/…) when it was booted with one. */
  configDrive?: string;
}

export interface SeRunner {
  /** Starts the SE's processes (called when the server goes ACTIVE, again after a stop). */
  start(se: SeContext): ChildProcess[];
}

export const noSeProcesses: SeRunner = { start: () => [] };

/**
 * Spawns ARGV per SE; `{netns}`, `{server}`, `{name}` and `{configdrive}` in an argument are replaced, and
 * `--netns NAME` is appended when no argument mentions `{netns}`.
 */
export function commandSeRunner(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): SeRunner {
  if (argv.length === 0) throw new Error('the SE command is empty');
  return {
    start(se) {
      const sub = (a: string): string => a.replaceAll('{netns}', se.netns).replaceAll('{server}', se.serverId).replaceAll('{name}', se.serverName)
        .replaceAll('{configdrive}', se.configDrive ?? '');
      const args = argv.slice(1).map(sub);
      if (!argv.some((a) => a.includes('{netns}'))) args.push('--netns', se.netns);
      const child = spawn(sub(argv[0] as string), args, {
        stdio: ['ignore', 'inherit', 'inherit'],
        env: { ...env, LBOP_SE_NETNS: se.netns, LBOP_SE_SERVER_ID: se.serverId, ...(se.configDrive === undefined ? {} : { LBOP_SE_CONFIG_DRIVE: se.configDrive }) },
      });
      child.on('error', (e) => process.stderr.write(`dataplane: SE command for ${se.serverId}: ${e.message}\n`));
      return [child];
    },
  };
}
