// The SE API's PKI: one CA (kept in a Secret so every replica and every restart signs with the same
// key), a server certificate issued from it per process, and short-lived client certificates that
// name a Service Engine. Why a library: node:crypto verifies X.509 but can neither parse a PKCS#10
// CSR nor build and sign a certificate. @peculiar/x509 (PeculiarVentures, the PKI.js authors) does
// the ASN.1 in pure TypeScript over WebCrypto, which here is Node's own implementation — no native
// code, no second crypto library; it is pinned in package.json.
import { createPrivateKey, randomBytes, webcrypto, X509Certificate as NodeX509 } from 'node:crypto';
import { isConflict, isNotFound, type KubeClient, type Logger } from '../runtime/index.js';
import { x509 } from '../runtime/x509.js';

// Types of WebCrypto come from node:crypto (the project compiles without the DOM lib).
type CryptoKey = webcrypto.CryptoKey;
type SigningAlgorithm = webcrypto.Algorithm | webcrypto.EcdsaParams;

const P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
/** The SAN URI of a client certificate: the Nova server the SE is. */
export const SE_URI_PREFIX = 'urn:lbop:se:';
/** Backdating absorbs clock skew between the operator and a freshly booted SE. */
const BACKDATE_MS = 5 * 60_000;

export class PKIError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PKIError';
  }
}

/** A CA able to sign: its certificate, its key, and the bundle clients trust. */
export interface CertificateAuthority {
  cert: x509.X509Certificate;
  certPem: string;
  signingKey: CryptoKey;
  signingAlgorithm: SigningAlgorithm;
  /** PEM bundle that verifies what this CA signs (its own certificate, plus ca.crt when it is an intermediate). */
  bundlePem: string;
}

export interface SEIdentity {
  namespace: string;
  name: string;
  /** Nova server id. */
  serverID: string;
}

export interface IssuedCertificate {
  certificatePem: string;
  notAfter: Date;
}

function serial(): string {
  const b = randomBytes(16);
  b[0] = (b[0] as number) & 0x7f; // positive INTEGER
  return b.toString('hex');
}

function signingAlgorithmOf(keyPem: string): { import: webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams; sign: SigningAlgorithm; der: Buffer } {
  const key = createPrivateKey(keyPem); // PKCS#8, SEC1 ("EC PRIVATE KEY", cert-manager's) or PKCS#1
  const der = key.export({ format: 'der', type: 'pkcs8' });
  if (key.asymmetricKeyType === 'ec') {
    const curve = { prime256v1: 'P-256', secp384r1: 'P-384' }[key.asymmetricKeyDetails?.namedCurve ?? ''];
    if (curve === undefined) throw new PKIError(`CA key curve ${key.asymmetricKeyDetails?.namedCurve ?? '?'} is not supported (P-256, P-384)`);
    return { import: { name: 'ECDSA', namedCurve: curve }, sign: { name: 'ECDSA', hash: curve === 'P-384' ? 'SHA-384' : 'SHA-256' } as webcrypto.EcdsaParams, der };
  }
  if (key.asymmetricKeyType === 'rsa') {
    return { import: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, sign: { name: 'RSASSA-PKCS1-v1_5' }, der };
  }
  throw new PKIError(`CA key type ${key.asymmetricKeyType ?? '?'} is not supported (ECDSA, RSA)`);
}

/** A CA from PEM (a Secret's tls.crt / tls.key / optional ca.crt). */
export async function caFromPEM(certPem: string, keyPem: string, caPem?: string): Promise<CertificateAuthority> {
  const cert = new x509.X509Certificate(firstPEM(certPem));
  const bc = cert.getExtension(x509.BasicConstraintsExtension);
  if (bc === null || !bc.ca) throw new PKIError(`certificate ${cert.subject} is not a CA (basicConstraints CA:TRUE needed to sign SE certificates)`);
  const alg = signingAlgorithmOf(keyPem);
  const signingKey = await webcrypto.subtle.importKey('pkcs8', alg.der, alg.import, false, ['sign']);
  const own = cert.toString('pem');
  const bundle = caPem !== undefined && caPem.trim() !== '' && normalize(caPem) !== normalize(own) ? `${own}\n${caPem.trim()}\n` : `${own}\n`;
  return { cert, certPem: own, signingKey, signingAlgorithm: alg.sign, bundlePem: bundle };
}

const normalize = (pem: string): string => pem.replace(/\s+/g, '');
function firstPEM(pem: string): string {
  const m = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem);
  if (m === null) throw new PKIError('no PEM certificate found');
  return m[0];
}

/** A new self-signed ECDSA P-256 CA, 10 years. Returns its PEM too, for the Secret. */
export async function createCA(commonName: string, now = new Date()): Promise<{ certPem: string; keyPem: string }> {
  const keys = await webcrypto.subtle.generateKey(P256, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: [{ CN: [commonName] }],
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + 10 * 365 * 86_400_000),
    keys,
    signingAlgorithm: P256,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return { certPem: cert.toString('pem'), keyPem: pemOf('PRIVATE KEY', pkcs8) };
}

function pemOf(label: string, der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').trim();
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

async function leafExtensions(ca: CertificateAuthority, publicKey: x509.PublicKey | CryptoKey, usage: 'client' | 'server', names: x509.JsonGeneralName[]): Promise<x509.Extension[]> {
  return [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
    new x509.ExtendedKeyUsageExtension([usage === 'client' ? x509.ExtendedKeyUsage.clientAuth : x509.ExtendedKeyUsage.serverAuth], false),
    new x509.SubjectAlternativeNameExtension(names, false),
    await x509.AuthorityKeyIdentifierExtension.create(ca.cert, false),
    await x509.SubjectKeyIdentifierExtension.create(publicKey),
  ];
}

export interface ServerNames {
  dnsNames: string[];
  ipAddresses: string[];
}

/** A fresh ECDSA P-256 key and a server certificate for it (kept in memory, never stored). */
export async function issueServerCertificate(ca: CertificateAuthority, names: ServerNames, ttlMs: number, now = new Date()): Promise<{ certPem: string; keyPem: string; notAfter: Date }> {
  const keys = await webcrypto.subtle.generateKey(P256, true, ['sign', 'verify']);
  const san: x509.JsonGeneralName[] = [
    ...names.dnsNames.map((value) => ({ type: 'dns' as const, value })),
    ...names.ipAddresses.map((value) => ({ type: 'ip' as const, value })),
  ];
  if (san.length === 0) throw new PKIError('the SE API server certificate needs at least one DNS name or IP address');
  const notAfter = new Date(now.getTime() + ttlMs);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: [{ CN: [names.dnsNames[0] ?? names.ipAddresses[0] ?? 'se-api'] }],
    issuer: ca.cert.subjectName,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter,
    publicKey: keys.publicKey,
    signingKey: ca.signingKey,
    signingAlgorithm: ca.signingAlgorithm,
    extensions: await leafExtensions(ca, keys.publicKey, 'server', san),
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  // The chain: leaf then the issuing CA, so an agent trusting only a root above it still verifies.
  return { certPem: `${cert.toString('pem')}\n${ca.certPem}\n`, keyPem: pemOf('PRIVATE KEY', pkcs8), notAfter };
}

/** A parsed CSR whose signature verified (the requester holds the key). */
export type VerifiedCSR = { readonly csr: x509.Pkcs10CertificateRequest };

/** Parses and checks a CSR before anything is spent on it (a token is consumed only for a good one). */
export async function verifyCSR(csrPem: string): Promise<VerifiedCSR> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch {
    throw new PKIError('csr is not a PEM PKCS#10 certificate request');
  }
  const alg = csr.publicKey.algorithm as webcrypto.EcKeyAlgorithm;
  if (alg.name !== 'ECDSA' || alg.namedCurve !== 'P-256') throw new PKIError(`csr key must be ECDSA P-256, got ${alg.name}${alg.namedCurve ? ` ${alg.namedCurve}` : ''}`);
  if (!(await csr.verify().catch(() => false))) throw new PKIError('csr signature does not verify (proof of key possession)');
  return { csr };
}

/**
 * A client certificate for an SE from its verified CSR. The CSR's subject and extensions are
 * ignored: the name comes from the caller (the token's binding or the current certificate), so an
 * agent cannot ask for someone else's identity.
 */
export async function issueClientCertificate(ca: CertificateAuthority, verified: VerifiedCSR, who: SEIdentity, ttlMs: number, now = new Date()): Promise<IssuedCertificate> {
  const { csr } = verified;
  const notAfter = new Date(now.getTime() + ttlMs);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: [{ CN: [`${who.namespace}/${who.name}`] }],
    issuer: ca.cert.subjectName,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter,
    publicKey: csr.publicKey,
    signingKey: ca.signingKey,
    signingAlgorithm: ca.signingAlgorithm,
    extensions: await leafExtensions(ca, await csr.publicKey.export(), 'client', [{ type: 'url', value: `${SE_URI_PREFIX}${who.serverID}` }]),
  });
  return { certificatePem: cert.toString('pem'), notAfter };
}

/** The SE a verified client certificate names, or why it names none (a server cert, a foreign leaf). */
export function identityOfPeer(peer: { subject?: { CN?: string | string[] }; subjectaltname?: string; ext_key_usage?: string[] }): SEIdentity | string {
  const cn = Array.isArray(peer.subject?.CN) ? undefined : peer.subject?.CN;
  if (cn === undefined) return 'client certificate has no single CN';
  const m = /^([a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?)\/([a-z0-9](?:[-.a-z0-9]{0,251}[a-z0-9])?)$/.exec(cn);
  if (m === null) return 'client certificate CN is not <namespace>/<name>';
  if (!(peer.ext_key_usage ?? []).includes(CLIENT_AUTH)) return 'client certificate lacks extendedKeyUsage clientAuth';
  const uris = (peer.subjectaltname ?? '').split(/,\s*/).filter((s) => s.startsWith(`URI:${SE_URI_PREFIX}`));
  if (uris.length !== 1) return `client certificate needs exactly one SAN URI ${SE_URI_PREFIX}<server-id>`;
  return { namespace: m[1] as string, name: m[2] as string, serverID: (uris[0] as string).slice(`URI:${SE_URI_PREFIX}`.length) };
}

// ---------------------------------------------------------------------------------------------
// The CA's home: a Secret in the operator's namespace.

const SECRETS = '/api/v1/namespaces';
interface SecretShape {
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  type?: string;
  data?: Record<string, string>;
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string | undefined): string | undefined => (s === undefined ? undefined : Buffer.from(s, 'base64').toString('utf8'));

export interface CASource {
  namespace: string;
  /** The Secret: created (kubernetes.io/tls + ca.crt) on first start unless userProvided. */
  secretName: string;
  /** A user-given Secret (e.g. cert-manager's CA Certificate): read only, never created. */
  userProvided: boolean;
}

/**
 * Reads the CA from its Secret, creating it when absent (unless user-given). Two replicas starting
 * together both try to create; the loser gets 409 and reads the winner's, so both sign with one key.
 */
export async function loadCA(client: KubeClient, src: CASource, log: Logger): Promise<CertificateAuthority> {
  const path = `${SECRETS}/${encodeURIComponent(src.namespace)}/secrets/${encodeURIComponent(src.secretName)}`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await caFromSecret(await client.get<SecretShape>(path), src);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      if (src.userProvided) throw new PKIError(`SE API CA Secret ${src.namespace}/${src.secretName} does not exist (it was given with --se-api-ca-secret)`);
    }
    const made = await createCA(`contrail-lb-operator SE API CA (${src.namespace})`);
    const secret = {
      apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls',
      metadata: { name: src.secretName, namespace: src.namespace, labels: { 'app.kubernetes.io/name': 'contrail-lb-operator', 'app.kubernetes.io/component': 'se-api-ca' } },
      data: { 'tls.crt': b64(made.certPem), 'tls.key': b64(made.keyPem), 'ca.crt': b64(made.certPem) },
    };
    try {
      await client.create(`${SECRETS}/${encodeURIComponent(src.namespace)}/secrets`, secret);
      log.info('created the SE API CA Secret', { namespace: src.namespace, secret: src.secretName });
      return await caFromPEM(made.certPem, made.keyPem);
    } catch (e) {
      if (!isConflict(e)) throw e; // 409 AlreadyExists: another replica won the race; read its CA
      log.info('the SE API CA Secret was created by another replica; using it', { namespace: src.namespace, secret: src.secretName });
    }
  }
  throw new PKIError(`SE API CA Secret ${src.namespace}/${src.secretName}: created and deleted concurrently; giving up`);
}

async function caFromSecret(s: SecretShape, src: CASource): Promise<CertificateAuthority> {
  const crt = unb64(s.data?.['tls.crt']);
  const key = unb64(s.data?.['tls.key']);
  if (crt === undefined || key === undefined) throw new PKIError(`SE API CA Secret ${src.namespace}/${src.secretName} needs tls.crt and tls.key`);
  try {
    return await caFromPEM(crt, key, unb64(s.data?.['ca.crt']));
  } catch (e) {
    // Never the key material itself in the message.
    throw new PKIError(`SE API CA Secret ${src.namespace}/${src.secretName}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// What an agent does (the agent has its own copy in src/agent); here for tests and benchmarks.

/** A fresh ECDSA P-256 key and a CSR for it. */
export async function createKeyAndCSR(commonName = 'se-agent'): Promise<{ keyPem: string; csrPem: string }> {
  const keys = await webcrypto.subtle.generateKey(P256, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: [{ CN: [commonName] }], keys, signingAlgorithm: P256 });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return { keyPem: pemOf('PRIVATE KEY', pkcs8), csrPem: csr.toString('pem') };
}

/** notAfter of a PEM certificate (node's parser). */
export function notAfterOf(certPem: string): Date {
  return new Date(new NodeX509(firstPEM(certPem)).validTo);
}
