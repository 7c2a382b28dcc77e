import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cidrContainsIP, isCIDR, isIP, isURLWithScheme } from './ip.js';

describe('isIP (Kubernetes CEL semantics)', () => {
  for (const s of ['20.0.0.3', '0.0.0.0', '255.255.255.255', '::1', '2001:db8::1', 'fe80::1:2:3:4', '1:2:3:4:5:6:7:8']) {
    it(`accepts ${s}`, () => assert.equal(isIP(s), true));
  }
  for (const s of ['300.1.1.1', '1.2.3', '01.2.3.4', '1.2.3.4 ', 'fe80::1%eth0', '::ffff:1.2.3.4', '::ffff:102:304', 'abc', '', '1.2.3.4/24']) {
    it(`refuses ${JSON.stringify(s)}`, () => assert.equal(isIP(s), false));
  }
});

describe('isCIDR and containsIP', () => {
  it('accepts prefixes, host bits allowed', () => {
    for (const s of ['19.1.1.0/24', '19.1.1.7/24', '0.0.0.0/0', '2001:db8::/32', '10.0.0.0/32']) assert.equal(isCIDR(s), true, s);
  });
  it('refuses bad prefixes', () => {
    for (const s of ['19.1.1.0/33', '19.1.1.0', '19.1.1.0/024', '19.1.1.0/-1', '2001:db8::/129', 'x/24', '19.1.1.0/2 4']) assert.equal(isCIDR(s), false, s);
  });
  it('tests containment per family', () => {
    assert.equal(cidrContainsIP('19.1.1.0/24', '19.1.1.255'), true);
    assert.equal(cidrContainsIP('19.1.1.0/24', '19.1.2.0'), false);
    assert.equal(cidrContainsIP('19.1.1.0/25', '19.1.1.128'), false);
    assert.equal(cidrContainsIP('10.0.0.0/8', '10.255.1.1'), true);
    assert.equal(cidrContainsIP('0.0.0.0/0', '8.8.8.8'), true);
    assert.equal(cidrContainsIP('2001:db8::/64', '2001:db8::ffff'), true);
    assert.equal(cidrContainsIP('2001:db8::/64', '2001:db8:0:1::1'), false);
    assert.equal(cidrContainsIP('19.1.1.0/24', '::1'), false);
    assert.equal(cidrContainsIP('19.1.1.0/20', '19.1.15.1'), true);
    assert.equal(cidrContainsIP('19.1.1.0/20', '19.1.16.1'), false);
  });
});

describe('isURL with scheme', () => {
  it('accepts http and https URLs', () => {
    assert.equal(isURLWithScheme('https://keystone:5000/v3', ['http', 'https']), true);
    assert.equal(isURLWithScheme('http://127.0.0.1:8082', ['http', 'https']), true);
  });
  it('refuses other schemes and non-URLs', () => {
    for (const s of ['ftp://x', 'not a url', 'keystone:5000/v3', '/v3', '']) assert.equal(isURLWithScheme(s, ['http', 'https']), false, s);
  });
});
