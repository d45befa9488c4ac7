/**
 * The StatefulSet controller against a real server, with simulated nodes in this process and a
 * minimal binder standing in for the scheduler: pods come up in order web-0, web-1, web-2 (seen
 * from a watch), each with its PVC, and a PVC outlives its pod.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setMaxListeners } from 'node:events';
import { existsSync } from 'node:fs';
import type { ApiObject } from '../../src/api/object.js';
import { ApiClient } from '../../src/client/api-client.js';
import { SharedInformerFactory } from '../../src/client/informer-factory.js';
import { realClock } from '../../src/client/clock.js';
import { Informer } from '../../src/client/informer.js';
import { listWatcherFor } from '../../src/client/list-watch.js';
import { podsRef, pvcsRef, statefulSetsRef } from '../../src/controllers/history/controller-context.js';
import { createStatefulSetController } from '../../src/controllers/statefulset/statefulset-controller.js';
import { startSimulatedNodes } from '../../src/sim/simulated-nodes.js';
import { createLogger } from '../../src/util/logger.js';
import { capstanBin, startServer, type ServerHandle } from './harness.js';

const skip = existsSync(capstanBin) && existsSync(new URL('../../src/cli/main.js', import.meta.url)) ? false : 'needs the compiled server (npm run build)';
if (skip) console.log(`statefulset e2e skipped: ${skip}`);

/** Binds every unbound pod to `node` (the scheduler's job, kept out of this test). */
async function runBinder(client: ApiClient, node: string, signal: AbortSignal): Promise<void> {
  const inf = new Informer(listWatcherFor(client, podsRef, { fieldSelector: 'spec.nodeName=' }));
  const bind = (p: ApiObject) => {
    const name = p.metadata.name!;
    void client
      .request('POST', `/api/v1/namespaces/${p.metadata.namespace}/pods/${name}/binding`, {
        body: { apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { apiVersion: 'v1', kind: 'Node', name: node } },
        signal,
      })
      .catch(() => undefined);
  };
  inf.addEventHandler({ onAdd: bind });
  await inf.start(signal);
}

describe('statefulset controller against a real server', { skip }, () => {
  let server: ServerHandle;
  let client: ApiClient;
  const stop = new AbortController();
  const running: Promise<void>[] = [];

  setMaxListeners(0, stop.signal);

  before(async () => {
    // This test runs its own controller and binder against a bare API server.
    server = await startServer({ extraArgs: ['--controllers', '*,-statefulset', '--disable-scheduler'] });
    client = await ApiClient.fromKubeconfig(server.kubeconfig);
    const logger = createLogger('warn');
    let ready!: () => void;
    const simReady = new Promise<void>((r) => (ready = r));
    running.push(startSimulatedNodes(client, { nodes: 1, logger, onReady: () => ready() }, stop.signal));
    await simReady;
    const ctx = {
      client,
      logger,
      clock: realClock,
      recorder: { event: () => undefined },
      informers: new SharedInformerFactory(client),
    };
    running.push(createStatefulSetController(ctx).start(stop.signal), runBinder(client, 'sim-0', stop.signal));
  });
  after(async () => {
    stop.abort();
    await Promise.all(running);
    client?.close();
    await server?.stop();
  });

  test('creates pods in order with their claims; claims outlive pods', async () => {
    const ns = 'default';
    const list = await client.list(podsRef, { namespace: ns });
    const order: string[] = [];
    const seen = (async () => {
      for await (const ev of client.watch<ApiObject>(podsRef, { namespace: ns, resourceVersion: list.metadata.resourceVersion, signal: AbortSignal.any([stop.signal, AbortSignal.timeout(60_000)]) })) {
        if (ev.type === 'ADDED') order.push(ev.object.metadata.name!);
        const p = ev.object as ApiObject & { status?: { conditions?: { type: string; status: string }[] } };
        if (ev.type !== 'DELETED' && p.metadata.name === 'web-2' && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) return;
      }
    })();
    await client.create(statefulSetsRef, {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'web', namespace: ns },
      spec: {
        replicas: 3,
        serviceName: 'nginx',
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
        volumeClaimTemplates: [{ metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      },
    });
    await seen;
    assert.deepEqual(order, ['web-0', 'web-1', 'web-2']);
    const claims = await client.list<ApiObject>(pvcsRef, { namespace: ns });
    assert.deepEqual(claims.items.map((c) => c.metadata.name).sort(), ['www-web-0', 'www-web-1', 'www-web-2']);
    const pod = await client.get<ApiObject & { spec: { hostname?: string; subdomain?: string } }>(podsRef, 'web-1', { namespace: ns });
    assert.equal(pod.metadata.labels?.['statefulset.kubernetes.io/pod-name'], 'web-1');
    assert.equal(pod.metadata.labels?.['apps.kubernetes.io/pod-index'], '1');
    assert.equal(pod.spec.hostname, 'web-1');
    assert.equal(pod.spec.subdomain, 'nginx');
    await client.delete(podsRef, 'web-1', { namespace: ns, gracePeriodSeconds: 0 });
    assert.ok(await client.get(pvcsRef, 'www-web-1', { namespace: ns }));
  });
});
