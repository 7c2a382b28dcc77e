// Every renderer golden through HAProxy's own parser (`haproxy -c -f`), with its TLS files written
// where the golden names them (under a temporary state dir instead of the default one).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { SEConfig } from '../../src/seapi/protocol.js';
import { GOLDEN_DIR, GOLDEN_PATHS, GOLDEN_STATE_DIR, goldenNames } from '../../src/agent/haproxy/golden.js';
import { render } from '../../src/agent/haproxy/render.js';

const run = promisify(execFile);

describe('renderer goldens are valid HAProxy 2.6 configs', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lbop-golden-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const name of goldenNames()) {
    it(`haproxy -c accepts ${name}.cfg`, async () => {
      const stateDir = join(dir, name);
      await mkdir(join(stateDir, 'tls'), { recursive: true });
      const golden = await readFile(`${GOLDEN_DIR}${name}.cfg`, 'utf8');
      const config = JSON.parse(await readFile(`${GOLDEN_DIR}${name}.json`, 'utf8')) as SEConfig;
      for (const f of render(config, GOLDEN_PATHS).certFiles) {
        await writeFile(f.path.replace(GOLDEN_STATE_DIR, stateDir), f.content, { mode: 0o600 });
      }
      const file = join(stateDir, 'haproxy.cfg');
      await writeFile(file, golden.replaceAll(GOLDEN_STATE_DIR, stateDir));
      const { stdout } = await run('haproxy', ['-c', '-f', file]);
      assert.match(stdout, /Configuration file is valid/);
    });
  }

  it('the data-path health frontend (--health-check-port) is valid and answers only its URI', async () => {
    const stateDir = join(dir, 'health');
    await mkdir(join(stateDir, 'tls'), { recursive: true });
    const config = JSON.parse(await readFile(`${GOLDEN_DIR}http-roundrobin.json`, 'utf8')) as SEConfig;
    const paths = { ...GOLDEN_PATHS, healthCheck: { port: 8404 } };
    const text = render(config, paths).text;
    assert.match(text, /frontend lbop-health\n {4}mode http\n {4}bind :8404\n {4}monitor-uri \/lbop-health\n/);
    assert.doesNotMatch(render(config, GOLDEN_PATHS).text, /lbop-health/, 'off unless asked for');
    const file = join(stateDir, 'haproxy.cfg');
    await writeFile(file, text.replaceAll(GOLDEN_STATE_DIR, stateDir));
    const { stdout } = await run('haproxy', ['-c', '-f', file]);
    assert.match(stdout, /Configuration file is valid/);
  });

  it('haproxy -c rejects what the validator exists to stop (the check can fail)', async () => {
    const file = join(dir, 'injected.cfg');
    await writeFile(file, 'defaults\n    mode tcp\nbackend b\n    option httpchk GET /x\n    bogus-directive yes\n');
    await assert.rejects(run('haproxy', ['-c', '-f', file]), /unknown keyword 'bogus-directive'/);
  });
});
