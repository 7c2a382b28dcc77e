// Jittered exponential backoff for reconnecting watches (client-go: 800 ms → 30 s), reset
// after the connection has been healthy for a while.
export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  factor?: number;
  /** Fraction of the delay added at random (0.5 → up to +50 %). */
  jitter?: number;
  /** A failure after this long of health starts again from initialMs. */
  resetAfterMs?: number;
  random?: () => number;
}

export class Backoff {
  private current: number;
  private readonly o: Required<BackoffOptions>;

  constructor(opts: BackoffOptions = {}) {
    this.o = {
      initialMs: 800,
      maxMs: 30_000,
      factor: 2,
      jitter: 0.5,
      resetAfterMs: 120_000,
      random: Math.random,
      ...opts,
    };
    this.current = this.o.initialMs;
  }

  /** The next delay; healthyForMs is how long things worked before this failure. */
  next(healthyForMs = 0): number {
    if (healthyForMs >= this.o.resetAfterMs) this.current = this.o.initialMs;
    const base = this.current;
    this.current = Math.min(this.o.maxMs, this.current * this.o.factor);
    return Math.min(this.o.maxMs, base * (1 + this.o.jitter * this.o.random()));
  }

  reset(): void {
    this.current = this.o.initialMs;
  }
}
