// Long-lived flows from the client namespace (`ip netns exec NS node flows.ts ADDR PORT N`): N TCP
// connections opened once and never reopened, so a test can see which SE each one reaches before
// and after a next-hop change. On each stdin line "probe" it sends one HTTP/1.1 request per
// connection and prints {"probe":[ID | "error: …", …]}; a connection that failed stays failed.
// Exits when stdin closes. Type-strippable TypeScript, node: imports only.
import { connect, type Socket } from 'node:net';
import process from 'node:process';

const [addr, portStr, nStr, title] = process.argv.slice(2);
if (title !== undefined) process.title = title;
const port = Number(portStr);
const n = Number(nStr ?? '8');
if (addr === undefined || !Number.isInteger(port) || !Number.isInteger(n) || n < 1 || n > 1000) {
  process.stderr.write('usage: flows.ts ADDR PORT N (1..1000)\n');
  process.exit(2);
}

interface Flow { sock: Socket; buf: string; failed: string | null; waiter: ((r: string) => void) | null }
const flows: Flow[] = [];

function settle(f: Flow, r: string): void {
  const w = f.waiter;
  f.waiter = null;
  if (w !== null) w(r);
}

function onData(f: Flow): void {
  const end = f.buf.indexOf('\r\n\r\n');
  if (end < 0) return;
  const head = f.buf.slice(0, end);
  const len = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? '0');
  if (f.buf.length < end + 4 + len) return;
  f.buf = f.buf.slice(end + 4 + len);
  settle(f, /x-lbop-server:\s*(\S+)/i.exec(head)?.[1] ?? 'error: no X-Lbop-Server');
}

async function open(): Promise<void> {
  await Promise.all(Array.from({ length: n }, () => new Promise<void>((resolve) => {
    const f: Flow = { sock: connect({ host: addr, port }), buf: '', failed: null, waiter: null };
    flows.push(f);
    f.sock.setEncoding('utf8');
    f.sock.on('connect', () => resolve());
    f.sock.on('data', (d: string) => {
      f.buf += d;
      onData(f);
    });
    const fail = (why: string): void => {
      f.failed ??= why;
      settle(f, `error: ${f.failed}`);
      resolve();
    };
    f.sock.on('error', (e) => fail(e.message));
    f.sock.on('close', () => fail('closed'));
  })));
}

function probe(f: Flow): Promise<string> {
  if (f.failed !== null) return Promise.resolve(`error: ${f.failed}`);
  return new Promise((resolve) => {
    const t = setTimeout(() => settle(f, 'error: timeout'), 3000);
    f.waiter = (r) => {
      clearTimeout(t);
      resolve(r);
    };
    f.sock.write(`GET / HTTP/1.1\r\nHost: ${addr}\r\n\r\n`);
  });
}

await open();
process.stdout.write(JSON.stringify({ open: flows.filter((f) => f.failed === null).length }) + '\n');
let lines = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d: string) => {
  lines += d;
  let i;
  while ((i = lines.indexOf('\n')) >= 0) {
    const cmd = lines.slice(0, i).trim();
    lines = lines.slice(i + 1);
    if (cmd === 'probe') void Promise.all(flows.map(probe)).then((r) => process.stdout.write(JSON.stringify({ probe: r }) + '\n'));
  }
});
process.stdin.on('end', () => process.exit(0));
