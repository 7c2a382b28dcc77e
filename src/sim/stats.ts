// Request accounting for GET /sim/stats: counts by API, method, route template and status, and a
// latency histogram per API, method and route.
import type { ApiName } from './http.js';

const BUCKETS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

interface Histogram { count: number; sumMs: number; buckets: number[] }

export class Stats {
  private counts = new Map<string, number>();
  private latency = new Map<string, Histogram>();
  private since = new Date();

  record(api: ApiName, method: string, route: string, status: number, ms: number): void {
    const key = `${api} ${method} ${route}`;
    const ck = `${key} ${status}`;
    this.counts.set(ck, (this.counts.get(ck) ?? 0) + 1);
    let h = this.latency.get(key);
    if (h === undefined) this.latency.set(key, (h = { count: 0, sumMs: 0, buckets: BUCKETS_MS.map(() => 0) }));
    h.count++;
    h.sumMs += ms;
    for (let i = 0; i < BUCKETS_MS.length; i++) if (ms <= (BUCKETS_MS[i] as number)) h.buckets[i] = (h.buckets[i] as number) + 1;
  }

  reset(): void {
    this.counts = new Map();
    this.latency = new Map();
    this.since = new Date();
  }

  snapshot(): unknown {
    const requests = [...this.counts.entries()].map(([k, count]) => {
      const [api, method, route, status] = k.split(' ');
      return { api, method, route, status: Number(status), count };
    });
    const latency = [...this.latency.entries()].map(([k, h]) => {
      const [api, method, route] = k.split(' ');
      const buckets: Record<string, number> = {};
      BUCKETS_MS.forEach((le, i) => (buckets[String(le)] = h.buckets[i] as number));
      buckets['+Inf'] = h.count;
      return { api, method, route, count: h.count, sumMs: Math.round(h.sumMs * 1000) / 1000, bucketsMs: buckets };
    });
    const total: Record<string, number> = {};
    for (const r of requests) total[r.api as string] = (total[r.api as string] ?? 0) + r.count;
    return { since: this.since.toISOString(), total, requests, latency };
  }
}
