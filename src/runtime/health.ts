// The operations endpoint on loopback (or a given host): /healthz (the process is alive),
// /readyz (every named check passes) and /metrics (prom-client text format).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** A readiness check: true, or a short reason why not. */
export type ReadyCheck = () => true | string;

export interface HealthServerOptions {
  registry: Registry;
  checks: Record<string, ReadyCheck>;
  host?: string;
  port?: number;
}

export interface HealthServer {
  url: string;
  close(): Promise<void>;
}

export async function startHealthServer(o: HealthServerOptions): Promise<HealthServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (code: number, body: string, type = 'text/plain; charset=utf-8'): void => {
      res.writeHead(code, { 'Content-Type': type, 'Cache-Control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n');
    if (path === '/healthz' || path === '/livez') return send(200, 'ok\n');
    if (path === '/readyz') {
      const failing = Object.entries(o.checks).flatMap(([name, check]) => {
        const r = check();
        return r === true ? [] : [`${name}: ${r}`];
      });
      return failing.length === 0 ? send(200, 'ok\n') : send(503, `not ready\n${failing.join('\n')}\n`);
    }
    if (path === '/metrics') {
      o.registry.metrics().then(
        (text) => send(200, text, o.registry.contentType),
        (e: unknown) => send(500, `metrics failed: ${(e as Error).message}\n`),
      );
      return;
    }
    send(404, 'not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', resolve);
  });
  const addr = server.address() as AddressInfo;
  return {
    url: `http://${addr.address}:${addr.port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
