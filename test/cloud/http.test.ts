// CloudHTTP basics on a loopback server: headers, keep-alive, metrics labels, log content.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { CloudHTTP } from '../../src/cloud/index.js';
import { captureLogs } from './capture.js';

test('User-Agent, a request id per request, keep-alive, metrics by cloud/api/op/code, logs without query strings', async () => {
  const seen: { ua: string | undefined; id: string | undefined; port: number }[] = [];
  const srv = http.createServer((req, res) => {
    seen.push({ ua: req.headers['user-agent'], id: req.headers['x-openstack-request-id'] as string | undefined, port: req.socket.remotePort ?? 0 });
    res.writeHead(200, { 'content-type': 'application/json', 'x-openstack-request-id': 'req-from-server' });
    res.end('{"ok":true}');
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  const registry = new Registry();
  const cap = captureLogs();
  const client = new CloudHTTP({ cloud: 'jvnc2', registry, logger: cap.logger, userAgent: 'lbop-test/1' });
  try {
    const a = await client.request<{ ok: boolean }>({ api: 'neutron', op: 'listPorts', method: 'GET', url: `${base}/v2.0/ports?device_id=secret-looking-value` });
    await client.request({ api: 'neutron', op: 'listPorts', method: 'GET', url: `${base}/v2.0/ports` });
    assert.deepEqual(a.body, { ok: true });
    assert.equal(a.requestId, 'req-from-server');
    assert.equal(seen[0]?.ua, 'lbop-test/1');
    assert.match(seen[0]?.id ?? '', /^req-[0-9a-f-]{36}$/);
    assert.notEqual(seen[0]?.id, seen[1]?.id);
    assert.equal(seen[0]?.port, seen[1]?.port, 'the second request reuses the kept-alive socket');
    const text = await registry.metrics();
    assert.match(text, /lbop_cloud_api_requests_total\{cloud="jvnc2",api="neutron",op="listPorts",code="200"\} 2/);
    assert.match(text, /lbop_cloud_api_request_duration_seconds_count\{cloud="jvnc2",api="neutron",op="listPorts"\} 2/);
    assert.ok(cap.lines.some((l) => l.includes('"path":"/v2.0/ports"')));
    assert.ok(!cap.lines.some((l) => l.includes('secret-looking-value')), 'query strings are not logged');
  } finally { client.close(); srv.close(); }
});
