import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BadRequest, Conflict, errorFromResponse, errorFromTransport, Forbidden, IPExhausted, NotFound, parseServerMessage,
  QuotaExceeded, retryAfterMs, TLSError, Unauthorized, Unavailable,
} from './errors.js';

const neutron = (type: string, message: string): string => JSON.stringify({ NeutronError: { type, message, detail: '' } });

test('Neutron envelopes map to their classes and keep the server message', () => {
  const dup = errorFromResponse({ api: 'neutron', op: 'createPort', status: 409, body: neutron('IpAddressAlreadyAllocated', 'IP address 10.0.0.10 already allocated in subnet s1') });
  assert.ok(dup instanceof Conflict);
  assert.equal(dup.conflict, 'InUse');
  assert.equal(dup.serverMessage, 'IP address 10.0.0.10 already allocated in subnet s1');
  assert.equal(dup.serverType, 'IpAddressAlreadyAllocated');
  assert.equal(dup.message, 'neutron createPort: 409 IP address 10.0.0.10 already allocated in subnet s1');
  assert.ok(errorFromResponse({ api: 'neutron', op: 'x', status: 409, body: neutron('IpAddressInUse', 'in use') }) instanceof Conflict);
  assert.ok(errorFromResponse({ api: 'neutron', op: 'x', status: 409, body: neutron('IpAddressGenerationFailure', 'No more IP addresses available on network n.') }) instanceof IPExhausted);
  assert.ok(errorFromResponse({ api: 'neutron', op: 'x', status: 404, body: neutron('PortNotFound', 'Port p could not be found.') }) instanceof NotFound);
  assert.ok(errorFromResponse({ api: 'neutron', op: 'x', status: 400, body: neutron('InvalidIpForSubnet', 'not valid') }) instanceof BadRequest);
  assert.ok(errorFromResponse({ api: 'neutron', op: 'x', status: 409, body: neutron('OverQuota', 'Quota exceeded for resources: [port].') }) instanceof QuotaExceeded);
  const other = errorFromResponse({ api: 'neutron', op: 'x', status: 409, body: neutron('RouterInUse', 'busy') });
  assert.ok(other instanceof Conflict && other.conflict === 'InUse');
});

test('VNC plain-text conflicts are told apart', () => {
  const exists = errorFromResponse({ api: 'contrail', op: 'create', status: 409, body: "['default-domain', 'p', 'x'] already exists with uuid: 1234" });
  assert.ok(exists instanceof Conflict && exists.conflict === 'AlreadyExists');
  const referred = errorFromResponse({ api: 'contrail', op: 'delete', status: 409, body: "Delete when resource still referred: ['http://h:8082/instance-ip/u']" });
  assert.ok(referred instanceof Conflict && referred.conflict === 'StillReferred');
  const children = errorFromResponse({ api: 'contrail', op: 'delete', status: 409, body: 'Delete when children still present: [...]' });
  assert.ok(children instanceof Conflict && children.conflict === 'StillReferred');
  const inUse = errorFromResponse({ api: 'contrail', op: 'create', status: 409, body: 'IP address already in use' });
  assert.ok(inUse instanceof Conflict && inUse.conflict === 'InUse');
  const exhausted = errorFromResponse({ api: 'contrail', op: 'create', status: 400, body: "Virtual-Network(['default-domain', 'p', 'vn']) has exhausted subnet(['10.0.0.0/24'])" });
  assert.ok(exhausted instanceof IPExhausted);
  assert.ok(errorFromResponse({ api: 'contrail', op: 'x', status: 412, body: 'over quota' }) instanceof QuotaExceeded);
  assert.ok(errorFromResponse({ api: 'contrail', op: 'x', status: 403, body: '403 Permission Denied' }) instanceof Forbidden);
  const bad = errorFromResponse({ api: 'contrail', op: 'x', status: 400, body: 'Bad Request, no fq_name in POST body' });
  assert.ok(bad instanceof BadRequest);
  assert.equal(bad.serverMessage, 'Bad Request, no fq_name in POST body');
});

test('Nova faults and Keystone errors', () => {
  const nf = errorFromResponse({ api: 'nova', op: 'attach', status: 404, body: JSON.stringify({ itemNotFound: { code: 404, message: 'Port id 0 could not be found.' } }) });
  assert.ok(nf instanceof NotFound);
  assert.equal(nf.serverType, 'itemNotFound');
  const busy = errorFromResponse({ api: 'nova', op: 'attach', status: 409, body: JSON.stringify({ conflictingRequest: { code: 409, message: 'Port p is still in use.' } }) });
  assert.ok(busy instanceof Conflict && busy.conflict === 'InUse');
  const quota = errorFromResponse({ api: 'nova', op: 'boot', status: 403, body: JSON.stringify({ forbidden: { code: 403, message: 'Quota exceeded for instances: Requested 1, but already used 10 of 10 instances' } }) });
  assert.ok(quota instanceof QuotaExceeded);
  const limited = errorFromResponse({ api: 'nova', op: 'boot', status: 429, body: JSON.stringify({ overLimit: { code: 429, message: 'Rate limited' } }), retryAfterMs: 2000 });
  assert.ok(limited instanceof Unavailable && limited.transient && limited.retryAfterMs === 2000);
  const neutron429 = errorFromResponse({ api: 'neutron', op: 'x', status: 429, body: neutron('OverQuota', 'Too Many Requests') });
  assert.ok(neutron429 instanceof Unavailable, 'a 429 is a rate limit even when labelled OverQuota');
  const ks = errorFromResponse({ api: 'keystone', op: 'authenticate', status: 401, body: JSON.stringify({ error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } }) });
  assert.ok(ks instanceof Unauthorized);
  assert.equal(ks.serverMessage, 'The request you have made requires authentication.');
  assert.ok(errorFromResponse({ api: 'nova', op: 'x', status: 500, body: JSON.stringify({ computeFault: { code: 500, message: 'boom' } }) }) instanceof Unavailable);
});

test('a body that is not JSON is clipped text without markup', () => {
  const says = parseServerMessage('<html><body><h1>502 Bad Gateway</h1>\n<p>nginx</p></body></html>');
  assert.equal(says.message, '502 Bad Gateway nginx');
  assert.equal(parseServerMessage('').message, '(empty body)');
  assert.ok(parseServerMessage('x'.repeat(2000)).message.length <= 501);
});

test('Retry-After in seconds or as an HTTP date', () => {
  assert.equal(retryAfterMs('3'), 3000);
  assert.equal(retryAfterMs(undefined), undefined);
  assert.equal(retryAfterMs('Wed, 21 Oct 2015 07:28:05 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT')), 5000);
  assert.equal(retryAfterMs('soon'), undefined);
});

test('transport failures: refused is Unavailable, an unknown CA is TLS with advice', () => {
  const refused = errorFromTransport('neutron', 'listPorts', 'ECONNREFUSED', 'http://127.0.0.1:1', 'connect ECONNREFUSED');
  assert.ok(refused instanceof Unavailable);
  assert.equal(refused.serverMessage, 'connection refused (http://127.0.0.1:1)');
  const tls = errorFromTransport('keystone', 'authenticate', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'https://127.0.0.1:5000', 'self-signed certificate');
  assert.ok(tls instanceof TLSError);
  assert.equal(tls.transient, false);
  assert.match(tls.message, /not accepted.*caBundle/);
});
