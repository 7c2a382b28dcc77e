// The operator's reflectors seen from outside: the reflector_*_total series it serves (src/runtime/
// reflectormetrics.ts) by resource, their difference between two scrapes, and the most calls the
// reflector's backoff allows in a window — what the outage scenarios compare to prove no hot loop.
import type { Harness, OperatorProcess } from '../e2e/harness.js';

export type Calls = Map<string, { lists: number; watches: number; errors: number; gone: number }>;

/** The operator's reflector_*_total series by resource. */
export async function reflectorCalls(h: Harness, op: OperatorProcess): Promise<Calls> {
  const out: Calls = new Map();
  const field = { lists: 'lists', watches: 'watches', errors: 'errors', relists_gone: 'gone' } as const;
  for (const m of (await h.metrics(op)).matchAll(/^reflector_(lists|watches|errors|relists_gone)_total\{resource="([^"]+)"\} (\d+)$/gm)) {
    const r = out.get(m[2] as string) ?? { lists: 0, watches: 0, errors: 0, gone: 0 };
    r[field[m[1] as keyof typeof field]] = Number(m[3]);
    out.set(m[2] as string, r);
  }
  return out;
}

/**
 * The most list/watch calls one reflector can make in `ms` when each fails at once: a retry
 * after each failure, the delays at least 800 ms doubling to 30 s (jitter only lengthens them),
 * and each retry at most a list and then a watch.
 */
export function backoffCallBound(ms: number): number {
  let attempts = 1;
  let delay = 800;
  for (let elapsed = delay; elapsed <= ms; elapsed += delay) {
    attempts++;
    delay = Math.min(30_000, delay * 2);
  }
  return 2 * attempts;
}

/** Per resource: list+watch calls, errors and 410s between two scrapes. */
export function callsBetween(from: Calls, to: Calls): Array<{ resource: string; calls: number; errors: number; gone: number; watches: number }> {
  return [...to].map(([resource, t]) => {
    const f = from.get(resource) ?? { lists: 0, watches: 0, errors: 0, gone: 0 };
    return { resource, calls: t.lists + t.watches - f.lists - f.watches, errors: t.errors - f.errors, gone: t.gone - f.gone, watches: t.watches - f.watches };
  });
}
