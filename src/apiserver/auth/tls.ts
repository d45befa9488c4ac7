/**
 * The cluster CA and the API server's serving certificate, generated on first start and kept in
 * `<data-dir>/tls/`. ECDSA P-256 keeps first start fast. Later starts reuse the files; the serving
 * certificate is reissued when it lacks a requested SAN or nears expiry.
 */
import { webcrypto, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const dayMs = 86_400_000;

export interface TlsMaterial {
  caCertPem: string;
  certPem: string;
  keyPem: string;
}

async function exportKeyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key as unknown as webcrypto.CryptoKey));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
}

async function importKeyPem(pem: string): Promise<CryptoKey> {
  const b64 = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  return (await webcrypto.subtle.importKey('pkcs8', Buffer.from(b64, 'base64'), alg, true, ['sign'])) as unknown as CryptoKey;
}

const serial = (): string => randomBytes(8).toString('hex').replace(/^[89a-f]/, '1');

async function newKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
}

async function createCa(): Promise<{ cert: x509.X509Certificate; key: CryptoKey }> {
  const keys = await newKeys();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=capstan-ca@${Math.floor(now / 1000)}`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 3650 * dayMs),
    keys,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, key: keys.privateKey };
}

async function createServing(ca: { cert: x509.X509Certificate; key: CryptoKey }, sans: string[]): Promise<{ cert: x509.X509Certificate; key: CryptoKey }> {
  const keys = await newKeys();
  const now = Date.now();
  const names = sans.map((s) => (isIP(s) ? { type: 'ip' as const, value: s } : { type: 'dns' as const, value: s }));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: 'CN=kube-apiserver',
    issuer: ca.cert.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 365 * dayMs),
    signingKey: ca.key,
    publicKey: keys.publicKey,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
    ],
  });
  return { cert, key: keys.privateKey };
}

function coversSans(cert: x509.X509Certificate, sans: string[]): boolean {
  const ext = cert.getExtension(x509.SubjectAlternativeNameExtension);
  if (!ext) return false;
  const have = new Set(ext.names.items.map((n) => n.value));
  return sans.every((s) => have.has(s)) && cert.notAfter.getTime() - Date.now() > 30 * dayMs;
}

/** Loads or creates the CA and serving certificate under `dir`, covering `sans` (DNS names and IPs). */
export async function ensureTls(dir: string, sans: string[]): Promise<TlsMaterial> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const caCrt = join(dir, 'ca.crt');
  const caKey = join(dir, 'ca.key');
  const srvCrt = join(dir, 'serving.crt');
  const srvKey = join(dir, 'serving.key');
  let ca: { cert: x509.X509Certificate; key: CryptoKey };
  if (existsSync(caCrt) && existsSync(caKey)) {
    ca = { cert: new x509.X509Certificate(await readFile(caCrt, 'utf8')), key: await importKeyPem(await readFile(caKey, 'utf8')) };
  } else {
    ca = await createCa();
    await writeFile(caKey, await exportKeyPem(ca.key), { mode: 0o600 });
    await writeFile(caCrt, ca.cert.toString('pem') + '\n');
  }
  if (existsSync(srvCrt) && existsSync(srvKey)) {
    const cert = new x509.X509Certificate(await readFile(srvCrt, 'utf8'));
    if (coversSans(cert, sans)) return { caCertPem: await readFile(caCrt, 'utf8'), certPem: await readFile(srvCrt, 'utf8'), keyPem: await readFile(srvKey, 'utf8') };
  }
  const srv = await createServing(ca, sans);
  const keyPem = await exportKeyPem(srv.key);
  const certPem = srv.cert.toString('pem') + '\n';
  await writeFile(srvKey, keyPem, { mode: 0o600 });
  await writeFile(srvCrt, certPem);
  return { caCertPem: await readFile(caCrt, 'utf8'), certPem, keyPem };
}
