// What the SE controller remembers per SE (by uid) between reconciles. Losing it (a restart, a
// new leader) is safe: each entry only makes the controller more careful for a while.
//   boot failures      — backoff before the next boot (2 s doubling to 5 min) and the fault text;
//   removals           — a data vNIC found unneeded is removed only on a list taken after that;
//   uncertain creates  — a create with no clear answer is not re-sent before a fresh list;
//   boot sent          — when the boot request went out (the boot-time histogram).
import type { CloudView } from '../../cloud/index.js';
import type { SEMetrics } from './metrics.js';
import type { SEAction } from './plan.js';
import { BootRefs } from './bootrefs.js';

const BOOT_BACKOFF_MS = 2_000;
const BOOT_BACKOFF_MAX_MS = 300_000;

/**
 * A data vNIC is removed only on an observation listed AFTER it was found unneeded: a VIP
 * instance-ip or floating IP made a moment ago (not yet in the view) must keep it.
 */
export const REMOVALS = new Set<SEAction['kind']>(['DetachDataPort', 'DeleteDataPort']);
/** Creates whose outcome may be unknown (the object may exist): adopted on the next list. */
export const CREATES = new Set<SEAction['kind']>(['CreateManagementPort', 'BootServer', 'CreateDataPort']);

interface BootFailures { count: number; retryAt: number; fault: string }

/** Whether a planned action may go now, and if not, what to wait for. */
export type Gate = { go: true } | { go: false; backoffMs: number } | { go: false; awaitList: true };

export class SEMemory {
  private readonly bootSentAt = new Map<string, number>();
  private readonly failures = new Map<string, BootFailures>();
  private readonly removalsSince = new Map<string, number>();
  private readonly uncertainSince = new Map<string, number>();

  /** Image/flavor overrides given by name, resolved to ids on lists kept per Cloud. */
  readonly bootRefs: BootRefs;

  constructor(readonly metrics: SEMetrics, private readonly nowMs: () => number) {
    this.bootRefs = new BootRefs(nowMs);
  }

  forget(uid: string): void {
    for (const m of [this.bootSentAt, this.failures, this.removalsSince, this.uncertainSince]) m.delete(uid);
  }

  /** Nova's fault message of the last failed boot, kept until a boot succeeds. */
  fault(uid: string): string | undefined {
    return this.failures.get(uid)?.fault;
  }

  gate(uid: string, a: SEAction, view: CloudView, deleting: boolean): Gate {
    if (a.kind === 'BootServer') {
      const f = this.failures.get(uid);
      if (f !== undefined && this.nowMs() < f.retryAt) return { go: false, backoffMs: f.retryAt - this.nowMs() };
    }
    if (!deleting && REMOVALS.has(a.kind)) {
      const since = this.removalsSince.get(uid) ?? view.generation;
      this.removalsSince.set(uid, since);
      if (!view.listedSince(since)) return { go: false, awaitList: true };
    }
    if (CREATES.has(a.kind)) {
      const since = this.uncertainSince.get(uid);
      if (since !== undefined && !view.listedSince(since)) return { go: false, awaitList: true };
      this.uncertainSince.delete(uid);
    }
    return { go: true };
  }

  sending(uid: string, a: SEAction): void {
    if (a.kind === 'BootServer') this.bootSentAt.set(uid, this.nowMs());
  }

  /** A create failed without a clear answer: wait for a list taken after now. */
  uncertain(uid: string, view: CloudView): void {
    this.uncertainSince.set(uid, view.generation);
  }

  /** Records a failed boot; returns the delay before the next one. */
  bootFailed(uid: string, cloud: string, fault: string): number {
    this.metrics.bootFailures.inc({ cloud });
    const count = (this.failures.get(uid)?.count ?? 0) + 1;
    const delay = Math.min(BOOT_BACKOFF_MAX_MS, BOOT_BACKOFF_MS * 2 ** (count - 1));
    this.failures.set(uid, { count, retryAt: this.nowMs() + delay, fault });
    return delay;
  }

  booted(uid: string): void {
    this.failures.delete(uid);
  }

  /** The Booted condition just turned True: observe the boot time once. */
  observeBoot(uid: string, cloud: string): void {
    const sent = this.bootSentAt.get(uid);
    if (sent !== undefined) this.metrics.bootSeconds.observe({ cloud }, (this.nowMs() - sent) / 1000);
    this.bootSentAt.delete(uid);
  }

  /** Nothing is waiting to be removed any more: the next removal starts a new wait. */
  removalsSettled(uid: string): void {
    this.removalsSince.delete(uid);
  }
}
