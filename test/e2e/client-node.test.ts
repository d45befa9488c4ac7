/** @kubernetes/client-node against a real `capstan server`: typed CRUD, watch and an informer. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { startServer, type ServerHandle } from './harness.js';

function until(cond: () => boolean, what: string, ms = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const tick = () => {
      if (cond()) return resolve();
      if (Date.now() - start > ms) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

describe('@kubernetes/client-node', () => {
  let srv: ServerHandle;
  let kc: k8s.KubeConfig;
  let core: k8s.CoreV1Api;
  before(async () => {
    // The API server alone: no controller or scheduler writes behind the test's back.
    srv = await startServer({ extraArgs: ['--disable-controller-manager', '--disable-scheduler'] });
    kc = new k8s.KubeConfig();
    kc.loadFromFile(srv.kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
  });
  after(async () => {
    await srv?.stop();
  });

  test('creates, reads, lists and deletes with the typed API', async () => {
    await core.createNamespace({ body: { metadata: { name: 'client' } } });
    const created = await core.createNamespacedConfigMap({ namespace: 'client', body: { metadata: { name: 'one', labels: { app: 'x' } }, data: { k: 'v' } } });
    assert.ok(created.metadata?.uid);
    const read = await core.readNamespacedConfigMap({ name: 'one', namespace: 'client' });
    assert.equal(read.data?.k, 'v');
    const list = await core.listNamespacedConfigMap({ namespace: 'client', labelSelector: 'app=x' });
    assert.deepEqual(list.items.map((i) => i.metadata?.name), ['one']);
    await assert.rejects(core.readNamespacedConfigMap({ name: 'missing', namespace: 'client' }), (e: unknown) => (e as { code?: number }).code === 404);
    await core.deleteNamespacedConfigMap({ name: 'one', namespace: 'client' });
    const after = await core.listNamespacedConfigMap({ namespace: 'client' });
    assert.equal(after.items.length, 0);
  });

  test('watches changes from a resourceVersion', async () => {
    const list = await core.listNamespacedConfigMap({ namespace: 'default' });
    const events: string[] = [];
    const watch = new k8s.Watch(kc);
    const req = await watch.watch(
      '/api/v1/namespaces/default/configmaps',
      { resourceVersion: list.metadata?.resourceVersion },
      (type: string, obj: k8s.V1ConfigMap) => events.push(`${type} ${obj.metadata?.name}`),
      () => undefined,
    );
    try {
      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'w1' } } });
      await core.patchNamespacedConfigMap({ name: 'w1', namespace: 'default', body: { data: { a: 'b' } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
      await core.deleteNamespacedConfigMap({ name: 'w1', namespace: 'default' });
      await until(() => events.length >= 3, 'three watch events');
      assert.deepEqual(events, ['ADDED w1', 'MODIFIED w1', 'DELETED w1']);
    } finally {
      req.abort();
    }
  });

  test('an informer lists, then follows adds, updates and deletes', async () => {
    const path = '/api/v1/namespaces/default/configmaps';
    const informer = k8s.makeInformer(kc, path, () => core.listNamespacedConfigMap({ namespace: 'default' }));
    const seen: string[] = [];
    informer.on('add', (o: k8s.V1ConfigMap) => seen.push(`add ${o.metadata?.name}`));
    informer.on('update', (o: k8s.V1ConfigMap) => seen.push(`update ${o.metadata?.name}`));
    informer.on('delete', (o: k8s.V1ConfigMap) => seen.push(`delete ${o.metadata?.name}`));
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'before' } } });
    await informer.start();
    try {
      await until(() => seen.includes('add before'), 'initial list');
      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'during' } } });
      await core.replaceNamespacedConfigMap({ name: 'during', namespace: 'default', body: { metadata: { name: 'during' }, data: { x: 'y' } } });
      await core.deleteNamespacedConfigMap({ name: 'during', namespace: 'default' });
      await until(() => seen.includes('delete during'), 'informer delete');
      assert.ok(seen.includes('add during') && seen.includes('update during'), seen.join(', '));
      const cache = informer as unknown as k8s.ObjectCache<k8s.V1ConfigMap>;
      assert.equal(cache.list().some((o) => o.metadata?.name === 'during'), false);
      assert.equal(cache.list().some((o) => o.metadata?.name === 'before'), true);
    } finally {
      await informer.stop();
    }
  });
});
