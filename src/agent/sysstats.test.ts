import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAgentFlags } from './flags.js';
import { jittered } from './report.js';
import { parseCpu, parseMemUsed } from './sysstats.js';

describe('SE stats from /proc', () => {
  it('CPU busy and total jiffies; memory = MemTotal − MemAvailable', () => {
    assert.deepEqual(parseCpu('cpu  100 5 50 800 20 1 2 3 0 0\ncpu0 1 2 3 4\n'), { busy: 161, total: 981 });
    assert.equal(parseMemUsed('MemTotal:       2000 kB\nMemFree:  100 kB\nMemAvailable:    500 kB\n'), 1500 * 1024);
  });
});

describe('heartbeat jitter', () => {
  it('stays within ±10 % of the interval', () => {
    assert.equal(jittered(2000, () => 0), 1800);
    assert.equal(jittered(2000, () => 0.5), 2000);
    assert.equal(jittered(2000, () => 0.9999999), 2200);
  });
});

describe('se-agent flags', () => {
  it('defaults to the config drive and the standard state dir', () => {
    const f = parseAgentFlags([]);
    assert.deepEqual(f.source, { configDrive: '/mnt/config' });
    assert.equal(f.stateDir, '/var/lib/contrail-lb-se');
  });
  it('static mode excludes a bootstrap source; a namespace name is checked', () => {
    assert.throws(() => parseAgentFlags(['--static-config', 'x.json', '--metadata-url', 'http://127.0.0.1:1']), /excludes/);
    assert.throws(() => parseAgentFlags(['--netns', 'a b']), /namespace/);
    assert.equal(parseAgentFlags(['--netns=lbop-1-se', '--static-config', 'c.json']).netns, 'lbop-1-se');
  });
});
