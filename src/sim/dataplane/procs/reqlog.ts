// A paced HTTP/1.1 load client that logs every failed request (`ip netns exec NS node reqlog.ts
// ADDR PORT RATE CONNECTIONS MODE MAX_SECONDS MAX_REQUESTS [TITLE]`), for the scale-in figures
// that wrk gives as counts only. Per failure: when it was written (epoch ms), the connection's
// local port and id, new or reused (and how long it sat idle), the X-Lbop-Server of the
// connection's earlier answers (the pool server; the SE is told by the fabric's conntrack mark of
// that port), and the error — reset, timeout, eof (closed before a whole response), connect, or
// an HTTP status ≥ 400.
// MODE, how the client treats connections (every mode honours `Connection: close` from the server):
//   close  every request on a new connection and says `Connection: close` (a new flow per request)
//   eager  keep-alive; CONNECTIONS connections held open, each reopened AT ONCE when the server
//          closes it (wrk's behaviour: the new connection then waits idle for its next send slot)
//   lazy   keep-alive; a connection is opened only when a request has none idle to go on (a
//          browser's behaviour), at most CONNECTIONS
// LBOP_REQLOG_TLS=NAME: over TLS with that server name (the certificate is not checked: tls.test.ts
// does that; here only the requests count).
// Paced by a schedule: send slots 1000/RATE ms apart; a slot with no usable connection is skipped
// (counted), not made up. Bounded: MAX_SECONDS and MAX_REQUESTS, each a hard stop. A line "stop"
// on stdin (or its end) stops sending; requests in flight get 1.5 s, then one line is printed:
// RESULT {"sent":…,"ok":…,"failed":[…],"skipped":…,"connections":…,"connecting":…} and it exits
// (connecting: connections never established by the stop).
// Type-strippable TypeScript with node: imports only: node runs this file directly.
import { connect, type Socket } from 'node:net';
import process from 'node:process';
import { connect as tlsConnect } from 'node:tls';

const [addr, portStr, rateStr, connStr, mode, secStr, maxStr, title] = process.argv.slice(2);
if (title !== undefined) process.title = title;
const port = Number(portStr);
const rate = Number(rateStr);
const maxConns = Number(connStr);
const maxSeconds = Number(secStr);
const maxRequests = Number(maxStr);
if (addr === undefined || !Number.isInteger(port) || !(rate > 0 && rate <= 5000) || !Number.isInteger(maxConns) || maxConns < 1 || maxConns > 1000
  || (mode !== 'close' && mode !== 'eager' && mode !== 'lazy') || !(maxSeconds > 0 && maxSeconds <= 600) || !(maxRequests > 0 && maxRequests <= 1_000_000)) {
  process.stderr.write('usage: reqlog.ts ADDR PORT RATE(≤5000) CONNECTIONS(≤1000) close|eager|lazy MAX_SECONDS(≤600) MAX_REQUESTS(≤1e6) [TITLE]\n');
  process.exit(2);
}
const TIMEOUT_MS = 2_000;
const tlsName = process.env['LBOP_REQLOG_TLS'];
const GRACE_MS = 1_500;

export interface Failure {
  /** epoch ms the request was written (or its connection attempted) */
  at: number;
  conn: number;
  localPort: number;
  reused: boolean;
  /** ms the connection sat idle before this request (0 on a new one) */
  idleMs: number;
  /** requests this connection had answered before */
  answered: number;
  /** X-Lbop-Server of its last answer ('' when none) */
  lastServer: string;
  error: 'reset' | 'timeout' | 'eof' | 'connect' | 'status';
  detail: string;
  /** bytes of the response received before the failure */
  got: number;
  /** ms from the write to the failure */
  ms: number;
}

interface Conn {
  id: number;
  /** the local port, kept from the connect (a destroyed socket no longer says it) */
  port: number;
  sock: Socket;
  open: boolean;
  busy: boolean;
  closing: boolean;
  answered: number;
  lastServer: string;
  idleSince: number;
  buf: Buffer;
  req: { at: number; reused: boolean; idleMs: number; timer: NodeJS.Timeout } | undefined;
}

const conns = new Set<Conn>();
const failed: Failure[] = [];
let nextId = 1;
let sent = 0;
let ok = 0;
let skipped = 0;
let opened = 0;
let stopping = false;

const request = mode === 'close'
  ? `GET / HTTP/1.1\r\nHost: ${addr}\r\nConnection: close\r\n\r\n`
  : `GET / HTTP/1.1\r\nHost: ${addr}\r\n\r\n`;

function fail(c: Conn, error: Failure['error'], detail: string): void {
  const r = c.req;
  if (r === undefined) return;
  clearTimeout(r.timer);
  c.req = undefined;
  failed.push({ at: r.at, conn: c.id, localPort: c.port || (c.sock.localPort ?? 0), reused: r.reused, idleMs: r.idleMs, answered: c.answered, lastServer: c.lastServer, error, detail, got: c.buf.length, ms: Date.now() - r.at });
}

function drop(c: Conn): void {
  if (!conns.delete(c)) return;
  c.open = false;
  c.sock.destroy();
  if (mode === 'eager' && !stopping) openConn();
}

/** One whole response at the head of the buffer: [status, headers, bytes] or undefined (need more). */
function parse(buf: Buffer): { status: number; headers: Map<string, string>; length: number } | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? NaN);
  const headers = new Map<string, string>();
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim());
  }
  const body = end + 4;
  const cl = headers.get('content-length');
  if (cl !== undefined) return buf.length >= body + Number(cl) ? { status, headers, length: body + Number(cl) } : undefined;
  if ((headers.get('transfer-encoding') ?? '').toLowerCase().includes('chunked')) {
    const z = buf.indexOf('\r\n0\r\n\r\n', body - 2);
    return z < 0 ? undefined : { status, headers, length: z + 7 };
  }
  return { status, headers, length: body };
}

function onData(c: Conn, d: Buffer): void {
  c.buf = Buffer.concat([c.buf, d]);
  const r = parse(c.buf);
  if (r === undefined || c.req === undefined) return;
  c.buf = c.buf.subarray(r.length);
  const server = r.headers.get('x-lbop-server') ?? '';
  if (r.status >= 400 || Number.isNaN(r.status)) fail(c, 'status', String(r.status));
  else {
    clearTimeout(c.req.timer);
    c.req = undefined;
    ok++;
  }
  c.answered++;
  if (server !== '') c.lastServer = server;
  c.busy = false;
  c.idleSince = Date.now();
  if (mode === 'close' || (r.headers.get('connection') ?? '').toLowerCase() === 'close') drop(c);
}

function openConn(): Conn | undefined {
  if (conns.size >= maxConns) return undefined;
  const sock = tlsName !== undefined && tlsName !== '' ? tlsConnect({ host: addr, port, servername: tlsName, rejectUnauthorized: false }) : connect({ host: addr, port });
  const c: Conn = { id: nextId++, port: 0, sock, open: false, busy: false, closing: false, answered: 0, lastServer: '', idleSince: Date.now(), buf: Buffer.alloc(0), req: undefined };
  opened++;
  conns.add(c);
  // The port is bound at the connect call: kept at once, so a connection that never completes is placed too.
  setImmediate(() => { if (c.port === 0) c.port = c.sock.localPort ?? 0; });
  c.sock.setNoDelay(true);
  c.sock.on(tlsName !== undefined && tlsName !== '' ? 'secureConnect' : 'connect', () => {
    c.open = true;
    c.port = c.sock.localPort ?? 0;
    c.idleSince = Date.now();
    if (c.req !== undefined) c.sock.write(request);
  });
  c.sock.on('data', (d: Buffer) => onData(c, d));
  c.sock.on('error', (e: NodeJS.ErrnoException) => {
    const what = !c.open ? 'connect' : e.code === 'ECONNRESET' || e.code === 'EPIPE' ? 'reset' : 'eof';
    fail(c, what, e.code ?? e.message);
    drop(c);
  });
  c.sock.on('end', () => { fail(c, 'eof', 'FIN before a whole response'); drop(c); });
  c.sock.on('close', () => { fail(c, c.open ? 'eof' : 'connect', 'closed'); drop(c); });
  return c;
}

function send(c: Conn, reused: boolean): void {
  const now = Date.now();
  c.busy = true;
  const idleMs = reused ? now - c.idleSince : 0;
  c.req = { at: now, reused, idleMs, timer: setTimeout(() => { fail(c, 'timeout', `${TIMEOUT_MS} ms`); drop(c); }, TIMEOUT_MS) };
  sent++;
  if (c.open) c.sock.write(request);
}

function slot(): void {
  if (stopping) return;
  if (sent >= maxRequests) { stop(); return; }
  // An idle open connection first (eager, lazy): the one idle longest, so every connection takes
  // its turn (as each of wrk's connections waits for its own slot) and none sits idle unseen;
  // else a new one (close, lazy; eager only below its count).
  if (mode !== 'close') {
    let pick: Conn | undefined;
    for (const c of conns) if (c.open && !c.busy && (pick === undefined || c.idleSince < pick.idleSince)) pick = c;
    if (pick !== undefined) { send(pick, pick.answered > 0); return; }
  }
  if (mode !== 'eager') {
    const c = openConn();
    if (c !== undefined) { send(c, false); return; }
  }
  skipped++;
}

const interval = 1000 / rate;
let next = performance.now();
function tick(): void {
  if (stopping) return;
  const now = performance.now();
  // A slot missed by more than 100 ms is not made up (no burst after a stall).
  if (now - next > 100) next = now;
  while (next <= now) { slot(); next += interval; }
  setTimeout(tick, Math.max(0, next - performance.now()));
}

function stop(): void {
  if (stopping) return;
  stopping = true;
  setTimeout(() => {
    const connecting = [...conns].filter((c) => !c.open).length;
    for (const c of [...conns]) { fail(c, 'timeout', 'unanswered at the stop'); c.sock.destroy(); }
    process.stdout.write(`RESULT ${JSON.stringify({ sent, ok, failed, skipped, connections: opened, connecting })}\n`, () => process.exit(0));
  }, GRACE_MS);
}

if (mode === 'eager') for (let i = 0; i < maxConns; i++) openConn();
setTimeout(tick, mode === 'eager' ? 200 : 0);
setTimeout(stop, maxSeconds * 1000).unref();
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d: string) => { if (d.includes('stop')) stop(); });
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
process.stdout.write('ready\n');
