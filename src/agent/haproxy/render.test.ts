// Golden configs: SEConfig fixtures rendered and compared byte for byte (UPDATE_GOLDEN=1 rewrites
// them). test/agent/golden.test.ts runs every golden through `haproxy -c`.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { SEConfig } from '../../seapi/protocol.js';
import { validateSEConfig } from '../validate.js';
import { GOLDEN_DIR, GOLDEN_PATHS, goldenNames } from './golden.js';
import { render } from './render.js';

describe('render (golden)', () => {
  for (const name of goldenNames()) {
    it(name, () => {
      const input = JSON.parse(readFileSync(`${GOLDEN_DIR}${name}.json`, 'utf8')) as unknown;
      const v = validateSEConfig(input);
      assert.ok(v.ok, v.ok ? '' : v.error);
      const out = render(v.config, GOLDEN_PATHS);
      const goldenPath = `${GOLDEN_DIR}${name}.cfg`;
      if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(goldenPath, out.text);
      assert.equal(out.text, readFileSync(goldenPath, 'utf8'));
    });
  }

  it('keeps TLS material out of haproxy.cfg (only a 0600 file path)', () => {
    const cfg = JSON.parse(readFileSync(`${GOLDEN_DIR}tls-draining-udp.json`, 'utf8')) as SEConfig;
    const out = render(cfg, GOLDEN_PATHS);
    assert.doesNotMatch(out.text, /PRIVATE KEY|BEGIN CERTIFICATE/);
    assert.equal(out.certFiles.length, 1);
    assert.match(out.certFiles[0]?.content ?? '', /BEGIN CERTIFICATE[\s\S]*PRIVATE KEY/);
    assert.match(out.text, new RegExp(`ssl crt ${out.certFiles[0]?.path}`));
  });

  it('structure leaves out only weights and admin state', () => {
    const cfg = JSON.parse(readFileSync(`${GOLDEN_DIR}http-roundrobin.json`, 'utf8')) as SEConfig;
    const a = render(cfg, GOLDEN_PATHS);
    const changed = structuredClone(cfg);
    const m = changed.vips[0]?.pool.members[0];
    assert.ok(m !== undefined);
    m.weight = 7;
    m.enabled = false;
    const b = render(changed, GOLDEN_PATHS);
    assert.notEqual(a.text, b.text);
    assert.equal(a.structure, b.structure);
  });
});
