// The certificates of VirtualServices that terminate TLS (spec.tls.secretRef, a kubernetes.io/tls
// Secret in the VS's namespace), read for the SE API's desired configs. Read by GET, one Secret
// at a time, rather than by a watch over every Secret of every tenant namespace: the operator's
// RBAC stays "get these named Secrets" (docs/tls.md), never list/watch of a namespace's Secrets.
// A read is repeated every refreshMs (30 s), so a renewed certificate (cert-manager) reaches the
// SEs within that period; an unusable one every retryMs (3 s), so a Secret made after its VS is
// served within seconds. The key material is never logged, put in an event or in status: only the
// Secret's name and what is wrong with it.
import { createHash } from 'node:crypto';
import type winston from 'winston';
import { isStatus, type KubeClient, type KubeObject } from '../runtime/index.js';
import type { Secret } from './model/index.js';

/** The certificate chain and key as the SE API sends them (desired.ts's tlsOf). */
export interface TLSMaterial {
  'tls.crt': string;
  'tls.key': string;
}

export type TLSRead = { material: TLSMaterial } | { problem: string; reason: 'TLSSecretNotFound' | 'TLSSecretForbidden' | 'TLSSecretInvalid' | 'TLSSecretUnreadable' };

/** The Secret a VS names when one of its services has enableSSL; undefined when it needs none. */
export function tlsSecretName(vs: { spec: { services?: readonly { enableSSL?: boolean }[]; tls?: { secretRef?: { name?: string } } } }): string | undefined {
  if (!(vs.spec.services ?? []).some((s) => s.enableSSL === true)) return undefined;
  const name = vs.spec.tls?.secretRef?.name;
  return name === undefined || name === '' ? undefined : name;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;
const PEM_KEY = /-----BEGIN (?:RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC )?PRIVATE KEY-----/;

/** What a read Secret gives: the PEM pair, or why it cannot be served (never quoting its data). */
export function tlsMaterialOf(secret: Secret, ref: string): TLSRead {
  if (secret.type !== undefined && secret.type !== 'kubernetes.io/tls') {
    return { reason: 'TLSSecretInvalid', problem: `Secret ${ref} has type ${secret.type}; want kubernetes.io/tls (keys tls.crt and tls.key)` };
  }
  const decode = (k: string): string | undefined => {
    const v = secret.data?.[k];
    return v === undefined || v === '' ? undefined : Buffer.from(v, 'base64').toString('utf8');
  };
  const crt = decode('tls.crt');
  const key = decode('tls.key');
  const missing = [crt === undefined ? 'tls.crt' : '', key === undefined ? 'tls.key' : ''].filter((x) => x !== '');
  if (missing.length > 0) return { reason: 'TLSSecretInvalid', problem: `Secret ${ref} has no ${missing.join(' and no ')}` };
  if (!PEM_CERT.test(crt ?? '')) return { reason: 'TLSSecretInvalid', problem: `Secret ${ref}: tls.crt is not a PEM certificate` };
  if (!PEM_KEY.test(key ?? '')) return { reason: 'TLSSecretInvalid', problem: `Secret ${ref}: tls.key is not a PEM private key` };
  return { material: { 'tls.crt': crt ?? '', 'tls.key': key ?? '' } };
}

/** A failed GET, in the user's terms. */
export function readProblem(err: unknown, ref: string): TLSRead {
  if (isStatus(err, 404)) return { reason: 'TLSSecretNotFound', problem: `Secret ${ref} not found` };
  if (isStatus(err, 403)) return { reason: 'TLSSecretForbidden', problem: `the operator may not get Secret ${ref}: grant it get on that Secret (docs/tls.md)` };
  return { reason: 'TLSSecretUnreadable', problem: `Secret ${ref} could not be read: ${(err as Error).message}` };
}

interface Tracked {
  vs: KubeObject;
  ref: string;
  read?: TLSRead;
  /** Hash of the material (or the problem): a change is what triggers a recompute. */
  digest?: string;
  timer?: NodeJS.Timeout;
}

export interface TLSSecretsOptions {
  client: KubeClient;
  logger: winston.Logger;
  /** Re-read period of a served Secret (a renewal reaches the SEs within it); default 30 s. */
  refreshMs?: number;
  /** Re-read period while the Secret is unusable (a Secret created after its VS); default 3 s. */
  retryMs?: number;
}

export class TLSSecrets {
  private readonly tracked = new Map<string, Tracked>();
  private readonly refreshMs: number;
  private readonly retryMs: number;
  private readonly listeners: Array<(vsKey: string, vs: KubeObject) => void> = [];
  private closed = false;

  constructor(private readonly o: TLSSecretsOptions) {
    this.refreshMs = o.refreshMs ?? 30_000;
    this.retryMs = Math.min(this.refreshMs, o.retryMs ?? 3_000);
  }

  /** The material for a VS, when its Secret has been read and is valid. */
  of(vsKey: string): TLSMaterial | undefined {
    const r = this.tracked.get(vsKey)?.read;
    return r !== undefined && 'material' in r ? r.material : undefined;
  }

  /** Why a VS's enableSSL ports are not served (its Degraded condition), when its Secret is unusable. */
  problemOf(vsKey: string): { reason: string; message: string } | undefined {
    const r = this.tracked.get(vsKey)?.read;
    return r !== undefined && 'problem' in r ? { reason: r.reason, message: `${r.problem}; the enableSSL ports are not served` } : undefined;
  }

  /** Called when a VS's TLS material changes (read, renewed, gone): its SEs' configs and its status follow. */
  onChange(fn: (vsKey: string, vs: KubeObject) => void): void {
    this.listeners.push(fn);
  }

  /** Start, keep or stop reading a VS's Secret as its spec says (call on add and update). */
  track(vsKey: string, vs: KubeObject & { spec: Parameters<typeof tlsSecretName>[0]['spec'] }): void {
    const name = tlsSecretName(vs);
    const ref = name === undefined ? undefined : `${vs.metadata.namespace ?? ''}/${name}`;
    const t = this.tracked.get(vsKey);
    if (t !== undefined && t.ref === ref) {
      t.vs = vs;
      return;
    }
    if (t !== undefined) this.forget(vsKey);
    if (ref === undefined || this.closed) return;
    const entry: Tracked = { vs, ref };
    this.tracked.set(vsKey, entry);
    void this.read(vsKey, entry);
  }

  forget(vsKey: string): void {
    const t = this.tracked.get(vsKey);
    if (t?.timer !== undefined) clearTimeout(t.timer);
    this.tracked.delete(vsKey);
  }

  close(): void {
    this.closed = true;
    for (const k of [...this.tracked.keys()]) this.forget(k);
  }

  private async read(vsKey: string, t: Tracked): Promise<void> {
    const [ns, name] = t.ref.split('/');
    let r: TLSRead;
    try {
      const s = await this.o.client.get<Secret>(`/api/v1/namespaces/${ns ?? ''}/secrets/${name ?? ''}`);
      r = tlsMaterialOf(s, t.ref);
    } catch (e) {
      r = readProblem(e, t.ref);
    }
    if (this.tracked.get(vsKey) !== t) return; // forgotten or re-pointed meanwhile
    const digest = createHash('sha256').update('material' in r ? `${r.material['tls.crt']}\0${r.material['tls.key']}` : `!${r.problem}`).digest('hex');
    const was = t.digest;
    t.read = r;
    t.digest = digest;
    if (was !== digest) {
      if ('problem' in r) {
        // The event and the condition come from the VS controller (the leader), on this change.
        this.o.logger.warn('TLS Secret of a VirtualService cannot be served', { virtualService: vsKey, reason: r.reason, message: r.problem });
      } else {
        this.o.logger.info('TLS Secret of a VirtualService read', { virtualService: vsKey, secret: t.ref });
      }
      for (const fn of this.listeners) fn(vsKey, t.vs);
    }
    t.timer = setTimeout(() => void this.read(vsKey, t), 'problem' in r ? this.retryMs : this.refreshMs);
    t.timer.unref();
  }
}
