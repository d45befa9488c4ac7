/**
 * Compact JSON Web Tokens (RFC 7519) signed with RS256 or ES256, as the service-account token
 * issuer signs them (pkg/serviceaccount/jwt.go). Only what the API server needs: sign a claim set,
 * and verify a token's signature and algorithm against a set of public keys. Claim checks
 * (issuer, audience, times) belong to the caller.
 */
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

export type JwtAlgorithm = 'RS256' | 'ES256';

export interface JwtHeader {
  alg: JwtAlgorithm;
  kid?: string;
  typ?: string;
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

/** The JWS algorithm a key signs with: RS256 for RSA keys, ES256 for P-256 keys; other keys are refused. */
export function algorithmFor(key: KeyObject): JwtAlgorithm {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  throw new Error(`unsupported service account signing key type ${key.asymmetricKeyType ?? 'unknown'}`);
}

/**
 * The key id published for a public key: the unpadded base64url SHA-256 of its DER SubjectPublicKeyInfo,
 * as kube-apiserver derives `kid` (so tokens name the key that verifies them).
 */
export function keyId(publicKey: KeyObject): string {
  return b64url(createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest());
}

/** Signs `claims` with `privateKey`: `header.payload.signature`, each part base64url without padding. */
export function signJwt(claims: object, privateKey: KeyObject): string {
  const alg = algorithmFor(privateKey);
  const header: JwtHeader = { alg, kid: keyId(createPublicKey(privateKey)) };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const sig = sign('sha256', Buffer.from(input), alg === 'ES256' ? { key: privateKey, dsaEncoding: 'ieee-p1363' } : privateKey);
  return `${input}.${b64url(sig)}`;
}

/** Whether `token` has the shape of a compact JWS (three base64url parts). Cheap: nothing is decoded. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}

/**
 * The token's claims without checking the signature, for routing (e.g. to read `iss` before
 * choosing keys). Undefined when the token is not a decodable JWT.
 */
export function unverifiedClaims(token: string): Record<string, unknown> | undefined {
  if (!looksLikeJwt(token)) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as unknown;
    return claims && typeof claims === 'object' && !Array.isArray(claims) ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Verifies the signature of `token` with any of `publicKeys` whose algorithm matches the header's
 * `alg` (never trusting `alg` to pick a weaker scheme), and returns its claims; undefined when no
 * key verifies it or it is malformed.
 */
export function verifyJwt(token: string, publicKeys: readonly KeyObject[]): Record<string, unknown> | undefined {
  if (!looksLikeJwt(token)) return undefined;
  const [h, p, s] = token.split('.');
  let header: Partial<JwtHeader>;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Partial<JwtHeader>;
  } catch {
    return undefined;
  }
  if (!header || typeof header !== 'object' || (header.alg !== 'RS256' && header.alg !== 'ES256')) return undefined;
  const input = Buffer.from(`${h}.${p}`);
  const sig = Buffer.from(s, 'base64url');
  for (const key of publicKeys) {
    let alg: JwtAlgorithm;
    try {
      alg = algorithmFor(key);
    } catch {
      continue;
    }
    if (alg !== header.alg) continue;
    if (header.kid && header.kid !== keyId(key)) continue;
    const ok = verify('sha256', input, alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key, sig);
    if (ok) return unverifiedClaims(token);
  }
  return undefined;
}
