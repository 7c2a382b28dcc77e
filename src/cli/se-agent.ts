// `contrail-lb-operator se-agent`: flags first (src/agent/flags.ts, the CLI's one parser), then
// the agent itself, imported only once the flags are good, so `se-agent --help` and a usage
// error load nothing of HAProxy, the SE API channel or the logger.
import process from 'node:process';
import { parseAgentFlags, USAGE, UsageError, type AgentFlags } from '../agent/flags.js';

export async function run(argv: string[]): Promise<number> {
  let flags: AgentFlags;
  try {
    flags = parseAgentFlags(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`se-agent: ${e.message} (see se-agent --help)\n`);
    return 2;
  }
  if (flags.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const { runAgent } = await import('../agent/main.js');
  return runAgent(flags);
}
