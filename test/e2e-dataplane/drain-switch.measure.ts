// A measurement, not a test (run by hand as root: scripts/with-cluster.sh npx tsx
// test/e2e-dataplane/drain-switch.measure.ts): on the bench's ground (vs2 on 3 SEs), under the
// logged eager keep-alive client, one SE's drain switch is turned on through the Runtime API
// directly — no scale-in, no operator step, no route change — to tell what the switch itself does
// to the keep-alive connections open on that SE. Prints the failures placed by the fabric's flow table.
import { drainCommand, drainVar } from '../../src/agent/haproxy/render.js';
import { cliCommand } from '../../src/agent/haproxy/socket.js';
import { startLogged } from '../../src/sim/dataplane/loadgen.js';
import { CLIENT_NET } from '../../src/sim/dataplane/renumber.js';
import { startGround } from '../bench/dataplane/ground.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const g = await startGround(3);
  try {
    const ses = await g.serving(3, 'vs2 served by 3 SEs');
    const se = ses[ses.length - 1];
    if (se === undefined) throw new Error('no SE');
    const mode = (process.env['MODE'] ?? 'eager') as 'eager' | 'lazy' | 'close';
    const load = await startLogged(g.dp.client, { address: g.vip, rate: Number(process.env['RATE'] ?? '133'), connections: 100, mode, maxSeconds: 60, maxRequests: 100_000 });
    await sleep(3_000);
    const table = await g.dp.flowTable(g.vip);
    const flipAt = Date.now();
    const answer = await cliCommand(g.sock(se.server), drainCommand({ drainVar: drainVar(`${g.h.namespace}/vs2/0`), draining: true }), 1000);
    process.stdout.write(`drain switch on ${se.name} at ${flipAt} (answer ${JSON.stringify(answer.trim())})\n`);
    await sleep(5_000);
    const after = await g.dp.flowTable(g.vip);
    const r = await load.stop();
    const where = (port: number): string => {
      const f = table.get(`${CLIENT_NET.address}:${port}`) ?? after.get(`${CLIENT_NET.address}:${port}`);
      return f === undefined ? 'unseen' : se.vmis.includes(f.vmi) ? 'switched SE' : 'other SE';
    };
    process.stdout.write(`${mode}: ${r.sent} sent, ${r.ok} ok, ${r.failed.length} failed, ${r.connections} connections, ${r.connecting} never connected\n`);
    for (const f of r.failed) process.stdout.write(`  ${f.at - flipAt} ms from the flip: ${where(f.localPort)} ${f.reused ? 'reused' : 'new'} idle ${f.idleMs} ms ${f.error} ${f.detail} got ${f.got}\n`);
  } finally {
    await g.close();
  }
}

main().then(() => process.exit(0), (e: unknown) => { process.stderr.write(`${String(e)}\n`); process.exit(1); });
