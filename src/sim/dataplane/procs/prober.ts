// The fabric's health-check prober (`ip netns exec FABRIC node prober.ts`): the vRouter side of
// Contrail's service-health-check. stdin: one JSON line per change, {"targets":[Target…]} (the
// whole set, level-triggered); stdout: {"vmi":ID,"up":BOOL,"reason":TEXT} on every transition. A
// target goes down after `retries` consecutive failures and up again on the first success; it
// starts up (the operator adds an SE to a VIP only once it serves). HTTP: a GET to the URL, any
// status in `expected` (default 200) is a success. PING: `ping -c1` (iputils-ping). Exits when
// stdin closes. Type-strippable TypeScript, node: imports only.
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import process from 'node:process';

interface Target { vmi: string; kind: 'HTTP' | 'PING'; address: string; url: string; delayMs: number; timeoutMs: number; retries: number; expected: number[] }
interface State { t: Target; up: boolean; fails: number; timer: NodeJS.Timeout | undefined; key: string }

const title = process.argv[2];
if (title !== undefined) process.title = title;
const states = new Map<string, State>();

function report(s: State, up: boolean, reason: string): void {
  if (s.up === up) return;
  s.up = up;
  process.stdout.write(JSON.stringify({ vmi: s.t.vmi, up, reason }) + '\n');
}

function probeOnce(t: Target): Promise<string | undefined> {
  if (t.kind === 'PING') {
    return new Promise((resolve) => {
      execFile('ping', ['-n', '-q', '-c', '1', '-W', String(Math.max(1, Math.ceil(t.timeoutMs / 1000))), t.address], { timeout: t.timeoutMs + 1000 }, (err) => {
        resolve(err === null ? undefined : `ping ${t.address}: ${err.message.split('\n')[0] ?? ''}`);
      });
    });
  }
  return new Promise((resolve) => {
    const req = request(t.url, { method: 'GET', timeout: t.timeoutMs, agent: false }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      resolve(t.expected.includes(code) ? undefined : `GET ${t.url}: ${code}`);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve(`GET ${t.url}: ${e.message}`));
    req.end();
  });
}

function schedule(s: State): void {
  s.timer = setTimeout(() => {
    void probeOnce(s.t).then((failure) => {
      if (states.get(s.t.vmi) !== s) return; // replaced or removed meanwhile
      if (failure === undefined) {
        s.fails = 0;
        report(s, true, 'probe ok');
      } else if (++s.fails >= s.t.retries) {
        report(s, false, failure);
      }
      schedule(s);
    });
  }, s.t.delayMs);
}

function setTargets(targets: Target[]): void {
  const keep = new Set<string>();
  for (const t of targets) {
    keep.add(t.vmi);
    const key = JSON.stringify(t);
    const cur = states.get(t.vmi);
    if (cur !== undefined && cur.key === key) continue;
    if (cur !== undefined) clearTimeout(cur.timer);
    const s: State = { t, up: cur?.up ?? true, fails: 0, timer: undefined, key };
    states.set(t.vmi, s);
    schedule(s);
  }
  for (const [vmi, s] of states) {
    if (keep.has(vmi)) continue;
    clearTimeout(s.timer);
    states.delete(vmi);
  }
}

let buf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d: string) => {
  buf += d;
  let i;
  while ((i = buf.indexOf('\n')) >= 0) {
    const line = buf.slice(0, i);
    buf = buf.slice(i + 1);
    try {
      const msg = JSON.parse(line) as { targets?: Target[] };
      if (Array.isArray(msg.targets)) setTargets(msg.targets);
    } catch (e) {
      process.stderr.write(`prober: bad line: ${(e as Error).message}\n`);
    }
  }
});
process.stdin.on('end', () => process.exit(0));
process.stdout.write('ready\n');
