/**
 * The pod garbage collector against a real `capstan server` (compiled dist/ only), run in this
 * process with a short period and quarantine: pods bound to a node that no longer exists are
 * marked Failed with the DeletionByPodGC condition and force-deleted, and finished pods beyond the
 * threshold go oldest first.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ApiObject } from '../../src/api/object.js';
import { ApiClient } from '../../src/client/api-client.js';
import { builtinRefs } from '../../src/client/builtin-refs.js';
import { realClock } from '../../src/client/clock.js';
import { SharedInformerFactory } from '../../src/client/informer-factory.js';
import { FakeEventRecorder } from '../../src/controllers/events.js';
import { PodGcController } from '../../src/controllers/podgc/podgc-controller.js';
import { createLogger } from '../../src/util/logger.js';
import { eventually } from '../support/eventually.js';
import { capstanBin, startServer, type ServerHandle } from './harness.js';

const skip = existsSync(capstanBin) && existsSync(new URL('../../src/cli/main.js', import.meta.url)) ? false : 'needs the compiled server (npm run build)';
const pods = builtinRefs.pods;

describe('pod garbage collector against a real server', { skip, timeout: 120_000 }, () => {
  let server: ServerHandle;
  let client: ApiClient;
  const ac = new AbortController();
  let running: Promise<void>;

  before(async () => {
    server = await startServer({ extraArgs: ['--disable-controller-manager', '--disable-scheduler'] });
    client = await ApiClient.fromKubeconfig(server.kubeconfig);
    const informers = new SharedInformerFactory(client, { clock: realClock });
    const gc = new PodGcController(
      { client, informers, logger: createLogger('error'), clock: realClock, recorder: new FakeEventRecorder() },
      { terminatedPodThreshold: 2, periodMs: 200, quarantineMs: 500 },
    );
    running = Promise.all([informers.start(ac.signal), gc.start(ac.signal)]).then(() => undefined);
  });
  after(async () => {
    ac.abort();
    await running;
    client?.close();
    await server?.stop();
  });

  const makePod = (name: string, ns: string, nodeName?: string) =>
    client.create(pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns }, spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', image: 'busybox', command: ['true'] }] } } as ApiObject);

  test('pods bound to a node that does not exist are marked Failed (DeletionByPodGC) and deleted', async () => {
    await client.create(builtinRefs.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'orphans' } });
    const list = await client.list(pods, { namespace: 'orphans' });
    const seen: Pod[] = [];
    const watching = (async () => {
      for await (const ev of client.watch<Pod>(pods, { namespace: 'orphans', resourceVersion: list.metadata.resourceVersion, signal: ac.signal })) {
        seen.push(ev.object);
        if (ev.type === 'DELETED') return;
      }
    })();
    await makePod('stray', 'orphans', 'ghost-node');
    await watching;
    const failed = seen.find((p) => p.status?.phase === 'Failed');
    assert.ok(failed, 'marked Failed before deletion');
    const cond = failed.status?.conditions?.find((c) => c.type === 'DisruptionTarget');
    assert.equal(cond?.status, 'True');
    assert.equal(cond?.reason, 'DeletionByPodGC');
    assert.equal(cond?.message, 'PodGC: node no longer exists');
  });

  test('finished pods beyond the threshold are deleted oldest first', async () => {
    await client.create(builtinRefs.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'done' } });
    // Real, existing node names are not needed: these pods are never bound.
    for (const name of ['p1', 'p2', 'p3', 'p4']) {
      await makePod(name, 'done');
      await client.patch(pods, name, { status: { phase: 'Succeeded' } }, 'merge', { namespace: 'done', subresource: 'status' });
      await new Promise((r) => setTimeout(r, 1100)); // distinct creationTimestamps (second precision)
    }
    const left = await eventually('two pods left', async () => {
      const l = await client.list<Pod>(pods, { namespace: 'done' });
      return l.items.length === 2 ? l.items.map((p) => p.metadata!.name).sort() : undefined;
    });
    assert.deepEqual(left, ['p3', 'p4']);
  });
});
