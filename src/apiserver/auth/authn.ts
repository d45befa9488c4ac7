/**
 * Authentication: static bearer tokens (the admin token lives in `<data-dir>/tls/admin.token`),
 * and a union that asks several authenticators in turn (service-account tokens are in
 * service-account-token.ts). Client certificates can join behind the same interface.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';

export interface UserInfo {
  name: string;
  uid?: string;
  groups: string[];
  /** Extra attributes (e.g. the pod a service-account token is bound to). */
  extra?: Record<string, string[]>;
}

export interface Authenticator {
  /**
   * The user behind the request, or undefined when no valid credential was presented. Static
   * credentials answer at once; those that need lookups (service-account tokens) answer a promise.
   */
  authenticate(req: IncomingMessage): UserInfo | undefined | Promise<UserInfo | undefined>;
}

/** The bearer token of the request's Authorization header, if any. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  return /^Bearer\s+(\S+)\s*$/i.exec(h)?.[1];
}

/** Asks each authenticator in order; the first user found wins (upstream's union authenticator). */
export class UnionAuthenticator implements Authenticator {
  constructor(private readonly authenticators: readonly Authenticator[]) {}

  async authenticate(req: IncomingMessage): Promise<UserInfo | undefined> {
    for (const a of this.authenticators) {
      const user = await a.authenticate(req);
      if (user) return user;
    }
    return undefined;
  }
}

export class TokenAuthenticator implements Authenticator {
  private readonly tokens = new Map<string, UserInfo>();

  addToken(token: string, user: UserInfo): void {
    this.tokens.set(token, user);
  }

  authenticate(req: IncomingMessage): UserInfo | undefined {
    const token = bearerToken(req);
    if (!token) return undefined;
    const given = Buffer.from(token);
    for (const [token, user] of this.tokens) {
      const want = Buffer.from(token);
      if (want.length === given.length && timingSafeEqual(want, given)) return user;
    }
    return undefined;
  }
}

/** Loads the admin token from `path`, creating a random one on first start. */
export async function ensureToken(path: string): Promise<string> {
  if (existsSync(path)) {
    const t = (await readFile(path, 'utf8')).trim();
    if (t) return t;
  }
  const token = randomBytes(24).toString('hex');
  await writeFile(path, token + '\n', { mode: 0o600 });
  return token;
}

export const adminUser: UserInfo = { name: 'system:admin', groups: ['system:masters', 'system:authenticated'] };
