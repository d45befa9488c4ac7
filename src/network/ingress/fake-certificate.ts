/**
 * The default certificate of the HTTPS listener, generated at start as ingress-nginx does: a
 * self-signed RSA 2048 certificate named "Kubernetes Ingress Controller Fake Certificate" that
 * answers clients whose server name has no certificate of its own. RSA, like ingress-nginx's,
 * and also because the HTTPS listener's base certificate has to be of the least preferred key
 * type for SNI certificates of every type to be served (see tls-select.ts).
 */
import { randomBytes, webcrypto } from 'node:crypto';
import type { TlsCertificate } from '../l7/route-table.js';

export const fakeCertificateSubject = 'CN=Kubernetes Ingress Controller Fake Certificate, O=Acme Co';

const algorithms = {
  rsa: { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
  ec: { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' },
} as const;

export function generateFakeCertificate(now = Date.now()): Promise<TlsCertificate> {
  return generateSelfSignedCertificate({ subject: fakeCertificateSubject, keyType: 'rsa', dnsNames: ['ingress.local'], now });
}

export interface SelfSignedOptions {
  /** The distinguished name, e.g. `CN=a.test`. */
  subject: string;
  keyType: 'rsa' | 'ec';
  /** Subject alternative names (DNS). */
  dnsNames?: string[];
  /** The hostnames the returned certificate is served for (default none). */
  hostnames?: string[];
  now?: number;
}

/** A self-signed server certificate valid for a year, with its PKCS#8 key. */
export async function generateSelfSignedCertificate(o: SelfSignedOptions): Promise<TlsCertificate> {
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  const now = o.now ?? Date.now();
  const alg = algorithms[o.keyType];
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
  const usage = o.keyType === 'rsa' ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment : x509.KeyUsageFlags.digitalSignature;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(8).toString('hex').replace(/^[89a-f]/, '1'),
    name: o.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 365 * 86_400_000),
    keys,
    signingAlgorithm: alg,
    extensions: [
      new x509.KeyUsagesExtension(usage, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      ...(o.dnsNames?.length ? [new x509.SubjectAlternativeNameExtension(o.dnsNames.map((value) => ({ type: 'dns' as const, value })))] : []),
    ],
  });
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as unknown as webcrypto.CryptoKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
  return { hostnames: o.hostnames ?? [], certPem: `${cert.toString('pem')}\n`, keyPem };
}
