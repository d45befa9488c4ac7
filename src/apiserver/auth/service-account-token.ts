/**
 * Service-account tokens: the claims of a bound token (pkg/serviceaccount/claims.go), their
 * issuance, and their checks when a token is presented (the JWT authenticator of
 * pkg/serviceaccount/jwt.go with the bound-object validator of claims.go). Claim building and
 * checking are pure; looking objects up is injected.
 */
import { randomUUID, type KeyObject } from 'node:crypto';
import type { ServiceAccountKeys } from './service-account-key.js';
import { signJwt, unverifiedClaims, verifyJwt } from './jwt.js';
import type { IncomingMessage } from 'node:http';
import { bearerToken, type Authenticator, type UserInfo } from './authn.js';

/** kube-apiserver's default `--service-account-issuer` in clusters made by kubeadm, kind and k3s. */
export const defaultServiceAccountIssuer = 'https://kubernetes.default.svc.cluster.local';
/** What the ServiceAccount admission plugin asks for; a pod-bound request of exactly this is extended. */
export const warnOnlyBoundTokenExpirationSeconds = 3607;
/** The lifetime such a token really gets (a year), with `warnafter` at the requested expiry. */
export const expirationExtensionSeconds = 365 * 24 * 3600;
/** Clock skew allowed when checking exp, nbf and iat (go-jose's DefaultLeeway). */
const leewaySeconds = 60;

export interface ObjectRef {
  name: string;
  uid: string;
}

/** The `kubernetes.io` private claim. */
export interface KubernetesClaim {
  namespace: string;
  serviceaccount: ObjectRef;
  pod?: ObjectRef;
  secret?: ObjectRef;
  node?: ObjectRef;
  warnafter?: number;
}

export interface ServiceAccountClaims {
  aud: string[];
  exp: number;
  iat: number;
  iss: string;
  jti: string;
  'kubernetes.io': KubernetesClaim;
  nbf: number;
  sub: string;
}

export const serviceAccountUsername = (namespace: string, name: string): string => `system:serviceaccount:${namespace}:${name}`;

export interface ClaimsInput {
  issuer: string;
  serviceAccount: { namespace: string; name: string; uid: string };
  /** At most one of pod and secret; node alone (a Node-bound token) or beside a pod (the pod's node). */
  pod?: ObjectRef;
  secret?: ObjectRef;
  node?: ObjectRef;
  audiences: string[];
  expirationSeconds: number;
  /** Seconds after which use of the token is only warned about (extended projected tokens). */
  warnAfterSeconds?: number;
  now: Date;
  jti: string;
}

/** The claim set of a new token; its fields in the order kube-apiserver writes them. */
export function buildClaims(i: ClaimsInput): ServiceAccountClaims {
  if (i.secret && (i.pod || i.node)) throw new Error('internal error, token can only be bound to one object type');
  const now = Math.floor(i.now.getTime() / 1000);
  // Keys in alphabetical order, as kube-apiserver's encoder writes them.
  const k8s: KubernetesClaim = {
    namespace: i.serviceAccount.namespace,
    ...(i.node && (i.pod || !i.secret) ? { node: { name: i.node.name, uid: i.node.uid } } : {}),
    ...(i.pod ? { pod: { name: i.pod.name, uid: i.pod.uid } } : {}),
    ...(i.secret ? { secret: { name: i.secret.name, uid: i.secret.uid } } : {}),
    serviceaccount: { name: i.serviceAccount.name, uid: i.serviceAccount.uid },
  };
  if (i.warnAfterSeconds) k8s.warnafter = now + i.warnAfterSeconds;
  return {
    aud: [...i.audiences],
    exp: now + i.expirationSeconds,
    iat: now,
    iss: i.issuer,
    jti: i.jti,
    'kubernetes.io': k8s,
    nbf: now,
    sub: serviceAccountUsername(i.serviceAccount.namespace, i.serviceAccount.name),
  };
}

/** Signs service-account tokens with the cluster's key. */
export class ServiceAccountTokenIssuer {
  constructor(
    readonly issuer: string,
    /** The API server's own audiences (`--api-audiences`, default: the issuer). */
    readonly apiAudiences: readonly string[],
    private readonly key: KeyObject,
    private readonly newJti: () => string = randomUUID,
  ) {}

  issue(input: Omit<ClaimsInput, 'issuer' | 'jti'>): { token: string; claims: ServiceAccountClaims } {
    const claims = buildClaims({ ...input, issuer: this.issuer, jti: this.newJti() });
    return { token: signJwt(claims, this.key), claims };
  }
}

/** Why a token was refused (logged; the client only sees 401), or the claims that passed. */
export type ClaimCheck = { ok: true; claims: ServiceAccountClaims } | { ok: false; reason: string };

/**
 * The checks that need no lookups: shape, audience (it must share one with the API's audiences)
 * and times (exp, nbf, iat with a minute of leeway). The issuer and signature are checked before.
 */
export function checkClaims(raw: Record<string, unknown>, apiAudiences: readonly string[], now: Date): ClaimCheck {
  const k8s = raw['kubernetes.io'] as Partial<KubernetesClaim> | undefined;
  if (!k8s || typeof k8s !== 'object' || typeof k8s.namespace !== 'string' || !k8s.serviceaccount || typeof k8s.serviceaccount.name !== 'string')
    return { ok: false, reason: 'service account token is missing the kubernetes.io claims' };
  const aud = typeof raw.aud === 'string' ? [raw.aud] : Array.isArray(raw.aud) ? raw.aud.filter((a): a is string => typeof a === 'string') : [];
  if (!aud.some((a) => apiAudiences.includes(a))) return { ok: false, reason: `token audiences ${JSON.stringify(aud)} is invalid for the target audiences ${JSON.stringify(apiAudiences)}` };
  const t = Math.floor(now.getTime() / 1000);
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const exp = num(raw.exp);
  const nbf = num(raw.nbf);
  const iat = num(raw.iat);
  if (exp !== undefined && t - leewaySeconds > exp) return { ok: false, reason: 'service account token has expired' };
  if (nbf !== undefined && t + leewaySeconds < nbf) return { ok: false, reason: 'service account token is not valid yet' };
  if (iat !== undefined && t + leewaySeconds < iat) return { ok: false, reason: 'service account token is issued in the future' };
  const sub = serviceAccountUsername(k8s.namespace, k8s.serviceaccount.name);
  if (raw.sub !== undefined && raw.sub !== sub) return { ok: false, reason: 'service account token subject does not match its kubernetes.io claims' };
  return { ok: true, claims: { ...(raw as unknown as ServiceAccountClaims), aud } };
}

/** An object as the validator needs it: identity and whether it is being deleted. */
export interface LiveObject {
  uid: string;
  deletionTimestamp?: string;
}

/** Reads live objects (undefined when absent); the authenticator's only I/O. */
export interface BoundObjectGetter {
  serviceAccount(namespace: string, name: string): Promise<LiveObject | undefined>;
  pod(namespace: string, name: string): Promise<LiveObject | undefined>;
  secret(namespace: string, name: string): Promise<LiveObject | undefined>;
  node(name: string): Promise<LiveObject | undefined>;
}

/** Whether `obj` was deleted more than the leeway ago (then tokens bound to it are void). */
const deletedBefore = (obj: LiveObject, now: Date): boolean => !!obj.deletionTimestamp && Date.parse(obj.deletionTimestamp) < now.getTime() - leewaySeconds * 1000;

/**
 * The user a token stands for once its bound objects are checked: the service account must exist
 * with the uid in the token, and a bound pod, secret or node must still exist with its uid.
 */
export async function validateBoundObjects(c: ServiceAccountClaims, get: BoundObjectGetter, now: Date): Promise<{ user: UserInfo } | { reason: string }> {
  const k = c['kubernetes.io'];
  const ns = k.namespace;
  const sa = await get.serviceAccount(ns, k.serviceaccount.name);
  if (!sa) return { reason: `serviceaccounts "${k.serviceaccount.name}" not found` };
  if (sa.uid !== k.serviceaccount.uid) return { reason: `service account UID (${sa.uid}) does not match claim (${k.serviceaccount.uid})` };
  if (deletedBefore(sa, now)) return { reason: `service account ${ns}/${k.serviceaccount.name} has been deleted` };
  const extra: Record<string, string[]> = {};
  if (k.secret) {
    const s = await get.secret(ns, k.secret.name);
    if (!s || deletedBefore(s, now)) return { reason: 'service account token has been invalidated' };
    if (s.uid !== k.secret.uid) return { reason: `secret UID (${s.uid}) does not match service account secret ref claim (${k.secret.uid})` };
  }
  if (k.pod) {
    const p = await get.pod(ns, k.pod.name);
    if (!p || deletedBefore(p, now)) return { reason: 'service account token has been invalidated' };
    if (p.uid !== k.pod.uid) return { reason: `pod UID (${p.uid}) does not match service account pod ref claim (${k.pod.uid})` };
    extra['authentication.kubernetes.io/pod-name'] = [k.pod.name];
    extra['authentication.kubernetes.io/pod-uid'] = [k.pod.uid];
  }
  if (k.node) {
    if (!k.pod) {
      const n = await get.node(k.node.name);
      if (!n || deletedBefore(n, now)) return { reason: 'service account token has been invalidated' };
      if (n.uid !== k.node.uid) return { reason: `node UID (${n.uid}) does not match service account node ref claim (${k.node.uid})` };
    }
    extra['authentication.kubernetes.io/node-name'] = [k.node.name];
    if (k.node.uid) extra['authentication.kubernetes.io/node-uid'] = [k.node.uid];
  }
  if (c.jti) extra['authentication.kubernetes.io/credential-id'] = [`JTI=${c.jti}`];
  return {
    user: {
      name: serviceAccountUsername(ns, k.serviceaccount.name),
      uid: k.serviceaccount.uid,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
      extra,
    },
  };
}

/**
 * Checks a presented bearer token: ours when its issuer is one of `issuers`; then signature,
 * claims and bound objects. Undefined for tokens that are not ours or that fail (reason to `log`).
 */
export async function authenticateServiceAccountToken(
  token: string,
  o: { issuers: readonly string[]; apiAudiences: readonly string[]; keys: ServiceAccountKeys; get: BoundObjectGetter; now: Date; log?: (reason: string) => void },
): Promise<UserInfo | undefined> {
  const peek = unverifiedClaims(token);
  if (!peek || typeof peek.iss !== 'string' || !o.issuers.includes(peek.iss)) return undefined;
  const raw = verifyJwt(token, o.keys.publicKeys);
  if (!raw) {
    o.log?.('invalid signature');
    return undefined;
  }
  const checked = checkClaims(raw, o.apiAudiences, o.now);
  if (!checked.ok) {
    o.log?.(checked.reason);
    return undefined;
  }
  const bound = await validateBoundObjects(checked.claims, o.get, o.now);
  if ('reason' in bound) {
    o.log?.(bound.reason);
    return undefined;
  }
  return bound.user;
}

/** The Authenticator for service-account bearer tokens. */
export class ServiceAccountAuthenticator implements Authenticator {
  constructor(
    private readonly o: {
      issuers: readonly string[];
      apiAudiences: readonly string[];
      keys: ServiceAccountKeys;
      get: BoundObjectGetter;
      clock: { now(): Date };
      log?: (reason: string) => void;
    },
  ) {}

  async authenticate(req: IncomingMessage): Promise<UserInfo | undefined> {
    const token = bearerToken(req);
    if (!token) return undefined;
    return authenticateServiceAccountToken(token, { ...this.o, now: this.o.clock.now() });
  }
}
