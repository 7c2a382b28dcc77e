import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from './clock.js';
import { ExponentialBackoffLimiter, MaxOfLimiter, TokenBucketLimiter, defaultRateLimiter } from './ratelimit.js';
import { WorkQueue } from './workqueue.js';

async function next(q: WorkQueue): Promise<string> {
  const item = await q.get();
  assert.equal(item.shutdown, false);
  return item.key as string;
}

test('a key added many times while waiting is queued once', async () => {
  const q = new WorkQueue({ clock: new FakeClock() });
  for (let i = 0; i < 10; i++) q.add('a');
  q.add('b');
  assert.equal(q.len(), 2);
  assert.equal(await next(q), 'a');
  assert.equal(await next(q), 'b');
  assert.equal(q.len(), 0);
});

test('a key being processed is not handed out again; it is re-queued on done if added meanwhile', async () => {
  const q = new WorkQueue({ clock: new FakeClock() });
  q.add('a');
  const k = await next(q);
  q.add('a');
  q.add('a');
  assert.equal(q.len(), 0, 'not queued while processing');
  let second = false;
  const p = q.get().then((i) => {
    second = true;
    return i;
  });
  await Promise.resolve();
  assert.equal(second, false);
  q.done(k);
  const item = await p;
  assert.deepEqual(item, { key: 'a', shutdown: false });
  q.done('a');
  assert.equal(q.len(), 0);
});

test('done without a new add does not re-queue', async () => {
  const q = new WorkQueue({ clock: new FakeClock() });
  q.add('a');
  q.done(await next(q));
  assert.equal(q.len(), 0);
});

test('waiting workers are woken in order by add', async () => {
  const q = new WorkQueue({ clock: new FakeClock() });
  const got: string[] = [];
  const w1 = q.get().then((i) => got.push(`w1:${i.key}`));
  const w2 = q.get().then((i) => got.push(`w2:${i.key}`));
  q.add('x');
  q.add('y');
  await Promise.all([w1, w2]);
  assert.deepEqual(got, ['w1:x', 'w2:y']);
});

test('addAfter delays a key and keeps the earliest time', async () => {
  const clock = new FakeClock();
  const q = new WorkQueue({ clock });
  q.addAfter('a', 1000);
  q.addAfter('a', 300);
  q.addAfter('a', 5000);
  assert.equal(q.len(), 0);
  clock.advance(299);
  assert.equal(q.len(), 0);
  clock.advance(1);
  assert.equal(q.len(), 1);
  assert.equal(await next(q), 'a');
  clock.advance(10_000);
  assert.equal(q.len(), 0, 'the later timers were cancelled');
});

test('addRateLimited backs off 5 ms doubling per key, forget resets', async () => {
  const clock = new FakeClock();
  const q = new WorkQueue({ clock, rateLimiter: new ExponentialBackoffLimiter(5, 1_000_000) });
  const delays: number[] = [];
  for (let i = 0; i < 4; i++) {
    const t0 = clock.now();
    q.addRateLimited('a');
    for (let waited = 0; q.len() === 0 && waited < 1000; waited++) clock.advance(1);
    delays.push(clock.now() - t0);
    q.done(await next(q));
  }
  assert.deepEqual(delays, [5, 10, 20, 40]);
  assert.equal(q.numRequeues('a'), 4);
  q.forget('a');
  assert.equal(q.numRequeues('a'), 0);
});

test('exponential backoff is capped at 1000 s and keys are independent', () => {
  const l = new ExponentialBackoffLimiter(5, 1_000_000);
  let last = 0;
  for (let i = 0; i < 40; i++) last = l.when('a');
  assert.equal(last, 1_000_000);
  assert.equal(l.when('b'), 5);
  for (let i = 0; i < 2000; i++) l.when('c');
  assert.equal(l.when('c'), 1_000_000, 'no overflow to Infinity/NaN');
});

test('token bucket allows a burst of 100 then 10 per second', () => {
  const clock = new FakeClock();
  const b = new TokenBucketLimiter(clock, 10, 100);
  for (let i = 0; i < 100; i++) assert.equal(b.when(), 0);
  assert.equal(b.when(), 100);
  assert.equal(b.when(), 200);
  clock.advance(1000); // refills 10 tokens, 2 already reserved
  assert.equal(b.when(), 0);
});

test('default limiter is the max of per-key backoff and the global bucket', () => {
  const clock = new FakeClock();
  const l = defaultRateLimiter(clock);
  assert.ok(l instanceof MaxOfLimiter);
  for (let i = 0; i < 100; i++) assert.equal(l.when(`k${i}`), 5);
  assert.equal(l.when('other'), 100, 'bucket exhausted: the bucket delay wins over 5 ms');
  assert.equal(l.when('k0'), 200, 'per-key 10 ms < bucket 200 ms');
});

test('shutdown drains queued keys, then reports shutdown; adds are ignored', async () => {
  const q = new WorkQueue({ clock: new FakeClock() });
  q.add('a');
  q.add('b');
  q.shutdown();
  q.add('c');
  assert.equal(await next(q), 'a');
  assert.equal(await next(q), 'b');
  assert.deepEqual(await q.get(), { key: undefined, shutdown: true });
});

test('shutdown wakes idle workers and drops delayed keys', async () => {
  const clock = new FakeClock();
  const q = new WorkQueue({ clock });
  q.addAfter('later', 100);
  const waiting = q.get();
  q.shutdown();
  assert.deepEqual(await waiting, { key: undefined, shutdown: true });
  assert.equal(clock.pending(), 0);
});

test('shutdownWithDrain resolves once in-flight keys are done', async () => {
  const q = new WorkQueue({ clock: new FakeClock() });
  q.add('a');
  const k = await next(q);
  let drained = false;
  const p = q.shutdownWithDrain().then(() => (drained = true));
  await Promise.resolve();
  assert.equal(drained, false);
  q.done(k);
  await p;
  assert.equal(drained, true);
});

test('metrics hooks see adds, depth, latency, work duration and retries', async () => {
  const clock = new FakeClock();
  const seen = { adds: 0, depth: [] as number[], latency: [] as number[], work: [] as number[], retries: 0 };
  const q = new WorkQueue({
    clock,
    metrics: {
      add: () => seen.adds++,
      depth: (n) => seen.depth.push(n),
      queueLatency: (s) => seen.latency.push(s),
      workDuration: (s) => seen.work.push(s),
      retry: () => seen.retries++,
    },
  });
  q.add('a');
  q.add('a');
  clock.advance(250);
  const k = await next(q);
  clock.advance(500);
  q.done(k);
  q.addRateLimited('a');
  assert.equal(seen.adds, 1);
  assert.deepEqual(seen.depth, [1, 0]);
  assert.deepEqual(seen.latency, [0.25]);
  assert.deepEqual(seen.work, [0.5]);
  assert.equal(seen.retries, 1);
});
