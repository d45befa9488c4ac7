/**
 * The DaemonSet controller against a real server, with three simulated nodes (one tainted) in this
 * process; the server's scheduler places each pod on the node its required node affinity names:
 * one pod per untainted node.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setMaxListeners } from 'node:events';
import { existsSync } from 'node:fs';
import type { ApiObject } from '../../src/api/object.js';
import { ApiClient } from '../../src/client/api-client.js';
import { SharedInformerFactory } from '../../src/client/informer-factory.js';
import { realClock } from '../../src/client/clock.js';
import { daemonSetsRef, nodesRef, podsRef } from '../../src/controllers/history/controller-context.js';
import { targetNodeName } from '../../src/controllers/daemonset/daemon-pod.js';
import { createDaemonSetController } from '../../src/controllers/daemonset/daemonset-controller.js';
import { startSimulatedNodes } from '../../src/sim/simulated-nodes.js';
import { createLogger } from '../../src/util/logger.js';
import { capstanBin, startServer, type ServerHandle } from './harness.js';

const skip = existsSync(capstanBin) && existsSync(new URL('../../src/cli/main.js', import.meta.url)) ? false : 'needs the compiled server (npm run build)';
if (skip) console.log(`daemonset e2e skipped: ${skip}`);

describe('daemonset controller against a real server', { skip }, () => {
  let server: ServerHandle;
  let client: ApiClient;
  const stop = new AbortController();
  const running: Promise<void>[] = [];

  setMaxListeners(0, stop.signal);

  before(async () => {
    // This test runs its own DaemonSet controller; the server's scheduler places the pods.
    server = await startServer({ extraArgs: ['--controllers', '*,-daemonset'] });
    client = await ApiClient.fromKubeconfig(server.kubeconfig);
    const logger = createLogger('warn');
    let ready!: () => void;
    const simReady = new Promise<void>((r) => (ready = r));
    running.push(startSimulatedNodes(client, { nodes: 3, logger, onReady: () => ready() }, stop.signal));
    await simReady;
    const ctx = {
      client,
      logger,
      clock: realClock,
      recorder: { event: () => undefined },
      informers: new SharedInformerFactory(client),
    };
    running.push(createDaemonSetController(ctx).start(stop.signal));
    await client.patch(nodesRef, 'sim-2', { spec: { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] } }, 'merge');
  });
  after(async () => {
    stop.abort();
    await Promise.all(running);
    client?.close();
    await server?.stop();
  });

  test('one pod per untainted node, pinned by node affinity', async () => {
    const ns = 'default';
    const list = await client.list(daemonSetsRef, { namespace: ns });
    await client.create(daemonSetsRef, {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent', namespace: ns },
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
      },
    });
    type DS = ApiObject & { status?: { desiredNumberScheduled?: number; numberReady?: number; updatedNumberScheduled?: number } };
    for await (const ev of client.watch<DS>(daemonSetsRef, { namespace: ns, resourceVersion: list.metadata.resourceVersion, signal: AbortSignal.any([stop.signal, AbortSignal.timeout(60_000)]) })) {
      const s = ev.object.status;
      if (s?.desiredNumberScheduled === 2 && s.numberReady === 2 && s.updatedNumberScheduled === 2) break;
    }
    const pods = await client.list<ApiObject & { spec: { nodeName?: string } }>(podsRef, { namespace: ns, labelSelector: 'app=agent' });
    assert.deepEqual(pods.items.map((p) => p.spec.nodeName).sort(), ['sim-0', 'sim-1']);
    for (const p of pods.items) {
      assert.equal(targetNodeName({ ...p, spec: { ...p.spec, nodeName: undefined } } as never), p.spec.nodeName);
      assert.ok(p.metadata.labels?.['controller-revision-hash']);
      assert.equal(p.metadata.labels?.['pod-template-generation'], '1');
    }
  });
});
