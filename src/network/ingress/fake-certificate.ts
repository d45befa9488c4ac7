/**
 * The default certificate of the HTTPS listener, generated at start as ingress-nginx does: a
 * self-signed ECDSA P-256 certificate named "Kubernetes Ingress Controller Fake Certificate" that
 * answers clients whose server name has no certificate of its own.
 */
import { randomBytes, webcrypto } from 'node:crypto';
import type { TlsCertificate } from '../l7/route-table.js';

export const fakeCertificateSubject = 'CN=Kubernetes Ingress Controller Fake Certificate, O=Acme Co';

const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export async function generateFakeCertificate(now = Date.now()): Promise<TlsCertificate> {
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(8).toString('hex').replace(/^[89a-f]/, '1'),
    name: fakeCertificateSubject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 365 * 86_400_000),
    keys,
    signingAlgorithm: alg,
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'ingress.local' }]),
    ],
  });
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as unknown as webcrypto.CryptoKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
  return { hostnames: [], certPem: `${cert.toString('pem')}\n`, keyPem };
}
