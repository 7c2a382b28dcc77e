// Malformed-response faults (issue 19, R5): the simulator can answer, on any API, broken JSON, a
// proxy's HTML error page, a JSON document cut short, or a body in the wrong content type — each
// bounded by count like every fault, and rejected when the kind is unknown.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { endpoint, http, login, sim, type Res } from './support.js';

let urls: Awaited<ReturnType<typeof sim>>['urls'];
let token = '';
let nova = '';
const ctl = (m: string, p: string, body?: unknown): Promise<Res> => http(m, `${urls.control}${p}`, body === undefined ? {} : { body });

before(async () => {
  urls = (await sim()).urls;
  const l = await login(urls.keystone, 'admin', 'admin-secret', 'demo');
  token = l.token;
  nova = endpoint(l.catalog, 'compute');
});

const parses = (text: string): boolean => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

test('malformed json: 200 with application/json that does not parse, once', async () => {
  await ctl('POST', '/sim/faults', { api: 'nova', method: 'GET', route: '/v2.1/{project_id}/servers', malformed: 'json', count: 1 });
  const bad = await http('GET', `${nova}/servers`, { token });
  assert.equal(bad.status, 200);
  assert.match(bad.contentType, /^application\/json/);
  assert.equal(parses(bad.text), false);
  const good = await http('GET', `${nova}/servers`, { token });
  assert.equal(good.status, 200);
  assert.equal(parses(good.text), true, 'bounded by count: the next answer is real');
});

test('malformed html: a proxy error page (502 text/html) on any API, status overridable', async () => {
  await ctl('POST', '/sim/faults', { api: 'contrail', route: '/virtual-networks', malformed: 'html', count: 1 });
  const r = await http('GET', `${urls.contrail}/virtual-networks`, { token });
  assert.equal(r.status, 502);
  assert.match(r.contentType, /^text\/html/);
  assert.match(r.text, /<h1>502 Bad Gateway<\/h1>/);
  await ctl('POST', '/sim/faults', { api: 'neutron', route: '/v2.0/networks', malformed: 'html', status: 504, count: 1 });
  const n = await http('GET', `${urls.neutron}/v2.0/networks`, { token });
  assert.equal(n.status, 504);
  assert.match(n.contentType, /^text\/html/);
});

test('malformed truncated: a JSON document cut short, Content-Length matching what is sent', async () => {
  await ctl('POST', '/sim/faults', { api: 'neutron', method: 'GET', route: '/v2.0/ports', malformed: 'truncated', count: 1 });
  const r = await http('GET', `${urls.neutron}/v2.0/ports`, { token });
  assert.equal(r.status, 200);
  assert.equal(Number(r.headers.get('content-length')), Buffer.byteLength(r.text));
  assert.ok(r.text.startsWith('{"items":[') && !parses(r.text), r.text);
});

test('malformed content-type: XML where JSON is expected, on keystone too', async () => {
  await ctl('POST', '/sim/faults', { api: 'keystone', method: 'POST', route: '/v3/auth/tokens', malformed: 'content-type', count: 1 });
  const r = await http('POST', `${urls.keystone}/v3/auth/tokens`, { body: { auth: {} } });
  assert.equal(r.status, 200);
  assert.match(r.contentType, /^application\/xml/);
  assert.equal(r.headers.get('x-subject-token'), null, 'no token in a malformed answer');
  assert.equal(parses(r.text), false);
});

test('malformed: unknown kind rejected with the list; fault listed with its kind; probability from the seeded stream', async () => {
  const bad = await ctl('POST', '/sim/faults', { api: 'nova', malformed: 'xml' });
  assert.equal(bad.status, 400);
  assert.match(bad.text, /malformed must be one of json, html, truncated, content-type/);
  await ctl('DELETE', '/sim/faults');
  await ctl('POST', '/sim/faults', { api: 'neutron', method: 'GET', route: '/v2.0/networks', malformed: 'json', probability: 0.5, count: 1000 });
  const listed = await ctl('GET', '/sim/faults');
  assert.match(listed.text, /"malformed":"json"/);
  let broken = 0;
  for (let i = 0; i < 40; i++) if (!parses((await http('GET', `${urls.neutron}/v2.0/networks`, { token })).text)) broken++;
  await ctl('DELETE', '/sim/faults');
  assert.ok(broken > 5 && broken < 35, `about half broken: ${broken}/40`);
});
