/**
 * Authentication: static bearer tokens (the admin token lives in `<data-dir>/tls/admin.token`).
 * Later issues add client certificates and service-account tokens behind the same interface.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';

export interface UserInfo {
  name: string;
  uid?: string;
  groups: string[];
}

export interface Authenticator {
  /** The user behind the request, or undefined when no valid credential was presented. */
  authenticate(req: IncomingMessage): UserInfo | undefined;
}

export class TokenAuthenticator implements Authenticator {
  private readonly tokens = new Map<string, UserInfo>();

  addToken(token: string, user: UserInfo): void {
    this.tokens.set(token, user);
  }

  authenticate(req: IncomingMessage): UserInfo | undefined {
    const h = req.headers.authorization;
    if (!h) return undefined;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
    if (!m) return undefined;
    const given = Buffer.from(m[1]);
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
