// Retry pacing for work-queue keys, as client-go's DefaultControllerRateLimiter:
// the slower of a per-key exponential backoff and a global token bucket.
import type { Clock } from './clock.js';

export interface RateLimiter {
  /** Milliseconds to wait before the key may be retried; counts one failure. */
  when(key: string): number;
  /** Forget a key's failures (after a success). */
  forget(key: string): void;
  /** How many times the key has failed since it was last forgotten. */
  retries(key: string): number;
}

/** Per-key backoff: base, 2·base, 4·base … capped at max. */
export class ExponentialBackoffLimiter implements RateLimiter {
  private failures = new Map<string, number>();
  constructor(
    private readonly baseMs = 5,
    private readonly maxMs = 1_000_000,
  ) {}

  when(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const delay = this.baseMs * 2 ** n;
    return Number.isFinite(delay) ? Math.min(delay, this.maxMs) : this.maxMs;
  }
  forget(key: string): void {
    this.failures.delete(key);
  }
  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }
}

/**
 * Global token bucket shared by all keys: a storm of failures is smoothed to qps after the
 * first `burst`. Tokens are reserved (may go negative) so each caller gets its own slot.
 */
export class TokenBucketLimiter implements RateLimiter {
  private tokens: number;
  private last: number;
  constructor(
    private readonly clock: Clock,
    private readonly qps = 10,
    private readonly burst = 100,
  ) {
    this.tokens = burst;
    this.last = clock.now();
  }

  when(): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.qps) * 1000;
  }
  forget(): void {}
  retries(): number {
    return 0;
  }
}

/** The longest delay any limiter asks for. */
export class MaxOfLimiter implements RateLimiter {
  private readonly limiters: RateLimiter[];
  constructor(...limiters: RateLimiter[]) {
    this.limiters = limiters;
  }
  when(key: string): number {
    return Math.max(0, ...this.limiters.map((l) => l.when(key)));
  }
  forget(key: string): void {
    for (const l of this.limiters) l.forget(key);
  }
  retries(key: string): number {
    return Math.max(0, ...this.limiters.map((l) => l.retries(key)));
  }
}

export function defaultRateLimiter(clock: Clock): RateLimiter {
  return new MaxOfLimiter(new ExponentialBackoffLimiter(5, 1_000_000), new TokenBucketLimiter(clock, 10, 100));
}
