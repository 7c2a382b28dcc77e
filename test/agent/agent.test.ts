// The SE agent as a process (`se-agent --static-config`) driving a real HAProxy on 127.0.0.1 with
// real HTTP backends: traffic, weights, enable/disable, health checks, seamless reloads under load,
// VIP removal, rejected configs, restart from the persisted config.
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect, createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cliCommand, currentWorkers } from '../../src/agent/haproxy/socket.js';
import type { SEConfig } from '../../src/seapi/protocol.js';
import { AgentProcess, freePort, get, httpVip, loadLoop, seConfig, startBackend, waitFor, type Backend } from './support.js';

async function spread(port: number, n: number): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const body = await get(port);
    seen[body] = (seen[body] ?? 0) + 1;
  }
  return seen;
}

describe('se-agent as a process with a real HAProxy', () => {
  let a: Backend;
  let b: Backend;
  let agent: AgentProcess;
  let port: number;

  before(async () => {
    a = await startBackend('a');
    b = await startBackend('b');
    port = await freePort();
    agent = await AgentProcess.create('agent');
  });
  after(async () => {
    await agent.cleanup();
    await a.close();
    await b.close();
  });

  it('serves a VIP; requests follow the weights, and a disabled member receives nothing', async () => {
    await agent.writeConfig(seConfig(1, [httpVip({ name: 'web', port, backends: [{ backend: a, weight: 3 }, { backend: b, weight: 1 }] })]));
    agent.start();
    const r = await agent.applied(1);
    assert.deepEqual(r.vips[0]?.listeners, [{ port, up: true }]);
    assert.deepEqual(r.vips[0]?.members.map((m) => m.status), ['NO_MONITOR', 'NO_MONITOR']);
    // Round robin with weights 3:1 is exact over a multiple of 4.
    assert.deepEqual(await spread(port, 80), { a: 60, b: 20 });

    await agent.writeConfig(seConfig(2, [httpVip({ name: 'web', port, backends: [{ backend: a, weight: 3 }, { backend: b, weight: 1, enabled: false }] })]));
    const r2 = await agent.applied(2);
    assert.deepEqual(r2.vips[0]?.members.map((m) => m.status), ['NO_MONITOR', 'DISABLED']);
    const hitsB = b.hits;
    assert.deepEqual(await spread(port, 20), { a: 20 });
    assert.equal(b.hits, hitsB);

    await agent.writeConfig(seConfig(3, [httpVip({ name: 'web', port, backends: [{ backend: a, weight: 1 }, { backend: b, weight: 1 }] })]));
    await agent.applied(3);
    assert.deepEqual(await spread(port, 20), { a: 10, b: 10 });
  });

  it('a member whose health check fails is DOWN within interval × retries + 1 s and receives nothing after', async () => {
    await agent.writeConfig(seConfig(4, [httpVip({ name: 'web', port, monitor: true, backends: [{ backend: a }, { backend: b }] })]));
    await agent.applied(4);
    await waitFor('both members UP', async () => (await agent.report())?.vips[0]?.members.every((m) => m.status === 'UP'));
    b.healthStatus = 503;
    // Monitor: interval 1 s, 2 retries.
    const down = await waitFor('member b DOWN', async () => {
      const m = (await agent.report())?.vips[0]?.members.find((x) => x.id === `127.0.0.1:${b.port}`);
      return m?.status === 'DOWN' ? m : undefined;
    }, 1000 * 2 + 1000);
    assert.match(down.reason ?? '', /503|status/i);
    const hitsB = b.hits;
    assert.deepEqual(await spread(port, 20), { a: 20 });
    assert.equal(b.hits, hitsB);
    b.healthStatus = 200;
    await waitFor('member b UP again', async () => (await agent.report())?.vips[0]?.members.every((m) => m.status === 'UP'), 5000);
  });

  it('a killed backend is DOWN within interval × retries + 1 s; every request still succeeds', async () => {
    const c = await startBackend('c');
    await agent.writeConfig(seConfig(5, [httpVip({ name: 'web', port, monitor: true, backends: [{ backend: a }, { backend: c }] })]));
    await agent.applied(5);
    await waitFor('both members UP', async () => (await agent.report())?.vips[0]?.members.every((m) => m.status === 'UP'));
    await c.close();
    await waitFor('member c DOWN', async () => {
      const m = (await agent.report())?.vips[0]?.members.find((x) => x.id === `127.0.0.1:${c.port}`);
      return m?.status === 'DOWN';
    }, 1000 * 2 + 1000);
    assert.deepEqual(await spread(port, 20), { a: 20 });
  });

  it('100 reloads under continuous load fail 0 requests', async () => {
    await agent.writeConfig(seConfig(10, [httpVip({ name: 'web', port, backends: [{ backend: a }, { backend: b }] })]));
    await agent.applied(10);
    const load = loadLoop(port, { clients: 4, maxMs: 120_000 });
    let version = 10;
    for (let i = 0; i < 100; i++) {
      version++;
      // Alternating the algorithm changes the backend section: a reload each time.
      const algorithm = i % 2 === 0 ? 'leastconn' : 'roundrobin';
      await agent.writeConfig(seConfig(version, [httpVip({ name: 'web', port, algorithm, backends: [{ backend: a }, { backend: b }] })]));
      await agent.applied(version, 20_000);
    }
    const result = await load.stop();
    assert.ok(result.ok > 100, `load ran (${result.ok} requests)`);
    assert.equal(result.failed, 0, `failed requests: ${result.errors.join('; ')}`);
  });

  it('a VIP removed from the config stops being served; the others keep serving', async () => {
    const port2 = await freePort();
    await agent.writeConfig(seConfig(200, [
      httpVip({ name: 'web', port, backends: [{ backend: a }] }),
      httpVip({ name: 'api', port: port2, backends: [{ backend: b }] }),
    ]));
    const r = await agent.applied(200);
    assert.equal(r.vips.length, 2);
    assert.equal(await get(port2), 'b');
    await agent.writeConfig(seConfig(201, [httpVip({ name: 'web', port, backends: [{ backend: a }] })]));
    const r2 = await agent.applied(201);
    assert.deepEqual(r2.vips.map((v) => v.id), ['lbop-test/web/vip0']);
    await waitFor('api VIP refused', async () => get(port2).then(() => false, (e: Error) => /ECONNREFUSED/.test(e.message)), 5000);
    assert.equal(await get(port), 'a');
  });

  it('a draining VIP keeps serving, tells keep-alive clients to close and closes their connections, with no reload', async () => {
    const workers = async (): Promise<number[]> => currentWorkers(await cliCommand(join(agent.stateDir, 'master.sock'), 'show proc'));
    // One HTTP/1.1 request on a fresh connection by a client that ignores Connection headers: the
    // response's Connection header, and whether the server closed (FIN) within 1 s of it.
    const exchange = async (): Promise<{ connection: string | undefined; serverClosed: boolean }> => new Promise((resolve, reject) => {
      const sock = netConnect(port, '127.0.0.1');
      let head = '';
      let timer: NodeJS.Timeout | undefined;
      const done = (serverClosed: boolean): void => {
        clearTimeout(timer);
        sock.destroy();
        resolve({ connection: /^connection: *(\S+)\r$/im.exec(head)?.[1]?.toLowerCase(), serverClosed });
      };
      sock.on('connect', () => sock.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
      sock.on('data', (d: Buffer) => {
        head += d.toString('latin1');
        if (timer === undefined && head.includes('\r\n\r\n')) timer = setTimeout(() => done(false), 1_000);
      });
      sock.on('end', () => done(true));
      sock.on('error', reject);
    });
    {
      await agent.writeConfig(seConfig(249, [httpVip({ name: 'web', port, backends: [{ backend: a }] })]));
      await agent.applied(249);
      const before = await exchange();
      assert.notEqual(before.connection, 'close');
      assert.equal(before.serverClosed, false, 'not draining: the keep-alive connection stays open');
      const pids = await workers();
      await agent.writeConfig(seConfig(250, [httpVip({ name: 'web', port, draining: true, backends: [{ backend: a }] })]));
      await agent.applied(250);
      const during = await exchange();
      assert.equal(during.connection, 'close');
      assert.equal(during.serverClosed, true, 'draining: HAProxy closes the connection after the response');
      assert.equal(await get(port), 'a');
      assert.deepEqual(await workers(), pids, 'the drain was switched on through the Runtime API: same worker, no reload');
      await agent.writeConfig(seConfig(251, [httpVip({ name: 'web', port, backends: [{ backend: a }] })]));
      await agent.applied(251);
      assert.notEqual((await exchange()).connection, 'close');
      assert.deepEqual(await workers(), pids, 'and off again the same way');
    }
  });

  it('terminates TLS with the VS certificate, kept in a 0600 file and out of every log', async () => {
    const tlsPort = await freePort();
    const golden = JSON.parse(await readFile(new URL('../../src/agent/haproxy/testdata/tls-draining-udp.json', import.meta.url), 'utf8')) as SEConfig;
    const tls = golden.vips[0]?.listeners[0]?.tls;
    assert.ok(tls !== undefined);
    const vip = httpVip({ name: 'secure', port: tlsPort, backends: [{ backend: a }] });
    vip.listeners[0]!.tls = tls;
    await agent.writeConfig(seConfig(260, [httpVip({ name: 'web', port, backends: [{ backend: a }] }), vip]));
    await agent.applied(260);
    const body = await new Promise<string>((resolve, reject) => {
      httpsRequest({ host: '127.0.0.1', port: tlsPort, path: '/', ca: tls.certificate, servername: 'lbop-test.example', checkServerIdentity: () => undefined }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => resolve(text));
      }).on('error', reject).end();
    });
    assert.equal(body, 'a');
    const files = await readdir(join(agent.stateDir, 'tls'));
    assert.equal(files.length, 1);
    assert.equal((await stat(join(agent.stateDir, 'tls', files[0] as string))).mode & 0o777, 0o600);
    const keyLine = tls.privateKey.split('\n')[1] as string;
    assert.doesNotMatch(agent.stderr, new RegExp(keyLine.replace(/[+/]/g, '.')));
    assert.doesNotMatch(await readFile(join(agent.stateDir, 'haproxy.cfg'), 'utf8'), /PRIVATE KEY/);
  });

  it('a config HAProxy rejects keeps the last good one serving and is reported with HAProxy\'s error', async () => {
    // A port another process holds: haproxy -c accepts the config, the new worker cannot bind it.
    const squatter = createNetServer();
    await new Promise<void>((res) => squatter.listen(0, '127.0.0.1', res));
    const taken = (squatter.address() as { port: number }).port;
    await agent.writeConfig(seConfig(300, [
      httpVip({ name: 'web', port, backends: [{ backend: a }] }),
      httpVip({ name: 'ghost', port: taken, backends: [{ backend: b }] }),
    ]));
    const r = await waitFor('config 300 rejected', async () => {
      const rep = await agent.report();
      return rep?.applied.rejected?.version === 300 ? rep : undefined;
    }).finally(() => squatter.close());
    assert.equal(r.applied.version, 260);
    assert.match(r.applied.rejected?.error ?? '', /cannot bind|Address already in use/i);
    assert.equal(await get(port), 'a');

    // Invalid intent (a hostile path) is refused before rendering, also with the old one serving.
    const hostile = seConfig(301, [httpVip({ name: 'web', port, monitor: true, backends: [{ backend: a }] })]);
    const hm = hostile.vips[0]?.pool.healthMonitor;
    assert.ok(hm !== undefined);
    hm.httpPath = '/x\n    stats enable';
    await agent.writeConfig(hostile);
    const r2 = await waitFor('config 301 rejected', async () => {
      const rep = await agent.report();
      return rep?.applied.rejected?.version === 301 ? rep : undefined;
    });
    assert.match(r2.applied.rejected?.error ?? '', /httpPath/);
    assert.equal(await get(port), 'a');

    // And the next good config applies (the master recovered from the failed reload).
    await agent.writeConfig(seConfig(302, [httpVip({ name: 'web', port, backends: [{ backend: b }] })]));
    await agent.applied(302);
    assert.equal(await get(port), 'b');
  });

  it('a HAProxy that dies is started again from the last good config', async () => {
    const pidFile = join(agent.stateDir, 'haproxy.pid');
    const master = Number((await readFile(pidFile, 'utf8')).trim().split('\n')[0]);
    const workers = currentWorkers(await cliCommand(join(agent.stateDir, 'master.sock'), 'show proc'));
    assert.ok(master > 0 && workers.length > 0);
    for (const pid of [master, ...workers]) process.kill(pid, 'SIGKILL');
    const restarted = await waitFor('a new HAProxy master', async () => {
      const pid = Number((await readFile(pidFile, 'utf8')).trim().split('\n')[0]);
      return pid !== master && pid > 0 ? pid : undefined;
    });
    assert.notEqual(restarted, master);
    assert.equal(await waitFor('VIP served again', async () => get(port).catch(() => undefined), 15_000), 'b');
  });

  it('after a restart with no controller reachable, the agent serves the persisted config', async () => {
    await agent.stop();
    await waitFor('VIP down with the agent', async () => get(port).then(() => false, () => true), 10_000);
    // Channel mode whose only controller URL refuses: the data plane must not wait for it.
    const drive = join(agent.dir, 'drive');
    await mkdir(join(drive, 'openstack', 'latest'), { recursive: true });
    await writeFile(join(drive, 'openstack', 'latest', 'meta_data.json'), JSON.stringify({ uuid: '7f0c9a52-3f43-4a4c-9a43-5a2b1d7f0001' }));
    await writeFile(join(drive, 'openstack', 'latest', 'user_data'), JSON.stringify({
      kind: 'contrail-lb-operator/se-bootstrap',
      version: 1,
      serviceEngine: { namespace: 'lbop-test', name: 'se-1', uid: '00000000-0000-4000-8000-000000000001' },
      controllerURLs: [`https://127.0.0.1:${await freePort()}`],
      caBundle: '-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n',
      bootstrapToken: 'lbop-test-token-0123456789abcdef',
      heartbeatIntervalMs: 2000,
    }));
    agent.start([], ['--config-drive', drive]);
    assert.equal(await waitFor('persisted VIP served', async () => get(port)), 'b');
    assert.doesNotMatch(agent.stderr, /lbop-test-token-0123456789abcdef/);
  });
});
