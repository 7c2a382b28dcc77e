import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { noTrafficReason } from './demo.js';

describe('demo: traffic or placement only', () => {
  it('serves traffic only as root on Linux, and says why not in one line otherwise', () => {
    assert.equal(noTrafficReason(false, 'linux', 0), undefined);
    const notRoot = noTrafficReason(false, 'linux', 1000) ?? '';
    assert.match(notRoot, /needs root/);
    assert.doesNotMatch(notRoot, /\n/);
    assert.match(noTrafficReason(false, 'darwin', 0) ?? '', /needs root/);
    assert.match(noTrafficReason(true, 'linux', 0) ?? '', /--no-traffic/);
  });
});
