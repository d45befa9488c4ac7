/**
 * Certificate choice for HTTPS listeners: the certificate for an SNI server name (exact hostname
 * first, then the longest matching wildcard `*.suffix`, one label as TLS wildcards are), else the
 * listener's default, else its first certificate. Secure contexts are built once per certificate
 * object of the table.
 *
 * Key types. Node serves the context an SNICallback returns by loading its certificate into the
 * connection's slot for that key type, on top of what the server's own context loaded (nodejs/node
 * issue 54235): the slots of the other key types keep the base certificate, and the handshake then
 * uses whichever loaded certificate ranks first among those the client accepts. So an RSA SNI
 * certificate over an ECDSA base was answered with the base under TLS 1.3. Two rules make the SNI
 * certificate win whatever its type: the server's base certificate is of the least preferred key
 * type on the listener (RSA when there is one; `baseCertificate`), and the server's preference
 * order decides (`honorCipherOrder`), with ECDSA suites ahead of RSA ones for TLS 1.2 and OpenSSL's
 * default signature algorithm order (ECDSA, EdDSA, RSA-PSS, RSA) for TLS 1.3.
 */
import { createPrivateKey } from 'node:crypto';
import { DEFAULT_CIPHERS, type SecureContext, type SecureContextOptions, createSecureContext } from 'node:tls';
import type { Listener, TlsCertificate } from './route-table.js';

export function selectCertificate(tls: NonNullable<Listener['tls']>, servername: string | undefined): TlsCertificate | undefined {
  const name = (servername ?? '').toLowerCase();
  if (name) {
    let best: TlsCertificate | undefined;
    let bestLen = -1;
    for (const c of tls.certificates)
      for (const h of c.hostnames) {
        const p = h.toLowerCase();
        if (p === name) return c;
        if (p.startsWith('*.')) {
          const suffix = p.slice(1);
          if (name.endsWith(suffix) && name.length > suffix.length && !name.slice(0, -suffix.length).includes('.') && suffix.length > bestLen) {
            best = c;
            bestLen = suffix.length;
          }
        }
      }
    if (best) return best;
  }
  return tls.default ?? tls.certificates[0];
}

/**
 * How late a key type comes in the server's preference (higher is later); -1 for a key that does
 * not parse, so that it never becomes the base while a usable one exists.
 */
export function keyTypeRank(type: string | undefined): number {
  switch (type) {
    case 'ec':
      return 0;
    case 'ed25519':
    case 'ed448':
      return 1;
    case 'rsa-pss':
      return 2;
    case 'rsa':
      return 3;
    default:
      return type === undefined ? -1 : 3;
  }
}

/**
 * The certificate the listener's server context is built from: the one with the least preferred
 * key type, the default (the answer to clients without SNI) when it ties, else the first such.
 * With several key types on one listener, clients without SNI thus get an RSA certificate even
 * when the default is ECDSA: the price of every SNI name getting its own.
 */
export function baseCertificate(tls: NonNullable<Listener['tls']>, keyTypeOf: (c: TlsCertificate) => string | undefined = keyTypeOfCertificate): TlsCertificate | undefined {
  let base: TlsCertificate | undefined;
  let rank = -2;
  for (const c of [...(tls.default ? [tls.default] : []), ...tls.certificates]) {
    const r = keyTypeRank(keyTypeOf(c));
    if (r > rank) [base, rank] = [c, r];
  }
  return base;
}

const keyTypes = new WeakMap<TlsCertificate, string | null>();

/** The certificate's private key type (`rsa`, `ec`, `ed25519`, ...), undefined when it does not parse (cached). */
export function keyTypeOfCertificate(c: TlsCertificate): string | undefined {
  let t = keyTypes.get(c);
  if (t === undefined) {
    try {
      t = createPrivateKey(c.keyPem).asymmetricKeyType ?? null;
    } catch {
      t = null;
    }
    keyTypes.set(c, t);
  }
  return t ?? undefined;
}

/** An OpenSSL cipher list with the ECDSA-authenticated suites moved ahead of the other TLS 1.2 suites, order otherwise kept. */
export function preferEcdsaSuites(list: string): string {
  const parts = list.split(':');
  const tls13 = parts.filter((p) => p.startsWith('TLS_'));
  const ecdsa = parts.filter((p) => !p.startsWith('TLS_') && /(^|-)ECDSA-/.test(p));
  const rest = parts.filter((p) => !tls13.includes(p) && !ecdsa.includes(p));
  return [...tls13, ...ecdsa, ...rest].join(':');
}

const serverCiphers = preferEcdsaSuites(DEFAULT_CIPHERS);

/** The options of an HTTPS listener's server context, built from its base certificate. */
export function serverContextOptions(base: TlsCertificate): SecureContextOptions {
  return { cert: base.certPem, key: base.keyPem, ciphers: serverCiphers, honorCipherOrder: true };
}

const contexts = new WeakMap<TlsCertificate, SecureContext | Error>();

/** The secure context of a certificate (cached); an Error when its PEM is unusable. */
export function secureContextOf(c: TlsCertificate): SecureContext | Error {
  let ctx = contexts.get(c);
  if (!ctx) {
    try {
      ctx = createSecureContext({ cert: c.certPem, key: c.keyPem });
    } catch (e) {
      ctx = e as Error;
    }
    contexts.set(c, ctx);
  }
  return ctx;
}
