// The load generator's bounds (src/sim/dataplane/loadgen.ts) against a real pool server through
// the fabric: it stops at maxRequests well before its duration (wrk alone would sleep out -d),
// and the duration still bounds a load that never reaches its count. Root only.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runLoad } from '../../src/sim/dataplane/loadgen.js';
import { skipReason, startRig, type Rig } from './support.js';

const skip = skipReason();

describe('loadgen: bounded in count and in time', { skip, timeout: 120_000 }, () => {
  let rig: Rig;
  let url = '';
  before(async () => {
    rig = await startRig({ poolServers: ['20.0.0.3'] });
    url = `http://${rig.dp.map.kernelOf('20.0.0.3')}/`;
  });
  after(async () => { await rig?.close(); });

  it('stops at maxRequests, long before its duration', async () => {
    for (const newConnections of [true, false]) {
      const t0 = Date.now();
      const r = await runLoad(rig.dp.client, { url, connections: 4, seconds: 30, maxRequests: 100, newConnections });
      const ms = Date.now() - t0;
      assert.equal(r.failures, 0, JSON.stringify(r.errors));
      // One thread with 4 connections: those in flight when the count is reached may still finish.
      assert.ok(r.requests >= 100 && r.requests <= 104, String(r.requests));
      assert.deepEqual(Object.keys(r.perServer), ['20.0.0.3']);
      assert.ok(ms < 10_000, `took ${ms} ms for 100 requests with -d30s (newConnections ${newConnections})`);
    }
  });

  it('the duration still bounds a count it never reaches', async () => {
    const t0 = Date.now();
    const r = await runLoad(rig.dp.client, { url, connections: 2, seconds: 1, maxRequests: 100_000_000 });
    const ms = Date.now() - t0;
    assert.ok(r.requests > 0 && r.requests < 100_000_000, String(r.requests));
    assert.ok(ms >= 1000 && ms < 10_000, `took ${ms} ms for -d1s`);
  });
});
