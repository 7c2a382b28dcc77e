// /metrics behind authentication and authorization, as controller-runtime's
// filters.WithAuthenticationAndAuthorization does: the scraper's bearer token is checked with a
// TokenReview, the user it names with a SubjectAccessReview for `get` on the non-resource URL
// /metrics (granted by the metrics-reader ClusterRole in deploy/), and the answers are cached
// briefly so a scrape every few seconds costs the apiserver two requests a minute, not two per
// scrape. Served over TLS: a certificate from a directory (tls.crt, tls.key), else a self-signed
// one made at start (as controller-runtime does when no CertDir is given).
import { createHash, randomBytes, webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LRUCache } from 'lru-cache';
import type { KubeClient } from './kube.js';
import { x509 } from './x509.js';

export type Verdict = { allowed: true; user: string } | { allowed: false; code: 401 | 403; reason: string };

export interface Authorizer {
  check(authorization: string | undefined, path: string): Promise<Verdict>;
}

interface TokenReviewStatus {
  authenticated?: boolean;
  user?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
  error?: string;
}

/** How long a verdict is reused (controller-runtime's delegating authn/authz cache ~ the same). */
export const AUTH_CACHE_TTL_MS = 30_000;

/** TokenReview + SubjectAccessReview with a small bounded cache of verdicts, keyed by token hash. */
export function kubeAuthorizer(client: KubeClient, o: { ttlMs?: number; audiences?: string[] } = {}): Authorizer {
  const cache = new LRUCache<string, Verdict>({ max: 256, ttl: o.ttlMs ?? AUTH_CACHE_TTL_MS });
  return {
    async check(authorization, path) {
      const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
      if (m === null) return { allowed: false, code: 401, reason: 'no bearer token' };
      const token = m[1] as string;
      // The token itself is never a key, a log field or part of an error: only its hash is kept.
      const key = `${createHash('sha256').update(token).digest('hex')} ${path}`;
      const hit = cache.get(key);
      if (hit !== undefined) return hit;
      const review = await client.create<{ status?: TokenReviewStatus }>('/apis/authentication.k8s.io/v1/tokenreviews', {
        apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview',
        spec: { token, ...(o.audiences !== undefined ? { audiences: o.audiences } : {}) },
      });
      const st = review.status ?? {};
      let verdict: Verdict;
      if (st.authenticated !== true || st.user?.username === undefined) {
        verdict = { allowed: false, code: 401, reason: 'token not authenticated' };
      } else {
        const u = st.user;
        const sar = await client.create<{ status?: { allowed?: boolean; reason?: string } }>('/apis/authorization.k8s.io/v1/subjectaccessreviews', {
          apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview',
          spec: {
            user: u.username, ...(u.uid !== undefined ? { uid: u.uid } : {}), groups: u.groups ?? [], ...(u.extra !== undefined ? { extra: u.extra } : {}),
            nonResourceAttributes: { path, verb: 'get' },
          },
        });
        verdict = sar.status?.allowed === true
          ? { allowed: true, user: u.username ?? '' }
          : { allowed: false, code: 403, reason: `user ${u.username ?? ''} may not get ${path}` };
      }
      cache.set(key, verdict);
      return verdict;
    },
  };
}

export interface TLSMaterial {
  cert: string;
  key: string;
}

/** tls.crt + tls.key from a directory (a mounted kubernetes.io/tls Secret). */
export function readCertDir(dir: string): TLSMaterial {
  try {
    return { cert: readFileSync(join(dir, 'tls.crt'), 'utf8'), key: readFileSync(join(dir, 'tls.key'), 'utf8') };
  } catch (e) {
    throw new Error(`cannot read tls.crt/tls.key in ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/**
 * Re-reads tls.crt/tls.key every periodMs and hands a changed pair to apply (the kubelet updates a
 * mounted Secret in place when cert-manager renews it). A pair that does not load is skipped:
 * the last good one keeps being served. Returns the stop function.
 */
export function watchCertDir(dir: string, current: TLSMaterial, apply: (tls: TLSMaterial) => void, onError: (message: string) => void, periodMs = 60_000): () => void {
  let last = current;
  const timer = setInterval(() => {
    let next: TLSMaterial;
    try {
      next = readCertDir(dir);
    } catch (e) {
      onError((e as Error).message);
      return;
    }
    if (next.cert === last.cert && next.key === last.key) return;
    try {
      apply(next);
      last = next;
    } catch (e) {
      onError(`new certificate in ${dir} not used: ${(e as Error).message}`);
    }
  }, periodMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** A self-signed certificate for the metrics endpoint (the key never leaves the process). */
export async function selfSignedCert(hosts: readonly string[], validDays = 365): Promise<TLSMaterial> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const now = Date.now();
  const ip = /^[\d.]+$|:/;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: `01${randomBytes(15).toString('hex')}`,
    name: 'CN=contrail-lb-operator-metrics',
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + validDays * 86_400_000),
    signingAlgorithm: alg,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(hosts.map((h) => (ip.test(h) ? { type: 'ip' as const, value: h } : { type: 'dns' as const, value: h }))),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n?$/, '\n')}-----END PRIVATE KEY-----\n`;
  return { cert: cert.toString('pem'), key };
}
