import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { SEConfig } from '../../seapi/protocol.js';
import { GOLDEN_DIR, GOLDEN_PATHS } from './golden.js';
import { planApply } from './plan.js';
import { render } from './render.js';
import { currentWorkers, failedReloads } from './socket.js';

const base = (): SEConfig => JSON.parse(readFileSync(`${GOLDEN_DIR}http-roundrobin.json`, 'utf8')) as SEConfig;
const plan = (a: SEConfig, b: SEConfig) => planApply(render(a, GOLDEN_PATHS), render(b, GOLDEN_PATHS));

describe('planApply', () => {
  it('nothing to do for the same config', () => {
    assert.deepEqual(plan(base(), base()), { kind: 'none' });
  });
  it('member weight and enable/disable go through the Runtime API', () => {
    const next = base();
    next.vips[0]!.pool.members[0]!.weight = 5;
    next.vips[0]!.pool.members[2]!.enabled = true;
    next.version = 9;
    assert.deepEqual(plan(base(), next), {
      kind: 'runtime',
      commands: [
        'set server be:lbop-test:vs1:vip0:http/m_20_0_0_3_80 weight 5',
        'set server be:lbop-test:vs1:vip0:http/m_20_0_0_5_8080 state ready',
      ],
    });
  });
  it('a version bump alone rewrites the file, with no command', () => {
    const next = base();
    next.version = 3;
    assert.deepEqual(plan(base(), next), { kind: 'runtime', commands: [] });
  });
  it('a drain turns on and off through the Runtime API, no reload (an SE still in the ECMP set must not reload)', () => {
    const next = base();
    next.vips[0]!.draining = true;
    const on = plan(base(), next);
    assert.equal(on.kind, 'runtime');
    assert.match(on.kind === 'runtime' ? on.commands.join('\n') : '', /^experimental-mode on; set var proc\.lbop_drain_[0-9a-f]{16} bool\(true\)$/);
    const off = plan(next, base());
    assert.match(off.kind === 'runtime' ? off.commands.join('\n') : '', /bool\(false\)$/);
    // A reload made while draining keeps the drain on (the new worker's variable starts from the file).
    assert.match(render(next, GOLDEN_PATHS).text, /set-var proc\.lbop_drain_[0-9a-f]{16} bool\(true\)/);
  });
  it('anything structural is a reload', () => {
    const mutations: ((c: SEConfig) => void)[] = [
      (c) => c.vips[0]!.pool.members.pop(),
      (c) => { c.vips[0]!.pool.algorithm = 'leastconn'; },
      (c) => { c.vips[0]!.listeners[0]!.port = 81; },
      (c) => { c.vips[0]!.pool.healthMonitor = { type: 'TCP', intervalSeconds: 1, timeoutSeconds: 1, maxRetries: 1 }; },
      (c) => { c.vips = []; },
    ];
    for (const m of mutations) {
      const next = base();
      m(next);
      assert.deepEqual(plan(base(), next), { kind: 'reload' });
    }
    assert.deepEqual(planApply(undefined, render(base(), GOLDEN_PATHS)), { kind: 'reload' });
  });
});

describe('master CLI show proc', () => {
  const out = [
    '#<PID>          <type>          <reloads>       <uptime>        <version>',
    '5347            master          2 [failed: 1]   0d00h10m25s     2.6.12-1+deb12u4',
    '# workers',
    '7135            worker          0               0d00h00m06s     2.6.12-1+deb12u4',
    '# old workers',
    '5503            worker          1               0d00h10m09s     2.6.12-1+deb12u4',
    '# programs',
    '',
  ].join('\n');
  it('lists the current workers only, and the failed reloads', () => {
    assert.deepEqual(currentWorkers(out), [7135]);
    assert.equal(failedReloads(out), 1);
  });
});
