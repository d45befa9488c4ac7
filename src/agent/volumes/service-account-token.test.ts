import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenManager, issuedToken, maxTokenAgeMs, tokenNeedsRefresh, tokenRequestBody, tokenRequestPath } from './service-account-token.js';
import type { TokenRequestSpec } from './volume-manager.js';

const req: TokenRequestSpec = { namespace: 'ns', serviceAccountName: 'default', audiences: ['api'], expirationSeconds: 3600, podName: 'p', podUID: 'uid-1' };

describe('service account tokens', () => {
  it('asks for a TokenRequest bound to the pod', () => {
    assert.equal(tokenRequestPath(req), '/api/v1/namespaces/ns/serviceaccounts/default/token');
    assert.deepEqual(tokenRequestBody(req), {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      metadata: { name: 'default', namespace: 'ns' },
      spec: { audiences: ['api'], expirationSeconds: 3600, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p', uid: 'uid-1' } },
    });
  });

  it('reads the token and its expiry from the answer', () => {
    assert.deepEqual(issuedToken({ status: { token: 't', expirationTimestamp: '1970-01-01T01:00:00Z' } }, req, 0), { token: 't', issuedAt: 0, expiresAt: 3600_000 });
    assert.deepEqual(issuedToken({ status: { token: 't' } }, req, 10), { token: 't', issuedAt: 10, expiresAt: 10 + 3600_000 });
    assert.throws(() => issuedToken({ status: {} }, req, 0), /returned no token/);
  });

  it('renews after 80 % of the lifetime or a day', () => {
    const t = { token: 't', issuedAt: 0, expiresAt: 3600_000 };
    assert.equal(tokenNeedsRefresh(t, 2879_000), false);
    assert.equal(tokenNeedsRefresh(t, 2880_000), true);
    assert.equal(tokenNeedsRefresh(t, 2870_000, 10_000), true, 'jitter renews a little earlier');
    const long = { token: 't', issuedAt: 0, expiresAt: 10 * maxTokenAgeMs };
    assert.equal(tokenNeedsRefresh(long, maxTokenAgeMs - 1), false);
    assert.equal(tokenNeedsRefresh(long, maxTokenAgeMs), true);
  });

  it('caches tokens per request and pod, renews them when due, keeps a valid one when renewal fails', async () => {
    let now = 0;
    let n = 0;
    let fail = false;
    const calls: { path: string; body: Record<string, unknown> }[] = [];
    const m = new TokenManager({
      now: () => now,
      random: () => 0,
      request: async (path, body) => {
        calls.push({ path, body });
        if (fail) throw new Error('unavailable');
        return { status: { token: `t${++n}`, expirationTimestamp: new Date(now + 3600_000).toISOString() } };
      },
    });
    assert.equal(await m.get(req), 't1');
    assert.equal(await m.get(req), 't1');
    assert.equal(await m.get({ ...req, audiences: ['other'] }), 't2', 'another audience is another token');
    assert.equal(calls.length, 2);
    assert.equal(calls[0]!.path, '/api/v1/namespaces/ns/serviceaccounts/default/token');
    assert.equal(m.dueFor('uid-1'), false);
    now = 2900_000;
    assert.equal(m.dueFor('uid-1'), true);
    assert.equal(await m.get(req), 't3');
    now = 2900_000 * 2;
    fail = true;
    assert.equal(await m.get(req), 't3', 'still valid');
    now = 2900_000 + 3600_000;
    await assert.rejects(m.get(req), /unavailable/);
    m.forgetPod('uid-1');
    assert.equal(m.dueFor('uid-1'), false);
  });
});
