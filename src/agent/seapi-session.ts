// The agent's one connection to the SE API: an HTTP/2 session (mutual TLS) that carries the config
// long-poll and every heartbeat as streams, instead of a TLS handshake per heartbeat and a second
// connection held by the long-poll (what the agent did before: measured with bench:seapi, the
// handshakes alone cost the operator more than its whole CPU goal at 1000 agents).
// A session belongs to one (URL, credential): a renewed certificate or the next controller URL
// opens a new one and lets the old one finish its streams. Any stream that fails or overruns its
// deadline destroys the session — over a silent network the TCP connection may be dead, and the
// next request must reconnect rather than queue on it (the partition tests' bound: one request
// timeout + one interval after the network is back).
import { connect, constants, type ClientHttp2Session } from 'node:http2';
import { isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface SessionKey {
  /** origin, e.g. https://127.0.0.1:9443 */
  origin: string;
  ca: string;
  cert?: string;
  key?: string;
}

export interface Answer { status: number; text: string }

export class SEApiSessions {
  private current: { id: string; key: SessionKey; session: ClientHttp2Session } | undefined;

  /** The session for KEY: the open one when it matches, else a new one (the old one closes after its streams). */
  private sessionFor(k: SessionKey): ClientHttp2Session {
    const id = `${k.origin}\n${k.cert ?? ''}`;
    const c = this.current;
    if (c !== undefined && c.id === id && !c.session.closed && !c.session.destroyed) return c.session;
    c?.session.close();
    const url = new URL(k.origin);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const session = connect(k.origin, {
      // Our own TLS socket: SNI only for a name (an IP URL is checked against the IP SAN without it).
      createConnection: () => tlsConnect({
        host, port: Number(url.port || 443), ca: k.ca, ALPNProtocols: ['h2'],
        ...(k.cert !== undefined && k.key !== undefined ? { cert: k.cert, key: k.key } : {}),
        ...(isIP(host) === 0 ? { servername: host } : {}),
      }),
    });
    // An error ends the session; the request that sees it reports it. Without a listener it would throw.
    session.on('error', () => undefined);
    session.on('close', () => {
      if (this.current?.session === session) this.current = undefined;
    });
    // Idle agents (no long-poll running) must not keep the event loop alive on their own.
    session.unref();
    this.current = { id, key: k, session };
    return session;
  }

  /** One request on the session; rejects on a stream error, the deadline (destroying the session) or the signal. */
  request(k: SessionKey, method: 'GET' | 'POST', pathAndQuery: string, headers: Record<string, string | number>, payload: Buffer | undefined, timeoutMs: number, signal?: AbortSignal): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => {
      if (signal?.aborted === true) return reject(abortError());
      let session: ClientHttp2Session;
      try {
        session = this.sessionFor(k);
      } catch (e) {
        return reject(e as Error);
      }
      const stream = session.request({ ':method': method, ':path': pathAndQuery, ...headers }, { endStream: payload === undefined });
      let done = false;
      const finish = (e: Error | undefined, a?: Answer): void => {
        if (done) return;
        done = true;
        clearTimeout(deadline);
        signal?.removeEventListener('abort', onAbort);
        if (e !== undefined) reject(e);
        else resolve(a as Answer);
      };
      const onAbort = (): void => {
        stream.close(constants.NGHTTP2_CANCEL);
        finish(abortError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      // A deadline for the whole request (connect, TLS, answer): a silent path must not hold a heartbeat.
      const deadline = setTimeout(() => {
        finish(new Error(`${method} ${pathAndQuery.split('?')[0]} timed out`));
        session.destroy();
      }, timeoutMs);
      let status = 0;
      const chunks: Buffer[] = [];
      stream.on('response', (h) => {
        status = Number(h[':status'] ?? 0);
      });
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => finish(undefined, { status, text: Buffer.concat(chunks).toString('utf8') }));
      stream.on('error', (e) => {
        finish(e);
        if (!session.destroyed) session.destroy();
      });
      stream.on('close', () => {
        if (!done) {
          // Closed without an end: a reset by the server or the session going away.
          finish(new Error(`${method} ${pathAndQuery.split('?')[0]}: stream closed (${stream.rstCode})`));
          if (stream.rstCode !== constants.NGHTTP2_NO_ERROR && stream.rstCode !== constants.NGHTTP2_CANCEL && !session.destroyed) session.destroy();
        }
      });
      if (payload !== undefined) stream.end(payload);
    });
  }

  close(): void {
    this.current?.session.close();
    this.current = undefined;
  }
}

function abortError(): Error {
  const e = new Error('The operation was aborted');
  e.name = 'AbortError';
  return e;
}
