// The reflector keeps a Store in step with the API server for one resource type:
// list (paged), then watch from the list's resourceVersion with bookmarks and a random
// 300–600 s server timeout; when a watch ends, watch again from the last resourceVersion seen;
// on 410 Gone (HTTP or an in-stream ERROR) relist and emit the difference against the cache;
// back off with jitter on other errors; a watchdog aborts a watch that has gone silent.
import type { IncomingMessage } from 'node:http';
import { internStrings } from './intern.js';
import type winston from 'winston';
import { Backoff, type BackoffOptions } from './backoff.js';
import { realClock, sleep, type Clock } from './clock.js';
import { ApiError, apiErrorFrom, isGone, readBody, type KubeClient } from './kube.js';
import { silentLogger } from './log.js';
import { collectionPath, objectKey, type KubeObject, type ObjectList, type ResourceType } from './objects.js';
import type { Store } from './store.js';

export type Delta<T> =
  | { type: 'add'; obj: T }
  | { type: 'update'; obj: T; old: T }
  | { type: 'delete'; obj: T };

export interface ReflectorOptions<T> {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size of list calls. */
  pageSize?: number;
  /** Abort a watch that delivers nothing (not even a bookmark) for this long; default 150 s. */
  watchdogMs?: number;
  /** Server-side watch timeout range in seconds; default [300, 600]. */
  timeoutSeconds?: [number, number];
  backoff?: BackoffOptions;
  /** Applied to every object before caching; default trimForCache. */
  transform?: (obj: T) => T;
  clock?: Clock;
  logger?: winston.Logger;
  random?: () => number;
}

interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject & { code?: number; reason?: string; message?: string };
}

export class GoneError extends Error {}

/** kubectl's copy of the whole applied object, kept for its three-way merge; no controller reads it. */
export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * What client-go's cache transforms drop on ingest: metadata.managedFields (server-side apply
 * bookkeeping, often larger than the object) and the last-applied annotation (a second copy of
 * the spec). Nothing reconciles from either, and every cached object carried both — at 10k
 * objects that is most of the heap. Then the values that repeat across objects (namespace,
 * conditions, references) share one copy (intern.ts). Mutates and returns obj (it is fresh from
 * JSON.parse).
 */
export function trimForCache<T extends KubeObject>(obj: T): T {
  const md = obj.metadata;
  if (md === undefined) return obj;
  // Copies without the fields rather than `delete`: a delete turns the object into a dictionary
  // (V8's slow mode), ≈ 450 B more per cached object than the same fields in a fresh literal.
  if ('managedFields' in md || (md.annotations !== undefined && LAST_APPLIED in md.annotations)) {
    const { managedFields: _mf, annotations, ...rest } = md;
    const { [LAST_APPLIED]: _la, ...kept } = annotations ?? {};
    obj.metadata = Object.keys(kept).length > 0 ? { ...rest, annotations: kept } : rest;
  }
  return internStrings(obj);
}

export class Reflector<T extends KubeObject = KubeObject> {
  private synced = false;
  private markSynced: () => void = () => {};
  /** Resolves once the first list has been cached. */
  readonly synced$: Promise<void> = new Promise((resolve) => (this.markSynced = resolve));
  private lastRV = '';
  private readonly clock: Clock;
  private readonly log: winston.Logger;
  private readonly backoff: Backoff;
  private readonly transform: (obj: T) => T;
  private currentWatch: AbortController | undefined;
  /** Counters for tests and benchmarks. */
  readonly stats = { lists: 0, watches: 0, events: 0, gone: 0, errors: 0, watchdogAborts: 0 };

  constructor(
    private readonly client: KubeClient,
    private readonly rt: ResourceType,
    private readonly store: Store<T>,
    private readonly emit: (d: Delta<T>) => void,
    private readonly opts: ReflectorOptions<T> = {},
  ) {
    this.clock = opts.clock ?? realClock;
    this.log = opts.logger ?? silentLogger();
    this.backoff = new Backoff({ ...opts.backoff, ...(opts.random ? { random: opts.random } : {}) });
    this.transform = opts.transform ?? trimForCache;
  }

  hasSynced(): boolean {
    return this.synced;
  }

  lastSyncResourceVersion(): string {
    return this.lastRV;
  }

  /** Drops the current watch connection (it is re-established from the last resourceVersion). */
  abortWatch(): void {
    this.currentWatch?.abort(new Error('watch aborted'));
  }

  /** Runs until signal aborts. Never throws: every error leads to a retry. */
  async run(signal: AbortSignal): Promise<void> {
    let needList = true;
    while (!signal.aborted) {
      const started = this.clock.now();
      try {
        if (needList) {
          await this.listAndReplace(signal);
          needList = false;
        }
        const watchStart = this.clock.now();
        await this.watch(signal);
        // A watch the server ends normally is re-opened at once, unless it ended suspiciously
        // fast (then pace the loop as for an error instead of spinning).
        if (this.clock.now() - watchStart < 1000) await sleep(this.clock, this.backoff.next(), signal);
        else this.backoff.reset();
      } catch (e) {
        if (signal.aborted) break;
        if (e instanceof GoneError || isGone(e)) {
          this.stats.gone++;
          this.log.info('resourceVersion too old; relisting', { resource: this.rt.plural, rv: this.lastRV });
          needList = true;
          continue;
        }
        this.stats.errors++;
        const delay = this.backoff.next(this.clock.now() - started);
        this.log.warn('list/watch failed; retrying', {
          resource: this.rt.plural,
          error: (e as Error).message,
          retryInMs: Math.round(delay),
        });
        await sleep(this.clock, delay, signal);
      }
    }
  }

  private baseQuery(): Record<string, string | undefined> {
    return { labelSelector: this.opts.labelSelector, fieldSelector: this.opts.fieldSelector };
  }

  /** Lists every object (paged) and makes the store equal to the result, emitting the diff. */
  private async listAndReplace(signal: AbortSignal): Promise<void> {
    this.stats.lists++;
    const path = collectionPath(this.rt, this.opts.namespace);
    const items: T[] = [];
    let cont: string | undefined;
    let rv = '';
    do {
      const page = await this.client.get<ObjectList<T>>(path, {
        query: { ...this.baseQuery(), limit: this.opts.pageSize ?? 500, continue: cont },
        signal,
        timeoutMs: 60_000,
      });
      for (const o of page.items) items.push(this.transform(o));
      cont = page.metadata.continue || undefined;
      rv = page.metadata.resourceVersion ?? rv;
    } while (cont);
    this.replace(items);
    this.lastRV = rv;
    this.synced = true;
    this.markSynced();
  }

  private replace(items: T[]): void {
    const seen = new Set<string>();
    for (const obj of items) {
      const key = objectKey(obj);
      seen.add(key);
      const old = this.store.upsert(obj);
      if (!old) this.emit({ type: 'add', obj });
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) this.emit({ type: 'update', obj, old });
    }
    for (const key of this.store.keys()) {
      if (seen.has(key)) continue;
      const old = this.store.delete(key);
      if (old) this.emit({ type: 'delete', obj: old });
    }
  }

  private randomTimeout(): number {
    const [lo, hi] = this.opts.timeoutSeconds ?? [300, 600];
    return Math.floor(lo + (this.opts.random ?? Math.random)() * (hi - lo));
  }

  /** One watch connection; resolves when the server ends it, throws on errors and 410. */
  private async watch(signal: AbortSignal): Promise<void> {
    this.stats.watches++;
    const ac = new AbortController();
    this.currentWatch = ac;
    const onAbort = (): void => ac.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const watchdogMs = this.opts.watchdogMs ?? 150_000;
    let cancelWatchdog = (): void => {};
    const feedWatchdog = (): void => {
      cancelWatchdog();
      cancelWatchdog = this.clock.after(watchdogMs, () => {
        this.stats.watchdogAborts++;
        ac.abort(new Error(`watch silent for ${watchdogMs} ms`));
      });
    };
    feedWatchdog();
    try {
      const res = await this.client.open('GET', collectionPath(this.rt, this.opts.namespace), {
        query: {
          ...this.baseQuery(),
          watch: 1,
          resourceVersion: this.lastRV,
          allowWatchBookmarks: true,
          timeoutSeconds: this.randomTimeout(),
        },
        signal: ac.signal,
      });
      if (res.statusCode !== 200) {
        const text = await readBody(res);
        throw apiErrorFrom(res.statusCode ?? 0, text, 'WATCH', this.rt.plural);
      }
      await this.consume(res, feedWatchdog, ac.signal);
    } catch (e) {
      if (ac.signal.aborted && !signal.aborted) throw ac.signal.reason instanceof Error ? ac.signal.reason : e;
      throw e;
    } finally {
      cancelWatchdog();
      signal.removeEventListener('abort', onAbort);
      this.currentWatch = undefined;
    }
  }

  private consume(res: IncomingMessage, alive: () => void, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      let buf = '';
      let failed = false;
      const fail = (e: unknown): void => {
        if (failed) return;
        failed = true;
        res.destroy();
        reject(e);
      };
      signal.addEventListener('abort', () => fail(signal.reason), { once: true });
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        alive();
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (!line.trim()) continue;
          try {
            this.handle(JSON.parse(line) as WatchEvent);
          } catch (e) {
            return fail(e);
          }
        }
      });
      res.on('end', () => {
        if (!failed) resolve();
      });
      res.on('error', fail);
      res.on('aborted', () => fail(new Error('watch connection aborted')));
    });
  }

  private handle(ev: WatchEvent): void {
    this.stats.events++;
    switch (ev.type) {
      case 'ADDED':
      case 'MODIFIED': {
        const obj = this.transform(ev.object as T);
        const old = this.store.upsert(obj);
        this.emit(old ? { type: 'update', obj, old } : { type: 'add', obj });
        break;
      }
      case 'DELETED': {
        const old = this.store.delete(objectKey(ev.object));
        this.emit({ type: 'delete', obj: this.transform(ev.object as T) ?? old });
        break;
      }
      case 'BOOKMARK':
        break;
      case 'ERROR': {
        const s = ev.object;
        if (s.code === 410) throw new GoneError(s.message ?? 'resourceVersion too old');
        throw new ApiError(s.code ?? 500, s.reason ?? '', `watch error: ${s.message ?? 'unknown'}`);
      }
    }
    const rv = ev.object.metadata?.resourceVersion;
    if (rv) this.lastRV = rv;
  }
}
