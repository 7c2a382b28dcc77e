// Captures every log line a client writes (debug and up) so tests can scan them for secrets.
import { Writable } from 'node:stream';
import winston from 'winston';
import type { Registry } from 'prom-client';

export interface Captured { logger: winston.Logger; lines: string[] }

export function captureLogs(): Captured {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk: Buffer, _enc, cb) { lines.push(chunk.toString()); cb(); } });
  const logger = winston.createLogger({ level: 'debug', format: winston.format.json(), transports: [new winston.transports.Stream({ stream })] });
  return { logger, lines };
}

/** Fails with the offending place when any secret shows up in logs, errors or metrics. */
export async function assertNoSecrets(secrets: readonly string[], where: { logs?: string[]; errors?: unknown[]; registry?: Registry }): Promise<void> {
  const texts: [string, string][] = [];
  for (const l of where.logs ?? []) texts.push(['log', l]);
  for (const e of where.errors ?? []) {
    texts.push(['error', e instanceof Error ? `${e.name} ${e.message} ${e.stack ?? ''} ${JSON.stringify(e)}` : String(e)]);
  }
  if (where.registry !== undefined) texts.push(['metrics', await where.registry.metrics()]);
  for (const s of secrets) {
    if (s.length < 4) continue;
    for (const [kind, t] of texts) if (t.includes(s)) throw new Error(`a secret appeared in a ${kind}: ${t.slice(0, 200).split(s).join('<SECRET>')}`);
  }
}
