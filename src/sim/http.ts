// A tiny node:http router shared by the five simulated APIs. Every request runs the same
// pipeline: route match → global rate limit → injected faults → auth → handler → stats, so that
// faults and accounting work by API, method and route template for all of them alike.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Token } from './keystone.js';

export type ApiName = 'keystone' | 'nova' | 'neutron' | 'contrail' | 'analytics' | 'control';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Exception class for APIs that name one (Neutron type, Nova fault name). */
    readonly kind?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface Reply {
  status: number;
  /** Objects are sent as JSON, strings as text (VNC error bodies), undefined as an empty body. */
  body?: unknown;
  headers?: Record<string, string>;
  contentType?: string;
}

export interface Request {
  api: ApiName;
  method: string;
  path: string;
  query: URLSearchParams;
  params: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  raw: string;
  /** Route template, for stats and fault matching; a handler may refine it. */
  route: string;
  /** The validated Keystone token, once authenticate() ran. */
  token?: Token;
  json(): unknown;
}

export type Handler = (req: Request) => Reply | Promise<Reply>;

interface Route {
  method: string;
  segments: string[];
  template: string;
  handler: Handler;
}

export class Router {
  private readonly routes: Route[] = [];
  /** Refines a template into the label used by stats and faults (VNC: `/virtual-network/{id}`). */
  label?: (template: string, params: Record<string, string>) => string;

  add(method: string, template: string, handler: Handler): this {
    this.routes.push({ method, template, segments: template.split('/').filter((s) => s !== ''), handler });
    return this;
  }

  /** Finds the route; `allowed` lists methods of templates that matched the path but not the method. */
  match(method: string, path: string): { route?: Route; params: Record<string, string>; allowed: string[] } {
    const parts = path.split('/').filter((s) => s !== '');
    const allowed: string[] = [];
    for (const r of this.routes) {
      if (r.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length; i++) {
        const seg = r.segments[i] as string;
        const part = parts[i] as string;
        if (seg.startsWith('{') && seg.endsWith('}')) params[seg.slice(1, -1)] = decodeURIComponent(part);
        else if (seg !== part) {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      if (r.method === method || (method === 'HEAD' && r.method === 'GET')) return { route: r, params, allowed };
      allowed.push(r.method);
    }
    return { params: {}, allowed };
  }
}

/** What the pipeline needs from the simulator around it. */
export interface Pipeline {
  /** Formats an error in this API's wire format. */
  errorReply(api: ApiName, err: ApiError): Reply;
  /**
   * Returns a reply to send instead of running the handler (429, injected fault), 'drop', or
   * undefined; `{ lostReply }`: run the handler, then hold the connection and reset it unanswered.
   */
  before(api: ApiName, req: Request, socket: Socket): Promise<Reply | 'drop' | LostReply | undefined>;
  /** Holds a connection open for up to `ms` (resolves early when the client closes it). */
  hold?(socket: Socket, ms: number): Promise<void>;
  /** Auth check; throws ApiError(401/403). */
  authenticate(api: ApiName, req: Request): void;
  after(api: ApiName, req: Request, status: number, ms: number): void;
  /** Rewrites a path before routing (Nova's optional /{project_id} segment). */
  rewrite?(api: ApiName, path: string): { path: string; prefix: string };
}

export interface LostReply { lostReply: { hangMs: number } }
const isLost = (p: unknown): p is LostReply => typeof p === 'object' && p !== null && 'lostReply' in p;

const MAX_BODY = 8 * 1024 * 1024;

export interface ApiServer {
  api: ApiName;
  url: string;
  server: http.Server;
  close(): Promise<void>;
}

export async function serveApi(api: ApiName, router: Router, pipe: Pipeline, host: string, port: number): Promise<ApiServer> {
  const sockets = new Set<Socket>();
  const server = http.createServer({ keepAlive: true }, (req, res) => {
    void handle(api, router, pipe, req, res);
  });
  server.keepAliveTimeout = 65_000;
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return {
    api,
    url: `http://${host}:${addr.port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function send(res: http.ServerResponse, reply: Reply, head: boolean): void {
  const headers: Record<string, string> = { ...(reply.headers ?? {}) };
  let payload = '';
  if (reply.body !== undefined) {
    if (typeof reply.body === 'string') {
      payload = reply.body;
      headers['Content-Type'] ??= reply.contentType ?? 'text/html; charset=UTF-8';
    } else {
      payload = JSON.stringify(reply.body);
      headers['Content-Type'] ??= reply.contentType ?? 'application/json';
    }
  }
  headers['Content-Length'] = String(Buffer.byteLength(payload));
  res.writeHead(reply.status, headers);
  res.end(head ? undefined : payload);
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    const b = c as Buffer;
    size += b.length;
    if (size > MAX_BODY) throw new ApiError(413, 'Request Entity Too Large');
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function handle(api: ApiName, router: Router, pipe: Pipeline, hreq: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const started = performance.now();
  const method = hreq.method ?? 'GET';
  let status = 500;
  let route = '(unmatched)';
  let request: Request | undefined;
  try {
    const url = new URL(hreq.url ?? '/', 'http://x');
    let path = url.pathname;
    let prefix = '';
    if (pipe.rewrite !== undefined) ({ path, prefix } = pipe.rewrite(api, path));
    const raw = await readBody(hreq);
    const { route: r, params, allowed } = router.match(method, path);
    route = r === undefined ? '(unmatched)' : prefix + (router.label?.(r.template, params) ?? r.template);
    let parsed: { v: unknown } | undefined;
    request = {
      api, method, path, query: url.searchParams, params, headers: hreq.headers, raw, route,
      json() {
        if (parsed === undefined) {
          if (raw.trim() === '') parsed = { v: undefined };
          else {
            try {
              parsed = { v: JSON.parse(raw) as unknown };
            } catch {
              throw new ApiError(400, 'Malformed request body', 'MalformedRequestBody');
            }
          }
        }
        return parsed.v;
      },
    };
    const pre = await pipe.before(api, request, hreq.socket);
    if (pre === 'drop') {
      status = 0;
      hreq.socket.destroy();
      return;
    }
    let reply: Reply;
    if (isLost(pre)) {
      // The request is carried out; only its answer (success or error) is lost.
      try {
        if (r !== undefined) { pipe.authenticate(api, request); await r.handler(request); }
      } catch { /* an error reply is lost the same way */ }
      status = 0;
      if (pre.lostReply.hangMs > 0) await pipe.hold?.(hreq.socket, pre.lostReply.hangMs);
      hreq.socket.destroy();
      return;
    }
    if (pre !== undefined) reply = pre;
    else if (r === undefined) {
      if (allowed.length > 0) throw new ApiError(405, `The method ${method} is not allowed for this resource.`, 'HTTPMethodNotAllowed', { Allow: allowed.join(', ') });
      throw new ApiError(404, `The resource could not be found.`, 'HTTPNotFound');
    } else {
      pipe.authenticate(api, request);
      reply = await r.handler(request);
    }
    status = reply.status;
    send(res, reply, method === 'HEAD');
  } catch (e) {
    const err = e instanceof ApiError ? e : new ApiError(500, e instanceof Error ? e.message : String(e));
    const reply = pipe.errorReply(api, err);
    status = reply.status;
    if (!res.headersSent) send(res, reply, method === 'HEAD');
    else res.destroy();
  } finally {
    if (request !== undefined) route = request.route;
    const fake = request ?? ({ api, method, path: '', route } as unknown as Request);
    fake.route = route;
    pipe.after(api, fake, status, performance.now() - started);
  }
}
