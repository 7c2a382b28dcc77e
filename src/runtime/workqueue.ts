// A work queue with client-go semantics:
// - a key is queued once however many times it is added while waiting (dirty set);
// - a key is never handed to two workers at once (processing set); if it is added while being
//   processed it is queued again when done() is called;
// - failed keys come back after a per-key backoff under a global token bucket (addRateLimited);
// - addAfter() delays a key, keeping the earliest requested time;
// - shutdown() stops intake; get() then drains what is queued and finally reports shutdown.
import { realClock, type Cancel, type Clock } from './clock.js';
import { defaultRateLimiter, type RateLimiter } from './ratelimit.js';

/** Hooks a metrics backend implements (see metrics.ts); all optional. */
export interface QueueMetrics {
  add?(): void;
  depth?(n: number): void;
  /** Seconds a key waited in the queue before a worker took it. */
  queueLatency?(seconds: number): void;
  /** Seconds a worker held a key. */
  workDuration?(seconds: number): void;
  retry?(): void;
}

export interface WorkQueueOptions {
  clock?: Clock;
  rateLimiter?: RateLimiter;
  metrics?: QueueMetrics;
}

export type Item = { key: string; shutdown: false } | { key: undefined; shutdown: true };

export class WorkQueue {
  private readonly clock: Clock;
  private readonly limiter: RateLimiter;
  private readonly metrics: QueueMetrics;
  private queue: string[] = [];
  private head = 0;
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly addedAt = new Map<string, number>();
  private readonly startedAt = new Map<string, number>();
  private readonly delayed = new Map<string, { at: number; cancel: Cancel }>();
  private waiters: Array<(item: Item) => void> = [];
  private drainWaiters: Array<() => void> = [];
  private shuttingDown = false;

  constructor(opts: WorkQueueOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.limiter = opts.rateLimiter ?? defaultRateLimiter(this.clock);
    this.metrics = opts.metrics ?? {};
  }

  /** Keys waiting for a worker (not counting those being processed or delayed). */
  len(): number {
    return this.queue.length - this.head;
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** When each key now being processed was taken (clock ms): for the in-progress work gauges. */
  processingSince(): IterableIterator<number> {
    return this.startedAt.values();
  }

  isProcessing(key: string): boolean {
    return this.processing.has(key);
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.metrics.add?.();
    this.dirty.add(key);
    this.addedAt.set(key, this.clock.now());
    if (this.processing.has(key)) return; // done() re-queues it
    this.push(key);
  }

  /** Adds the key after ms; if it is already scheduled, the earlier time wins. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = this.clock.now() + ms;
    const existing = this.delayed.get(key);
    if (existing && existing.at <= at) return;
    existing?.cancel();
    const cancel = this.clock.after(ms, () => {
      this.delayed.delete(key);
      this.add(key);
    });
    this.delayed.set(key, { at, cancel });
  }

  /** Adds the key after its backoff: call when processing failed. */
  addRateLimited(key: string): void {
    this.metrics.retry?.();
    this.addAfter(key, this.limiter.when(key));
  }

  /** Resets the key's backoff: call when processing succeeded. */
  forget(key: string): void {
    this.limiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.limiter.retries(key);
  }

  /** Waits for the next key; after shutdown, returns queued keys until empty, then shutdown. */
  get(): Promise<Item> {
    const item = this.take();
    if (item) return Promise.resolve(item);
    if (this.shuttingDown) return Promise.resolve({ key: undefined, shutdown: true });
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks the key finished; re-queues it if it was added meanwhile. */
  done(key: string): void {
    if (!this.processing.delete(key)) return;
    const started = this.startedAt.get(key);
    this.startedAt.delete(key);
    if (started !== undefined) this.metrics.workDuration?.((this.clock.now() - started) / 1000);
    if (this.dirty.has(key)) this.push(key);
    if (this.processing.size === 0) {
      const ws = this.drainWaiters;
      this.drainWaiters = [];
      for (const w of ws) w();
    }
  }

  /** Stops intake and wakes idle workers; delayed keys are dropped. */
  shutdown(): void {
    this.shuttingDown = true;
    for (const d of this.delayed.values()) d.cancel();
    this.delayed.clear();
    this.wake();
  }

  /** shutdown(), then resolves once no key is being processed. */
  shutdownWithDrain(): Promise<void> {
    this.shutdown();
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private push(key: string): void {
    this.queue.push(key);
    this.metrics.depth?.(this.len());
    this.wake();
  }

  private wake(): void {
    while (this.waiters.length > 0) {
      const item = this.take() ?? (this.shuttingDown ? ({ key: undefined, shutdown: true } as const) : undefined);
      if (!item) return;
      const w = this.waiters.shift();
      w?.(item);
    }
  }

  private take(): Item | undefined {
    if (this.head >= this.queue.length) return undefined;
    const key = this.queue[this.head++] as string;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.metrics.depth?.(this.len());
    this.processing.add(key);
    this.dirty.delete(key);
    const added = this.addedAt.get(key);
    this.addedAt.delete(key);
    const now = this.clock.now();
    if (added !== undefined) this.metrics.queueLatency?.((now - added) / 1000);
    this.startedAt.set(key, now);
    return { key, shutdown: false };
  }
}
