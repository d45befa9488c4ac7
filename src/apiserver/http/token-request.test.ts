import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { StatusError, notFoundError } from '../../api/errors.js';
import type { ResourceRegistry } from '../registry/resource-registry.js';
import { defaultServiceAccountIssuer, ServiceAccountTokenIssuer } from '../auth/service-account-token.js';
import { verifyJwt } from '../auth/jwt.js';
import { createServiceAccountToken, type TokenRequestContext, validateTokenRequestSpec } from './token-request.js';

const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const now = new Date('2026-01-01T00:00:00Z');
const t0 = now.getTime() / 1000;

/** A registry whose stores answer `get` from a map keyed `plural/ns/name`. */
function registry(objects: Record<string, object>): ResourceRegistry {
  return {
    lookup: (_g: string, _v: string, plural: string) => ({
      store: {
        get: async (ns: string | undefined, name: string) => {
          const o = objects[`${plural}/${ns ?? ''}/${name}`];
          if (!o) throw notFoundError({ group: '', resource: plural }, name);
          return o;
        },
      },
    }),
  } as unknown as ResourceRegistry;
}

const world = {
  'serviceaccounts/ns/robot': { metadata: { name: 'robot', namespace: 'ns', uid: 'sa-uid' } },
  'pods/ns/p': { metadata: { name: 'p', namespace: 'ns', uid: 'pod-uid' }, spec: { serviceAccountName: 'robot', nodeName: 'n1' } },
  'pods/ns/other': { metadata: { name: 'other', namespace: 'ns', uid: 'o-uid' }, spec: { serviceAccountName: 'default' } },
  'nodes//n1': { metadata: { name: 'n1', uid: 'node-uid' } },
  'secrets/ns/s': { metadata: { name: 's', namespace: 'ns', uid: 'sec-uid' } },
};
const ctx: TokenRequestContext = {
  registry: registry(world),
  issuer: new ServiceAccountTokenIssuer(defaultServiceAccountIssuer, [defaultServiceAccountIssuer], keys.privateKey, () => 'jti'),
  clock: { now: () => now },
};
const request = (spec: object, metadata: object = {}) => ({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata, spec });
type Out = { metadata: Record<string, unknown>; spec: Record<string, unknown>; status: { token: string; expirationTimestamp: string } };
const claimsOf = (o: Out) => verifyJwt(o.status.token, [keys.publicKey]) as Record<string, unknown> & { 'kubernetes.io': Record<string, unknown> };

async function refusal(body: unknown, name = 'robot'): Promise<StatusError> {
  try {
    await createServiceAccountToken(ctx, 'ns', name, body);
  } catch (e) {
    assert.ok(e instanceof StatusError, String(e));
    return e;
  }
  assert.fail('expected a refusal');
}

describe('TokenRequest', () => {
  test('defaults: one hour, the API audience, no binding', async () => {
    const out = (await createServiceAccountToken(ctx, 'ns', 'robot', request({}))) as unknown as Out;
    assert.deepEqual(out.metadata, { name: 'robot', namespace: 'ns', creationTimestamp: '2026-01-01T00:00:00Z' });
    assert.deepEqual(out.spec, { audiences: [defaultServiceAccountIssuer], expirationSeconds: 3600, boundObjectRef: null });
    assert.equal(out.status.expirationTimestamp, '2026-01-01T01:00:00Z');
    const c = claimsOf(out);
    assert.equal(c.sub, 'system:serviceaccount:ns:robot');
    assert.equal(c.exp, t0 + 3600);
    assert.deepEqual(c['kubernetes.io'], { namespace: 'ns', serviceaccount: { name: 'robot', uid: 'sa-uid' } });
  });

  test('a pod-bound token carries the pod and its node', async () => {
    const out = (await createServiceAccountToken(ctx, 'ns', 'robot', request({ audiences: ['vault'], expirationSeconds: 1200, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p', uid: 'pod-uid' } }))) as unknown as Out;
    const c = claimsOf(out);
    assert.deepEqual(c.aud, ['vault']);
    assert.deepEqual(c['kubernetes.io'], { namespace: 'ns', node: { name: 'n1', uid: 'node-uid' }, pod: { name: 'p', uid: 'pod-uid' }, serviceaccount: { name: 'robot', uid: 'sa-uid' } });
  });

  test("the admission plugin's 3607 s becomes a year with warnafter, for API audiences only", async () => {
    const bound = { kind: 'Pod', apiVersion: 'v1', name: 'p' };
    const out = (await createServiceAccountToken(ctx, 'ns', 'robot', request({ expirationSeconds: 3607, boundObjectRef: bound }))) as unknown as Out;
    const c = claimsOf(out);
    assert.equal(c.exp, t0 + 365 * 24 * 3600);
    assert.equal(c['kubernetes.io'].warnafter, t0 + 3607);
    assert.equal(out.status.expirationTimestamp, '2026-01-01T01:00:07Z');
    const foreign = claimsOf((await createServiceAccountToken(ctx, 'ns', 'robot', request({ expirationSeconds: 3607, audiences: ['vault'], boundObjectRef: bound }))) as unknown as Out);
    assert.equal(foreign.exp, t0 + 3607);
  });

  test('secret- and node-bound tokens', async () => {
    const s = claimsOf((await createServiceAccountToken(ctx, 'ns', 'robot', request({ boundObjectRef: { kind: 'Secret', apiVersion: 'v1', name: 's' } }))) as unknown as Out);
    assert.deepEqual(s['kubernetes.io'].secret, { name: 's', uid: 'sec-uid' });
    const n = claimsOf((await createServiceAccountToken(ctx, 'ns', 'robot', request({ boundObjectRef: { kind: 'Node', apiVersion: 'v1', name: 'n1' } }))) as unknown as Out);
    assert.deepEqual(n['kubernetes.io'].node, { name: 'n1', uid: 'node-uid' });
  });

  test('expirationSeconds out of range: 422 with the field cause', async () => {
    const e = await refusal(request({ expirationSeconds: 60 }));
    assert.equal(e.code, 422);
    assert.equal(e.message, 'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes');
    assert.deepEqual(e.details, {
      name: '',
      group: 'authentication.k8s.io',
      kind: 'TokenRequest',
      causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: 60: may not specify a duration less than 10 minutes', field: 'spec.expirationSeconds' }],
    });
    assert.deepEqual(validateTokenRequestSpec({ expirationSeconds: 2 ** 32 + 1 }).map((x) => x.detail), ['may not specify a duration larger than 2^32 seconds']);
    assert.deepEqual(validateTokenRequestSpec({ expirationSeconds: 600 }), []);
  });

  test('a missing service account is 404 before any validation', async () => {
    const e = await refusal(request({ expirationSeconds: 60 }), 'ghost');
    assert.equal(e.code, 404);
    assert.equal(e.message, 'serviceaccounts "ghost" not found');
  });

  test('bound objects: missing, other account, wrong uid, unsupported kind', async () => {
    assert.equal((await refusal(request({ boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'gone' } }))).message, 'pods "gone" not found');
    const other = await refusal(request({ boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'other' } }));
    assert.equal(other.code, 400);
    assert.equal(other.message, 'cannot bind token for serviceaccount "robot" to pod running with different serviceaccount name.');
    const uid = await refusal(request({ boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p', uid: 'stale' } }));
    assert.equal(uid.code, 409);
    assert.match(uid.message, /the UID in the bound object reference \(stale\) does not match the UID in record/);
    const kind = await refusal(request({ boundObjectRef: { kind: 'Deployment', apiVersion: 'apps/v1', name: 'd' } }));
    assert.equal(kind.code, 400);
    assert.equal(kind.message, 'cannot bind token to object of type apps/v1, Kind=Deployment');
  });

  test('metadata must match the URL; bodies of the wrong kind or types are 400', async () => {
    const e = await refusal(request({}, { name: 'else' }));
    assert.equal(e.code, 422);
    assert.equal(e.details?.causes?.[0].field, 'metadata.name');
    assert.equal((await refusal(request({}, { namespace: 'x' }))).details?.causes?.[0].field, 'metadata.namespace');
    assert.equal((await refusal({ kind: 'Pod', apiVersion: 'v1' })).code, 400);
    assert.equal((await refusal(request({ expirationSeconds: 'long' }))).code, 400);
    assert.equal((await refusal(request({ audiences: 'x' }))).code, 400);
    assert.equal((await refusal([1])).code, 400);
  });
});
