/**
 * The namespace controller against a real `capstan server` (compiled dist/ only): deleting a
 * namespace empties it, records the deletion conditions, and, where the server serves
 * `/finalize`, the namespace goes away.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { capstanBin, startServer, type ServerHandle } from '../../../test/e2e/harness.js';
import { ApiClient } from '../../client/api-client.js';
import type { ApiObject } from '../../api/object.js';
import { Informer } from '../../client/informer.js';
import { listWatcherFor } from '../../client/list-watch.js';
import { NamespaceController } from './namespace-controller.js';

const skip = existsSync(capstanBin) && existsSync(new URL('../../cli/main.js', import.meta.url)) ? false : 'needs the compiled server (npm run build)';
const namespaces = { group: '', version: 'v1', plural: 'namespaces', namespaced: false };
const configmaps = { group: '', version: 'v1', plural: 'configmaps', namespaced: true };

describe('namespace controller against a real server', { skip }, () => {
  let server: ServerHandle;
  let client: ApiClient;
  const ac = new AbortController();
  let running: Promise<void>;

  before(async () => {
    // Only this test's controller acts (the server's own would also publish kube-root-ca.crt).
    server = await startServer({ extraArgs: ['--disable-controller-manager'] });
    client = await ApiClient.fromKubeconfig(server.kubeconfig);
    running = new NamespaceController({ client, deletionGracePeriodMs: 0, workers: 2 }).start(ac.signal);
  });
  after(async () => {
    ac.abort();
    await running;
    client?.close();
    await server?.stop();
  });

  test('empties a deleted namespace and sets the deletion conditions', async () => {
    await client.create(namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'doomed' } });
    await client.create(configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c1', namespace: 'doomed' }, data: { a: 'b' } });
    await client.create(configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c2', namespace: 'doomed' } });

    // Observe the namespace's content through an informer: wait until the controller has emptied it.
    const watchAc = new AbortController();
    const inf = new Informer(listWatcherFor(client, configmaps, { namespace: 'doomed' }));
    const emptied = new Promise<void>((resolve) => inf.addEventHandler({ onDelete: () => inf.keys().length === 0 && resolve() }));
    const informerDone = inf.start(watchAc.signal);
    try {
      await inf.waitForSync();
      assert.equal(inf.keys().length, 2);
      await client.delete(namespaces, 'doomed');
      await emptied;
    } finally {
      watchAc.abort();
      await informerDone;
    }

    // Where the server serves namespaces/status and /finalize, the conditions are recorded and the namespace goes.
    const ns = await client.get<ApiObject>(namespaces, 'doomed').catch(() => undefined);
    if (ns) {
      assert.ok(ns.metadata.deletionTimestamp);
      assert.equal((ns.status as { phase?: string }).phase, 'Terminating');
    }
  });
});
