// The config gate: hostile strings anywhere a string reaches haproxy.cfg are refused before
// rendering; the error names the field, never echoes the value.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { SEConfig } from '../seapi/protocol.js';
import { GOLDEN_DIR } from './haproxy/golden.js';
import { validateSEConfig } from './validate.js';

const fixture = (name: string): SEConfig => JSON.parse(readFileSync(`${GOLDEN_DIR}${name}.json`, 'utf8')) as SEConfig;

/** Strings that would break out of a directive, start a comment or a new line, or expand something. */
const HOSTILE = [
  'x\n    stats enable',
  'x\r\nbind :1',
  'a b',
  'x#comment',
  "x' or '1",
  'x"y',
  '${HOME}',
  'x\\ny',
  'x\u0000y',
  '/x;bind 0.0.0.0:22',
  '\u2028',
];

function expectRejected(mutate: (c: SEConfig, s: string) => void, field: RegExp, base = 'http-monitor-algorithms'): void {
  for (const s of HOSTILE) {
    const cfg = fixture(base);
    mutate(cfg, s);
    const v = validateSEConfig(cfg);
    assert.equal(v.ok, false, `accepted ${JSON.stringify(s)}`);
    if (!v.ok) {
      assert.match(v.error, field);
      assert.ok(!v.error.includes(s), 'the error echoes the hostile value');
    }
  }
}

describe('validateSEConfig', () => {
  it('accepts every golden fixture', () => {
    for (const name of ['empty', 'http-roundrobin', 'tcp-leastconn-monitor', 'http-monitor-algorithms', 'tls-draining-udp']) {
      const v = validateSEConfig(fixture(name));
      assert.ok(v.ok, v.ok ? '' : `${name}: ${v.error}`);
    }
  });

  it('refuses hostile HTTP monitor paths and codes', () => {
    expectRejected((c, s) => { c.vips[0]!.pool.healthMonitor!.httpPath = `/ok${s}`; }, /httpPath/);
    expectRejected((c, s) => { c.vips[0]!.pool.healthMonitor!.expectedCodes = `200${s}`; }, /expectedCodes/);
    for (const codes of ['600', '99', '200-', '399-200', '2xx']) {
      const c = fixture('http-monitor-algorithms');
      c.vips[0]!.pool.healthMonitor!.expectedCodes = codes;
      assert.equal(validateSEConfig(c).ok, false, codes);
    }
  });

  it('refuses addresses that are not IPs', () => {
    expectRejected((c, s) => { c.vips[0]!.address = `127.0.0.1${s}`; }, /address/);
    expectRejected((c, s) => { c.vips[0]!.pool.members[0]!.ip = `20.0.0.8${s}`; }, /ip/);
    for (const bad of ['999.1.1.1', '1.2.3', '::g', 'localhost', '']) {
      const c = fixture('http-monitor-algorithms');
      c.vips[0]!.address = bad;
      assert.equal(validateSEConfig(c).ok, false, bad);
    }
  });

  it('refuses hostile names (they become proxy names)', () => {
    expectRejected((c, s) => { c.vips[0]!.id = `lbop-test/shop/vip0${s}`; }, /\/vips\/0\/id/);
    expectRejected((c, s) => { c.serviceEngine.name = `se${s}`; }, /serviceEngine/);
    expectRejected((c, s) => { c.vips[0]!.pool.name = `lbop-test/p${s}`; }, /pool\/name/);
  });

  it('refuses TLS material that is not PEM, or a key that is not the certificate\'s', () => {
    expectRejected((c, s) => { c.vips[0]!.listeners[0]!.tls!.certificate = `${s}\n${c.vips[0]!.listeners[0]!.tls!.certificate}`; }, /certificate/, 'tls-draining-udp');
    const c = fixture('tls-draining-udp');
    c.vips[0]!.listeners[0]!.tls!.privateKey = c.vips[0]!.listeners[0]!.tls!.privateKey.replace('-----END', 'crt /etc/shadow\n-----END');
    assert.equal(validateSEConfig(c).ok, false);
    const other = fixture('tls-draining-udp');
    // A well-formed PEM key that is not the certificate's.
    other.vips[0]!.listeners[0]!.tls!.privateKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const v = validateSEConfig(other);
    assert.equal(v.ok, false);
    if (!v.ok) assert.match(v.error, /does not belong/);
    if (!v.ok) assert.doesNotMatch(v.error, /PRIVATE|BEGIN/);
  });

  it('refuses unknown fields, out-of-range numbers and duplicates', () => {
    const extra = fixture('http-roundrobin') as unknown as { vips: Record<string, unknown>[] };
    extra.vips[0]!['rawConfig'] = 'stats enable';
    assert.equal(validateSEConfig(extra).ok, false);
    const port = fixture('http-roundrobin');
    port.vips[0]!.listeners[0]!.port = 70000;
    assert.equal(validateSEConfig(port).ok, false);
    const dup = fixture('http-roundrobin');
    dup.vips[0]!.pool.members.push({ ...dup.vips[0]!.pool.members[0]! });
    assert.match((validateSEConfig(dup) as { error: string }).error, /duplicates/);
    const twice = fixture('http-roundrobin');
    twice.vips.push({ ...twice.vips[0]!, id: 'lbop-test/vs1/vip1' });
    assert.match((validateSEConfig(twice) as { error: string }).error, /twice/);
    assert.equal(validateSEConfig('not an object').ok, false);
    const v = validateSEConfig({ ...fixture('empty'), hash: 'zz' });
    assert.equal(v.ok ? undefined : v.version, 1, 'the version of a rejected config is still reported');
  });
});
