import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { startHealthServer } from './health.js';
import { runtimeMetrics } from './metrics.js';

test('healthz, readyz with failing checks listed, and metrics', async () => {
  const registry = new Registry();
  runtimeMetrics(registry).leaderStatus.set({ name: 'x' }, 1);
  let synced = false;
  const h = await startHealthServer({
    registry,
    checks: { caches: () => synced || 'configmaps not synced', leader: () => true },
  });
  try {
    assert.match(h.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await fetch(`${h.url}/healthz`)).status, 200);
    const notReady = await fetch(`${h.url}/readyz`);
    assert.equal(notReady.status, 503);
    assert.match(await notReady.text(), /caches: configmaps not synced/);
    synced = true;
    assert.equal((await fetch(`${h.url}/readyz`)).status, 200);
    const m = await fetch(`${h.url}/metrics`);
    assert.equal(m.status, 200);
    assert.match(await m.text(), /leader_election_master_status\{name="x"\} 1/);
    assert.equal((await fetch(`${h.url}/nope`)).status, 404);
  } finally {
    await h.close();
  }
});
