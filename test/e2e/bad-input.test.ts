/**
 * Thousands of malformed requests against a running server: each gets a Status error with the
 * right code, none crashes the server, and the stored data is unchanged afterwards.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiHttp } from '../support/api-http.js';
import { startServer, type ServerHandle } from './harness.js';

const validCm = (name: string) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: 'v' } });

/** Every malformed request, paired with the status code kube-apiserver would answer. */
function malformedRequests(): { method: string; path: string; body?: string | Buffer; type?: string; want: number | number[]; auth?: boolean }[] {
  const out: ReturnType<typeof malformedRequests> = [];
  const cms = '/api/v1/namespaces/default/configmaps';
  const deps = '/apis/apps/v1/namespaces/default/deployments';
  const junk = ['{', '{"a":', 'null', '[]', '"str"', '42', '{"metadata":[]}', '\u0000\u0001\u0002', '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"data":{"k":1}}', '{"kind":"Pod","apiVersion":"v1","metadata":{"name":"x"}}', '{"apiVersion":"v2","kind":"ConfigMap","metadata":{"name":"x"}}'];
  for (let i = 0; i < 40; i++) for (const j of junk) out.push({ method: 'POST', path: cms, body: j + ' '.repeat(i), want: [400, 422] });
  const badNames = ['UPPER', 'has space', 'a/b', '-lead', 'trail-', 'x'.repeat(254), 'under_score', '..', 'dot..dot', ''];
  for (let i = 0; i < 30; i++)
    for (const n of badNames) out.push({ method: 'POST', path: cms, body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: n, labels: { ok: 'yes' } } }), want: [400, 422] });
  const badLabels = [{ 'bad key': 'v' }, { k: 'bad value!' }, { ['a'.repeat(64)]: 'v' }, { k: 'v'.repeat(64) }, { '/x': 'v' }, { 'a/b/c': 'v' }];
  for (let i = 0; i < 20; i++) for (const l of badLabels) out.push({ method: 'POST', path: cms, body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `bad-labels-${i}`, labels: l } }), want: 422 });
  const badDeploys = [
    { spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [] } } } },
    { spec: { replicas: -1, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } },
    { spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'c' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } },
    { spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'C_bad', image: 'i' }] } } } },
    { spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 70000 }] }] } } } },
    { spec: { replicas: 'three', selector: { matchLabels: { a: 'b' } } } },
  ];
  for (let i = 0; i < 20; i++) for (const d of badDeploys) out.push({ method: 'POST', path: deps, body: JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: `bad-${i}` }, ...d }), want: [400, 422] });
  for (let i = 0; i < 10; i++) {
    out.push({ method: 'POST', path: cms, body: validCm(`wrong-type-${i}`), type: 'text/plain', want: 415 });
    out.push({ method: 'PATCH', path: `${cms}/seed`, body: '{"data":{"x":"y"}}', type: 'application/json', want: 415 });
    out.push({ method: 'PATCH', path: `${cms}/seed`, body: '{not json', type: 'application/merge-patch+json', want: 400 });
    out.push({ method: 'PATCH', path: `${cms}/seed`, body: '{"op":"add"}', type: 'application/json-patch+json', want: 400 });
    out.push({ method: 'PATCH', path: `${cms}/seed`, body: '[{"op":"test","path":"/data/k","value":"nope"}]', type: 'application/json-patch+json', want: 422 });
    out.push({ method: 'PATCH', path: `${cms}/seed`, body: '[{"op":"remove","path":"/nothing/here"}]', type: 'application/json-patch+json', want: 422 });
    out.push({ method: 'PATCH', path: `${cms}/seed`, body: '{"metadata":{"name":"renamed"}}', type: 'application/merge-patch+json', want: 400 });
    out.push({ method: 'PATCH', path: `${cms}/seed`, body: '{"metadata":{"labels":{"bad key":"x"}}}', type: 'application/strategic-merge-patch+json', want: 422 });
    out.push({ method: 'PATCH', path: `${cms}/seed`, body: 'data: [', type: 'application/apply-patch+yaml', want: [400, 422] });
    out.push({ method: 'PUT', path: `${cms}/seed`, body: validCm('other-name'), want: 400 });
    out.push({ method: 'PUT', path: `${cms}/seed`, body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'seed', resourceVersion: '1' }, data: { k: 'stale' } }), want: 409 });
    out.push({ method: 'PUT', path: `${cms}/seed`, body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'seed', resourceVersion: 'abc' } }), want: [400, 422] });
    out.push({ method: 'POST', path: cms, body: validCm('seed'), want: 409 });
    out.push({ method: 'GET', path: `${cms}?limit=abc`, want: 400 });
    out.push({ method: 'GET', path: `${cms}?resourceVersion=xyz`, want: 400 });
    out.push({ method: 'GET', path: `${cms}?labelSelector=a%20in`, want: 400 });
    out.push({ method: 'GET', path: `${cms}?fieldSelector=spec.nope%3Dx`, want: 400 });
    out.push({ method: 'GET', path: `${cms}?continue=not-a-token`, want: 400 });
    out.push({ method: 'GET', path: `${cms}?resourceVersion=1&resourceVersionMatch=Bogus`, want: 400 });
    out.push({ method: 'GET', path: `/api/v1/namespaces/default/nonexistents`, want: 404 });
    out.push({ method: 'GET', path: `/apis/nope.example.com/v1/things`, want: 404 });
    out.push({ method: 'GET', path: `${cms}/missing-${i}`, want: 404 });
    out.push({ method: 'DELETE', path: `${cms}/missing-${i}`, want: 404 });
    out.push({ method: 'DELETE', path: `${cms}/seed`, body: JSON.stringify({ preconditions: { uid: 'not-the-uid' } }), want: 409 });
    out.push({ method: 'DELETE', path: `${cms}/seed?propagationPolicy=Sideways`, want: 422 });
    out.push({ method: 'POST', path: '/api/v1/namespaces/no-such-ns/configmaps', body: validCm(`orphan-${i}`), want: 404 });
    out.push({ method: 'POST', path: cms, body: validCm(`x-${i}`), want: 401, auth: false });
    out.push({ method: 'POST', path: `${cms}?dryRun=Some`, body: validCm(`dry-${i}`), want: 400 });
    out.push({ method: 'POST', path: `${cms}?fieldValidation=Strict`, body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `strict-${i}` }, dataa: {} }), want: 400 });
    out.push({ method: 'POST', path: `${cms}?fieldValidation=Strict`, body: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup-${i}","name":"dup2-${i}"}}`, want: 400 });
    out.push({ method: 'PUT', path: '/api/v1/namespaces/default', body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default', uid: 'changed' } }), want: 422 });
    out.push({ method: 'DELETE', path: '/api/v1/namespaces/kube-system', want: 403 });
  }
  out.push({ method: 'POST', path: cms, body: Buffer.alloc(3 * 1024 * 1024 + 10, 0x20), want: 413 });
  out.push({ method: 'POST', path: cms, body: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"data":${'['.repeat(20000)}${']'.repeat(20000)}}`, want: [400, 422] });
  out.push({ method: 'POST', path: cms, body: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"big"},"data":{"k":"' + 'x'.repeat(1024 * 1024 + 1) + '"}}', want: 422 });
  return out;
}

describe('bad input never crashes the server or changes stored data', () => {
  let srv: ServerHandle;
  let api: ReturnType<typeof apiHttp>;
  before(async () => {
    // The API server alone: no controller or scheduler writes behind the test's back.
    srv = await startServer({ extraArgs: ['--disable-controller-manager', '--disable-scheduler'] });
    api = apiHttp(srv);
    const seed = await api.send('POST', '/api/v1/namespaces/default/configmaps', validCm('seed'));
    assert.equal(seed.code, 201, seed.body);
  });
  after(async () => {
    api?.close();
    await srv?.stop();
  });

  test('malformed requests get Status errors and leave the store unchanged', async () => {
    const snapshot = async () => {
      const parts: string[] = [];
      for (const path of ['/api/v1/configmaps', '/api/v1/namespaces', '/apis/apps/v1/deployments', '/apis/scheduling.k8s.io/v1/priorityclasses']) {
        const r = await api.send('GET', path);
        assert.equal(r.code, 200);
        const list = JSON.parse(r.body) as { metadata: { resourceVersion: string }; items: unknown[] };
        parts.push(JSON.stringify(list.items));
      }
      return parts.join('\n');
    };
    const before = await snapshot();
    const reqs = malformedRequests();
    assert.ok(reqs.length >= 1000, `${reqs.length} requests`);
    const failures: string[] = [];
    for (let i = 0; i < reqs.length; i += 16) {
      const batch = reqs.slice(i, i + 16);
      const replies = await Promise.all(
        batch.map((r) => api.send(r.method, r.path, r.body, { contentType: r.type, token: r.auth === false ? '' : undefined }).catch((e: Error) => ({ code: -1, body: `transport error: ${e.message}` }))),
      );
      replies.forEach((rep, j) => {
        const r = batch[j];
        const wants = Array.isArray(r.want) ? r.want : [r.want];
        if (!wants.includes(rep.code)) failures.push(`${r.method} ${r.path} ${String(r.body ?? '').slice(0, 80)} → ${rep.code} (want ${wants.join('|')}): ${rep.body.slice(0, 200)}`);
        else if (rep.code !== 404 || rep.body.startsWith('{')) {
          const status = JSON.parse(rep.body) as { kind: string; code: number; status: string };
          if (status.kind !== 'Status' || status.code !== rep.code || status.status !== 'Failure') failures.push(`${r.method} ${r.path}: not a Status: ${rep.body.slice(0, 200)}`);
        }
      });
    }
    assert.deepEqual(failures.slice(0, 20), [], `${failures.length} unexpected replies`);
    const healthy = await api.send('GET', '/readyz');
    assert.equal(healthy.code, 200);
    assert.equal(await snapshot(), before, 'stored objects changed');
  });
});
