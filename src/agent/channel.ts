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
import { Agent, request } from 'node:https';
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
  /** Each heartbeat ack's probe list (peerprobe.ts: the silent SEs this one witnesses). */
  onProbeTargets?: (targets: HeartbeatAck['probe']) => void;
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
  /** The credential's keep-alive connections to the SE API (agentFor). */
  private kept: { id: string; agent: Agent } | undefined;
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
    this.kept?.agent.destroy();
    this.kept = undefined;
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
          this.o.onProbeTargets?.(ack.probe);
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
   * The connections a request goes on. With a credential: one keep-alive agent per (URL,
   * credential) with at most 2 sockets — the held long-poll's and the heartbeats' — reused for the
   * agent's life, so heartbeats cost no TLS handshake (the agent used to open a connection per
   * request: at 1000 agents the operator's handshakes alone were over its CPU goal, bench:seapi).
   * Enrollment (no certificate yet) gets a one-off agent, destroyed after its request.
   */
  private agentFor(base: URL, credential: Credential | undefined): { agent: Agent; release: () => void } {
    if (credential === undefined) {
      const once = new Agent({ ca: this.o.identity.bootstrap.caBundle, keepAlive: false });
      return { agent: once, release: () => once.destroy() };
    }
    const id = `${base.origin}\n${credential.certificatePEM}`;
    if (this.kept?.id !== id) {
      this.kept?.agent.destroy();
      this.kept = { id, agent: new Agent({ ca: credential.caBundle, cert: credential.certificatePEM, key: credential.keyPEM, keepAlive: true, maxSockets: 2, maxFreeSockets: 2 }) };
    }
    return { agent: this.kept.agent, release: () => undefined };
  }

  /** One HTTPS request to the current controller URL. 304/204 → undefined. */
  private async call<T>(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    auth: { bearer?: string; credential?: Credential; timeoutMs?: number; signal?: AbortSignal },
  ): Promise<T> {
    const base = new URL(this.o.identity.bootstrap.controllerURLs[this.urlIndex] ?? '');
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const { agent, release } = this.agentFor(base, auth.credential);
    return new Promise<T>((resolve, reject) => {
      const req = request(
        new URL(path, base),
        {
          method,
          agent,
          headers: {
            accept: 'application/json',
            ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
            ...(auth.bearer !== undefined ? { authorization: `Bearer ${auth.bearer}` } : {}),
          },
          ...(auth.signal !== undefined ? { signal: auth.signal } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            clearTimeout(deadline);
            release();
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            if (status === 304 || status === 204) return resolve(undefined as T);
            if (status < 200 || status >= 300) {
              let reason = '';
              try {
                const err = JSON.parse(text) as { reason?: unknown; error?: unknown };
                reason = `${String(err.reason ?? '')}: ${String(err.error ?? '')}`.slice(0, 300);
              } catch {
                reason = '';
              }
              return reject(new HttpError(status, `${method} ${path.split('?')[0]} answered ${status} ${reason}`.trim()));
            }
            try {
              resolve(JSON.parse(text) as T);
            } catch {
              reject(new Error(`${method} ${path.split('?')[0]}: answer is not JSON`));
            }
          });
          res.on('error', reject);
        },
      );
      // A deadline for the whole request, not the socket's idle timeout: over TLS that one is
      // armed on the TCP socket and again on the TLS socket, so a silent network (a management
      // path that drops packets) held a heartbeat for twice its timeout (measured: 20 s for 10 s).
      const deadline = setTimeout(() => req.destroy(new Error(`${method} ${path.split('?')[0]} timed out`)), auth.timeoutMs ?? 10_000);
      req.on('close', () => clearTimeout(deadline));
      req.on('error', (e) => {
        clearTimeout(deadline);
        // The failed request's own socket is gone with it (req.destroy), so the next request opens
        // a new one rather than queue on a connection a silent network may have killed. The other
        // kept connection is left alone: dropping both on every heartbeat timeout turned a busy
        // operator into a handshake storm (bench:seapi: 1183 failures, mostly "socket hang up").
        release();
        reject(e);
      });
      req.end(payload);
    });
  }
}
