/**
 * Certificate choice for HTTPS listeners: the certificate for an SNI server name (exact hostname
 * first, then the longest matching wildcard `*.suffix`, one label as TLS wildcards are), else the
 * listener's default, else its first certificate. Secure contexts are built once per certificate
 * object of the table.
 */
import { type SecureContext, createSecureContext } from 'node:tls';
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
