import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CA_SECRET, parseSEApiConfig } from './config.js';

describe('parseSEApiConfig', () => {
  test('defaults: 127.0.0.1:9443, the CA Secret made on first start, 1 h certificates, 30 min tokens', () => {
    const c = parseSEApiConfig([], {}, 'lb-system');
    assert.deepEqual(c.addr, { host: '127.0.0.1', port: 9443 });
    assert.deepEqual(c.caSecret, { name: DEFAULT_CA_SECRET, userProvided: false });
    assert.equal(c.namespace, 'lb-system');
    assert.equal(c.clientCertTTLMs, 3600_000);
    assert.equal(c.tokenTTLMs, 1800_000);
    assert.deepEqual(c.serverNames, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  });

  test('flags over environment; other flags are left to run', () => {
    const c = parseSEApiConfig(
      ['--workers', '2', '--se-api-addr=0.0.0.0:9443', '--se-api-san', 'se-api.lb-system.svc', '--se-api-san=10.0.0.5', '--se-api-ca-secret', 'my-ca', '--leader-elect'],
      { LBOP_SE_API_ADDR: '127.0.0.1:1', LBOP_SE_API_CLIENT_CERT_TTL: '600', LBOP_SE_API_SANS: 'ignored.example' },
      'lb-system',
    );
    assert.deepEqual(c.addr, { host: '0.0.0.0', port: 9443 });
    assert.deepEqual(c.serverNames, { dnsNames: ['se-api.lb-system.svc'], ipAddresses: ['10.0.0.5'] });
    assert.deepEqual(c.caSecret, { name: 'my-ca', userProvided: true });
    assert.equal(c.clientCertTTLMs, 600_000);
  });

  test('0 disables; bad values are refused with the flag named', () => {
    assert.equal(parseSEApiConfig(['--se-api-addr', '0'], {}, 'ns').addr, undefined);
    const bad: Array<[string[], RegExp]> = [
      [['--se-api-addr', 'nope'], /--se-api-addr/],
      [['--se-api-san', 'not a name!'], /--se-api-san/],
      [['--se-api-client-cert-ttl', '10'], /--se-api-client-cert-ttl/],
      [['--se-api-token-ttl', 'x'], /--se-api-token-ttl/],
      [['--se-api-ca-secret', 'Bad_Name'], /--se-api-ca-secret/],
      [['--se-api-addr'], /needs a value/],
      [['--se-failure-timeout', '10'], /must be longer than --se-heartbeat-timeout/],
      [['--se-repair-breaker', '101'], /--se-repair-breaker/],
      [['--se-repair-max-in-flight', '-1'], /--se-repair-max-in-flight/],
    ];
    for (const [argv, re] of bad) assert.throws(() => parseSEApiConfig(argv, {}, 'ns'), re);
  });

  test('repair flags: heartbeat and failure timeouts, breaker, replacements in flight', () => {
    const d = parseSEApiConfig([], {}, 'ns');
    assert.deepEqual([d.heartbeatTimeoutMs, d.failureTimeoutMs, d.repairBreakerPercent, d.repairMaxInFlight], [10_000, 60_000, 20, 1]);
    const c = parseSEApiConfig(['--se-heartbeat-timeout', '4', '--se-failure-timeout=15', '--se-repair-breaker', '50', '--se-repair-max-in-flight', '2'], {}, 'ns');
    assert.deepEqual([c.heartbeatTimeoutMs, c.failureTimeoutMs, c.repairBreakerPercent, c.repairMaxInFlight], [4000, 15_000, 50, 2]);
  });
});
