/**
 * `POST /apis/authentication.k8s.io/v1/selfsubjectreviews` (what `kubectl auth whoami` asks):
 * answers with the attributes of the user the request authenticated as, after
 * pkg/registry/authentication/selfsubjectreview/rest.go. Nothing is stored.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest, methodNotSupported } from '../../api/errors.js';
import { isPlainObject } from '../../api/object.js';
import type { UserInfo } from '../auth/authn.js';
import type { HandlerGroup } from './discovery.js';
import { decodeBody, mediaType, readBody } from './body.js';
import { sendJson } from './respond.js';

export const AUTHENTICATION_GROUP = 'authentication.k8s.io';
const version = 'v1';
export const selfSubjectReviewPath = `/apis/${AUTHENTICATION_GROUP}/${version}/selfsubjectreviews`;

/** authentication.k8s.io/v1 in discovery: selfsubjectreviews, create only, cluster-scoped. */
export const authenticationDiscovery: HandlerGroup = {
  group: AUTHENTICATION_GROUP,
  versions: [version],
  legacyResources: () => [{ name: 'selfsubjectreviews', singularName: 'selfsubjectreview', namespaced: false, kind: 'SelfSubjectReview', verbs: ['create'] }],
  aggregatedResources: () => [
    { resource: 'selfsubjectreviews', responseKind: { group: AUTHENTICATION_GROUP, version, kind: 'SelfSubjectReview' }, scope: 'Cluster', singularResource: 'selfsubjectreview', verbs: ['create'] },
  ],
};

/** The review's body: the user's name, uid, groups and extra, as the authenticator found them. */
export function selfSubjectReview(user: UserInfo, now: Date): Record<string, unknown> {
  const userInfo: Record<string, unknown> = { username: user.name };
  if (user.uid) userInfo.uid = user.uid;
  if (user.groups.length) userInfo.groups = [...user.groups];
  if (user.extra && Object.keys(user.extra).length) userInfo.extra = user.extra;
  return {
    kind: 'SelfSubjectReview',
    apiVersion: `${AUTHENTICATION_GROUP}/${version}`,
    metadata: { creationTimestamp: now.toISOString().replace(/\.\d{3}Z$/, 'Z') },
    status: { userInfo },
  };
}

export async function serveSelfSubjectReview(req: IncomingMessage, res: ServerResponse, user: UserInfo, now: Date): Promise<void> {
  if (req.method !== 'POST') throw methodNotSupported({ group: AUTHENTICATION_GROUP, resource: 'selfsubjectreviews' }, (req.method ?? 'GET').toLowerCase() === 'get' ? 'list' : (req.method ?? '').toLowerCase());
  const body = decodeBody(await readBody(req), mediaType(req)).value;
  if (!isPlainObject(body)) throw badRequest(`Object 'Kind' is missing in '${JSON.stringify(body)}'`);
  if (body.kind !== undefined && body.kind !== 'SelfSubjectReview')
    throw badRequest(`${String(body.kind)} in version "${version}" cannot be handled as a SelfSubjectReview: the kind in the data (${String(body.kind)}) does not match the expected kind (SelfSubjectReview)`);
  sendJson(res, 201, selfSubjectReview(user, now));
}
