import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpProbe, PeerProber, type ProbeOnce } from './peerprobe.js';

describe('PeerProber', () => {
  it('reports up after an answer, down only after two misses in a row, nothing before', async () => {
    let ok = true;
    const p = new PeerProber(async () => (ok ? { ok: true } : { ok: false, reason: 'timeout' }));
    p.setTargets([{ se: 'ns/a', address: '198.18.20.5', port: 8404 }]);
    assert.deepEqual(p.reports(), []);
    await p.round();
    assert.deepEqual(p.reports(), [{ se: 'ns/a', address: '198.18.20.5', up: true }]);
    ok = false;
    await p.round();
    assert.equal(p.reports()[0]?.up, true, 'one miss is not a DOWN');
    await p.round();
    assert.deepEqual(p.reports(), [{ se: 'ns/a', address: '198.18.20.5', up: false, reason: 'timeout' }]);
  });
  it('takes only IP literals and ports, at most 16, and forgets targets the ack dropped', async () => {
    const seen: string[] = [];
    const probe: ProbeOnce = async (a, port) => { seen.push(`${a}:${port}`); return { ok: true }; };
    const p = new PeerProber(probe);
    p.setTargets([{ se: 'ns/a', address: 'evil.example', port: 80 }, { se: 'ns/a', address: '198.18.20.5', port: 0 }, { se: 'ns/a', address: '198.18.20.6', port: 8404 }]);
    await p.round();
    assert.deepEqual(seen, ['198.18.20.6:8404']);
    p.setTargets(Array.from({ length: 40 }, (_, i) => ({ se: 'ns/b', address: `198.18.21.${i + 1}`, port: 8404 })));
    seen.length = 0;
    await p.round();
    assert.equal(seen.length, 16);
    p.setTargets([]);
    assert.deepEqual(p.reports(), []);
  });
});

describe('httpProbe', () => {
  const srv = createServer((req, res) => { res.statusCode = req.url === '/lbop-health' ? 200 : 404; res.end(); });
  after(() => srv.close());
  it('200 from /lbop-health is ok; a closed port is not', async () => {
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as AddressInfo).port;
    assert.deepEqual(await httpProbe('127.0.0.1', port, 500), { ok: true });
    srv.closeAllConnections();
    const closed = await new Promise<number>((r) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = (s.address() as AddressInfo).port; s.close(() => r(p)); }); });
    const res = await httpProbe('127.0.0.1', closed, 500);
    assert.equal(res.ok, false);
    assert.equal(res.reason, 'ECONNREFUSED');
  });
});
