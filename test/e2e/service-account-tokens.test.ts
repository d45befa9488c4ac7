/**
 * Service-account tokens end to end, with the real kubectl and no node agent: `kubectl create
 * token`, the token authenticating as its service account (and no longer once its account or bound
 * pod is gone), `kubectl auth whoami`, and the token volume the ServiceAccount admission plugin
 * adds to stored pods. The signing key survives a restart.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiHttp, type ApiHttp } from '../support/api-http.js';
import { kc, kubectl, kubectlPath, startServer, type ServerHandle } from './harness.js';
import { eventually } from '../support/eventually.js';

const haveKubectl = kubectlPath() !== undefined;
const ns = 'sa-e2e';

interface PodSpec {
  serviceAccountName?: string;
  volumes?: { name: string; projected?: { defaultMode?: number; sources: Record<string, unknown>[] } }[];
  containers: { name: string; volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[] }[];
  initContainers?: { name: string; volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[] }[];
}

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as Record<string, unknown> & { 'kubernetes.io': Record<string, { name: string; uid: string }> };

describe('service-account tokens', { skip: haveKubectl ? false : 'kubectl is not installed' }, () => {
  let srv: ServerHandle;
  let api: ApiHttp;
  const dataDir = mkdtempSync(join(tmpdir(), 'capstan-e2e-sa-'));
  const pods = `/api/v1/namespaces/${ns}/pods`;
  const as = (token: string) => api.send('GET', pods, undefined, { token });

  before(async () => {
    srv = await startServer({ dataDir });
    api = apiHttp(srv);
    kc(srv, ['create', 'namespace', ns]);
    kc(srv, ['create', 'serviceaccount', 'robot', '-n', ns]);
  });
  after(async () => {
    api?.close();
    await srv?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('discovery lists serviceaccounts/token and authentication.k8s.io selfsubjectreviews', async () => {
    const core = await api.json<{ resources: Record<string, unknown>[] }>('GET', '/api/v1', undefined, 200);
    assert.deepEqual(
      core.resources.find((r) => r.name === 'serviceaccounts/token'),
      { name: 'serviceaccounts/token', singularName: '', namespaced: true, group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest', verbs: ['create'] },
    );
    const authn = await api.json<{ resources: Record<string, unknown>[] }>('GET', '/apis/authentication.k8s.io/v1', undefined, 200);
    assert.deepEqual(authn.resources.map((r) => r.name), ['selfsubjectreviews']);
  });

  test('kubectl create token: a JWT for the account that reads the API, and whoami names it', async () => {
    const token = kc(srv, ['create', 'token', 'robot', '-n', ns, '--duration', '20m']).trim();
    const c = claimsOf(token);
    assert.equal(c.iss, 'https://kubernetes.default.svc.cluster.local');
    assert.deepEqual(c.aud, ['https://kubernetes.default.svc.cluster.local']);
    assert.equal(c.sub, `system:serviceaccount:${ns}:robot`);
    assert.equal((c.exp as number) - (c.iat as number), 1200);
    assert.equal(c['kubernetes.io'].serviceaccount.name, 'robot');
    assert.equal((await as(token)).code, 200);
    const r = kubectl(srv, ['get', 'pods', '-n', ns, '--token', token]);
    assert.equal(r.code, 0, r.stderr);
    const who = JSON.parse(kc(srv, ['auth', 'whoami', '--token', token, '-o', 'json'])) as { status: { userInfo: { username: string; uid: string; groups: string[] } } };
    assert.equal(who.status.userInfo.username, `system:serviceaccount:${ns}:robot`);
    assert.equal(who.status.userInfo.uid, c['kubernetes.io'].serviceaccount.uid);
    assert.deepEqual(who.status.userInfo.groups, ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated']);
    const admin = JSON.parse(kc(srv, ['auth', 'whoami', '-o', 'json'])) as { status: { userInfo: { username: string } } };
    assert.equal(admin.status.userInfo.username, 'system:admin');
  });

  test('bad tokens are 401: garbage, a changed signature, another audience', async () => {
    assert.equal((await as('not-a-token')).code, 401);
    const token = kc(srv, ['create', 'token', 'robot', '-n', ns]).trim();
    assert.equal((await as(`${token.slice(0, -4)}AAAA`)).code, 401);
    const vault = kc(srv, ['create', 'token', 'robot', '-n', ns, '--audience', 'vault']).trim();
    assert.deepEqual(claimsOf(vault).aud, ['vault']);
    assert.equal((await as(vault)).code, 401);
  });

  test('too short a duration and a missing account are refused as upstream', () => {
    const short = kubectl(srv, ['create', 'token', 'robot', '-n', ns, '--duration', '5m']);
    assert.notEqual(short.code, 0);
    assert.match(short.stderr, /TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes/);
    const ghost = kubectl(srv, ['create', 'token', 'ghost', '-n', ns]);
    assert.notEqual(ghost.code, 0);
    assert.match(ghost.stderr, /serviceaccounts "ghost" not found/);
  });

  test('a pod gets the kube-api-access volume and read-only mounts; automount false gets none', async () => {
    // A fresh namespace: the pod may arrive before the controller has made its `default` account.
    kc(srv, ['create', 'namespace', 'sa-fresh']);
    const pod = (name: string, extra: Record<string, unknown> = {}) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: { initContainers: [{ name: 'init', image: 'busybox', command: ['true'] }], containers: [{ name: 'c', image: 'busybox', command: ['sleep', '1'] }], ...extra },
    });
    const made = await api.json<{ spec: PodSpec }>('POST', '/api/v1/namespaces/sa-fresh/pods', pod('p'), 201);
    assert.equal(made.spec.serviceAccountName, 'default');
    const vol = made.spec.volumes?.find((v) => v.name.startsWith('kube-api-access-'));
    assert.ok(vol, JSON.stringify(made.spec.volumes));
    assert.match(vol.name, /^kube-api-access-[a-z0-9]{5}$/);
    assert.deepEqual(vol.projected, {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
    });
    const want = [{ name: vol.name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }];
    assert.deepEqual(made.spec.containers[0].volumeMounts, want);
    assert.deepEqual(made.spec.initContainers?.[0].volumeMounts, want);
    const stored = JSON.parse(kc(srv, ['get', 'pod', 'p', '-n', 'sa-fresh', '-o', 'json'])) as { spec: PodSpec };
    assert.deepEqual(stored.spec.volumes, made.spec.volumes);
    const off = await api.json<{ spec: PodSpec }>('POST', '/api/v1/namespaces/sa-fresh/pods', pod('q', { automountServiceAccountToken: false }), 201);
    assert.equal(off.spec.volumes, undefined);
    assert.equal(off.spec.containers[0].volumeMounts, undefined);
    const missing = await api.send('POST', '/api/v1/namespaces/sa-fresh/pods', pod('r', { serviceAccountName: 'nobody' }));
    assert.equal(missing.code, 403);
    assert.equal((JSON.parse(missing.body) as { message: string }).message, 'pods "r" is forbidden: error looking up service account sa-fresh/nobody: serviceaccount "nobody" not found');
  });

  test('a pod-bound token dies with its pod', async () => {
    await api.json('POST', pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'holder' }, spec: { serviceAccountName: 'robot', containers: [{ name: 'c', image: 'busybox', command: ['sleep', '1'] }] } }, 201);
    const token = kc(srv, ['create', 'token', 'robot', '-n', ns, '--bound-object-kind', 'Pod', '--bound-object-name', 'holder']).trim();
    const c = claimsOf(token);
    assert.equal(c['kubernetes.io'].pod.name, 'holder');
    assert.equal((await as(token)).code, 200);
    kc(srv, ['delete', 'pod', 'holder', '-n', ns, '--wait=false']);
    await eventually('the pod to be gone', async () => ((await api.send('GET', `${pods}/holder`)).code === 404 ? true : undefined));
    assert.equal((await as(token)).code, 401);
    const wrong = kubectl(srv, ['create', 'token', 'default', '-n', ns, '--bound-object-kind', 'Pod', '--bound-object-name', 'holder']);
    assert.notEqual(wrong.code, 0);
  });

  test('the signing key survives a restart; deleting the account voids its tokens', async () => {
    kc(srv, ['create', 'serviceaccount', 'temp', '-n', ns]);
    const token = kc(srv, ['create', 'token', 'temp', '-n', ns]).trim();
    api.close();
    await srv.stop();
    srv = await startServer({ dataDir });
    api = apiHttp(srv);
    assert.equal((await as(token)).code, 200);
    kc(srv, ['delete', 'serviceaccount', 'temp', '-n', ns]);
    assert.equal((await as(token)).code, 401);
    kc(srv, ['create', 'serviceaccount', 'temp', '-n', ns]);
    assert.equal((await as(token)).code, 401, 'a recreated account has another uid');
  });
});
