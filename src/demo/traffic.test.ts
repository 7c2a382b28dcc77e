import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeBurst, sesServing, type Burst } from './traffic.js';

const burst = (split: Burst['split'], failures = 0): Burst => ({
  load: {
    requests: 300, failures, errors: { connect: 0, read: failures, write: 0, status: 0, timeout: 0 }, perServer: { '198.18.30.3': 300 },
    seconds: 0.1, requestsPerSecond: 3000, latencyUs: { p50: 900, p99: 4800, max: 9000 },
  },
  split,
});

describe('demo traffic figures', () => {
  it('prints requests, failures, who answered and each SE\'s share', () => {
    const lines = describeBurst(burst([{ se: 'default-se-0', sessions: 100 }, { se: 'default-se-1', sessions: 50 }, { se: 'default-se-2', sessions: 50 }], 2));
    assert.match(lines[0] ?? '', /^ {2}300 requests answered \(pool server 198\.18\.30\.3: 300\), 2 failed \(read 2\) — 3000 req\/s, latency p50 0\.9 ms p99 4\.8 ms$/);
    assert.match(lines[2] ?? '', /^ {4}default-se-0\s+100\s+50%\s+#{13}$/);
    assert.match(lines[3] ?? '', /^ {4}default-se-1\s+50\s+25%/);
    assert.equal(lines.length, 5);
  });

  it('says when an SE\'s HAProxy did not answer, and counts only SEs that took a share', () => {
    const b = burst([{ se: 'a', sessions: 10 }, { se: 'b', sessions: undefined }, { se: 'c', sessions: 0 }]);
    assert.match(describeBurst(b)[3] ?? '', /did not answer/);
    assert.equal(sesServing(b), 1);
  });
});
