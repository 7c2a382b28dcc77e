// One command to a HAProxy CLI (the worker's stats socket or the master CLI): connect, write the
// command and half-close, read until HAProxy closes. The half-close matters: 2.6's master CLI
// otherwise keeps the connection open after answering.
import { connect } from 'node:net';
import { parseShowStat, type StatRow } from './stats.js';

export async function cliCommand(socketPath: string, command: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(socketPath);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`HAProxy CLI ${socketPath}: no answer to '${command.split(' ').slice(0, 2).join(' ')}' within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on('connect', () => sock.end(`${command}\n`));
    sock.on('data', (d: Buffer) => chunks.push(d));
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

/** `show stat` on a worker's stats socket, parsed (the one parser: stats.ts). */
export async function showStat(statsSocket: string, timeoutMs = 3000): Promise<StatRow[]> {
  return parseShowStat(await cliCommand(statsSocket, 'show stat', timeoutMs));
}

/** Worker PIDs the master lists as current (not "old workers"). */
export function currentWorkers(showProc: string): number[] {
  const pids: number[] = [];
  let section: 'head' | 'workers' | 'old' | 'other' = 'head';
  for (const line of showProc.split('\n')) {
    if (line.startsWith('# workers')) section = 'workers';
    else if (line.startsWith('# old workers')) section = 'old';
    else if (line.startsWith('#')) section = section === 'head' ? 'head' : 'other';
    else if (section === 'workers') {
      const m = /^\s*(\d+)\s+worker\b/.exec(line);
      if (m !== null) pids.push(Number(m[1]));
    }
  }
  return pids;
}

/** The master's count of failed reloads ("master  2 [failed: 0]"). */
export function failedReloads(showProc: string): number | undefined {
  const m = /^\s*\d+\s+master\s+\d+\s+\[failed:\s*(\d+)\]/m.exec(showProc);
  return m === null ? undefined : Number(m[1]);
}
