// The controller loop: events from informers become keys in a work queue; N workers reconcile
// keys one at a time each, never the same key in two workers. A reconcile either succeeds
// (backoff forgotten), asks to be run again later (requeueAfterMs), throws (retried with
// backoff), or throws a TerminalError (a spec problem: not retried until the object changes).
import { isDeepStrictEqual } from 'node:util';
import type { Registry } from 'prom-client';
import type winston from 'winston';
import { realClock, type Clock } from './clock.js';
import type { Informer } from './informer.js';
import { reconcileLogger, redactText, silentLogger } from './log.js';
import { queueMetrics, runtimeMetrics, type RuntimeMetrics } from './metrics.js';
import { emptyTally, withTally } from './writetally.js';
import { objectKey, parseKey, type KubeObject, type ObjectRef } from './objects.js';
import type { RateLimiter } from './ratelimit.js';
import { WorkQueue } from './workqueue.js';

/** A failure that retrying cannot fix (invalid spec); the reconciler reports it in status. */
export class TerminalError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

export interface ReconcileResult {
  /** Reconcile again after this many ms (poll something that cannot be watched). */
  requeueAfterMs?: number;
  /** Reconcile again with backoff without counting it as an error. */
  requeue?: boolean;
  /**
   * The reconciler found its object as desired: nothing left to do, nothing it waits for. Counted
   * in lbop_reconcile_converged_total only if the reconcile also sent no apiserver or cloud write
   * (runtime/writetally.ts): the claim is checked, not trusted.
   */
  converged?: boolean;
}

export interface ReconcileContext {
  key: string;
  log: winston.Logger;
  /** Aborts on the per-reconcile timeout or when the controller stops. */
  signal: AbortSignal;
}

export type Reconcile = (ref: ObjectRef, ctx: ReconcileContext) => Promise<ReconcileResult | void>;

/** Events of a related kind, mapped to the keys of the primary objects to reconcile. */
export interface Watch {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any kind of object
  informer: Informer<any>;
  map(obj: KubeObject): string[];
  /**
   * An update, mapped from both versions: when set, it replaces map(old) ∪ map(obj), so a watch
   * can enqueue only the keys whose outcome the change can affect (e.g. not on a status field
   * no reconcile of the primary reads).
   */
  mapUpdate?(old: KubeObject, obj: KubeObject): string[];
}

export interface ControllerOptions<T extends KubeObject> {
  name: string;
  /** The primary kind: each of its events enqueues the object's own key. */
  informer: Informer<T>;
  reconcile: Reconcile;
  watches?: Watch[];
  /** Skip an update event (e.g. status-only changes) when this returns false. */
  shouldEnqueueUpdate?: (old: T, obj: T) => boolean;
  workers?: number;
  /** Per-reconcile deadline; default 2 min. */
  timeoutMs?: number;
  logger?: winston.Logger;
  registry?: Registry;
  clock?: Clock;
  rateLimiter?: RateLimiter;
}

/**
 * An update predicate that ignores status-only changes (the controller's own status writes):
 * true when generation, labels, annotations, finalizers or deletion changed. Pure.
 */
export function specOrMetadataChanged(old: KubeObject, obj: KubeObject): boolean {
  const a = old.metadata;
  const b = obj.metadata;
  return (
    a.generation !== b.generation ||
    a.deletionTimestamp !== b.deletionTimestamp ||
    !isDeepStrictEqual(a.labels ?? {}, b.labels ?? {}) ||
    !isDeepStrictEqual(a.annotations ?? {}, b.annotations ?? {}) ||
    !isDeepStrictEqual(a.finalizers ?? [], b.finalizers ?? [])
  );
}

/** Maps a related object to the keys of primary objects that refer to it through an index. */
export function referrers(primary: Informer<KubeObject>, index: string, value: (obj: KubeObject) => string): (obj: KubeObject) => string[] {
  return (obj) => primary.store.indexKeys(index, value(obj));
}

export class Controller<T extends KubeObject = KubeObject> {
  readonly name: string;
  readonly queue: WorkQueue;
  private readonly log: winston.Logger;
  private readonly baseLog: winston.Logger;
  private readonly metrics: RuntimeMetrics;
  private readonly stopAll = new AbortController();
  private workers: Promise<void>[] = [];
  private stopping = false;
  private active = 0;

  constructor(private readonly o: ControllerOptions<T>) {
    this.name = o.name;
    this.baseLog = o.logger ?? silentLogger();
    this.log = this.baseLog.child({ controller: o.name });
    this.metrics = runtimeMetrics(o.registry);
    this.queue = new WorkQueue({
      clock: o.clock ?? realClock,
      ...(o.rateLimiter ? { rateLimiter: o.rateLimiter } : {}),
      metrics: queueMetrics(this.metrics, o.name),
    });
    const clock = o.clock ?? realClock;
    this.metrics.probeQueue(o.name, { processingSince: () => this.queue.processingSince(), now: () => clock.now() });
    this.metrics.reconcileConverged.inc({ controller: o.name }, 0); // the series exists from the start
  }

  enqueue(key: string): void {
    this.queue.add(key);
  }

  /** Reconciles running right now. */
  inFlight(): number {
    return this.active;
  }

  /** Registers event handlers and starts the workers. */
  start(): void {
    const enqueue = (obj: KubeObject): void => this.queue.add(objectKey(obj));
    this.o.informer.addHandlers({
      onAdd: enqueue,
      onUpdate: (old, obj) => {
        if (!this.o.shouldEnqueueUpdate || this.o.shouldEnqueueUpdate(old, obj)) enqueue(obj);
      },
      onDelete: enqueue,
    });
    for (const w of this.o.watches ?? []) {
      const fan = (obj: KubeObject): void => {
        for (const k of w.map(obj)) this.queue.add(k);
      };
      const fanUpdate = (old: KubeObject, obj: KubeObject): void => {
        if (w.mapUpdate !== undefined) for (const k of w.mapUpdate(old, obj)) this.queue.add(k);
        else { fan(old); fan(obj); }
      };
      w.informer.addHandlers({ onAdd: fan, onUpdate: fanUpdate, onDelete: fan });
    }
    const n = this.o.workers ?? 2;
    this.metrics.maxConcurrent.set({ controller: this.name }, n);
    for (let i = 0; i < n; i++) this.workers.push(this.worker());
    this.log.info('controller started', { workers: n });
  }

  /**
   * Stops taking keys; in-flight reconciles may finish within graceMs, then they are aborted.
   * Keys still queued are abandoned: reconciles are level-triggered, the next run picks them up.
   */
  async stop(graceMs = 30_000): Promise<void> {
    this.stopping = true;
    this.queue.shutdown();
    const all = Promise.all(this.workers).then(() => true);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), graceMs)));
    const finished = await Promise.race([all, late]);
    clearTimeout(timer);
    if (!finished) {
      this.log.warn('abandoning in-flight reconciles', { inFlight: this.active });
      this.stopAll.abort(new Error('controller stopped'));
    }
    this.log.info('controller stopped');
  }

  private async worker(): Promise<void> {
    for (;;) {
      const item = await this.queue.get();
      if (item.shutdown) return;
      if (this.stopping) {
        this.queue.done(item.key);
        return;
      }
      await this.process(item.key);
    }
  }

  private async process(key: string): Promise<void> {
    const ref = parseKey(key);
    const log = reconcileLogger(this.baseLog, this.name, ref);
    const timeoutMs = this.o.timeoutMs ?? 120_000;
    // One controller per reconcile, linked to stop by a listener removed afterwards
    // (AbortSignal.any/timeout per call retain memory under load).
    const ac = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ac.abort(new Error(`reconcile timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    timer.unref();
    const onStop = (): void => ac.abort(this.stopAll.signal.reason);
    this.stopAll.signal.addEventListener('abort', onStop, { once: true });
    const signal = ac.signal;
    const end = this.metrics.reconcileTime.startTimer({ controller: this.name });
    const count = (result: string): void => {
      this.metrics.reconcileTotal.inc({ controller: this.name, result });
    };
    this.active++;
    this.metrics.activeWorkers.inc({ controller: this.name });
    try {
      const tally = emptyTally();
      const res = (await withTally(tally, () => this.o.reconcile(ref, { key, log, signal }))) ?? {};
      // Work cut short by the deadline is not a success, whatever the reconciler returned.
      if (timedOut) throw new Error(`reconcile timed out after ${timeoutMs} ms`);
      if (res.converged === true && tally.apiserver === 0 && tally.cloud === 0) this.metrics.reconcileConverged.inc({ controller: this.name });
      if (res.requeueAfterMs !== undefined && res.requeueAfterMs > 0) {
        this.queue.forget(key);
        this.queue.addAfter(key, res.requeueAfterMs);
        count('requeue_after');
      } else if (res.requeue) {
        this.queue.addRateLimited(key);
        count('requeue');
      } else {
        this.queue.forget(key);
        count('success');
      }
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      this.metrics.reconcileErrors.inc({ controller: this.name });
      count('error');
      if (err instanceof TerminalError) {
        this.metrics.terminalErrors.inc({ controller: this.name });
        this.queue.forget(key);
        log.warn('reconcile failed permanently; not retrying until the object changes', { error: redactText(err.message) });
      } else {
        this.queue.addRateLimited(key);
        log.error('reconcile failed; retrying with backoff', {
          error: redactText(err.message),
          retries: this.queue.numRequeues(key),
        });
      }
    } finally {
      clearTimeout(timer);
      this.stopAll.signal.removeEventListener('abort', onStop);
      this.active--;
      this.metrics.activeWorkers.dec({ controller: this.name });
      end();
      this.queue.done(key);
    }
  }
}
