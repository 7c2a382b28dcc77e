// The agent's side of the SE API (src/seapi/protocol.ts): enroll with the single-use bootstrap token
// and a CSR for a short-lived client certificate, then mutual TLS for everything else: long-poll
// the whole desired config (level-triggered: whatever version comes back is offered to the
// applier, which converges to it), heartbeat, renew at ~2/3 of the certificate's life. Every
// controller URL is tried in order; failures back off with jitter. The data plane never waits on
// this: HAProxy serves the last good config whatever happens here.
//
// The CSR comes from @peculiar/x509: Node's crypto makes keys and verifies certificates but
// cannot build a PKCS#10 request; @peculiar/x509 is the maintained pure-TS library (on WebCrypto,
// so the key is Node's own) that can. The private key never leaves the state dir (0600) and is
// never logged.
import { webcrypto, X509Certificate } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Backoff } from '../runtime/backoff.js';
import { x509 } from '../runtime/x509.js';
import type { Logger } from '../runtime/log.js';
import {
  SE_API_PATHS,
  type EnrollRequest,
  type EnrollResponse,
  type Heartbeat,
  type HeartbeatAck,
  type RenewRequest,
} from '../seapi/protocol.js';
import type { Identity } from './bootstrap.js';
import { SEApiSessions } from './seapi-session.js';

const KEY_ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface Credential {
  keyPEM: string;
  certificatePEM: string;
  caBundle: string;
  notBefore: Date;
  notAfter: Date;
}

/** A fresh P-256 key and a CSR for it (the subject is ignored by the operator). */
export async function newKeyAndCSR(commonName: string): Promise<{ keyPEM: string; csrPEM: string }> {
  const keys = (await webcrypto.subtle.generateKey(KEY_ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${commonName.replace(/[^A-Za-z0-9._/-]/g, '_')}`,
    keys,
    signingAlgorithm: KEY_ALG,
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPEM = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
  return { keyPEM, csrPEM: csr.toString('pem') };
}

/** When to renew: two thirds into the certificate's life. */
export function renewAt(c: Pick<Credential, 'notBefore' | 'notAfter'>): number {
  const start = c.notBefore.getTime();
  return start + ((c.notAfter.getTime() - start) * 2) / 3;
}

export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export interface ChannelOptions {
  identity: Identity;
  stateDir: string;
  log: Logger;
  /** Desired config received (any JSON; the applier validates). */
  onConfig: (config: unknown) => Promise<void>;
  /** The heartbeat to send now. */
  heartbeat: () => Promise<Heartbeat>;
  /** The version the applier serves (what the long-poll waits to differ from). */
  appliedVersion: () => number;
}

export class Channel {
  private credential: Credential | undefined;
  private urlIndex = 0;
  private stopped = false;
  private intervalMs: number;
  private polledVersion = -1;
  private pollAbort: AbortController | undefined;
  /** Ends the heartbeat loop's wait early (heartbeatNow); `kicked` keeps a kick that came mid-send. */
  private wake: (() => void) | undefined;
  private kicked = false;
  private readonly backoff = new Backoff({ initialMs: 500, maxMs: 30_000, jitter: 0.5 });
  /** The one connection to the SE API that the config long-poll and the heartbeats share. */
  private readonly sessions = new SEApiSessions();
  /** Ends the loops' sleeps at stop(), so run() returns at once. */
  private readonly stopping = new AbortController();

  constructor(private readonly o: ChannelOptions) {
    this.intervalMs = o.identity.bootstrap.heartbeatIntervalMs;
  }

  private get keyPath(): string {
    return join(this.o.stateDir, 'client.key');
  }
  private get certPath(): string {
    return join(this.o.stateDir, 'client.json');
  }

  /** Runs the loops until stop(); never throws. */
  async run(): Promise<void> {
    await Promise.all([this.configLoop(), this.heartbeatLoop(), this.renewLoop()]);
  }

  stop(): void {
    this.stopped = true;
    this.pollAbort?.abort();
    this.wake?.();
    this.sessions.close();
    this.stopping.abort();
  }

  /** Sends the next heartbeat now rather than at the period's end (a member changed state: memberwatch.ts). */
  heartbeatNow(): void {
    this.kicked = true;
    this.wake?.();
  }

  private async waitHeartbeat(ms: number): Promise<void> {
    if (this.kicked) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
    this.wake = undefined;
  }

  private enrolling: Promise<Credential> | undefined;

  /** One enrollment at a time: the token is single-use, and three loops may ask at once. */
  private async ensureCredential(): Promise<Credential> {
    if (this.credential !== undefined && this.credential.notAfter.getTime() > Date.now()) return this.credential;
    this.enrolling ??= this.enroll().finally(() => {
      this.enrolling = undefined;
    });
    return this.enrolling;
  }

  private async enroll(): Promise<Credential> {
    const saved = await this.loadCredential();
    if (saved !== undefined && saved.notAfter.getTime() > Date.now()) return (this.credential = saved);
    // No valid certificate: trade the bootstrap token (single-use) for one.
    const { keyPEM, csrPEM } = await newKeyAndCSR(`${this.o.identity.bootstrap.serviceEngine.namespace}/${this.o.identity.bootstrap.serviceEngine.name}`);
    const body: EnrollRequest = { csr: csrPEM, serverID: this.o.identity.serverID };
    const res = await this.call<EnrollResponse>('POST', SE_API_PATHS.enroll, body, { bearer: this.o.identity.bootstrap.bootstrapToken });
    this.o.log.info('enrolled with the SE API', { notAfter: res.notAfter });
    return this.saveCredential(keyPEM, res);
  }

  private async renew(): Promise<void> {
    const { keyPEM, csrPEM } = await newKeyAndCSR(this.o.identity.bootstrap.serviceEngine.name);
    const body: RenewRequest = { csr: csrPEM };
    const res = await this.call<EnrollResponse>('POST', SE_API_PATHS.renew, body, { credential: await this.ensureCredential() });
    await this.saveCredential(keyPEM, res);
    this.o.log.info('client certificate renewed', { notAfter: res.notAfter });
  }

  private async saveCredential(keyPEM: string, res: EnrollResponse): Promise<Credential> {
    const cert = new X509Certificate(res.certificate);
    const credential: Credential = {
      keyPEM,
      certificatePEM: res.certificate,
      caBundle: res.caBundle || this.o.identity.bootstrap.caBundle,
      notBefore: new Date(cert.validFrom),
      notAfter: new Date(cert.validTo),
    };
    await writeFile(`${this.keyPath}.tmp`, keyPEM, { mode: 0o600 });
    await rename(`${this.keyPath}.tmp`, this.keyPath);
    await writeFile(this.certPath, JSON.stringify({ certificate: res.certificate, caBundle: credential.caBundle }), { mode: 0o600 });
    this.credential = credential;
    return credential;
  }

  private async loadCredential(): Promise<Credential | undefined> {
    try {
      const keyPEM = await readFile(this.keyPath, 'utf8');
      const saved = JSON.parse(await readFile(this.certPath, 'utf8')) as { certificate: string; caBundle: string };
      const cert = new X509Certificate(saved.certificate);
      return { keyPEM, certificatePEM: saved.certificate, caBundle: saved.caBundle, notBefore: new Date(cert.validFrom), notAfter: new Date(cert.validTo) };
    } catch {
      return undefined;
    }
  }

  private async configLoop(): Promise<void> {
    let healthySince = Date.now();
    while (!this.stopped) {
      try {
        const credential = await this.ensureCredential();
        this.pollAbort = new AbortController();
        const wait = Math.max(this.polledVersion, this.o.appliedVersion());
        const res = await this.call<unknown>('GET', `${SE_API_PATHS.config}?wait=${wait}`, undefined, {
          credential,
          timeoutMs: 45_000,
          signal: this.pollAbort.signal,
        });
        if (res !== undefined) {
          const v = (res as { version?: unknown }).version;
          if (typeof v === 'number') this.polledVersion = v;
          await this.o.onConfig(res);
        }
        healthySince = Date.now();
      } catch (e) {
        if (this.stopped) return;
        if ((e as Error).name === 'AbortError') continue;
        await this.failed('config', e, Date.now() - healthySince);
      }
    }
  }

  private async heartbeatLoop(): Promise<void> {
    while (!this.stopped) {
      await this.waitHeartbeat(Math.round(this.intervalMs * (0.9 + 0.2 * Math.random())));
      if (this.stopped) return;
      this.kicked = false;
      try {
        const credential = await this.ensureCredential();
        const ack = await this.call<HeartbeatAck>('POST', SE_API_PATHS.heartbeat, await this.o.heartbeat(), { credential });
        if (ack !== undefined) {
          if (Number.isInteger(ack.heartbeatIntervalMs) && ack.heartbeatIntervalMs >= 100) this.intervalMs = ack.heartbeatIntervalMs;
          // The operator has a version we have not seen: re-poll now rather than wait for the long-poll.
          if (ack.configVersion !== this.polledVersion && ack.configVersion !== this.o.appliedVersion()) this.pollAbort?.abort();
        }
      } catch (e) {
        this.o.log.warn('heartbeat failed', { error: (e as Error).message });
      }
    }
  }

  private async renewLoop(): Promise<void> {
    while (!this.stopped) {
      const c = this.credential;
      const delay = c === undefined ? 1_000 : Math.max(250, renewAt(c) - Date.now());
      await this.pause(Math.min(delay, 60_000));
      if (this.stopped || c === undefined || Date.now() < renewAt(c)) continue;
      try {
        await this.renew();
      } catch (e) {
        this.o.log.warn('certificate renewal failed', { error: (e as Error).message });
      }
    }
  }

  private async failed(what: string, e: unknown, healthyForMs: number): Promise<void> {
    const urls = this.o.identity.bootstrap.controllerURLs;
    this.urlIndex = (this.urlIndex + 1) % urls.length;
    const delay = this.backoff.next(healthyForMs);
    this.o.log.warn(`SE API ${what} failed; next try`, { error: (e as Error).message, inMs: Math.round(delay), url: urls[this.urlIndex] });
    await this.pause(delay);
  }

  private pause(ms: number): Promise<void> {
    return sleep(ms, undefined, { signal: this.stopping.signal }).catch(() => undefined);
  }

  /**
   * One request to the current controller URL. 304/204 → undefined. Enrollment (no client
   * certificate yet) goes on a session of its own; everything after it shares the credential's one
   * HTTP/2 session (seapi-session.ts).
   */
  private async call<T>(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    auth: { bearer?: string; credential?: Credential; timeoutMs?: number; signal?: AbortSignal },
  ): Promise<T> {
    const base = new URL(this.o.identity.bootstrap.controllerURLs[this.urlIndex] ?? '');
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const sessions = auth.credential !== undefined ? this.sessions : new SEApiSessions();
    const url = new URL(path, base);
    try {
      const { status, text } = await sessions.request(
        {
          origin: url.origin,
          ca: auth.credential?.caBundle ?? this.o.identity.bootstrap.caBundle,
          ...(auth.credential !== undefined ? { cert: auth.credential.certificatePEM, key: auth.credential.keyPEM } : {}),
        },
        method,
        `${url.pathname}${url.search}`,
        {
          accept: 'application/json',
          ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
          ...(auth.bearer !== undefined ? { authorization: `Bearer ${auth.bearer}` } : {}),
        },
        payload,
        auth.timeoutMs ?? 10_000,
        auth.signal,
      );
      if (status === 304 || status === 204) return undefined as T;
      if (status < 200 || status >= 300) {
        let reason = '';
        try {
          const err = JSON.parse(text) as { reason?: unknown; error?: unknown };
          reason = `${String(err.reason ?? '')}: ${String(err.error ?? '')}`.slice(0, 300);
        } catch {
          reason = '';
        }
        throw new HttpError(status, `${method} ${path.split('?')[0]} answered ${status} ${reason}`.trim());
      }
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new Error(`${method} ${path.split('?')[0]}: answer is not JSON`);
      }
    } finally {
      if (sessions !== this.sessions) sessions.close();
    }
  }
}
