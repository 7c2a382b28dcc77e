// A tiny HTTP server run inside a namespace (`ip netns exec NS node identity.ts ADDR PORT ID`):
// every answer names who served it, in the body ({"server":ID}) and in X-Lbop-Server. Pool servers
// of the data plane are these; tests also use one per SE namespace, bound to the VIP on lo, as a
// STAND-IN for the SE agent's HAProxy. Prints "ready" once listening; exits when stdin closes, so
// it never outlives the simulator that started it (even one killed with SIGKILL).
// Plain type-strippable TypeScript with node: imports only: node runs this file directly.
import { createServer } from 'node:http';
import process from 'node:process';

const [addr, portStr, id, title] = process.argv.slice(2);
if (addr === undefined || portStr === undefined || id === undefined) {
  process.stderr.write('usage: identity.ts ADDR PORT ID [TITLE]\n');
  process.exit(2);
}
if (title !== undefined) process.title = title;
const body = JSON.stringify({ server: id }) + '\n';
let served = 0;
const server = createServer((req, res) => {
  served++;
  req.resume();
  res.setHeader('X-Lbop-Server', id);
  res.setHeader('Content-Type', 'application/json');
  // /slow?ms=N answers after N ms (≤ 30 s): a request still in flight when a test disables or
  // removes this server, to show it finishes.
  const slow = /^\/slow\?ms=(\d+)$/.exec(req.url ?? '');
  if (slow !== null) {
    setTimeout(() => res.end(body), Math.min(Number(slow[1]), 30_000));
    return;
  }
  res.end(req.url === '/served' ? JSON.stringify({ server: id, served }) + '\n' : body);
});
server.keepAliveTimeout = 60_000; // long-lived flows in tests stay open between requests
server.listen(Number(portStr), addr, () => process.stdout.write('ready\n'));
server.on('error', (e) => {
  process.stderr.write(`identity: ${e.message}\n`);
  process.exit(1);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
