/**
 * The scheduler against a real `capstan server` (compiled dist/ only), with Node objects created
 * by hand: a pod binds to the node that fits, and an unschedulable pod gets PodScheduled=False and
 * a FailedScheduling event. Skips when the server does not serve pods/binding yet.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Event, Pod } from 'kubernetes-types/core/v1.js';
import { capstanBin, startServer, type ServerHandle } from '../../test/e2e/harness.js';
import { isStatusError } from '../api/errors.js';
import { ApiClient } from '../client/api-client.js';
import { startScheduler } from './start-scheduler.js';
import { makeNode, makePod } from './testing/fixtures.js';

const built = existsSync(capstanBin) && existsSync(new URL('../cli/main.js', import.meta.url));
const pods = { group: '', version: 'v1', plural: 'pods', namespaced: true };
const nodes = { group: '', version: 'v1', plural: 'nodes', namespaced: false };
const events = { group: '', version: 'v1', plural: 'events', namespaced: true };

/** Watches `resource` in `default` until `pred` holds for some object (or fails after `ms`). */
async function waitFor<T>(client: ApiClient, resource: typeof pods, pred: (o: T) => boolean, ms = 20_000): Promise<T> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), ms);
  try {
    const list = await client.list<T>(resource, { namespace: 'default' });
    const hit = list.items.find(pred);
    if (hit) return hit;
    for await (const ev of client.watch<T>(resource, { namespace: 'default', resourceVersion: list.metadata.resourceVersion, signal: ac.signal })) {
      if ((ev.type === 'ADDED' || ev.type === 'MODIFIED') && pred(ev.object)) return ev.object;
    }
    throw new Error('condition not met in time');
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
}

describe('scheduler against a real server', { skip: built ? false : 'needs the compiled server (npm run build)' }, () => {
  let server: ServerHandle;
  let client: ApiClient;
  const ac = new AbortController();
  let running: Promise<void> | undefined;
  let bindingServed = true;

  before(async () => {
    // The test runs its own scheduler.
    server = await startServer({ extraArgs: ['--disable-scheduler'] });
    client = await ApiClient.fromKubeconfig(server.kubeconfig);
    try {
      await client.request('POST', '/api/v1/namespaces/default/pods/no-such-pod/binding', { body: { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'no-such-pod' }, target: { kind: 'Node', name: 'x' } } });
    } catch (e) {
      // A served subresource answers "pods "no-such-pod" not found"; an unserved one has no details.
      bindingServed = !(isStatusError(e) && e.code === 404 && !/not found/.test(e.message));
    }
    for (const n of [makeNode('worker-1', { cpu: '2' }), makeNode('ml-1', { taints: [{ key: 'dedicated', value: 'ml', effect: 'NoSchedule' }] }), makeNode('ml-2', { taints: [{ key: 'dedicated', value: 'ml', effect: 'NoSchedule' }] })]) {
      const { status, ...rest } = n;
      await client.create(nodes, { ...rest, metadata: { name: n.metadata!.name, labels: n.metadata!.labels } } as never);
      // A merge patch: the node lifecycle controller may have written the Node in the meantime.
      await client.patch(nodes, n.metadata!.name!, { status }, 'merge', { subresource: 'status' });
    }
    running = startScheduler(client, { signal: ac.signal });
  });
  after(async () => {
    ac.abort();
    await running;
    client?.close();
    await server?.stop();
  });

  test('binds a pod to the only node that fits', async (t) => {
    if (!bindingServed) return t.skip('pods/binding is not served yet');
    const { metadata, spec } = makePod('web', { cpu: '500m' });
    await client.create(pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: metadata!.name, namespace: 'default' }, spec: { containers: spec!.containers } } as never);
    const bound = await waitFor<Pod>(client, pods, (p) => p.metadata?.name === 'web' && !!p.spec?.nodeName);
    assert.equal(bound.spec?.nodeName, 'worker-1');
    const ev = await waitFor<Event>(client, events, (e) => e.involvedObject?.name === 'web' && e.reason === 'Scheduled');
    assert.equal(ev.message, 'Successfully assigned default/web to worker-1');
    assert.equal(ev.source?.component, 'default-scheduler');
  });

  test('an unschedulable pod is explained in Kubernetes words', async () => {
    const { spec } = makePod('trainer', { extra: { 'nvidia.com/gpu': '1' } });
    await client.create(pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'trainer', namespace: 'default' }, spec: { containers: spec!.containers } } as never);
    const prefix = '0/3 nodes are available: 1 Insufficient nvidia.com/gpu, 2 node(s) had untolerated taint {dedicated: ml}.';
    const ev = await waitFor<Event>(client, events, (e) => e.involvedObject?.name === 'trainer' && e.reason === 'FailedScheduling');
    assert.equal(ev.type, 'Warning');
    assert.ok(ev.message?.startsWith(prefix), ev.message);
    assert.equal(ev.reportingComponent, 'default-scheduler');
    const pod = await waitFor<Pod>(client, pods, (p) => p.metadata?.name === 'trainer' && !!p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable'));
    const cond = pod.status!.conditions!.find((c) => c.type === 'PodScheduled')!;
    assert.equal(cond.status, 'False');
    assert.ok(cond.message?.startsWith(prefix));
  });
});
