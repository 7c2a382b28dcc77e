// winston JSON logs with a redaction format: no password, token or secret ever reaches a log line.
import { randomUUID } from 'node:crypto';
import winston from 'winston';

/** Keys whose values are never logged. */
const SECRET_KEY = /pass(word|wd|phrase)?$|secret|token|authorization|credential|api[-_]?key|private[-_]?key|cookie/i;

/** Secrets embedded in free text: "Bearer x", "X-Auth-Token: x", "password=x", '"token":"x"'. */
const TEXT_PATTERNS: Array<[RegExp, string]> = [
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 [REDACTED]'],
  [/\b(X-Auth-Token|X-Subject-Token|Authorization)(\s*[:=]\s*)("?)[^\s",;]+/gi, '$1$2$3[REDACTED]'],
  [/("[^"]*(?:password|passwd|secret|token|credential)[^"]*"\s*:\s*)"(?:[^"\\]|\\.)*"/gi, '$1"[REDACTED]"'],
  [/\b([\w.-]*(?:password|passwd|secret|token)[\w.-]*)=([^\s&,;]+)/gi, '$1=[REDACTED]'],
  [/(\/\/[^\s/:@]+):[^\s/@]+@/g, '$1:[REDACTED]@'],
];

export const REDACTED = '[REDACTED]';

export function redactText(s: string): string {
  let out = s;
  for (const [re, repl] of TEXT_PATTERNS) out = out.replace(re, repl);
  return out;
}

/** A copy of value with secret-looking keys masked and secret-looking text scrubbed. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (value instanceof Error) {
    return { name: value.name, message: redactText(value.message), ...(redact({ ...value }, depth + 1) as object) };
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEY.test(k) && v !== undefined && v !== null && v !== '' ? REDACTED : redact(v, depth + 1);
  }
  return out;
}

/** winston format applying redact() to every enumerable field of the log entry. */
export const redactFormat = winston.format((info) => {
  for (const k of Object.keys(info)) {
    const v = info[k];
    info[k] = k !== 'level' && SECRET_KEY.test(k) && v !== undefined && v !== null ? REDACTED : redact(v);
  }
  return info;
});

export type Logger = winston.Logger;

export interface LoggerOptions {
  level?: string;
  /** Where lines go; defaults to stderr so stdout stays free for command output. */
  stream?: NodeJS.WritableStream;
}

export function createLogger(opts: LoggerOptions = {}): winston.Logger {
  const transport = opts.stream
    ? new winston.transports.Stream({ stream: opts.stream })
    : new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] });
  return winston.createLogger({
    level: opts.level ?? 'info',
    format: winston.format.combine(winston.format.errors({ stack: false }), redactFormat(), winston.format.timestamp(), winston.format.json()),
    transports: [transport],
  });
}

let silent: winston.Logger | undefined;
/** The default for libraries that were not given a logger (one shared instance). */
export function silentLogger(): winston.Logger {
  silent ??= winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
  return silent;
}

/** A child logger for one reconcile of one object. */
export function reconcileLogger(
  parent: winston.Logger,
  controller: string,
  key: { namespace?: string; name: string },
): winston.Logger {
  return parent.child({ controller, namespace: key.namespace ?? '', name: key.name, reconcileID: randomUUID() });
}
