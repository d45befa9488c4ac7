import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, createPublicKey } from 'node:crypto';
import { algorithmFor, keyId, looksLikeJwt, signJwt, unverifiedClaims, verifyJwt } from './jwt.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
const part = (t: string, i: number) => JSON.parse(Buffer.from(t.split('.')[i], 'base64url').toString()) as Record<string, unknown>;

describe('JWT', () => {
  test('RS256: signs, names the key, verifies', () => {
    const t = signJwt({ sub: 'x', n: 1 }, rsa.privateKey);
    assert.ok(looksLikeJwt(t));
    assert.deepEqual(part(t, 0), { alg: 'RS256', kid: keyId(rsa.publicKey) });
    assert.deepEqual(verifyJwt(t, [rsa.publicKey]), { sub: 'x', n: 1 });
    assert.equal(t.includes('='), false, 'no base64 padding');
  });

  test('ES256 uses the raw r||s signature form and verifies', () => {
    const t = signJwt({ sub: 'y' }, ec.privateKey);
    assert.equal(part(t, 0).alg, 'ES256');
    assert.equal(Buffer.from(t.split('.')[2], 'base64url').length, 64);
    assert.deepEqual(verifyJwt(t, [rsa.publicKey, ec.publicKey]), { sub: 'y' });
  });

  test('kid is the base64url SHA-256 of the public key DER, identical from either half', () => {
    assert.equal(keyId(rsa.publicKey), keyId(createPublicKey(rsa.privateKey)));
    assert.match(keyId(rsa.publicKey), /^[A-Za-z0-9_-]{43}$/);
  });

  test('refuses a wrong key, a changed payload, a changed signature and alg none', () => {
    const t = signJwt({ sub: 'x' }, rsa.privateKey);
    assert.equal(verifyJwt(t, [other.publicKey]), undefined);
    const [h, , s] = t.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ sub: 'admin' })).toString('base64url')}.${s}`;
    assert.equal(verifyJwt(forged, [rsa.publicKey]), undefined);
    assert.equal(verifyJwt(`${t.slice(0, -2)}AA`, [rsa.publicKey]), undefined);
    const none = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${Buffer.from('{"sub":"x"}').toString('base64url')}.`;
    assert.equal(verifyJwt(none, [rsa.publicKey]), undefined);
    const hs = `${Buffer.from(JSON.stringify({ alg: 'HS256' })).toString('base64url')}.${t.split('.')[1]}.${s}`;
    assert.equal(verifyJwt(hs, [rsa.publicKey]), undefined);
  });

  test('an ES256 header over an RSA key is not tried', () => {
    const t = signJwt({ sub: 'x' }, ec.privateKey);
    assert.equal(verifyJwt(t, [rsa.publicKey]), undefined);
  });

  test('garbage is not a JWT', () => {
    for (const g of ['', 'abc', 'a.b', 'a.b.c.d', 'a b.c.d', '%%.x.y']) {
      assert.equal(verifyJwt(g, [rsa.publicKey]), undefined, g);
    }
    assert.equal(unverifiedClaims('e30.bm90IGpzb24.x'), undefined);
    assert.deepEqual(unverifiedClaims(`e30.${Buffer.from('{"a":1}').toString('base64url')}.x`), { a: 1 });
  });

  test('only RSA and P-256 keys sign', () => {
    const ed = generateKeyPairSync('ed25519');
    assert.throws(() => algorithmFor(ed.privateKey), /unsupported/);
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    assert.throws(() => algorithmFor(p384.privateKey), /unsupported/);
  });
});
