/**
 * ResourceQuota beyond pods against a real server (no agent) with the real kubectl: a quota on
 * node ports, ConfigMap count and claimed storage is filled in by the resourcequota controller;
 * the second NodePort Service (also by a type change), the third ConfigMap and a claim over the
 * storage limit are refused with kube-apiserver's 403 messages; `kubectl describe quota` shows
 * used and hard; deleting a Service gives its node port back.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { e2eSkip, kc, kubectl, startServer, type ServerHandle } from './harness.js';

const ns = 'quota-e2e';
const quotaName = 'object-counts';

const service = (name: string, type: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec: { type, selector: { app: name }, ports: [{ port: 80 }] } });
const configMap = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data: { k: 'v' } });
const claim = (name: string, storage: string) => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name, namespace: ns },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } }, storageClassName: 'none' },
});

describe('resource quota on object counts, node ports and storage', { skip: e2eSkip() }, () => {
  let server: ServerHandle;

  const create = (obj: object) => kubectl(server, ['create', '-f', '-'], { input: JSON.stringify(obj) });
  const used = (): Record<string, string> => (JSON.parse(kc(server, ['get', 'resourcequota', quotaName, '-n', ns, '-o', 'json'])) as { status?: { used?: Record<string, string> } }).status?.used ?? {};
  async function untilUsed(pred: (u: Record<string, string>) => boolean, what: string): Promise<Record<string, string>> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const u = used();
      if (pred(u)) return u;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; used: ${JSON.stringify(u)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const refused = (r: { code: number; stderr: string }, message: string) => {
    assert.notEqual(r.code, 0, 'the write was accepted');
    assert.ok(r.stderr.includes('Error from server (Forbidden)'), r.stderr);
    assert.ok(r.stderr.includes(message), `${r.stderr}\nwanted: ${message}`);
  };

  before(async () => {
    server = await startServer();
    kc(server, ['create', 'namespace', ns]);
    kc(server, ['create', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        metadata: { name: quotaName, namespace: ns },
        spec: { hard: { 'services.nodeports': '1', 'count/configmaps': '2', 'requests.storage': '1Gi' } },
      }),
    });
  });
  after(async () => {
    await server?.stop();
  });

  test('the controller fills status.used for every resource the quota names', async () => {
    // The namespace's kube-root-ca.crt ConfigMap counts too, as upstream.
    await untilUsed((u) => u['count/configmaps'] === '1' && u['services.nodeports'] === '0' && u['requests.storage'] === '0', 'the first count');
    kc(server, ['get', 'configmap', 'kube-root-ca.crt', '-n', ns]);
    const hard = (JSON.parse(kc(server, ['get', 'resourcequota', quotaName, '-n', ns, '-o', 'json'])) as { status: { hard: Record<string, string> } }).status.hard;
    assert.deepEqual(hard, { 'count/configmaps': '2', 'requests.storage': '1Gi', 'services.nodeports': '1' });
  });

  test('the second NodePort Service is refused, also when a ClusterIP Service turns NodePort', () => {
    assert.equal(create(service('first', 'NodePort')).code, 0);
    refused(create(service('second', 'NodePort')), `services "second" is forbidden: exceeded quota: ${quotaName}, requested: services.nodeports=1, used: services.nodeports=1, limited: services.nodeports=1`);
    assert.equal(create(service('plain', 'ClusterIP')).code, 0);
    const patch = kubectl(server, ['patch', 'service', 'plain', '-n', ns, '-p', '{"spec":{"type":"NodePort"}}']);
    refused(patch, `services "plain" is forbidden: exceeded quota: ${quotaName}, requested: services.nodeports=1, used: services.nodeports=1, limited: services.nodeports=1`);
    assert.equal(kc(server, ['get', 'service', 'plain', '-n', ns, '-o', 'jsonpath={.spec.type}']), 'ClusterIP');
    // An update that adds no node port is not charged, even at the limit.
    kc(server, ['label', 'service', 'first', '-n', ns, 'tier=web']);
  });

  test('the third ConfigMap is refused', () => {
    assert.equal(create(configMap('second')).code, 0);
    refused(create(configMap('third')), `configmaps "third" is forbidden: exceeded quota: ${quotaName}, requested: count/configmaps=1, used: count/configmaps=2, limited: count/configmaps=2`);
  });

  test('a claim over requests.storage is refused; a small one is charged', async () => {
    refused(create(claim('big', '2Gi')), `persistentvolumeclaims "big" is forbidden: exceeded quota: ${quotaName}, requested: requests.storage=2Gi, used: requests.storage=0, limited: requests.storage=1Gi`);
    assert.equal(create(claim('small', '256Mi')).code, 0);
    await untilUsed((u) => u['requests.storage'] === '256Mi', 'the claim charged');
  });

  test('kubectl describe quota shows used and hard', async () => {
    await untilUsed((u) => u['count/configmaps'] === '2' && u['services.nodeports'] === '1', 'the counts after the writes');
    const out = kc(server, ['describe', 'quota', quotaName, '-n', ns]);
    assert.match(out, /Resource\s+Used\s+Hard/);
    assert.match(out, /count\/configmaps\s+2\s+2/);
    assert.match(out, /requests\.storage\s+256Mi\s+1Gi/);
    assert.match(out, /services\.nodeports\s+1\s+1/);
  });

  test('deleting the NodePort Service gives its node port back', async () => {
    kc(server, ['delete', 'service', 'first', '-n', ns]);
    await untilUsed((u) => u['services.nodeports'] === '0', 'the node port given back');
    assert.equal(create(service('second', 'NodePort')).code, 0);
  });
});
