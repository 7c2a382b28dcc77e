// Bootstrap tokens: what an SE trades, once, for its first client certificate. The token itself
// goes only into the server's user_data; the operator keeps its sha256 on the ServiceEngine object
// (an annotation), so any replica can verify it and a restart loses nothing. A use is recorded by
// replacing the record with a resourceVersion precondition, so of two replicas presented the same
// token at once exactly one accepts it (the other gets 409, re-reads, and sees it used).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { group, version } from '../api/kinds.js';
import { isConflict, isNotFound, type KubeClient } from '../runtime/index.js';
import type { SEIdentity } from './pki.js';

export const TOKEN_ANNOTATION = 'lb.contrail-operator.io/bootstrap-token';
export const TOKEN_USED_ANNOTATION = 'lb.contrail-operator.io/bootstrap-token-used';
/** A prefix of the hash as a label, so enroll finds the SE with a label selector instead of a scan. */
export const TOKEN_ID_LABEL = 'lb.contrail-operator.io/bootstrap-token-id';
export const DEFAULT_TOKEN_TTL_MS = 30 * 60_000;

/** What is stored: never the token. */
export interface TokenRecord {
  sha256: string;
  seUID: string;
  /** The Nova server the token was made for; absent until bound (the id is known only after the create). */
  serverID?: string;
  expiresAt: string;
}

export interface UsedRecord {
  sha256: string;
  serverID: string;
  usedAt: string;
}

export type TokenRefusal = 'Unauthenticated' | 'TokenUsed' | 'TokenExpired' | 'Forbidden' | 'Unavailable';

export class TokenError extends Error {
  constructor(readonly reason: TokenRefusal, message: string) {
    super(message);
    this.name = 'TokenError';
  }
}

export interface SERef {
  namespace: string;
  name: string;
  uid: string;
}

/** What the SE controller calls when it boots a server (wiring by the lead). */
export interface BootstrapTokenIssuer {
  /** A new single-use token for the SE (replacing any earlier one); put it in the server's user_data. */
  mintBootstrapToken(se: SERef, serverID?: string): Promise<string>;
  /** Binds a token minted before the server existed to the Nova server id the create returned. */
  bindBootstrapToken(se: SERef, serverID: string): Promise<void>;
}

export interface BootstrapTokenRedeemer {
  /** The SE the token was made for, consuming it; throws TokenError. */
  redeem(token: string, serverID: string): Promise<SEIdentity>;
}

// ---------------------------------------------------------------------------------------------
// Pure parts

export const newToken = (): string => randomBytes(32).toString('base64url');
export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');
export const tokenID = (sha256: string): string => sha256.slice(0, 32);

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === 32 && y.length === 32 && timingSafeEqual(x, y);
}

export function parseRecord<T extends TokenRecord | UsedRecord>(text: string | undefined): T | undefined {
  if (text === undefined) return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && typeof (v as { sha256?: unknown }).sha256 === 'string' ? (v as T) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the presented token (by hash) may be redeemed by `serverID` on an SE carrying these
 * annotations; a refusal says why, most specific first.
 */
export function judgeToken(
  presented: string,
  serverID: string,
  se: { uid: string; record: TokenRecord | undefined; used: UsedRecord | undefined },
  now: Date,
): { ok: true; record: TokenRecord } | { ok: false; reason: TokenRefusal; message: string } {
  const r = se.record;
  if (r === undefined || !sameHash(r.sha256, presented)) {
    if (se.used !== undefined && sameHash(se.used.sha256, presented)) return { ok: false, reason: 'TokenUsed', message: `bootstrap token was already used at ${se.used.usedAt}` };
    return { ok: false, reason: 'Unauthenticated', message: 'unknown bootstrap token' };
  }
  if (r.seUID !== se.uid) return { ok: false, reason: 'Unauthenticated', message: 'bootstrap token belongs to an earlier ServiceEngine of that name' };
  if (!(Date.parse(r.expiresAt) > now.getTime())) return { ok: false, reason: 'TokenExpired', message: `bootstrap token expired at ${r.expiresAt}` };
  if (r.serverID === undefined) return { ok: false, reason: 'Unavailable', message: 'bootstrap token is not bound to a server yet; retry' };
  if (r.serverID !== serverID) return { ok: false, reason: 'Forbidden', message: 'bootstrap token is bound to another server' };
  return { ok: true, record: r };
}

// ---------------------------------------------------------------------------------------------
// The store: the ServiceEngine objects through the apiserver

interface SEObject {
  metadata: { name: string; namespace?: string; uid?: string; resourceVersion?: string; annotations?: Record<string, string>; labels?: Record<string, string> };
}

const sePath = (ns: string, name?: string): string =>
  `/apis/${group}/${version}/namespaces/${encodeURIComponent(ns)}/serviceengines${name === undefined ? '' : `/${encodeURIComponent(name)}`}`;

export interface TokenStoreOptions {
  ttlMs?: number;
  /** Namespaces holding ServiceEngines ([] or absent: all, one cluster-wide list). */
  namespaces?: readonly string[];
  now?: () => Date;
}

const MAX_CONFLICT_RETRIES = 5;

export class BootstrapTokens implements BootstrapTokenIssuer, BootstrapTokenRedeemer {
  private readonly ttlMs: number;
  private readonly now: () => Date;

  constructor(private readonly client: KubeClient, private readonly opts: TokenStoreOptions = {}) {
    this.ttlMs = opts.ttlMs ?? DEFAULT_TOKEN_TTL_MS;
    this.now = opts.now ?? (() => new Date());
  }

  async mintBootstrapToken(se: SERef, serverID?: string): Promise<string> {
    const token = newToken();
    const sha256 = hashToken(token);
    const record: TokenRecord = { sha256, seUID: se.uid, ...(serverID !== undefined ? { serverID } : {}), expiresAt: new Date(this.now().getTime() + this.ttlMs).toISOString() };
    // uid in the patch is a precondition: a token is never written onto a recreated namesake.
    await this.client.patch(sePath(se.namespace, se.name), {
      metadata: { uid: se.uid, labels: { [TOKEN_ID_LABEL]: tokenID(sha256) }, annotations: { [TOKEN_ANNOTATION]: JSON.stringify(record), [TOKEN_USED_ANNOTATION]: null } },
    });
    return token;
  }

  async bindBootstrapToken(se: SERef, serverID: string): Promise<void> {
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      const obj = await this.client.get<SEObject>(sePath(se.namespace, se.name));
      const record = parseRecord<TokenRecord>(obj.metadata.annotations?.[TOKEN_ANNOTATION]);
      if (obj.metadata.uid !== se.uid || record === undefined) throw new TokenError('Unauthenticated', `ServiceEngine ${se.namespace}/${se.name} has no bootstrap token to bind`);
      if (record.serverID === serverID) return;
      if (record.serverID !== undefined) throw new TokenError('Forbidden', `the bootstrap token of ${se.namespace}/${se.name} is bound to another server`);
      try {
        await this.client.patch(sePath(se.namespace, se.name), {
          metadata: { resourceVersion: obj.metadata.resourceVersion, annotations: { [TOKEN_ANNOTATION]: JSON.stringify({ ...record, serverID }) } },
        });
        return;
      } catch (e) {
        if (!isConflict(e)) throw e;
      }
    }
    throw new TokenError('Unavailable', `ServiceEngine ${se.namespace}/${se.name} changed too often to bind its token; retry`);
  }

  async redeem(token: string, serverID: string): Promise<SEIdentity> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) throw new TokenError('Unauthenticated', 'malformed bootstrap token');
    const sha256 = hashToken(token);
    const found = await this.findByTokenID(tokenID(sha256));
    if (found === undefined) throw new TokenError('Unauthenticated', 'unknown bootstrap token');
    let obj: SEObject = found;
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      const a = obj.metadata.annotations ?? {};
      const verdict = judgeToken(sha256, serverID, { uid: obj.metadata.uid ?? '', record: parseRecord<TokenRecord>(a[TOKEN_ANNOTATION]), used: parseRecord<UsedRecord>(a[TOKEN_USED_ANNOTATION]) }, this.now());
      if (!verdict.ok) throw new TokenError(verdict.reason, verdict.message);
      const used: UsedRecord = { sha256, serverID, usedAt: this.now().toISOString() };
      const ns = obj.metadata.namespace ?? '';
      try {
        await this.client.patch(sePath(ns, obj.metadata.name), {
          metadata: { resourceVersion: obj.metadata.resourceVersion, annotations: { [TOKEN_ANNOTATION]: null, [TOKEN_USED_ANNOTATION]: JSON.stringify(used) } },
        });
        return { namespace: ns, name: obj.metadata.name, serverID };
      } catch (e) {
        // 409: the object moved (another replica consumed the token, or any other write): judge again.
        if (!isConflict(e)) throw e;
      }
      try {
        obj = await this.client.get<SEObject>(sePath(ns, obj.metadata.name));
      } catch (e) {
        if (isNotFound(e)) throw new TokenError('Unauthenticated', 'unknown bootstrap token');
        throw e;
      }
    }
    throw new TokenError('Unavailable', 'ServiceEngine changed too often to record the token use; retry');
  }

  private async findByTokenID(id: string): Promise<SEObject | undefined> {
    const query = { labelSelector: `${TOKEN_ID_LABEL}=${id}` };
    const scopes = this.opts.namespaces !== undefined && this.opts.namespaces.length > 0 ? this.opts.namespaces : [undefined];
    for (const ns of scopes) {
      const path = ns === undefined ? `/apis/${group}/${version}/serviceengines` : sePath(ns);
      const list = await this.client.get<{ items: SEObject[] }>(path, { query });
      if (list.items[0] !== undefined) return list.items[0];
    }
    return undefined;
  }
}
