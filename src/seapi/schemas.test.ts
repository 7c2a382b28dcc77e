import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { validateHeartbeat } from './schemas.js';

const hb = { bootID: 'b', sequence: 1, sentAt: '2026-01-01T00:00:00Z', agentVersion: '0', applied: { version: 1, hash: 'h' }, vips: [], se: { cpuPercent: 0, memoryBytes: 0 } };

describe('heartbeat schema: witness probes', () => {
  it('a heartbeat without probes, or with well-formed ones, is accepted', () => {
    assert.equal(validateHeartbeat(hb), true);
    assert.equal(validateHeartbeat({ ...hb, probes: [{ se: 'ns/a', address: '198.18.20.5', up: false, reason: 'timeout' }, { se: 'ns/a', address: '198.18.20.6', up: true }] }), true);
  });
  it('malformed or oversized probes are refused', () => {
    assert.equal(validateHeartbeat({ ...hb, probes: [{ se: 'ns/a', address: '198.18.20.5', up: 'yes' }] }), false);
    assert.equal(validateHeartbeat({ ...hb, probes: [{ se: 'ns/a', up: true }] }), false);
    assert.equal(validateHeartbeat({ ...hb, probes: Array.from({ length: 65 }, () => ({ se: 'ns/a', address: '198.18.20.5', up: true })) }), false);
    assert.equal(validateHeartbeat({ ...hb, probes: [{ se: 'ns/a', address: '198.18.20.5', up: false, reason: 'x'.repeat(257) }] }), false);
  });
});
