// /metrics behind authentication and authorization, as controller-runtime's
// filters.WithAuthenticationAndAuthorization does: the scraper's bearer token is checked with a
// TokenReview, the user it names with a SubjectAccessReview for `get` on the non-resource URL
// /metrics (granted by the metrics-reader ClusterRole in deploy/), and the answers are cached
// briefly so a scrape every few seconds costs the apiserver two requests a minute, not two per
// scrape. Served over TLS: a certificate from a directory (tls.crt, tls.key), else a self-signed
// one made at start (as controller-runtime does when no CertDir is given).
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';
import { LRUCache } from 'lru-cache';
import type { KubeClient } from './kube.js';

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
export function selfSignedCert(hosts: readonly string[], validDays = 365): TLSMaterial {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = `01${randomBytes(15).toString('hex')}`;
  const now = new Date();
  cert.validity.notBefore = new Date(now.getTime() - 60_000);
  cert.validity.notAfter = new Date(now.getTime() + validDays * 86_400_000);
  const attrs = [{ name: 'commonName', value: 'contrail-lb-operator-metrics' }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  const ip = /^[\d.]+$|:/;
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: hosts.map((h) => (ip.test(h) ? { type: 7, ip: h } : { type: 2, value: h })) },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(keyPem), forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: keyPem };
}
