/**
 * Service account tokens for serviceAccountToken projections, as the kubelet's token manager
 * (pkg/kubelet/token/token_manager.go, v1.32): a TokenRequest (authentication.k8s.io/v1) bound to
 * the pod, cached per (service account, audiences, lifetime, pod) and requested again once 80 % of
 * its lifetime has passed or it is a day old. A request that fails while a still valid token is
 * cached keeps the cached one.
 */
import type { TokenRequestSpec } from './volume-manager.js';

/** A token is used for at most this long, whatever its lifetime (the kubelet's maxTTL). */
export const maxTokenAgeMs = 24 * 3600_000;

/** The TokenRequest object POSTed to `serviceaccounts/<name>/token`. */
export function tokenRequestBody(req: TokenRequestSpec): Record<string, unknown> {
  return {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    metadata: { name: req.serviceAccountName, namespace: req.namespace },
    spec: {
      audiences: req.audiences,
      expirationSeconds: req.expirationSeconds,
      boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: req.podName, uid: req.podUID },
    },
  };
}

/** The path of the TokenRequest subresource. */
export function tokenRequestPath(req: TokenRequestSpec): string {
  return `/api/v1/namespaces/${encodeURIComponent(req.namespace)}/serviceaccounts/${encodeURIComponent(req.serviceAccountName)}/token`;
}

/** A token as the API issued it. */
export interface IssuedToken {
  token: string;
  /** Unix ms. */
  issuedAt: number;
  /** Unix ms. */
  expiresAt: number;
}

/**
 * Whether a cached token must be requested again at `now`: it is past 80 % of its lifetime, or a
 * day old. `jitterMs` (0 to 10 s upstream) spreads the requests of many pods.
 */
export function tokenNeedsRefresh(t: IssuedToken, now: number, jitterMs = 0): boolean {
  if (now >= t.issuedAt + maxTokenAgeMs - jitterMs) return true;
  const lifetime = t.expiresAt - t.issuedAt;
  return now >= t.expiresAt - lifetime * 0.2 - jitterMs;
}

/** The token and expiry from a TokenRequest answer (`status.token`, `status.expirationTimestamp`). */
export function issuedToken(answer: unknown, req: TokenRequestSpec, now: number): IssuedToken {
  const status = (answer as { status?: { token?: string; expirationTimestamp?: string } } | undefined)?.status;
  if (!status?.token) throw new Error(`the TokenRequest for service account "${req.serviceAccountName}" returned no token`);
  const exp = status.expirationTimestamp ? Date.parse(status.expirationTimestamp) : NaN;
  return { token: status.token, issuedAt: now, expiresAt: Number.isFinite(exp) ? exp : now + req.expirationSeconds * 1000 };
}

export function tokenCacheKey(req: TokenRequestSpec): string {
  return JSON.stringify([req.namespace, req.serviceAccountName, [...req.audiences].sort(), req.expirationSeconds, req.podName, req.podUID]);
}

export interface TokenManagerOptions {
  /** Sends the TokenRequest and returns the API's answer. */
  request(path: string, body: Record<string, unknown>): Promise<unknown>;
  now?: () => number;
  random?: () => number;
}

/** The agent's token cache; `get` is VolumeLookups.serviceAccountToken. */
export class TokenManager {
  private readonly cache = new Map<string, IssuedToken & { podUID: string }>();
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly opts: TokenManagerOptions) {
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
  }

  async get(req: TokenRequestSpec): Promise<string> {
    const key = tokenCacheKey(req);
    const cached = this.cache.get(key);
    const now = this.now();
    if (cached && !tokenNeedsRefresh(cached, now, this.random() * 10_000)) return cached.token;
    try {
      const t = issuedToken(await this.opts.request(tokenRequestPath(req), tokenRequestBody(req)), req, now);
      this.cache.set(key, { ...t, podUID: req.podUID });
      return t.token;
    } catch (e) {
      if (cached && now < cached.expiresAt) return cached.token;
      throw e;
    }
  }

  /** Whether any token of the pod is due for a new request (the periodic remount then refreshes it). */
  dueFor(podUID: string): boolean {
    const now = this.now();
    for (const t of this.cache.values()) if (t.podUID === podUID && tokenNeedsRefresh(t, now)) return true;
    return false;
  }

  /** Drops the pod's tokens (its volumes were torn down). */
  forgetPod(podUID: string): void {
    for (const [k, t] of this.cache) if (t.podUID === podUID) this.cache.delete(k);
  }
}
