import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { ensureServiceAccountKeys, serviceAccountKeysFromPem } from './service-account-key.js';
import {
  authenticateServiceAccountToken,
  type BoundObjectGetter,
  buildClaims,
  checkClaims,
  defaultServiceAccountIssuer,
  type LiveObject,
  ServiceAccountTokenIssuer,
  validateBoundObjects,
} from './service-account-token.js';
import { signJwt } from './jwt.js';

const now = new Date('2026-01-01T00:00:00Z');
const t0 = now.getTime() / 1000;
const sa = { namespace: 'ns', name: 'robot', uid: 'sa-uid' };
const aud = [defaultServiceAccountIssuer];

function objects(init: Record<string, LiveObject>): BoundObjectGetter & { set(k: string, o?: LiveObject): void } {
  const m = new Map(Object.entries(init));
  return {
    set: (k, o) => (o ? m.set(k, o) : m.delete(k)),
    serviceAccount: async (ns, n) => m.get(`sa/${ns}/${n}`),
    pod: async (ns, n) => m.get(`pod/${ns}/${n}`),
    secret: async (ns, n) => m.get(`secret/${ns}/${n}`),
    node: async (n) => m.get(`node/${n}`),
  };
}

describe('claims', () => {
  test('an unbound token: the upstream claim set, keys in kube-apiserver order', () => {
    const c = buildClaims({ issuer: 'https://iss', serviceAccount: sa, audiences: ['a', 'b'], expirationSeconds: 600, now, jti: 'j1' });
    assert.deepEqual(c, {
      aud: ['a', 'b'],
      exp: t0 + 600,
      iat: t0,
      iss: 'https://iss',
      jti: 'j1',
      'kubernetes.io': { namespace: 'ns', serviceaccount: { name: 'robot', uid: 'sa-uid' } },
      nbf: t0,
      sub: 'system:serviceaccount:ns:robot',
    });
    assert.deepEqual(Object.keys(c), ['aud', 'exp', 'iat', 'iss', 'jti', 'kubernetes.io', 'nbf', 'sub']);
  });

  test('a pod-bound token names the pod and its node, and the warnafter time', () => {
    const c = buildClaims({ issuer: 'i', serviceAccount: sa, pod: { name: 'p', uid: 'pu' }, node: { name: 'n', uid: 'nu' }, audiences: aud, expirationSeconds: 3600, warnAfterSeconds: 3607, now, jti: 'j' });
    assert.deepEqual(c['kubernetes.io'], { namespace: 'ns', node: { name: 'n', uid: 'nu' }, pod: { name: 'p', uid: 'pu' }, serviceaccount: { name: 'robot', uid: 'sa-uid' }, warnafter: t0 + 3607 });
    assert.deepEqual(Object.keys(c['kubernetes.io']), ['namespace', 'node', 'pod', 'serviceaccount', 'warnafter']);
  });

  test('secret- and node-bound tokens; a secret with a pod is refused', () => {
    assert.deepEqual(buildClaims({ issuer: 'i', serviceAccount: sa, secret: { name: 's', uid: 'su' }, audiences: aud, expirationSeconds: 600, now, jti: 'j' })['kubernetes.io'].secret, { name: 's', uid: 'su' });
    assert.deepEqual(buildClaims({ issuer: 'i', serviceAccount: sa, node: { name: 'n', uid: 'nu' }, audiences: aud, expirationSeconds: 600, now, jti: 'j' })['kubernetes.io'].node, { name: 'n', uid: 'nu' });
    assert.throws(() => buildClaims({ issuer: 'i', serviceAccount: sa, secret: { name: 's', uid: 'su' }, pod: { name: 'p', uid: 'pu' }, audiences: aud, expirationSeconds: 600, now, jti: 'j' }), /one object type/);
  });

  test('time and audience checks, with a minute of leeway', () => {
    const c = buildClaims({ issuer: 'i', serviceAccount: sa, audiences: ['x', aud[0]], expirationSeconds: 600, now, jti: 'j' }) as unknown as Record<string, unknown>;
    const at = (s: number) => new Date(now.getTime() + s * 1000);
    assert.equal(checkClaims(c, aud, at(0)).ok, true);
    assert.equal(checkClaims(c, aud, at(659)).ok, true);
    assert.deepEqual(checkClaims(c, aud, at(661)), { ok: false, reason: 'service account token has expired' });
    assert.deepEqual(checkClaims(c, aud, at(-61)), { ok: false, reason: 'service account token is not valid yet' });
    assert.match((checkClaims(c, ['other'], at(0)) as { reason: string }).reason, /token audiences \["x","https:\/\/kubernetes.default.svc.cluster.local"\] is invalid/);
    assert.equal(checkClaims({ ...c, aud: aud[0] }, aud, at(0)).ok, true, 'a single audience may be a string');
    assert.equal(checkClaims({ ...c, 'kubernetes.io': undefined }, aud, at(0)).ok, false);
    assert.equal(checkClaims({ ...c, sub: 'system:serviceaccount:ns:other' }, aud, at(0)).ok, false);
  });
});

describe('bound object validation', () => {
  const claims = (o: Partial<Parameters<typeof buildClaims>[0]> = {}) => buildClaims({ issuer: 'i', serviceAccount: sa, audiences: aud, expirationSeconds: 600, now, jti: 'j9', ...o });
  const base = { 'sa/ns/robot': { uid: 'sa-uid' }, 'pod/ns/p': { uid: 'pu' }, 'secret/ns/s': { uid: 'su' }, 'node/n': { uid: 'nu' } };

  test('the user of a live service account', async () => {
    const r = await validateBoundObjects(claims(), objects(base), now);
    assert.deepEqual(r, {
      user: {
        name: 'system:serviceaccount:ns:robot',
        uid: 'sa-uid',
        groups: ['system:serviceaccounts', 'system:serviceaccounts:ns', 'system:authenticated'],
        extra: { 'authentication.kubernetes.io/credential-id': ['JTI=j9'] },
      },
    });
  });

  test('a missing or recreated service account voids the token', async () => {
    const g = objects(base);
    g.set('sa/ns/robot', { uid: 'new-uid' });
    assert.match((await validateBoundObjects(claims(), g, now) as { reason: string }).reason, /does not match claim/);
    g.set('sa/ns/robot');
    assert.match((await validateBoundObjects(claims(), g, now) as { reason: string }).reason, /not found/);
  });

  test('a pod-bound token lives as long as its pod (and carries it in extra)', async () => {
    const g = objects(base);
    const c = claims({ pod: { name: 'p', uid: 'pu' }, node: { name: 'n', uid: 'nu' } });
    const ok = (await validateBoundObjects(c, g, now)) as { user: { extra: Record<string, string[]> } };
    assert.deepEqual(ok.user.extra['authentication.kubernetes.io/pod-name'], ['p']);
    assert.deepEqual(ok.user.extra['authentication.kubernetes.io/node-name'], ['n']);
    g.set('pod/ns/p', { uid: 'pu', deletionTimestamp: new Date(now.getTime() - 120_000).toISOString() });
    assert.deepEqual(await validateBoundObjects(c, g, now), { reason: 'service account token has been invalidated' });
    g.set('pod/ns/p', { uid: 'pu', deletionTimestamp: new Date(now.getTime() - 10_000).toISOString() });
    assert.ok('user' in (await validateBoundObjects(c, g, now)), 'within the leeway a terminating pod still counts');
    g.set('pod/ns/p', { uid: 'other' });
    assert.match((await validateBoundObjects(c, g, now) as { reason: string }).reason, /pod UID \(other\) does not match/);
    g.set('pod/ns/p');
    assert.deepEqual(await validateBoundObjects(c, g, now), { reason: 'service account token has been invalidated' });
  });

  test('secret- and node-bound tokens follow their objects', async () => {
    const g = objects(base);
    assert.ok('user' in (await validateBoundObjects(claims({ secret: { name: 's', uid: 'su' } }), g, now)));
    assert.ok('user' in (await validateBoundObjects(claims({ node: { name: 'n', uid: 'nu' } }), g, now)));
    g.set('secret/ns/s');
    g.set('node/n', { uid: 'x' });
    assert.equal('reason' in (await validateBoundObjects(claims({ secret: { name: 's', uid: 'su' } }), g, now)), true);
    assert.equal('reason' in (await validateBoundObjects(claims({ node: { name: 'n', uid: 'nu' } }), g, now)), true);
  });
});

describe('authenticating a token', () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keys = serviceAccountKeysFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  const issuer = new ServiceAccountTokenIssuer(defaultServiceAccountIssuer, aud, keys.privateKey, () => 'jti-1');
  const get = objects({ 'sa/ns/robot': { uid: 'sa-uid' } });
  const run = (token: string, at = now, reasons: string[] = []) =>
    authenticateServiceAccountToken(token, { issuers: [defaultServiceAccountIssuer], apiAudiences: aud, keys, get, now: at, log: (r) => reasons.push(r) });

  test('a good token is its service account', async () => {
    const { token } = issuer.issue({ serviceAccount: sa, audiences: aud, expirationSeconds: 3600, now });
    assert.equal((await run(token))?.name, 'system:serviceaccount:ns:robot');
  });

  test('expired, foreign-audience, other-issuer and other-key tokens are refused', async () => {
    const reasons: string[] = [];
    const { token } = issuer.issue({ serviceAccount: sa, audiences: aud, expirationSeconds: 600, now });
    assert.equal(await run(token, new Date(now.getTime() + 3_600_000), reasons), undefined);
    const vault = issuer.issue({ serviceAccount: sa, audiences: ['vault'], expirationSeconds: 600, now }).token;
    assert.equal(await run(vault, now, reasons), undefined);
    const otherIssuer = new ServiceAccountTokenIssuer('https://elsewhere', aud, keys.privateKey).issue({ serviceAccount: sa, audiences: aud, expirationSeconds: 600, now }).token;
    assert.equal(await run(otherIssuer, now, reasons), undefined);
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const forged = signJwt(buildClaims({ issuer: defaultServiceAccountIssuer, serviceAccount: sa, audiences: aud, expirationSeconds: 600, now, jti: 'x' }), stranger);
    assert.equal(await run(forged, now, reasons), undefined);
    assert.equal(await run('not-a-jwt', now, reasons), undefined);
    assert.deepEqual(reasons.map((r) => r.split(' ').slice(0, 4).join(' ')), ['service account token has', 'token audiences ["vault"] is', 'invalid signature']);
  });
});

describe('signing key', () => {
  test('created once in the TLS folder, private, and reused', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'capstan-sa-key-'));
    try {
      const a = await ensureServiceAccountKeys(dir);
      assert.equal((await stat(join(dir, 'sa.key'))).mode & 0o777, 0o600);
      assert.match(await readFile(join(dir, 'sa.pub'), 'utf8'), /BEGIN PUBLIC KEY/);
      const b = await ensureServiceAccountKeys(dir);
      assert.equal(b.privateKey.export({ type: 'pkcs8', format: 'pem' }), a.privateKey.export({ type: 'pkcs8', format: 'pem' }));
      assert.equal(a.privateKey.asymmetricKeyType, 'rsa');
      assert.equal(b.publicKeys.length, 1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
