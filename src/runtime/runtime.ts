// Process glue: run a manager until SIGTERM/SIGINT and turn the outcome into an exit code.
import type { Manager } from './manager.js';

/**
 * Runs the manager; the first SIGTERM/SIGINT stops intake and lets in-flight reconciles
 * finish within the grace period. Exit code 0 on a clean stop, 1 when the lease was lost
 * (the process should restart and campaign again with fresh caches).
 */
export async function runUntilSignal(manager: Manager, signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): Promise<number> {
  const stop = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    manager.logger.info('shutting down', { signal: sig });
    stop.abort();
  };
  for (const s of signals) process.once(s, onSignal);
  try {
    const exit = await manager.run(stop.signal);
    return exit === 'stopped' ? 0 : 1;
  } finally {
    for (const s of signals) process.removeListener(s, onSignal);
  }
}
