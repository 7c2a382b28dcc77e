// The operations endpoint on loopback (or a given host): /healthz (the process is alive),
// /readyz (every named check passes) and /metrics (prom-client text format). With `tls` it serves
// HTTPS, and with `authorizer` every /metrics request must carry a bearer token the authorizer
// admits (401 without one, 403 for a user not granted `get /metrics`; see metricsauth.ts).
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Authorizer, TLSMaterial } from './metricsauth.js';

/** A readiness check: true, or a short reason why not. */
export type ReadyCheck = () => true | string;

export interface HealthServerOptions {
  registry: Registry;
  checks: Record<string, ReadyCheck>;
  host?: string;
  port?: number;
  tls?: TLSMaterial;
  authorizer?: Authorizer;
  /** Told of refused and failed authorizations (never the token). */
  onAuthError?: (message: string) => void;
}

export interface HealthServer {
  url: string;
  /** Serves a new certificate to new connections (a rotated cert-manager Secret); https only. */
  setTLS(tls: TLSMaterial): void;
  close(): Promise<void>;
}

export async function startHealthServer(o: HealthServerOptions): Promise<HealthServer> {
  const handler: http.RequestListener = (req, res) => {
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
      const serve = (): void => {
        o.registry.metrics().then(
          (text) => send(200, text, o.registry.contentType),
          (e: unknown) => send(500, `metrics failed: ${(e as Error).message}\n`),
        );
      };
      if (o.authorizer === undefined) return serve();
      o.authorizer.check(req.headers.authorization, path).then(
        (v) => {
          if (v.allowed) return serve();
          o.onAuthError?.(`metrics scrape refused (${v.code}): ${v.reason}`);
          send(v.code, v.code === 401 ? 'Unauthorized\n' : 'Forbidden\n');
        },
        (e: unknown) => {
          o.onAuthError?.(`metrics authorization failed: ${(e as Error).message}`);
          send(503, 'authorization check failed\n');
        },
      );
      return;
    }
    send(404, 'not found\n');
  };
  const server = o.tls !== undefined ? https.createServer({ cert: o.tls.cert, key: o.tls.key, minVersion: 'TLSv1.2' }, handler) : http.createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', resolve);
  });
  const addr = server.address() as AddressInfo;
  return {
    url: `${o.tls !== undefined ? 'https' : 'http'}://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`,
    setTLS: (tls) => {
      if (!(server instanceof https.Server)) throw new Error('setTLS on a plain HTTP server');
      server.setSecureContext({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' });
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
