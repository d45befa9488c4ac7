/**
 * The base controllers against a real `capstan server` (compiled dist/ only), with the controller
 * manager running in this process: ReplicaSets create and delete the right pods, the garbage
 * collector cascades deletions (background, orphan, foreground) as kubectl asks, and new namespaces
 * get the `default` ServiceAccount and the `kube-root-ca.crt` ConfigMap.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { capstanBin, kubectlPath, startServer, type ServerHandle } from './harness.js';
import { ApiClient } from '../../src/client/api-client.js';
import type { ApiObject } from '../../src/api/object.js';
import { Informer } from '../../src/client/informer.js';
import { listWatcherFor } from '../../src/client/list-watch.js';
import { startControllerManager } from '../../src/controllers/manager.js';
import { createLogger } from '../../src/util/logger.js';
import { eventually } from '../support/eventually.js';

const skip = existsSync(capstanBin) && existsSync(new URL('../../src/cli/main.js', import.meta.url)) ? (kubectlPath() ? false : 'needs kubectl') : 'needs the compiled server (npm run build)';
const pods = { group: '', version: 'v1', plural: 'pods', namespaced: true };
const replicasets = { group: 'apps', version: 'v1', plural: 'replicasets', namespaced: true };
const namespaces = { group: '', version: 'v1', plural: 'namespaces', namespaced: false };
const serviceaccounts = { group: '', version: 'v1', plural: 'serviceaccounts', namespaced: true };
const configmaps = { group: '', version: 'v1', plural: 'configmaps', namespaced: true };
const events = { group: '', version: 'v1', plural: 'events', namespaced: true };

/** Resolves once `pred` holds for the informer's cache, re-checked on every event. */
function until<T extends ApiObject>(inf: Informer<T>, pred: (items: T[]) => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (pred(inf.list())) {
        remove();
        resolve();
      }
    };
    const remove = inf.addEventHandler({ onAdd: check, onUpdate: check, onDelete: check });
    check();
  });
}

const ownedBy = (uid: string) => (p: ApiObject) => (p.metadata.ownerReferences ?? []).some((r) => r.uid === uid);

function replicaSet(name: string, replicas: number): ApiObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] } },
    },
  };
}

describe('base controllers against a real server', { skip, timeout: 120_000 }, () => {
  let server: ServerHandle;
  let client: ApiClient;
  const ac = new AbortController();
  let manager: Promise<void>;
  let podInf: Informer<ApiObject>;
  let rsInf: Informer<ApiObject>;
  const informersDone: Promise<void>[] = [];
  const kubectl = async (args: string[]) =>
    (await promisify(execFile)(kubectlPath()!, ['--kubeconfig', server.kubeconfig, ...args], { env: { ...process.env, HOME: server.dataDir, KUBECTL_KUBERC: 'false' } })).stdout;

  before(async () => {
    server = await startServer({ extraArgs: ['--disable-controller-manager'] });
    client = await ApiClient.fromKubeconfig(server.kubeconfig);
    manager = startControllerManager(client, { logger: createLogger('error') }, ac.signal);
    podInf = new Informer(listWatcherFor(client, pods, { namespace: 'default' }));
    rsInf = new Informer(listWatcherFor(client, replicasets, { namespace: 'default' }));
    informersDone.push(podInf.start(ac.signal), rsInf.start(ac.signal));
    await Promise.all([podInf.waitForSync(), rsInf.waitForSync()]);
  });
  after(async () => {
    ac.abort();
    await manager;
    await Promise.all(informersDone);
    client?.close();
    await server?.stop();
  });

  test('a ReplicaSet creates its pods and reports status; scaling down deletes unscheduled pods first', async () => {
    const rs = await client.create(replicasets, replicaSet('web', 3));
    const uid = rs.metadata.uid!;
    await until(podInf, (ps) => ps.filter(ownedBy(uid)).length === 3);
    const owned = podInf.list().filter(ownedBy(uid)) as Pod[];
    for (const p of owned) {
      assert.match(p.metadata!.name!, /^web-[a-z0-9]{5}$/);
      assert.deepEqual(p.metadata!.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid, controller: true, blockOwnerDeletion: true }]);
    }
    await until(rsInf, (l) => l.some((r) => r.metadata.name === 'web' && (r.status as { replicas?: number; observedGeneration?: number })?.replicas === 3 && (r.status as { observedGeneration?: number }).observedGeneration === 1));

    // Two pods are scheduled; the unscheduled one goes first.
    const [keep1, keep2, loser] = owned;
    for (const p of [keep1!, keep2!]) {
      await client.request('POST', `/api/v1/namespaces/default/pods/${p.metadata!.name}/binding`, {
        body: { apiVersion: 'v1', kind: 'Binding', metadata: { name: p.metadata!.name }, target: { kind: 'Node', name: 'node-a' } },
      });
    }
    await until(podInf, (ps) => ps.filter((p) => (p as Pod).spec?.nodeName === 'node-a').length === 2);
    await client.patch(replicasets, 'web', { spec: { replicas: 2 } }, 'merge', { namespace: 'default' });
    await until(podInf, (ps) => !ps.some((p) => p.metadata.name === loser!.metadata!.name));
    assert.deepEqual(podInf.list().filter(ownedBy(uid)).map((p) => p.metadata.name).sort(), [keep1!.metadata!.name, keep2!.metadata!.name].sort());

    // Events are written asynchronously by the recorder: wait for the delete to be reported.
    const mine = await eventually('the SuccessfulDelete event', async () => {
      const evs = await client.list<ApiObject & { reason?: string; involvedObject?: { uid?: string }; source?: { component?: string } }>(events, { namespace: 'default' });
      const own = evs.items.filter((e) => e.involvedObject?.uid === uid);
      return own.some((e) => e.reason === 'SuccessfulDelete') ? own : undefined;
    });
    assert.equal(mine.filter((e) => e.reason === 'SuccessfulCreate').length, 3);
    assert.equal(mine.filter((e) => e.reason === 'SuccessfulDelete').length, 1);
    assert.equal(mine[0]!.source?.component, 'replicaset-controller');
  });

  test('kubectl delete (background) removes the pods of a ReplicaSet', async () => {
    const rs = await client.create(replicasets, replicaSet('bg', 2));
    await until(podInf, (ps) => ps.filter(ownedBy(rs.metadata.uid!)).length === 2);
    await kubectl(['delete', 'replicaset', 'bg']);
    await until(podInf, (ps) => ps.filter(ownedBy(rs.metadata.uid!)).length === 0);
  });

  test('kubectl delete --cascade=orphan keeps the pods and drops their owner reference', async () => {
    const rs = await client.create(replicasets, replicaSet('orph', 2));
    const uid = rs.metadata.uid!;
    await until(podInf, (ps) => ps.filter(ownedBy(uid)).length === 2);
    const names = podInf.list().filter(ownedBy(uid)).map((p) => p.metadata.name);
    await kubectl(['delete', 'replicaset', 'orph', '--cascade=orphan']);
    await until(rsInf, (l) => !l.some((r) => r.metadata.name === 'orph'));
    await until(podInf, (ps) => ps.filter(ownedBy(uid)).length === 0);
    for (const n of names) assert.ok(podInf.get(`default/${n}`), `pod ${n} kept`);
  });

  test('kubectl delete --cascade=foreground deletes the pods, then the ReplicaSet', async () => {
    const rs = await client.create(replicasets, replicaSet('fg', 2));
    const uid = rs.metadata.uid!;
    await until(podInf, (ps) => ps.filter(ownedBy(uid)).length === 2);
    await kubectl(['delete', 'replicaset', 'fg', '--cascade=foreground']);
    await until(rsInf, (l) => !l.some((r) => r.metadata.name === 'fg'));
    assert.equal(podInf.list().filter(ownedBy(uid)).length, 0);
  });

  test('a new namespace gets the default ServiceAccount and kube-root-ca.crt', async () => {
    await client.create(namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fresh' } });
    const sas = new Informer(listWatcherFor(client, serviceaccounts, { namespace: 'fresh' }));
    const cms = new Informer(listWatcherFor(client, configmaps, { namespace: 'fresh' }));
    const stop = new AbortController();
    const done = [sas.start(stop.signal), cms.start(stop.signal)];
    await Promise.all([until(sas, (l) => l.some((s) => s.metadata.name === 'default')), until(cms, (l) => l.some((c) => c.metadata.name === 'kube-root-ca.crt'))]);
    stop.abort();
    await Promise.all(done);
    const cm = cms.get('fresh/kube-root-ca.crt') as ApiObject & { data?: Record<string, string> };
    assert.equal(cm.data?.['ca.crt'], client.config.caPem);
  });
});
