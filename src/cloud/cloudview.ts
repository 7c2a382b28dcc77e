// CloudView: per Cloud, the observed state the reconcilers read. The cloud has no watch API, so
// the view is refreshed by ONE logical list per kind per period (paging aside), updated in place
// after each successful write (write-through), marked stale on errors, and versioned by a
// generation counter so a reconciler can tell "observed after my write". Changes seen on refresh
// are reported with the owner tags of the changed objects, so their queues can be poked.
import winston from 'winston';
import { Counter, Gauge, Histogram, register as globalRegistry, type Registry } from 'prom-client';
import type { Owner } from './owner.js';

export interface Observed<T = unknown> {
  readonly kind: string;
  readonly id: string;
  readonly owner: Owner | undefined;
  readonly obj: T;
  /** True after an error on this object: the next refresh will confirm or correct it. */
  readonly stale: boolean;
  /** Generation at which this entry was last set (by a list or a write). */
  readonly generation: number;
}

export interface ListedItem { id: string; owner: Owner | undefined; obj: unknown }

export interface ViewSource {
  kind: string;
  /** Everything of this kind the view may keep, in one logical list (paged inside). */
  list(): Promise<ListedItem[]>;
  /**
   * Optional second pass once every kind has been listed: keep only what is related to our
   * objects (e.g. Contrail virtual-machines referred to by our VMIs). Default: keep all.
   */
  select?(items: ListedItem[], listed: ReadonlyMap<string, ListedItem[]>): ListedItem[];
}

export type ChangeType = 'added' | 'updated' | 'removed';
export interface ViewChange { kind: string; id: string; change: ChangeType; owner: Owner | undefined; obj: unknown }

export interface RefreshResult { generation: number; changes: ViewChange[]; failed: Record<string, string> }

export interface CloudViewOptions {
  cloud: string;
  sources: ViewSource[];
  /** Refresh period for start() (default 30 s). */
  periodMs?: number;
  /** An invalidation brings the next refresh forward, but not closer than this to the last (default 1 s). */
  minIntervalMs?: number;
  onChange?: (changes: ViewChange[]) => void;
  logger?: winston.Logger;
  registry?: Registry;
}

interface ViewMetrics {
  refresh: Histogram<'cloud'>;
  objects: Gauge<'cloud' | 'kind'>;
  listErrors: Counter<'cloud' | 'kind'>;
  lastSync: Gauge<'cloud'>;
}

/** One set per registry, shared by every Cloud's view (prom-client refuses duplicate names). */
function viewMetrics(registry: Registry): ViewMetrics {
  return {
    refresh: registry.getSingleMetric('lbop_cloudview_refresh_duration_seconds') as ViewMetrics['refresh'] | undefined
      ?? new Histogram({ name: 'lbop_cloudview_refresh_duration_seconds', help: 'Time to list every kind of a Cloud once', labelNames: ['cloud'] as const, registers: [registry], buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] }),
    objects: registry.getSingleMetric('lbop_cloudview_objects') as ViewMetrics['objects'] | undefined
      ?? new Gauge({ name: 'lbop_cloudview_objects', help: 'Objects held in the CloudView by kind', labelNames: ['cloud', 'kind'] as const, registers: [registry] }),
    listErrors: registry.getSingleMetric('lbop_cloudview_list_errors_total') as ViewMetrics['listErrors'] | undefined
      ?? new Counter({ name: 'lbop_cloudview_list_errors_total', help: 'Failed CloudView lists by kind', labelNames: ['cloud', 'kind'] as const, registers: [registry] }),
    lastSync: registry.getSingleMetric('lbop_cloud_last_sync_timestamp_seconds') as ViewMetrics['lastSync'] | undefined
      ?? new Gauge({ name: 'lbop_cloud_last_sync_timestamp_seconds', help: 'When the last CloudView refresh that listed every kind without an error started (Unix seconds)', labelNames: ['cloud'] as const, registers: [registry] }),
  };
}

interface Entry { owner: Owner | undefined; obj: unknown; generation: number; writeGen: number; stale: boolean }

/**
 * Change detection compares the listed object with the cached one structurally. (A JSON
 * fingerprint kept per entry was a second, serialized copy of every cloud object — the largest
 * single item of the view's heap at scale; docs/scaling.md.) Listed objects are parsed JSON —
 * plain objects, arrays, strings, numbers, booleans, null — so a JSON-only comparison suffices;
 * util.isDeepStrictEqual (prototypes, cycles, key sets) was the largest item of the idle
 * operator's CPU profile at 1000 VS (docs/scaling.md).
 */
export function sameContent(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameContent(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  let n = 0;
  for (const k in ao) {
    if (!Object.hasOwn(bo, k) || !sameContent(ao[k], bo[k])) return false;
    n++;
  }
  for (const _ in bo) n--;
  return n === 0;
}

export class CloudView {
  readonly cloud: string;
  private readonly sources: ViewSource[];
  private readonly kinds = new Map<string, Map<string, Entry>>();
  /** Deletions we made, by kind/id → generation; a list that started before must not resurrect them. */
  private readonly tombstones = new Map<string, number>();
  private readonly failed = new Map<string, string>();
  private readonly listedOnce = new Set<string>();
  private gen = 0;
  private completedStartGen = -1;
  private inflight: Promise<RefreshResult> | undefined;
  private next: Promise<RefreshResult> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private soon: NodeJS.Timeout | undefined;
  private lastRefreshAt = 0;
  private syncedAt: Date | undefined;
  private readonly periodMs: number;
  private readonly minIntervalMs: number;
  private readonly onChange: ((changes: ViewChange[]) => void) | undefined;
  private readonly log: winston.Logger;
  private readonly metrics: ViewMetrics;
  /** Number of source list() calls made, for benchmarks and tests. */
  listCalls = 0;

  constructor(opts: CloudViewOptions) {
    this.cloud = opts.cloud;
    this.sources = opts.sources;
    this.periodMs = opts.periodMs ?? 30_000;
    this.minIntervalMs = opts.minIntervalMs ?? 1_000;
    this.onChange = opts.onChange;
    this.log = opts.logger ?? winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
    this.metrics = viewMetrics(opts.registry ?? globalRegistry);
    for (const s of opts.sources) this.kinds.set(s.kind, new Map());
  }

  get generation(): number { return this.gen; }

  /** Every kind has been listed successfully at least once. */
  get synced(): boolean { return this.sources.every((s) => this.listedOnce.has(s.kind)); }

  /** When the last refresh that listed every kind without an error started (Cloud.status.lastSyncTime). */
  get lastSyncedAt(): Date | undefined { return this.syncedAt; }

  /** A complete refresh that started at or after generation `g` has finished: its lists saw g's write. */
  listedSince(g: number): boolean { return this.completedStartGen >= g; }

  /** The error text of the last failed list of a kind, if its last list failed. */
  lastError(kind: string): string | undefined { return this.failed.get(kind); }

  get<T = unknown>(kind: string, id: string): Observed<T> | undefined {
    const e = this.kinds.get(kind)?.get(id);
    return e === undefined ? undefined : view<T>(kind, id, e);
  }

  list<T = unknown>(kind: string): Observed<T>[] {
    const m = this.kinds.get(kind);
    if (m === undefined) return [];
    return [...m].map(([id, e]) => view<T>(kind, id, e));
  }

  /** All objects (any kind) whose owner has this uid. */
  ownedBy(uid: string): Observed[] {
    const out: Observed[] = [];
    for (const [kind, m] of this.kinds) for (const [id, e] of m) if (e.owner?.uid === uid) out.push(view(kind, id, e));
    return out;
  }

  /** Write-through after a successful create/update: returns the generation that includes it. */
  written(kind: string, id: string, obj: unknown, owner?: Owner): number {
    const m = this.kindMap(kind);
    const g = ++this.gen;
    m.set(id, { owner, obj, generation: g, writeGen: g, stale: false });
    this.tombstones.delete(`${kind}/${id}`);
    return g;
  }

  /** Write-through after a successful delete (or a NotFound on delete). */
  deleted(kind: string, id: string): number {
    const g = ++this.gen;
    this.kindMap(kind).delete(id);
    this.tombstones.set(`${kind}/${id}`, g);
    return g;
  }

  /**
   * A write failed or its result is unknown: mark the object (or the whole kind) stale and bring
   * the next refresh forward. Entries stay readable so nobody mistakes "unknown" for "absent".
   */
  invalidate(kind: string, id?: string): void {
    const m = this.kinds.get(kind);
    if (m !== undefined) {
      if (id === undefined) for (const e of m.values()) e.stale = true;
      else { const e = m.get(id); if (e !== undefined) e.stale = true; }
    }
    this.scheduleSoon();
  }

  /**
   * One list per kind. A call while a refresh runs may come after the caller's write, which that
   * refresh's lists can miss: it gets exactly one follow-up refresh, shared by all such callers.
   */
  refresh(): Promise<RefreshResult> {
    if (this.inflight === undefined) {
      const p = this.runRefresh().finally(() => { this.inflight = undefined; });
      this.inflight = p;
      return p;
    }
    this.next ??= this.inflight.catch(() => undefined).then(() => { this.next = undefined; return this.refresh(); });
    return this.next;
  }

  start(): void {
    if (this.timer !== undefined) return;
    const tick = (): void => { void this.refresh().catch((e: unknown) => this.log.warn('cloud view refresh failed', { cloud: this.cloud, error: String(e) })); };
    tick();
    this.timer = setInterval(tick, this.periodMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.soon !== undefined) clearTimeout(this.soon);
    this.timer = undefined;
    this.soon = undefined;
  }

  private kindMap(kind: string): Map<string, Entry> {
    let m = this.kinds.get(kind);
    if (m === undefined) { m = new Map(); this.kinds.set(kind, m); }
    return m;
  }

  private scheduleSoon(): void {
    if (this.soon !== undefined || this.timer === undefined) return;
    const wait = Math.max(0, this.lastRefreshAt + this.minIntervalMs - Date.now());
    this.soon = setTimeout(() => { this.soon = undefined; void this.refresh().catch(() => undefined); }, wait);
    this.soon.unref();
  }

  private async runRefresh(): Promise<RefreshResult> {
    const startGen = this.gen;
    this.lastRefreshAt = Date.now();
    const startedAt = new Date(this.lastRefreshAt);
    const end = this.metrics.refresh.startTimer({ cloud: this.cloud });
    const results = await Promise.allSettled(this.sources.map(async (s) => { this.listCalls++; return s.list(); }));
    const listed = new Map<string, ListedItem[]>();
    const failed: Record<string, string> = {};
    this.sources.forEach((s, i) => {
      const r = results[i];
      if (r?.status === 'fulfilled') listed.set(s.kind, r.value);
      else failed[s.kind] = r?.status === 'rejected' ? errorText(r.reason) : 'no result';
    });
    const changes: ViewChange[] = [];
    for (const s of this.sources) {
      const items = listed.get(s.kind);
      if (items === undefined) {
        this.failed.set(s.kind, failed[s.kind] ?? 'failed');
        this.metrics.listErrors.inc({ cloud: this.cloud, kind: s.kind });
        this.log.warn('cloud view list failed; keeping the previous observation', { cloud: this.cloud, kind: s.kind, error: failed[s.kind] });
        continue;
      }
      const kept = s.select !== undefined ? s.select(items, listed) : items;
      this.apply(s.kind, kept, startGen, changes);
      this.metrics.objects.set({ cloud: this.cloud, kind: s.kind }, this.kindMap(s.kind).size);
      this.failed.delete(s.kind);
      this.listedOnce.add(s.kind);
    }
    for (const [k, g] of this.tombstones) if (g <= startGen) this.tombstones.delete(k);
    end();
    if (Object.keys(failed).length === 0) {
      this.completedStartGen = Math.max(this.completedStartGen, startGen);
      if (this.syncedAt === undefined || startedAt > this.syncedAt) this.syncedAt = startedAt;
      this.metrics.lastSync.set({ cloud: this.cloud }, this.syncedAt.getTime() / 1000);
    }
    if (changes.length > 0 && this.onChange !== undefined) {
      try { this.onChange(changes); } catch (e) { this.log.error('cloud view change callback threw', { cloud: this.cloud, error: errorText(e) }); }
    }
    return { generation: this.gen, changes, failed };
  }

  /** Replaces one kind's entries with a list that started at `startGen`, keeping newer writes. */
  private apply(kind: string, items: ListedItem[], startGen: number, changes: ViewChange[]): void {
    const m = this.kindMap(kind);
    const seen = new Set<string>();
    let bumped = false;
    const bump = (): number => { if (!bumped) { this.gen++; bumped = true; } return this.gen; };
    for (const it of items) {
      seen.add(it.id);
      const tomb = this.tombstones.get(`${kind}/${it.id}`);
      if (tomb !== undefined && tomb > startGen) continue; // deleted by us after the list began
      const old = m.get(it.id);
      if (old !== undefined && old.writeGen > startGen) continue; // written by us after the list began
      if (old !== undefined && sameContent(old.obj, it.obj)) {
        if (old.stale || old.owner !== it.owner) { old.stale = false; old.owner = it.owner; }
        continue;
      }
      m.set(it.id, { owner: it.owner, obj: it.obj, generation: bump(), writeGen: old?.writeGen ?? 0, stale: false });
      // Our own write-through already reported the content; a list that confirms it is no change.
      changes.push({ kind, id: it.id, change: old === undefined ? 'added' : 'updated', owner: it.owner, obj: it.obj });
    }
    for (const [id, e] of m) {
      if (seen.has(id) || e.writeGen > startGen) continue;
      m.delete(id);
      bump();
      changes.push({ kind, id, change: 'removed', owner: e.owner, obj: e.obj });
    }
  }
}

function view<T>(kind: string, id: string, e: Entry): Observed<T> {
  return { kind, id, owner: e.owner, obj: e.obj as T, stale: e.stale, generation: e.generation };
}

function errorText(e: unknown): string { return e instanceof Error ? e.message : String(e); }
