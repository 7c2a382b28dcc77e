import { test } from 'node:test';
import assert from 'node:assert/strict';
import { campaignDelayMs, heldByOther, LeaderElector, nextLeaseSpec, type LeaseSpec } from './leaderelection.js';
import { FakeClock } from './clock.js';
import { ApiError, type KubeClient } from './kube.js';
import { seeded } from '../../test/support/seeded.js';

test('a lease is held by another until a full duration passes after we saw it change', () => {
  const spec = { holderIdentity: 'a', leaseDurationSeconds: 15, renewTime: '1999-01-01T00:00:00.000000Z' };
  // The holder's renewTime is ancient (skewed clock) but we saw it change at t=1000: still held.
  assert.equal(heldByOther(spec, 'b', 1000, 1000 + 14_999, 15_000), true);
  assert.equal(heldByOther(spec, 'b', 1000, 1000 + 15_000, 15_000), false);
  assert.equal(heldByOther(spec, 'a', 1000, 1001, 15_000), false, 'our own lease');
  assert.equal(heldByOther({ ...spec, holderIdentity: '' }, 'b', 1000, 1001, 15_000), false, 'released');
  assert.equal(heldByOther({ holderIdentity: 'a' }, 'b', 0, 2000, 3000), true, 'default duration when unset');
});

test('taking over counts a transition and sets acquireTime; renewing keeps them', () => {
  const t0 = Date.UTC(2026, 0, 1);
  const taken = nextLeaseSpec({ holderIdentity: 'a', leaseTransitions: 2, acquireTime: 'x' }, 'b', t0, 15_000);
  assert.deepEqual(taken, {
    holderIdentity: 'b',
    leaseDurationSeconds: 15,
    acquireTime: '2026-01-01T00:00:00.000000Z',
    renewTime: '2026-01-01T00:00:00.000000Z',
    leaseTransitions: 3,
  });
  const renewed = nextLeaseSpec(taken, 'b', t0 + 2000, 15_000);
  assert.equal(renewed.acquireTime, taken.acquireTime);
  assert.equal(renewed.renewTime, '2026-01-01T00:00:02.000000Z');
  assert.equal(renewed.leaseTransitions, 3);
  assert.equal(nextLeaseSpec(undefined, 'b', t0, 2500).leaseDurationSeconds, 3);
  assert.equal(nextLeaseSpec({ holderIdentity: '' }, 'b', t0, 15_000).leaseTransitions, 0, 'a released lease is no transition');
});

test('a standby polls a quarter retry period and wakes at the expiry itself', () => {
  const base = { observedAt: 10_000, durationMs: 15_000, retryMs: 2000, jitter: 1 };
  assert.equal(campaignDelayMs({ ...base, heldByOther: true, now: 10_000 }), 500, 'a quarter period while the lease is held');
  assert.equal(campaignDelayMs({ ...base, heldByOther: true, now: 24_800 }), 200, 'never past the expiry');
  assert.equal(campaignDelayMs({ ...base, heldByOther: true, now: 25_000 }), 0);
  assert.equal(campaignDelayMs({ ...base, heldByOther: false, now: 10_000, jitter: 1.2 }), 2400, 'a whole jittered period otherwise');
});

/** An in-memory Lease endpoint (resourceVersion checks as the apiserver's) that a candidate can be cut off from, as by SIGKILL. */
class LeaseStore {
  lease: { apiVersion: string; kind: string; metadata: { name: string; namespace: string; resourceVersion: string }; spec?: LeaseSpec } | undefined;
  private rv = 0;
  client(alive: () => boolean): KubeClient {
    const dead = (): Promise<never> => new Promise(() => undefined); // a killed process sends nothing more
    const copy = <T>(x: T): T => structuredClone(x);
    return {
      get: async () => {
        if (!alive()) return dead();
        if (this.lease === undefined) throw new ApiError(404, 'NotFound', 'not found');
        return copy(this.lease);
      },
      create: async (_p: string, body: { metadata: { name: string; namespace: string }; spec?: LeaseSpec }) => {
        if (!alive()) return dead();
        if (this.lease !== undefined) throw new ApiError(409, 'AlreadyExists', 'exists');
        this.lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', ...copy(body), metadata: { ...body.metadata, resourceVersion: String(++this.rv) } };
        return copy(this.lease);
      },
      replace: async (_p: string, body: { metadata: { resourceVersion?: string }; spec?: LeaseSpec }) => {
        if (!alive()) return dead();
        if (body.metadata.resourceVersion !== this.lease?.metadata.resourceVersion) throw new ApiError(409, 'Conflict', 'conflict');
        this.lease = { ...(this.lease as NonNullable<LeaseStore['lease']>), spec: copy(body.spec), metadata: { ...(this.lease as NonNullable<LeaseStore['lease']>).metadata, resourceVersion: String(++this.rv) } };
        return copy(this.lease);
      },
    } as unknown as KubeClient;
  }
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

test('after the leader dies, the standby takes over within lease duration + a quarter retry period', async (t) => {
  const leaseMs = 15_000;
  const retryMs = 2000;
  const rand = seeded(19);
  const takeovers: number[] = [];
  for (let round = 0; round < 12; round++) {
    const clock = new FakeClock();
    const store = new LeaseStore();
    let aAlive = true;
    const opts = { namespace: 'ns', name: 'l', leaseDurationMs: leaseMs, renewDeadlineMs: 10_000, retryPeriodMs: retryMs, clock };
    const a = new LeaderElector({ ...opts, identity: 'a', client: store.client(() => aAlive) });
    const b = new LeaderElector({ ...opts, identity: 'b', client: store.client(() => true) });
    const stop = new AbortController();
    let bLedAt: number | undefined;
    void a.run(stop.signal, () => undefined);
    await flush();
    void b.run(stop.signal, () => {
      bLedAt = clock.now();
    });
    // Run a while with a leading, then kill it at a seeded point within a renew period.
    const killAt = clock.now() + 20_000 + Math.floor(rand() * retryMs);
    while (clock.now() < killAt) {
      clock.advance(10);
      await flush();
    }
    assert.equal(store.lease?.spec?.holderIdentity, 'a', 'a led before the kill');
    assert.equal(bLedAt, undefined, 'b waited while a renewed');
    aAlive = false;
    const killedAt = clock.now();
    while (bLedAt === undefined && clock.now() < killedAt + 3 * leaseMs) {
      clock.advance(10);
      await flush();
    }
    stop.abort();
    await flush();
    assert.ok(bLedAt !== undefined, 'b took over');
    takeovers.push(bLedAt - killedAt);
  }
  const worst = Math.max(...takeovers);
  t.diagnostic(`takeover after the kill (fake clock, lease ${leaseMs} ms, retry ${retryMs} ms): ${Math.min(...takeovers)}–${worst} ms`);
  // Quarter period × the 1.2 jitter (the error in when b saw the last renewal) + the 10 ms steps.
  assert.ok(worst <= leaseMs + (retryMs / 4) * 1.2 + 20, `worst takeover ${worst} ms of ${takeovers.join(', ')}`);
  assert.ok(Math.min(...takeovers) >= leaseMs - retryMs - 20, `no takeover before the lease could have expired: ${takeovers.join(', ')}`);
});
