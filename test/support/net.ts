// A free loopback TCP port for a server a test starts next (an operator's SE API, a backend).
// Bound and released at once: the kernel hands it out again only after the ephemeral range wraps.
import { createServer } from 'node:net';

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
