// --netns: HAProxy runs inside the SE's network namespace and the VIP /32 goes on that
// namespace's lo (added when placed, removed when unplaced). The namespace has no link to the
// root namespace: the backend and the client run inside it too; the agent stays outside and
// drives HAProxy through its unix sockets. Address from 198.18.0.0/15, names lbop-<run>-….
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { AgentProcess, seConfig, waitFor } from './support.js';
import type { VipIntent } from '../../src/seapi/protocol.js';

const run = promisify(execFile);
const NS = `lbop-${process.pid}-agent-se`;
const VIP = '198.18.200.1';
const isRoot = process.getuid?.() === 0;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function inNetns(script: string): Promise<string> {
  const { stdout } = await run('ip', ['netns', 'exec', NS, process.execPath, '-e', script], { timeout: 10_000 });
  return stdout;
}

async function loAddresses(): Promise<string[]> {
  const { stdout } = await run('ip', ['-n', NS, '-j', 'addr', 'show', 'dev', 'lo']);
  return (JSON.parse(stdout) as { addr_info: { local: string; prefixlen: number }[] }[]).flatMap((l) => l.addr_info.map((a) => `${a.local}/${a.prefixlen}`));
}

const vip = (): VipIntent => ({
  id: 'lbop-test/netns/vip0',
  virtualService: { namespace: 'lbop-test', name: 'netns', uid: '00000000-0000-4000-8000-0000000000bb' },
  address: VIP,
  listeners: [{ port: 80, protocol: 'TCP', http: true }],
  pool: { name: 'lbop-test/netns-pool', algorithm: 'roundrobin', members: [{ id: '127.0.0.1:8080', ip: '127.0.0.1', port: 8080, weight: 1, enabled: true }] },
  draining: false,
  drainTimeoutSeconds: 5,
});

const CLIENT = `fetch('http://${VIP}/', { signal: AbortSignal.timeout(3000) }).then(async (r) => console.log(await r.text()), (e) => console.log('ERR ' + e.cause?.code))`;

describe('se-agent --netns', { skip: isRoot ? false : 'needs root for ip netns' }, () => {
  let agent: AgentProcess;
  let backend: ChildProcess;

  before(async () => {
    // Sweep what a killed run left (its pid is gone), then start clean.
    for (const line of (await run('ip', ['netns', 'list'])).stdout.split('\n')) {
      const m = /^(lbop-(\d+)-agent-se)\b/.exec(line);
      if (m !== null && (m[1] === NS || !alive(Number(m[2])))) await run('ip', ['netns', 'del', m[1] as string]).catch(() => undefined);
    }
    await run('ip', ['netns', 'add', NS]);
    await run('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
    backend = spawn('ip', ['netns', 'exec', NS, process.execPath, '-e',
      "require('node:http').createServer((q, s) => s.end('ns-backend')).listen(8080, '127.0.0.1')"], { stdio: 'ignore' });
    await waitFor('backend in the namespace', async () => (await inNetns("fetch('http://127.0.0.1:8080/').then(async (r) => console.log(await r.text()), () => console.log('no'))")).trim() === 'ns-backend');
    agent = await AgentProcess.create('netns');
  });
  after(async () => {
    await agent?.cleanup();
    backend?.kill('SIGTERM');
    await run('ip', ['netns', 'del', NS]).catch(() => undefined);
  });

  it('puts the VIP on the namespace lo, serves it from HAProxy inside, and removes it when unplaced', async () => {
    await agent.writeConfig(seConfig(1, [vip()]));
    agent.start(['--netns', NS]);
    await agent.applied(1);
    assert.ok((await loAddresses()).includes(`${VIP}/32`));
    assert.equal((await inNetns(CLIENT)).trim(), 'ns-backend');

    await agent.writeConfig(seConfig(2, []));
    await agent.applied(2);
    assert.ok(!(await loAddresses()).includes(`${VIP}/32`));
    assert.match((await inNetns(CLIENT)).trim(), /^ERR/);
  });
});
