import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, webcrypto, X509Certificate } from 'node:crypto';
import { caFromPEM, createCA, createKeyAndCSR, identityOfPeer, issueClientCertificate, issueServerCertificate, notAfterOf, verifyCSR } from './pki.js';
import { x509 } from '../runtime/x509.js';

const who = { namespace: 'tenant', name: 'se-1', serverID: '4a5b6c7d-0000-4000-8000-000000000001' };

describe('PKI', () => {
  test('a client certificate from a CSR: CN namespace/name, SAN URI of the server, clientAuth, short-lived, signed by the CA', async () => {
    const made = await createCA('test CA');
    const ca = await caFromPEM(made.certPem, made.keyPem);
    const { csrPem } = await createKeyAndCSR('asks-for-anything');
    const issued = await issueClientCertificate(ca, await verifyCSR(csrPem), who, 3600_000);
    const cert = new X509Certificate(issued.certificatePem);
    assert.equal(cert.subject, 'CN=tenant/se-1');
    assert.equal(cert.subjectAltName, `URI:urn:lbop:se:${who.serverID}`);
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.2']);
    assert.ok(cert.checkIssued(new X509Certificate(made.certPem)) && cert.verify(new X509Certificate(made.certPem).publicKey));
    assert.equal(cert.ca, false);
    assert.ok(Math.abs(notAfterOf(issued.certificatePem).getTime() - (Date.now() + 3600_000)) < 5000);
    assert.equal((cert.publicKey.asymmetricKeyDetails?.namedCurve), 'prime256v1');
  });

  test('the identity of a peer comes from CN and SAN URI, and only from a clientAuth certificate', () => {
    const good = { subject: { CN: 'tenant/se-1' }, subjectaltname: `URI:urn:lbop:se:${who.serverID}`, ext_key_usage: ['1.3.6.1.5.5.7.3.2'] };
    assert.deepEqual(identityOfPeer(good), who);
    const bad: Array<[string, Parameters<typeof identityOfPeer>[0]]> = [
      ['no CN', { ...good, subject: {} }],
      ['two CNs', { ...good, subject: { CN: ['a/b', 'c/d'] } }],
      ['CN without namespace', { ...good, subject: { CN: 'se-1' } }],
      ['CN not a name', { ...good, subject: { CN: 'Tenant/../x' } }],
      ['serverAuth only', { ...good, ext_key_usage: ['1.3.6.1.5.5.7.3.1'] }],
      ['no SAN URI', { ...good, subjectaltname: 'DNS:se-1' }],
      ['two SAN URIs', { ...good, subjectaltname: 'URI:urn:lbop:se:a, URI:urn:lbop:se:b' }],
    ];
    for (const [name, peer] of bad) assert.equal(typeof identityOfPeer(peer), 'string', name);
  });

  test('CSRs: garbage, another key type and a broken signature are refused', async () => {
    await assert.rejects(verifyCSR('hello'), /PKCS#10/);
    const p384 = { name: 'ECDSA', namedCurve: 'P-384', hash: 'SHA-384' };
    const keys = await webcrypto.subtle.generateKey(p384, true, ['sign', 'verify']);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=x', keys: keys as never, signingAlgorithm: p384 });
    await assert.rejects(verifyCSR(csr.toString('pem')), /ECDSA P-256/);
    const { csrPem } = await createKeyAndCSR();
    const der = Buffer.from(csrPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    der[der.length - 5] = (der[der.length - 5] as number) ^ 0xff; // inside the signature
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    await assert.rejects(verifyCSR(tampered), /does not verify|PKCS#10/);
  });

  test('a cert-manager style CA: SEC1 EC key or RSA key, with ca.crt above it in the bundle', async () => {
    const root = await createCA('root');
    for (const kind of ['ec', 'rsa'] as const) {
      const pair = kind === 'ec'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256', privateKeyEncoding: { type: 'sec1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } })
        : generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
      // A self-signed CA from the given key stands for cert-manager's output (tls.crt/tls.key).
      const alg = kind === 'ec' ? { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
      const { createPrivateKey, createPublicKey } = await import('node:crypto');
      const priv = await webcrypto.subtle.importKey('pkcs8', createPrivateKey(pair.privateKey).export({ type: 'pkcs8', format: 'der' }), alg, true, ['sign']);
      const pub = await webcrypto.subtle.importKey('spki', createPublicKey(pair.publicKey).export({ type: 'spki', format: 'der' }), alg, true, ['verify']);
      const caCert = await x509.X509CertificateGenerator.createSelfSigned({ name: `CN=${kind} CA`, keys: { privateKey: priv, publicKey: pub } as never, signingAlgorithm: alg, extensions: [new x509.BasicConstraintsExtension(true, 0, true)] });
      const ca = await caFromPEM(caCert.toString('pem'), pair.privateKey, root.certPem);
      assert.ok(ca.bundlePem.includes(root.certPem.trim()), 'ca.crt is in the bundle');
      const { csrPem } = await createKeyAndCSR();
      const issued = await issueClientCertificate(ca, await verifyCSR(csrPem), who, 60_000);
      assert.ok(new X509Certificate(issued.certificatePem).verify(new X509Certificate(caCert.toString('pem')).publicKey), kind);
    }
  });

  test('a leaf is not a CA; a server certificate has the given names and is chained to the CA', async () => {
    const made = await createCA('test CA');
    const ca = await caFromPEM(made.certPem, made.keyPem);
    const server = await issueServerCertificate(ca, { dnsNames: ['se-api.lb-system.svc'], ipAddresses: ['127.0.0.1'] }, 86_400_000);
    const leaf = new X509Certificate(server.certPem);
    assert.equal(leaf.subjectAltName, 'DNS:se-api.lb-system.svc, IP Address:127.0.0.1');
    assert.ok(server.certPem.includes(made.certPem.trim()));
    const { keyPem } = await createKeyAndCSR();
    await assert.rejects(caFromPEM(server.certPem, keyPem), /not a CA/);
    await assert.rejects(issueServerCertificate(ca, { dnsNames: [], ipAddresses: [] }, 1000), /at least one/);
  });
});
