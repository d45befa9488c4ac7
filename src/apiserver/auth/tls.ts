/**
 * The cluster CA and the API server's serving certificate, generated on first start and kept in
 * `<data-dir>/tls/`. ECDSA P-256 keeps first start fast. Later starts reuse the files; the serving
 * certificate is reissued when it lacks a requested SAN or nears expiry.
 */
import { webcrypto, randomBytes, X509Certificate as NodeX509 } from 'node:crypto';
import { existsSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type * as X509 from '@peculiar/x509';

/** The certificate library loads only when something must be issued (it costs ~150 ms at start). */
async function x509lib(): Promise<typeof X509> {
  await import('reflect-metadata');
  const lib = await import('@peculiar/x509');
  lib.cryptoProvider.set(webcrypto as unknown as Crypto);
  return lib;
}

const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const dayMs = 86_400_000;

export interface TlsMaterial {
  caCertPem: string;
  certPem: string;
  keyPem: string;
}

/** The client certificate the API server presents to node agents (upstream's kubelet client certificate). */
export interface ClientCertificate {
  certPem: string;
  keyPem: string;
}

/** Subject of the API server's client certificate towards node agents; agents accept only it. */
export const agentClientCommonName = 'capstan-apiserver-kubelet-client';

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

async function createCa(): Promise<{ cert: X509.X509Certificate; key: CryptoKey }> {
  const x509 = await x509lib();
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

type Issued = { cert: X509.X509Certificate; key: CryptoKey };

/** A leaf certificate signed by `ca`: a year long, for server or client use, with SANs if given. */
async function issueLeaf(ca: Issued, subject: string, usage: 'server' | 'client', sans: string[] = []): Promise<Issued> {
  const x509 = await x509lib();
  const keys = await newKeys();
  const now = Date.now();
  const names = sans.map((s) => (isIP(s) ? { type: 'ip' as const, value: s } : { type: 'dns' as const, value: s }));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject,
    issuer: ca.cert.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 365 * dayMs),
    signingKey: ca.key,
    publicKey: keys.publicKey,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
      ...(names.length ? [new x509.SubjectAlternativeNameExtension(names)] : []),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
    ],
  });
  return { cert, key: keys.privateKey };
}

/**
 * Loads or issues (from the CA in `dir`, which ensureTls created) the API server's client
 * certificate for node agents; reissued when it nears expiry.
 */
export async function ensureAgentClientCertificate(dir: string): Promise<ClientCertificate> {
  const crt = join(dir, 'apiserver-kubelet-client.crt');
  const key = join(dir, 'apiserver-kubelet-client.key');
  if (existsSync(crt) && existsSync(key)) {
    const certPem = await readFile(crt, 'utf8');
    if (new Date(new NodeX509(certPem).validTo).getTime() - Date.now() > 30 * dayMs) return { certPem, keyPem: await readFile(key, 'utf8') };
  }
  const x509 = await x509lib();
  const ca = { cert: new x509.X509Certificate(await readFile(join(dir, 'ca.crt'), 'utf8')), key: await importKeyPem(await readFile(join(dir, 'ca.key'), 'utf8')) };
  const c = await issueLeaf(ca, `CN=${agentClientCommonName}, O=system:masters`, 'client');
  const keyPem = await exportKeyPem(c.key);
  const certPem = c.cert.toString('pem') + '\n';
  await writeFile(key, keyPem, { mode: 0o600 });
  await writeFile(crt, certPem);
  return { certPem, keyPem };
}

/**
 * A self-signed serving certificate for a node agent's HTTPS endpoint (as a kubelet without
 * --tls-cert-file makes one); the API server does not verify it, as upstream by default.
 */
export async function selfSignedServing(hostnames: string[]): Promise<TlsMaterial> {
  const x509 = await x509lib();
  const keys = await newKeys();
  const now = Date.now();
  const names = hostnames.map((s) => (isIP(s) ? { type: 'ip' as const, value: s } : { type: 'dns' as const, value: s }));
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${hostnames[0] ?? 'capstan-agent'}@${Math.floor(now / 1000)}`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 365 * dayMs),
    keys,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
    ],
  });
  const certPem = cert.toString('pem') + '\n';
  return { caCertPem: certPem, certPem, keyPem: await exportKeyPem(keys.privateKey) };
}

/**
 * The node agent's serving certificate, kept in `dir` and reused while it covers `hostnames` and
 * has more than 30 days left. A new one is made with the `openssl` command where installed (the
 * certificate library costs the long-running agent about 15 MB), else with the library.
 */
export async function ensureAgentServing(dir: string, hostnames: string[]): Promise<TlsMaterial> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const crt = join(dir, 'agent-serving.crt');
  const key = join(dir, 'agent-serving.key');
  if (existsSync(crt) && existsSync(key)) {
    const certPem = await readFile(crt, 'utf8');
    if (coversSans(certPem, hostnames)) return { caCertPem: certPem, certPem, keyPem: await readFile(key, 'utf8') };
  }
  const san = hostnames.map((h) => (isIP(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
  const made = await new Promise<boolean>((resolve) => {
    execFile(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', crt, '-days', '365', '-subj', `/CN=${hostnames[0] ?? 'capstan-agent'}@${Math.floor(Date.now() / 1000)}`, '-addext', `subjectAltName=${san}`, '-addext', 'extendedKeyUsage=serverAuth'],
      { timeout: 10_000 },
      (err) => resolve(!err),
    );
  });
  if (made) {
    await chmod(key, 0o600);
    const certPem = await readFile(crt, 'utf8');
    return { caCertPem: certPem, certPem, keyPem: await readFile(key, 'utf8') };
  }
  const tls = await selfSignedServing(hostnames);
  await writeFile(key, tls.keyPem, { mode: 0o600 });
  await writeFile(crt, tls.certPem);
  return tls;
}

/** Whether the serving certificate names every SAN and has more than 30 days left (checked with Node's own X.509 parser). */
function coversSans(pem: string, sans: string[]): boolean {
  const cert = new NodeX509(pem);
  const have = new Set((cert.subjectAltName ?? '').split(', ').map((n) => n.replace(/^(DNS|IP Address):/, '')));
  return sans.every((s) => have.has(expandIPv6(s))) && new Date(cert.validTo).getTime() - Date.now() > 30 * dayMs;
}

/** IPv6 in the form Node prints SANs (`::1` → `0:0:0:0:0:0:0:1`); anything else unchanged. */
function expandIPv6(s: string): string {
  if (isIP(s) !== 6 || s.includes('.')) return s;
  const [head, tail] = s.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined ? (tail ? tail.split(':') : []) : [];
  const groups = tail !== undefined ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return groups.map((g) => g.replace(/^0+(?=.)/, '').toLowerCase()).join(':');
}

/** Loads or creates the CA and serving certificate under `dir`, covering `sans` (DNS names and IPs). */
export async function ensureTls(dir: string, sans: string[]): Promise<TlsMaterial> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const caCrt = join(dir, 'ca.crt');
  const caKey = join(dir, 'ca.key');
  const srvCrt = join(dir, 'serving.crt');
  const srvKey = join(dir, 'serving.key');
  const haveCa = existsSync(caCrt) && existsSync(caKey);
  if (haveCa && existsSync(srvCrt) && existsSync(srvKey)) {
    const certPem = await readFile(srvCrt, 'utf8');
    if (coversSans(certPem, sans)) return { caCertPem: await readFile(caCrt, 'utf8'), certPem, keyPem: await readFile(srvKey, 'utf8') };
  }
  let ca: { cert: X509.X509Certificate; key: CryptoKey };
  if (haveCa) {
    const x509 = await x509lib();
    ca = { cert: new x509.X509Certificate(await readFile(caCrt, 'utf8')), key: await importKeyPem(await readFile(caKey, 'utf8')) };
  } else {
    ca = await createCa();
    await writeFile(caKey, await exportKeyPem(ca.key), { mode: 0o600 });
    await writeFile(caCrt, ca.cert.toString('pem') + '\n');
  }
  const srv = await issueLeaf(ca, 'CN=kube-apiserver', 'server', sans);
  const keyPem = await exportKeyPem(srv.key);
  const certPem = srv.cert.toString('pem') + '\n';
  await writeFile(srvKey, keyPem, { mode: 0o600 });
  await writeFile(srvCrt, certPem);
  return { caCertPem: await readFile(caCrt, 'utf8'), certPem, keyPem };
}
