// Real packets through the netns data plane: a client namespace, a fabric of resilient nexthop
// groups built from the vRouter model, SE namespaces. In each SE namespace a tiny node HTTP
// server bound to the VIP on lo is a STAND-IN for the SE agent's HAProxy (the agent is not
// merged yet); it answers with the SE's name, so traffic shows which SE it reached.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runLoad } from '../../src/sim/dataplane/loadgen.js';
import { NODE } from '../../src/sim/dataplane/dataplane.js';
import { commandSeRunner } from '../../src/sim/dataplane/runner.js';
import { fabricRoutes, leftovers, SERVER_NET, skipReason, startRig, until, type Rig } from './support.js';

const skip = skipReason();
if (skip !== undefined) process.stdout.write(`test-dataplane: ${skip}\n`);

const VIP = '19.1.1.100';
const KVIP = '198.18.1.100';

/** The stand-in for haproxy: VIP on lo of the SE namespace + an identity server bound to it. */
async function standIn(rig: Rig, serverId: string, name: string): Promise<void> {
  const ns = rig.dp.seNamespace(serverId);
  assert.ok(ns !== undefined, `namespace of ${name}`);
  execFileSync('ip', ['-n', ns, 'addr', 'add', `${KVIP}/32`, 'dev', 'lo']);
  await rig.dp.spawnIdentity(ns, KVIP, 80, name);
}

/** Every bucket of group G has seen no packet for S seconds. */
function idleFor(fabric: string, group: number, seconds: number): boolean {
  const buckets = JSON.parse(execFileSync('ip', ['-j', '-n', fabric, 'nexthop', 'bucket', 'show', 'id', String(group)], { encoding: 'utf8' })) as Array<{ bucket: { idle_time: number } }>;
  return buckets.every((b) => b.bucket.idle_time >= seconds);
}

/** Every member of group G holds at least 90 % of an even share of its buckets. */
function balanced(fabric: string, group: number, members: number): boolean {
  const buckets = JSON.parse(execFileSync('ip', ['-j', '-n', fabric, 'nexthop', 'bucket', 'show', 'id', String(group)], { encoding: 'utf8' })) as Array<{ bucket: { nhid: number } }>;
  const per = new Map<number, number>();
  for (const b of buckets) per.set(b.bucket.nhid, (per.get(b.bucket.nhid) ?? 0) + 1);
  return per.size === members && [...per.values()].every((n) => n >= 0.9 * (buckets.length / members));
}

async function startKilledRun(): Promise<{ child: ChildProcess; run: string; namespaces: string[]; configDrives: string }> {
  const child = spawn(NODE, ['--import', 'tsx', fileURLToPath(new URL('./killed-run.ts', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\n')) resolve(buf.split('\n')[0] ?? '');
    });
    child.once('exit', (c) => reject(new Error(`killed-run exited ${String(c)}`)));
  });
  return { child, ...(JSON.parse(line) as { run: string; namespaces: string[]; configDrives: string }) };
}

const nsList = (): string[] => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0] ?? '');

describe('netns data plane', { skip }, () => {
  test('namespaces are made, named lbop-<run>-<pid>-…, and all gone after close', async () => {
    const rig = await startRig();
    const run = rig.dp.netns.run;
    try {
      const se = await rig.api.boot('se-1');
      await rig.dp.settled();
      const ns = nsList();
      for (const n of [rig.dp.fabric, rig.dp.client, rig.dp.seNamespace(se.id)]) assert.ok(n !== undefined && ns.includes(n), `${String(n)} exists`);
      assert.match(rig.dp.fabric, new RegExp(`^lbop-${run}-${process.pid}-fabric$`));
      // The SE's vNIC: the model's MAC, the renumbered address, never a model address.
      const addrs = execFileSync('ip', ['-n', rig.dp.seNamespace(se.id) ?? '', '-o', 'addr'], { encoding: 'utf8' });
      assert.match(addrs, new RegExp(`inet ${rig.dp.map.kernelOf(se.ip).replaceAll('.', '\\.')}/24`));
      assert.doesNotMatch(addrs, /inet (19|20|10)\./);
      await rig.api.deleteServer(se.id);
      await until(() => !nsList().some((n) => n.endsWith(`-se-${se.id}`)), 5000, 'SE namespace removed on delete');
    } finally {
      await rig.close();
    }
    assert.deepEqual(leftovers(run), []);
  });

  test('os-interface attach makes a veth into the SE namespace, detach removes it; the SE reaches a pool server through the fabric', async () => {
    const rig = await startRig({ poolServers: ['20.0.0.3'] });
    try {
      const se = await rig.api.boot('se-1');
      const pool = { address: rig.dp.map.kernelOf('20.0.0.3') };
      assert.equal(pool.address, '198.19.0.3');
      const nic = await rig.api.attach(se.id, SERVER_NET);
      await rig.dp.settled();
      const ns = rig.dp.seNamespace(se.id) ?? '';
      const kAddr = rig.dp.map.kernelOf(nic.ip);
      assert.match(kAddr, /^198\.19\.0\./);
      const links = (): string => execFileSync('ip', ['-n', ns, '-o', 'addr'], { encoding: 'utf8' });
      assert.ok(links().includes(`inet ${kAddr}/24`), links());
      // From inside the SE (where the agent's HAProxy will run): the pool server answers with its identity.
      const got = execFileSync('ip', ['netns', 'exec', ns, NODE, '-e',
        `fetch('http://${pool.address}/').then(async (r) => console.log(r.headers.get('x-lbop-server'), await r.text()))`], { encoding: 'utf8', timeout: 10_000 });
      assert.match(got, /^20\.0\.0\.3 \{"server":"20\.0\.0\.3"\}/);
      await rig.api.detach(se.id, nic.port);
      await rig.dp.settled();
      assert.ok(!links().includes(`inet ${kAddr}/`), 'detached vNIC gone');
      assert.equal(rig.dp.vnicOf(nic.port), undefined);
      // Detaching the first vNIC hands the default route to the next one.
      const second = await rig.api.attach(se.id, SERVER_NET);
      await rig.dp.settled();
      await rig.api.detach(se.id, se.port);
      await rig.dp.settled();
      const dflt = execFileSync('ip', ['-n', ns, 'route', 'show', 'default'], { encoding: 'utf8' });
      assert.match(dflt, new RegExp(`default via 198\\.19\\.0\\.254 dev ${rig.dp.vnicOf(second.port)?.seIf ?? '?'}`));
      assert.deepEqual(rig.dp.errors, []);
    } finally {
      await rig.close();
    }
  });

  test('SIGTERM: the run removes its namespaces, links, processes and config drives on the way out', async () => {
    const { child, run, namespaces, configDrives } = await startKilledRun();
    assert.ok(namespaces.every((n) => nsList().includes(n)) && existsSync(configDrives));
    child.kill('SIGTERM');
    const [, signal] = await new Promise<[number | null, string | null]>((r) => child.once('exit', (c, sig) => r([c, sig])));
    assert.equal(signal, 'SIGTERM', 'the default action runs once cleaned up');
    assert.deepEqual(leftovers(run), []);
    assert.equal(existsSync(configDrives), false);
  });

  test('a SIGKILLed run leaves namespaces; the next start sweeps them', async () => {
    const { child, run, namespaces, configDrives } = await startKilledRun();
    assert.equal(namespaces.length, 3); // fabric, client, the SE
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    assert.ok(namespaces.every((n) => nsList().includes(n)), 'left behind by SIGKILL');
    assert.ok(existsSync(configDrives), 'config drives left behind');
    const rig = await startRig();
    try {
      assert.deepEqual([...rig.dp.swept.namespaces].sort(), [...namespaces].sort());
      assert.deepEqual(rig.dp.swept.paths, [configDrives]);
      assert.equal(existsSync(configDrives), false);
      assert.deepEqual(leftovers(run), []);
    } finally {
      await rig.close();
    }
  });

  test('a VIP on 2 then 3 next hops: new connections from the client reach every SE', async () => {
    const rig = await startRig();
    try {
      const ses = [await rig.api.boot('se-a'), await rig.api.boot('se-b'), await rig.api.boot('se-c')];
      const iip = await rig.api.vip('vip', VIP, [ses[0]?.port ?? '', ses[1]?.port ?? '']);
      await rig.dp.settled();
      for (const [i, s] of ses.entries()) await standIn(rig, s.id, `se-${'abc'[i] ?? ''}`);
      const two = await runLoad(rig.dp.client, { url: `http://${KVIP}/`, connections: 4, seconds: 2, maxRequests: 300, newConnections: true });
      assert.equal(two.failures, 0, JSON.stringify(two));
      assert.deepEqual(Object.keys(two.perServer).sort(), ['se-a', 'se-b'], JSON.stringify(two.perServer));
      await rig.api.refUpdate(iip, ses[2]?.port ?? '', 'ADD');
      await rig.dp.settled();
      // New flows reach the third SE once the group has rebalanced (idle_timer/unbalanced_timer 1 s).
      let three = two;
      await until(async () => {
        three = await runLoad(rig.dp.client, { url: `http://${KVIP}/`, connections: 4, seconds: 2, maxRequests: 300, newConnections: true });
        return three.failures === 0 && Object.keys(three.perServer).length === 3;
      }, 20_000, 'traffic on 3 SEs');
      assert.deepEqual(Object.keys(three.perServer).sort(), ['se-a', 'se-b', 'se-c']);
    } finally {
      await rig.close();
    }
  });

  test('resilient group + flow table: an added next hop moves no live connection (even an idle one); a removed one moves only its own', async () => {
    const rig = await startRig();
    try {
      const ses = [await rig.api.boot('se-a'), await rig.api.boot('se-b'), await rig.api.boot('se-c')];
      const iip = await rig.api.vip('vip', VIP, [ses[0]?.port ?? '', ses[1]?.port ?? '']);
      await rig.dp.settled();
      for (const [i, s] of ses.entries()) await standIn(rig, s.id, `se-${'abc'[i] ?? ''}`);
      const flows = await rig.dp.openFlows(KVIP, 80, 24);
      try {
        assert.equal(flows.open, 24);
        const before = await flows.probe();
        assert.ok(before.every((r) => r === 'se-a' || r === 'se-b'), before.join(' '));
        assert.ok(before.includes('se-a') && before.includes('se-b'), 'flows on both SEs to begin with');
        // se-c joins while the long-lived flows sit idle (every bucket idle past idle_timer, so
        // the kernel may move any of them); new flows reach it, and the group rebalances — the
        // flow table keeps the live connections where they are.
        const group = rig.dp.routeOf(`${KVIP}/32`)?.group;
        assert.ok(group !== undefined);
        await until(() => idleFor(rig.dp.fabric, group, 1.5), 10_000, 'every bucket idle for 1.5 s');
        await rig.api.refUpdate(iip, ses[2]?.port ?? '', 'ADD');
        await rig.dp.settled();
        await until(async () => {
          const l = await runLoad(rig.dp.client, { url: `http://${KVIP}/`, connections: 2, seconds: 1, maxRequests: 60, newConnections: true });
          return (l.perServer['se-c'] ?? 0) > 0 && balanced(rig.dp.fabric, group, 3);
        }, 20_000, 'new flows on se-c and a balanced group');
        assert.deepEqual(await flows.probe(), before, 'no live flow moved when a next hop was added');
        // se-a leaves: its flows break (the SE they land on has no such connection), the rest stay.
        await rig.api.refUpdate(iip, ses[0]?.port ?? '', 'DELETE');
        await rig.dp.settled();
        const removed = await flows.probe();
        for (const [i, was] of before.entries()) {
          if (was === 'se-a') assert.match(removed[i] ?? '', /^error/, `flow ${i} was on se-a`);
          else assert.equal(removed[i], was, `flow ${i} stays on ${was}`);
        }
      } finally {
        flows.close();
      }
    } finally {
      await rig.close();
    }
  });

  test('service-health-check: a failing probe from the fabric withdraws its next hop; traffic stays on the others; back on recovery', async () => {
    const rig = await startRig();
    try {
      const ses = [await rig.api.boot('se-a'), await rig.api.boot('se-b')];
      await rig.api.vip('vip', VIP, ses.map((s) => s.port));
      await rig.dp.settled();
      const health = new Map<string, ChildProcess>();
      for (const [i, s] of ses.entries()) {
        await standIn(rig, s.id, `se-${'ab'[i] ?? ''}`);
        // The SE's health endpoint on its VMI address (the agent's, later).
        const ns = rig.dp.seNamespace(s.id) ?? '';
        health.set(s.port, await rig.dp.spawnIdentity(ns, rig.dp.map.kernelOf(s.ip), 8080, `health-${i}`));
        await rig.api.healthCheck(`shc-${i}`, s.port, 'http://local-ip:8080/healthz');
      }
      await rig.dp.settled();
      const members = (): string[] => rig.dp.routeOf(`${KVIP}/32`)?.members ?? [];
      assert.equal(members().length, 2);
      const killedAt = Date.now();
      rig.dp.netns.kill(health.get(ses[0]?.port ?? '') as ChildProcess);
      await until(() => members().length === 1 && members()[0] === ses[1]?.port, 10_000, 'se-a withdrawn by its health check');
      const withdrawnMs = Date.now() - killedAt;
      assert.ok(rig.dp.probeEvents.some((e) => e.vmi === ses[0]?.port && !e.up));
      const l = await runLoad(rig.dp.client, { url: `http://${KVIP}/`, connections: 4, seconds: 1, maxRequests: 200, newConnections: true });
      assert.equal(l.failures, 0, JSON.stringify(l));
      assert.deepEqual(Object.keys(l.perServer), ['se-b']);
      // Back: the health endpoint answers again, the next hop returns.
      const nsA = rig.dp.seNamespace(ses[0]?.id ?? '') ?? '';
      await rig.dp.spawnIdentity(nsA, rig.dp.map.kernelOf(ses[0]?.ip ?? ''), 8080, 'health-0');
      await until(() => members().length === 2, 10_000, 'se-a back');
      process.stdout.write(`# health check: next hop withdrawn ${withdrawnMs} ms after its health endpoint died (delay 1 s, retries 2)\n`);
    } finally {
      await rig.close();
    }
  });

  test('a floating IP: the client reaches the SEs at the FIP (DNAT to the VIP in the fabric, as the vRouter does)', async () => {
    const rig = await startRig();
    try {
      const ses = [await rig.api.boot('se-a'), await rig.api.boot('se-b')];
      await rig.api.vip('vip', VIP, ses.map((s) => s.port));
      const fip = await rig.api.floatingIp('fip', VIP, ses.map((s) => s.port));
      assert.match(fip, /^203\.0\.113\./);
      await rig.dp.settled();
      for (const [i, s] of ses.entries()) await standIn(rig, s.id, `se-${'ab'[i] ?? ''}`);
      const l = await runLoad(rig.dp.client, { url: `http://${rig.dp.map.kernelOf(fip)}/`, connections: 4, seconds: 1, maxRequests: 200, newConnections: true });
      assert.equal(l.failures, 0, JSON.stringify(l));
      assert.deepEqual(Object.keys(l.perServer).sort(), ['se-a', 'se-b']);
      assert.deepEqual(rig.dp.errors, []);
    } finally {
      await rig.close();
    }
  });

  test('plain Neutron: the VIP route follows the port holding the allowed address pair', async () => {
    const rig = await startRig();
    try {
      const ses = [await rig.api.boot('se-a'), await rig.api.boot('se-b')];
      await rig.api.allowedAddressPairs(ses[0]?.port ?? '', [VIP]);
      await rig.dp.settled();
      for (const [i, s] of ses.entries()) await standIn(rig, s.id, `se-${'ab'[i] ?? ''}`);
      const served = async (): Promise<string[]> => {
        const l = await runLoad(rig.dp.client, { url: `http://${KVIP}/`, connections: 2, seconds: 1, maxRequests: 50, newConnections: true });
        assert.equal(l.failures, 0, JSON.stringify(l));
        return Object.keys(l.perServer);
      };
      assert.deepEqual(await served(), ['se-a']);
      // Failover: the pair moves to se-b's port.
      await rig.api.allowedAddressPairs(ses[0]?.port ?? '', []);
      await rig.api.allowedAddressPairs(ses[1]?.port ?? '', [VIP]);
      await rig.dp.settled();
      assert.deepEqual(rig.dp.routeOf(`${KVIP}/32`)?.members, [ses[1]?.port]);
      assert.deepEqual(await served(), ['se-b']);
    } finally {
      await rig.close();
    }
  });

  test('/sim/routes and the fabric (ip route, ip nexthop) agree after a series of ref-updates', async () => {
    const rig = await startRig();
    try {
      const ses = [await rig.api.boot('se-a'), await rig.api.boot('se-b'), await rig.api.boot('se-c')];
      const addrOf = new Map(ses.map((s) => [s.port, rig.dp.map.kernelOf(s.ip)]));
      const agree = async (step: string): Promise<void> => {
        await rig.dp.settled();
        const model = new Map<string, string[]>();
        for (const net of await rig.api.routes()) {
          if (/mgmt/.test(net.uuid)) continue;
          for (const r of net.routes) model.set(rig.dp.map.kernelPrefix(r.prefix), r.nexthops.map((h) => addrOf.get(h.vmi) ?? `?${h.vmi}`).sort());
        }
        assert.deepEqual(Object.fromEntries(fabricRoutes(rig.dp.fabric)), Object.fromEntries(model), step);
      };
      const iip = await rig.api.vip('vip', VIP, [ses[0]?.port ?? '']);
      await agree('one next hop');
      await rig.api.refUpdate(iip, ses[1]?.port ?? '', 'ADD');
      await agree('two');
      await rig.api.refUpdate(iip, ses[2]?.port ?? '', 'ADD');
      await agree('three');
      await rig.api.refUpdate(iip, ses[0]?.port ?? '', 'DELETE');
      await agree('se-a out');
      await rig.api.setState(ses[1]?.id ?? '', 'SHUTOFF');
      await agree('se-b SHUTOFF');
      await rig.api.setState(ses[1]?.id ?? '', 'ACTIVE');
      await agree('se-b back');
      await rig.api.deleteServer(ses[2]?.id ?? '');
      await agree('se-c deleted');
      await rig.api.refUpdate(iip, ses[1]?.port ?? '', 'DELETE');
      await agree('no next hop: unreachable');
      assert.deepEqual(rig.dp.errors, []);
    } finally {
      await rig.close();
    }
  });

  test('SE processes follow the server: ERROR freezes them, ACTIVE thaws, SHUTOFF stops; the runner gets the namespace and a config drive', async () => {
    const runner = commandSeRunner([NODE, '-e', 'setInterval(() => {}, 1000)', '{netns}', '{configdrive}']);
    const rig = await startRig({ runner });
    const state = (pid: number): string => {
      try {
        return (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').slice(0, 1);
      } catch {
        return 'gone';
      }
    };
    const pidOf = (ns: string): number => Number(execFileSync('pgrep', ['-f', `setInterval.*${ns}`], { encoding: 'utf8' }).trim().split('\n')[0]);
    try {
      const bootstrap = JSON.stringify({ kind: 'contrail-lb-operator/se-bootstrap', bootstrapToken: 'not-logged' });
      const se = await rig.api.boot('se-p', undefined, { config_drive: true, user_data: Buffer.from(bootstrap).toString('base64') });
      await rig.dp.settled();
      const ns = rig.dp.seNamespace(se.id) ?? '';
      const pid = pidOf(ns);
      const drive = join(rig.dp.configDrives, se.id);
      assert.ok(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(drive), 'the runner got the config drive');
      const meta = JSON.parse(readFileSync(join(drive, 'openstack/latest/meta_data.json'), 'utf8')) as { uuid: string; name: string };
      assert.deepEqual([meta.uuid, meta.name], [se.id, 'se-p']);
      assert.equal(readFileSync(join(drive, 'openstack/latest/user_data'), 'utf8'), bootstrap);
      assert.equal(statSync(join(drive, 'openstack/latest/user_data')).mode & 0o777, 0o600);
      assert.notEqual(state(pid), 'T');
      await rig.api.setState(se.id, 'ERROR');
      await rig.dp.settled();
      assert.equal(state(pid), 'T', 'frozen');
      await rig.api.setState(se.id, 'ACTIVE');
      await rig.dp.settled();
      assert.notEqual(state(pid), 'T', 'thawed');
      await rig.api.setState(se.id, 'SHUTOFF');
      await rig.dp.settled();
      await until(() => state(pid) === 'gone' || state(pid) === 'Z', 5000, 'stopped');
      await rig.api.deleteServer(se.id);
      await rig.dp.settled();
      assert.equal(existsSync(drive), false, 'config drive removed with the server');
    } finally {
      await rig.close();
    }
    assert.equal(existsSync(rig.dp.configDrives), false, 'config drives removed on close');
  });
});
