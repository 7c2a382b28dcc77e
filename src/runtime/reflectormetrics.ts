// The reflectors' own counters as metrics, with the names client-go's reflector metrics had
// (reflector_lists_total, reflector_watches_total), plus the failures that led to a backoff and
// the 410 relists. They are what shows a hot loop after an outage — a reflector re-listing or
// re-watching as fast as the apiserver answers — and what the chaos suite counts to prove there
// is none. Read at scrape time from each reflector's `stats`, summed per resource (two informers
// of one resource with different selectors count together).
import { Counter, type Registry } from 'prom-client';

export interface ReflectorStats {
  lists: number;
  watches: number;
  errors: number;
  gone: number;
}

const registered = new WeakSet<Registry>();

/** Registers the series on `registry` (once); `sources` is asked at every scrape. */
export function reflectorMetrics(registry: Registry, sources: () => Iterable<{ resource: string; stats: ReflectorStats }>): void {
  if (registered.has(registry)) return;
  registered.add(registry);
  const series: Array<{ name: string; help: string; field: keyof ReflectorStats }> = [
    { name: 'reflector_lists_total', help: 'List calls made by the reflector (the first list, and every relist)', field: 'lists' },
    { name: 'reflector_watches_total', help: 'Watch calls opened by the reflector', field: 'watches' },
    { name: 'reflector_errors_total', help: 'Failed list or watch calls, each followed by a backoff (800 ms doubling to 30 s, jittered)', field: 'errors' },
    { name: 'reflector_relists_gone_total', help: 'Watches answered 410 Gone (resourceVersion too old), each followed by a relist', field: 'gone' },
  ];
  for (const { name, help, field } of series) {
    new Counter({
      name,
      help,
      labelNames: ['resource'],
      registers: [registry],
      collect() {
        const sums = new Map<string, number>();
        for (const s of sources()) sums.set(s.resource, (sums.get(s.resource) ?? 0) + s.stats[field]);
        this.reset();
        for (const [resource, n] of sums) this.inc({ resource }, n);
      },
    });
  }
}
