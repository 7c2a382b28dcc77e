// Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection package:
// - a candidate takes the lease only when the holder's record has not changed for a whole
//   lease duration by this process's own clock (never by the holder's timestamps: clocks skew);
// - the leader renews every retry period and gives up leadership — stopping work at once —
//   when it has not renewed for the renew deadline, which is shorter than the lease duration,
//   so it stops before anyone else may start;
// - a standby polls the held lease every quarter retry period and wakes exactly when the lease
//   would expire: the takeover after a leader dies is then at most the lease duration plus a
//   quarter retry period (plus one request), not lease + two whole retry periods as with a poll
//   every retry period (campaignDelayMs);
// - on graceful shutdown the leader releases the lease so a successor need not wait.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Registry } from 'prom-client';
import type winston from 'winston';
import { realClock, sleep, type Clock } from './clock.js';
import { isConflict, isNotFound, isStatus, type KubeClient } from './kube.js';
import { silentLogger } from './log.js';
import { runtimeMetrics } from './metrics.js';

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec?: LeaseSpec;
}

export interface LeaderElectionOptions {
  client: KubeClient;
  namespace: string;
  name: string;
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  clock?: Clock;
  logger?: winston.Logger;
  registry?: Registry;
}

export type LeaderState = 'unknown' | 'standby' | 'leader';

const microTime = (ms: number): string => new Date(ms).toISOString().replace(/Z$/, '000Z');

/**
 * Whether another holder still owns the lease: judged from when this process last saw the
 * record change (observedAt, local clock), never from the holder's renewTime. Pure.
 */
export function heldByOther(spec: LeaseSpec, identity: string, observedAt: number, now: number, defaultLeaseMs: number): boolean {
  const holder = spec.holderIdentity ?? '';
  const durationMs = (spec.leaseDurationSeconds ?? defaultLeaseMs / 1000) * 1000;
  return holder !== '' && holder !== identity && observedAt + durationMs > now;
}

/** The spec this candidate writes to take or renew the lease. Pure. */
export function nextLeaseSpec(prev: LeaseSpec | undefined, identity: string, now: number, leaseMs: number): LeaseSpec {
  const mine = prev?.holderIdentity === identity;
  return {
    holderIdentity: identity,
    leaseDurationSeconds: Math.ceil(leaseMs / 1000),
    acquireTime: mine && prev?.acquireTime ? prev.acquireTime : microTime(now),
    renewTime: microTime(now),
    leaseTransitions: (prev?.leaseTransitions ?? 0) + (mine || !prev?.holderIdentity ? 0 : 1),
  };
}

/**
 * How long a candidate waits before its next attempt. Pure.
 * Why a standby polls faster than the leader renews: the expiry it judges by is observedAt + duration,
 * and observedAt is when *it* saw the last renewal — up to one poll late. Polling every retry period
 * put that error (one period) on top of the wait for the next poll after the expiry (one more), so a
 * takeover after a SIGKILL took up to lease + 2.4 × retry. A quarter-period poll bounds the first
 * error by retry/4 × jitter, and waking at the expiry itself removes the second.
 */
export function campaignDelayMs(o: { heldByOther: boolean; observedAt: number; durationMs: number; now: number; retryMs: number; jitter: number }): number {
  if (!o.heldByOther) return o.retryMs * o.jitter;
  const poll = (o.retryMs / 4) * o.jitter;
  const untilExpiry = Math.max(0, o.observedAt + o.durationMs - o.now);
  return Math.min(poll, untilExpiry);
}

export function defaultIdentity(): string {
  return `${hostname()}_${randomBytes(4).toString('hex')}`;
}

export class LeaderElector {
  readonly identity: string;
  private readonly clock: Clock;
  private readonly log: winston.Logger;
  private readonly leaseMs: number;
  private readonly renewMs: number;
  private readonly retryMs: number;
  private observed: LeaseSpec | undefined;
  private observedAt = 0;
  private observedRV: string | undefined;
  private st: LeaderState = 'unknown';
  private readonly path: string;

  constructor(private readonly o: LeaderElectionOptions) {
    this.identity = o.identity ?? defaultIdentity();
    this.clock = o.clock ?? realClock;
    this.log = (o.logger ?? silentLogger()).child({ lease: `${o.namespace}/${o.name}`, identity: this.identity });
    this.leaseMs = o.leaseDurationMs ?? 15_000;
    this.renewMs = o.renewDeadlineMs ?? 10_000;
    this.retryMs = o.retryPeriodMs ?? 2_000;
    if (!(this.renewMs < this.leaseMs)) throw new Error('leader election: renew deadline must be shorter than the lease duration');
    this.path = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(o.namespace)}/leases/${encodeURIComponent(o.name)}`;
    this.setState('unknown');
  }

  state(): LeaderState {
    return this.st;
  }

  /** The holder as last observed (may be this process). */
  observedLeader(): string | undefined {
    return this.observed?.holderIdentity || undefined;
  }

  /**
   * Campaigns until elected, runs lead(signal) while leading, and returns when leadership is
   * lost or `stop` aborts. lead's signal aborts the moment leadership ends; the promise lead
   * returns should settle once its work has stopped: on a graceful stop the lease is released
   * only after that, so a successor never overlaps with work still finishing here.
   */
  async run(stop: AbortSignal, lead: (signal: AbortSignal) => Promise<void> | void): Promise<'lost' | 'stopped'> {
    while (!stop.aborted) {
      if (await this.tryAcquireOrRenew(stop)) break;
      await sleep(this.clock, this.nextCampaignDelay(), stop);
    }
    if (stop.aborted) return 'stopped';
    this.log.info('became leader');
    const leading = new AbortController();
    this.setState('leader');
    const work = lead(leading.signal);
    let lastRenew = this.clock.now();
    let outcome: 'lost' | 'stopped' = 'stopped';
    while (!stop.aborted) {
      await sleep(this.clock, this.retryMs, stop);
      if (stop.aborted) break;
      const ok = await this.tryAcquireOrRenew(stop, this.renewMs - (this.clock.now() - lastRenew));
      if (ok) lastRenew = this.clock.now();
      else if (this.clock.now() - lastRenew >= this.renewMs || (this.observed?.holderIdentity ?? '') !== this.identity) {
        outcome = 'lost';
        break;
      }
    }
    leading.abort(new Error(outcome === 'lost' ? 'leadership lost' : 'stopping'));
    this.setState(outcome === 'lost' ? 'standby' : 'unknown');
    if (outcome === 'lost') this.log.error('leadership lost: stopping work');
    else {
      await work;
      await this.release();
    }
    return outcome;
  }

  /** Gives the lease up so a successor can take it at once (only if still ours). */
  async release(): Promise<void> {
    try {
      const lease = await this.o.client.get<Lease>(this.path, { timeoutMs: 5000 });
      if (lease.spec?.holderIdentity !== this.identity) return;
      const now = this.clock.now();
      lease.spec = { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(now), acquireTime: microTime(now) };
      await this.o.client.replace(this.path, lease, { timeoutMs: 5000 });
      this.log.info('lease released');
    } catch (e) {
      this.log.warn('could not release lease', { error: (e as Error).message });
    }
  }

  private nextCampaignDelay(): number {
    const spec = this.observed ?? {};
    const now = this.clock.now();
    return campaignDelayMs({
      heldByOther: heldByOther(spec, this.identity, this.observedAt, now, this.leaseMs),
      observedAt: this.observedAt,
      durationMs: (spec.leaseDurationSeconds ?? this.leaseMs / 1000) * 1000,
      now,
      retryMs: this.retryMs,
      jitter: 1 + 0.2 * Math.random(),
    });
  }

  private setState(s: LeaderState): void {
    this.st = s;
    runtimeMetrics(this.o.registry).leaderStatus.set({ name: this.o.name }, s === 'leader' ? 1 : 0);
  }

  /** One attempt; true when this process holds the lease afterwards. */
  private async tryAcquireOrRenew(stop: AbortSignal, budgetMs = this.retryMs * 5): Promise<boolean> {
    const now = (): number => this.clock.now();
    const timeoutMs = Math.max(500, budgetMs);
    try {
      let lease: Lease;
      try {
        lease = await this.o.client.get<Lease>(this.path, { signal: stop, timeoutMs });
      } catch (e) {
        if (!isNotFound(e)) throw e;
        const fresh: Lease = {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.o.name, namespace: this.o.namespace },
          spec: nextLeaseSpec(undefined, this.identity, now(), this.leaseMs),
        };
        const created = await this.o.client.create<Lease>(this.path.replace(/\/[^/]+$/, ''), fresh, { signal: stop, timeoutMs });
        this.observe(created, now());
        return true;
      }
      const spec = lease.spec ?? {};
      if (!isDeepStrictEqual(spec, this.observed) || lease.metadata.resourceVersion !== this.observedRV) this.observe(lease, now());
      if (heldByOther(spec, this.identity, this.observedAt, now(), this.leaseMs)) {
        if (this.st === 'unknown') this.setState('standby');
        return false;
      }
      lease.spec = nextLeaseSpec(spec, this.identity, now(), this.leaseMs);
      const updated = await this.o.client.replace<Lease>(this.path, lease, { signal: stop, timeoutMs });
      this.observe(updated, now());
      return true;
    } catch (e) {
      if (!isConflict(e) && !isStatus(e, 409)) this.log.warn('lease update failed', { error: (e as Error).message });
      return false;
    }
  }

  private observe(lease: Lease, at: number): void {
    this.observed = lease.spec ?? {};
    this.observedRV = lease.metadata.resourceVersion;
    this.observedAt = at;
  }
}
