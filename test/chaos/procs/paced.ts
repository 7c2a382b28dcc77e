// A paced HTTP client for the data-plane chaos tests (`ip netns exec CLIENT node paced.ts URL
// RATE TIMEOUT_MS TITLE`): RATE requests a second on schedule (a late tick sends what is due, so
// the rate holds under load), each on a new connection with a TIMEOUT_MS deadline. Unlike wrk,
// whose failed connects retry as fast as the kernel refuses them, a fixed rate makes "requests
// lost" a count of requests the clients would have sent — comparable to rate × outage. When stdin
// closes it stops sending, waits for the requests in flight and prints one JSON line
// {"results":[[sentAtMs, "ok:<X-Lbop-Server>" | "error:<code>"], …]} (epoch ms, the test's clock).
// Meanwhile every 200 ms a progress line {"ok":N,"errors":M,"lastOkSentAt":MS} lets the test wait
// for the first request served after a fault.
// Type-strippable TypeScript, node: imports only.
import { get } from 'node:http';
import process from 'node:process';

const [url, rateStr, timeoutStr, title] = process.argv.slice(2);
if (title !== undefined) process.title = title;
const rate = Number(rateStr);
const timeoutMs = Number(timeoutStr ?? '1000');
if (url === undefined || !(rate > 0 && rate <= 2000) || !(timeoutMs > 0)) {
  process.stderr.write('usage: paced.ts URL RATE(1..2000) TIMEOUT_MS [TITLE]\n');
  process.exit(2);
}

const results: Array<[number, string]> = [];
let inFlight = 0;
let ok = 0;
let errors = 0;
let lastOkSentAt = 0;
let stopping = false;

function one(): void {
  const sentAt = Date.now();
  const slot: [number, string] = [sentAt, 'pending'];
  results.push(slot);
  inFlight++;
  let settled = false;
  const settle = (outcome: string): void => {
    if (settled) return;
    settled = true;
    slot[1] = outcome;
    inFlight--;
    if (outcome.startsWith('ok:')) {
      ok++;
      lastOkSentAt = Math.max(lastOkSentAt, sentAt);
    } else errors++;
  };
  const req = get(url as string, { agent: false, headers: { connection: 'close' }, timeout: timeoutMs }, (res) => {
    const server = String(res.headers['x-lbop-server'] ?? `status-${res.statusCode}`);
    res.resume();
    res.on('end', () => settle(res.statusCode === 200 ? `ok:${server}` : `error:status-${res.statusCode}`));
    res.on('error', (e: NodeJS.ErrnoException) => settle(`error:${e.code ?? 'read'}`));
  });
  req.on('timeout', () => {
    settle('error:timeout');
    req.destroy();
  });
  req.on('error', (e: NodeJS.ErrnoException) => settle(`error:${e.code ?? 'request'}`));
}

const t0 = Date.now();
let sent = 0;
const tick = setInterval(() => {
  if (stopping) return;
  const due = Math.floor(((Date.now() - t0) * rate) / 1000);
  while (sent < due) {
    one();
    sent++;
  }
}, 5);
const progress = setInterval(() => process.stdout.write(`${JSON.stringify({ ok, errors, lastOkSentAt })}\n`), 200);

process.stdin.resume();
process.stdin.on('end', () => {
  stopping = true;
  clearInterval(tick);
  clearInterval(progress);
  const wait = setInterval(() => {
    if (inFlight > 0) return;
    clearInterval(wait);
    process.stdout.write(`${JSON.stringify({ results })}\n`, () => process.exit(0));
  }, 20);
});
process.stdout.write('ready\n');
