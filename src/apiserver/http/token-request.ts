/**
 * `POST /api/v1/namespaces/{ns}/serviceaccounts/{name}/token`: the TokenRequest subresource
 * (after pkg/registry/core/serviceaccount/storage/token.go). Nothing is stored: the request is
 * checked, its bound object looked up, and a signed token returned in `status`.
 */
import { StatusError, badRequest, conflict, invalidError } from '../../api/errors.js';
import { type FieldError, invalid } from '../../api/field-errors.js';
import { type ApiObject, isPlainObject } from '../../api/object.js';
import { expirationExtensionSeconds, warnOnlyBoundTokenExpirationSeconds, type ObjectRef, type ServiceAccountTokenIssuer } from '../auth/service-account-token.js';
import type { ResourceRegistry } from '../registry/resource-registry.js';
import type { Clock } from '../registry/services.js';

export const tokenRequestGVK = { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' } as const;
const tokenRequestKind = { group: tokenRequestGVK.group, kind: tokenRequestGVK.kind };
/** TokenRequestSpec's default lifetime (SetDefaults_TokenRequestSpec). */
export const defaultTokenExpirationSeconds = 3600;
const minTokenAgeSeconds = 600;

export interface TokenRequestSpec {
  audiences?: string[] | null;
  expirationSeconds?: number;
  boundObjectRef?: { kind?: string; apiVersion?: string; name?: string; uid?: string } | null;
}

export interface TokenRequestContext {
  registry: ResourceRegistry;
  issuer: ServiceAccountTokenIssuer;
  clock: Clock;
  /** Upstream `--service-account-extend-token-expiration` (default true). */
  extendExpiration?: boolean;
  /** Upstream `--service-account-max-token-expiration`; 0 or absent: no cap. */
  maxExpirationSeconds?: number;
}

/** ValidateTokenRequest (pkg/apis/authentication/validation): the lifetime is 10 minutes to 2^32 seconds. */
export function validateTokenRequestSpec(spec: TokenRequestSpec): FieldError[] {
  const errs: FieldError[] = [];
  const exp = spec.expirationSeconds ?? defaultTokenExpirationSeconds;
  if (exp < minTokenAgeSeconds) errs.push(invalid('spec.expirationSeconds', exp, 'may not specify a duration less than 10 minutes'));
  if (exp > 2 ** 32) errs.push(invalid('spec.expirationSeconds', exp, 'may not specify a duration larger than 2^32 seconds'));
  return errs;
}

/** Decoding checks on the body's types (a Go decoder would refuse these with 400). */
function decodeTokenRequest(body: unknown): ApiObject & { spec: TokenRequestSpec } {
  if (!isPlainObject(body)) throw badRequest(`Object 'Kind' is missing in '${JSON.stringify(body)}'`);
  const obj = body as ApiObject & { spec?: unknown };
  const apiVersion = `${tokenRequestGVK.group}/${tokenRequestGVK.version}`;
  if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersion)
    throw badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${apiVersion})`);
  if (obj.kind !== undefined && obj.kind !== 'TokenRequest')
    throw badRequest(`${String(obj.kind)} in version "v1" cannot be handled as a TokenRequest: the kind in the data (${String(obj.kind)}) does not match the expected kind (TokenRequest)`);
  const cannot = (field: string, goType: string, v: unknown) =>
    badRequest(`TokenRequest in version "v1" cannot be handled as a TokenRequest: json: cannot unmarshal ${Array.isArray(v) ? 'array' : typeof v} into Go struct field ${field} of type ${goType}`);
  if (obj.metadata !== undefined && obj.metadata !== null && !isPlainObject(obj.metadata)) throw cannot('TokenRequest.metadata', 'v1.ObjectMeta', obj.metadata);
  obj.metadata = (obj.metadata as ApiObject['metadata'] | null) ?? {};
  const spec = (obj.spec ?? {}) as TokenRequestSpec;
  if (!isPlainObject(spec)) throw cannot('TokenRequest.spec', 'v1.TokenRequestSpec', spec);
  if (spec.expirationSeconds !== undefined && spec.expirationSeconds !== null && !Number.isInteger(spec.expirationSeconds))
    throw cannot('TokenRequestSpec.spec.expirationSeconds', 'int64', spec.expirationSeconds);
  if (spec.audiences !== undefined && spec.audiences !== null && !(Array.isArray(spec.audiences) && spec.audiences.every((a) => typeof a === 'string')))
    throw cannot('TokenRequestSpec.spec.audiences', '[]string', spec.audiences);
  if (spec.boundObjectRef !== undefined && spec.boundObjectRef !== null && !isPlainObject(spec.boundObjectRef))
    throw cannot('TokenRequestSpec.spec.boundObjectRef', 'v1.BoundObjectReference', spec.boundObjectRef);
  return { ...obj, spec } as ApiObject & { spec: TokenRequestSpec };
}

const rfc3339 = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

interface Stored {
  metadata: { name?: string; uid?: string };
  spec?: { serviceAccountName?: string; nodeName?: string };
}

/** Creates a token for service account `name` in `ns`; returns the TokenRequest with its status. */
export async function createServiceAccountToken(ctx: TokenRequestContext, ns: string, name: string, body: unknown): Promise<ApiObject> {
  const req = decodeTokenRequest(body);
  const meta = req.metadata;
  if (meta.name && meta.name !== name) throw invalidError(tokenRequestKind, name, [invalid('metadata.name', meta.name, 'must match the service account name if specified')]);
  if (meta.namespace && meta.namespace !== ns) throw invalidError(tokenRequestKind, name, [invalid('metadata.namespace', meta.namespace, 'must match the service account namespace if specified')]);
  const get = async (plural: string, namespace: string | undefined, n: string) => (await ctx.registry.lookup('', 'v1', plural)!.store.get(namespace, n)) as unknown as Stored;
  const sa = await get('serviceaccounts', ns, name);

  const spec: TokenRequestSpec = { ...req.spec };
  if (!spec.audiences?.length) spec.audiences = [...ctx.issuer.apiAudiences];
  spec.expirationSeconds ??= defaultTokenExpirationSeconds;
  const now = ctx.clock.now();
  const errs = validateTokenRequestSpec(spec);
  if (errs.length) throw invalidError(tokenRequestKind, '', errs);

  let pod: ObjectRef | undefined;
  let secret: ObjectRef | undefined;
  let node: ObjectRef | undefined;
  const ref = spec.boundObjectRef;
  if (ref) {
    const group = (ref.apiVersion ?? '').includes('/') ? (ref.apiVersion ?? '').split('/')[0] : '';
    const version = (ref.apiVersion ?? '').includes('/') ? (ref.apiVersion ?? '').split('/')[1] : (ref.apiVersion ?? '');
    const refName = ref.name ?? '';
    let uid: string | undefined;
    if (!group && ref.kind === 'Pod') {
      const p = await get('pods', ns, refName);
      if (name !== p.spec?.serviceAccountName) throw badRequest(`cannot bind token for serviceaccount "${name}" to pod running with different serviceaccount name.`);
      uid = p.metadata.uid ?? '';
      pod = { name: refName, uid };
      // The pod's node goes into the token too (ServiceAccountTokenPodNodeInfo); a missing Node leaves only its name.
      const nodeName = p.spec?.nodeName;
      if (nodeName) {
        try {
          node = { name: nodeName, uid: (await get('nodes', undefined, nodeName)).metadata.uid ?? '' };
        } catch (e) {
          if (!(e instanceof StatusError && e.code === 404)) throw e;
          node = { name: nodeName, uid: '' };
        }
      }
    } else if (!group && ref.kind === 'Node') {
      uid = (await get('nodes', undefined, refName)).metadata.uid ?? '';
      node = { name: refName, uid };
    } else if (!group && ref.kind === 'Secret') {
      uid = (await get('secrets', ns, refName)).metadata.uid ?? '';
      secret = { name: refName, uid };
    } else {
      throw badRequest(`cannot bind token to object of type ${group}/${version}, Kind=${ref.kind ?? ''}`);
    }
    if (ref.uid && ref.uid !== uid)
      throw conflict({ group, resource: ref.kind ?? '' }, refName, `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
  }

  if (ctx.maxExpirationSeconds && spec.expirationSeconds > ctx.maxExpirationSeconds) spec.expirationSeconds = ctx.maxExpirationSeconds;
  // Projected tokens asked for by the admission plugin's 3607 s live a year but warn after 3607 s,
  // so that workloads that never re-read the file keep working while their use is reported.
  let exp = spec.expirationSeconds;
  let warnAfter: number | undefined;
  const kubeAudiences = spec.audiences.every((a) => ctx.issuer.apiAudiences.includes(a));
  if ((ctx.extendExpiration ?? true) && pod && exp === warnOnlyBoundTokenExpirationSeconds && kubeAudiences) {
    warnAfter = exp;
    exp = expirationExtensionSeconds;
  }
  const { token } = ctx.issuer.issue({
    serviceAccount: { namespace: ns, name, uid: sa.metadata.uid ?? '' },
    pod,
    secret,
    node,
    audiences: spec.audiences,
    expirationSeconds: exp,
    warnAfterSeconds: warnAfter,
    now,
  });
  return {
    kind: 'TokenRequest',
    apiVersion: `${tokenRequestGVK.group}/${tokenRequestGVK.version}`,
    metadata: { name, namespace: ns, creationTimestamp: rfc3339(now) },
    spec: { audiences: spec.audiences, expirationSeconds: spec.expirationSeconds, boundObjectRef: spec.boundObjectRef ?? null },
    status: { token, expirationTimestamp: rfc3339(new Date(now.getTime() + spec.expirationSeconds * 1000)) },
  };
}
