/**
 * The scheduler inside `capstan server`, proven with simulated nodes (in this process, API clients
 * like any other) and the real kubectl: node selectors, taints, inter-pod anti-affinity, topology
 * spread over zones, extended resources (GPUs), preemption by priority, failures explained in
 * Kubernetes' words, and pods of another scheduler left alone.
 *
 * The cluster: seven simulated nodes in four fleets.
 *   gen-0..2    pool=general, one per zone (zone-a, zone-b, zone-c)
 *   ssd-0       pool=ssd, disk=ssd
 *   tainted-0   pool=tainted, taint dedicated=infra:NoSchedule
 *   gpu-0..1    pool=gpu, 2 × nvidia.com/gpu each
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Event, Pod, PodSpec } from 'kubernetes-types/core/v1.js';
import type { ApiObject } from '../../src/api/object.js';
import { ApiClient } from '../../src/client/api-client.js';
import type { ResourceRef } from '../../src/client/resource-path.js';
import type { SimOptions } from '../../src/sim/sim-options.js';
import { startSimulatedNodes } from '../../src/sim/simulated-nodes.js';
import { createLogger } from '../../src/util/logger.js';
import { kc, kubectl, kubectlPath, startServer, type ServerHandle } from './harness.js';

const haveKubectl = kubectlPath() !== undefined;
const podsRef: ResourceRef = { group: '', version: 'v1', plural: 'pods', namespaced: true };
const eventsRef: ResourceRef = { group: '', version: 'v1', plural: 'events', namespaced: true };
const ns = 'default';
const totalNodes = 7;

type PodObject = Pod & ApiObject;

const podScheduled = (p: Pod | undefined) => p?.status?.conditions?.find((c) => c.type === 'PodScheduled');
const isBound = (p: Pod | undefined) => !!p?.spec?.nodeName;
const isUnschedulable = (p: Pod | undefined) => podScheduled(p)?.reason === 'Unschedulable';

/** A pod manifest for kubectl: one container, labels, and whatever spec fields the case needs. */
function podManifest(name: string, spec: Partial<PodSpec> = {}, labels: Record<string, string> = {}): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: { app: name, ...labels } },
    spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image: 'nginx:1.27' }], ...spec },
  };
}

describe('scheduler with simulated nodes', { skip: !haveKubectl && 'kubectl is not installed' }, () => {
  let srv: ServerHandle;
  let client: ApiClient;
  const stop = new AbortController();
  const fleets: Promise<void>[] = [];

  /** kubectl apply of manifests given as objects (a List when several). */
  const apply = (...objs: object[]) => kc(srv, ['apply', '-f', '-'], { input: JSON.stringify(objs.length === 1 ? objs[0] : { apiVersion: 'v1', kind: 'List', items: objs }) });

  /**
   * Watches pod `name` until `pred` holds and returns it, with every version seen since the call
   * (`undefined` for a deletion). Fails after `ms` with the last version in the message.
   */
  async function waitForPod(name: string, pred: (p: PodObject | undefined) => boolean, ms = 15_000): Promise<{ pod: PodObject | undefined; seen: (PodObject | undefined)[] }> {
    const signal = AbortSignal.timeout(ms);
    const fieldSelector = `metadata.name=${name}`;
    const list = await client.list<PodObject>(podsRef, { namespace: ns, fieldSelector });
    const seen: (PodObject | undefined)[] = [list.items[0]];
    if (pred(list.items[0])) return { pod: list.items[0], seen };
    try {
      for await (const ev of client.watch<PodObject>(podsRef, { namespace: ns, fieldSelector, resourceVersion: list.metadata.resourceVersion, signal })) {
        if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED' && ev.type !== 'DELETED') continue;
        const pod = ev.type === 'DELETED' ? undefined : ev.object;
        seen.push(pod);
        if (pred(pod)) return { pod, seen };
      }
    } catch (e) {
      if (!signal.aborted) throw e;
    }
    throw new Error(`timed out waiting for pod ${name}; last seen: ${JSON.stringify(seen.at(-1)?.status ?? seen.at(-1)?.spec?.nodeName)}`);
  }

  const boundPod = async (name: string) => (await waitForPod(name, isBound)).pod!;
  const unschedulablePod = async (name: string) => (await waitForPod(name, isUnschedulable)).pod!;
  const deletePods = async (...names: string[]) => {
    kc(srv, ['delete', 'pod', ...names, '--grace-period=0', '--force', '--wait=false']);
    await Promise.all(names.map((n) => waitForPod(n, (p) => p === undefined)));
  };

  before(async () => {
    srv = await startServer();
    client = await ApiClient.fromKubeconfig(srv.kubeconfig);
    const fleet = (opts: Partial<SimOptions> & Pick<SimOptions, 'nodes' | 'namePrefix'>) =>
      new Promise<void>((ready, fail) => {
        const running = startSimulatedNodes(client, { logger: createLogger('warn'), onReady: () => ready(), ...opts }, stop.signal);
        fleets.push(running);
        running.then(() => fail(new Error(`simulated fleet ${opts.namePrefix} stopped before it was ready`)), fail);
      });
    await Promise.all([
      fleet({ namePrefix: 'gen-', nodes: 3, zones: 3, labels: { pool: 'general' } }),
      fleet({ namePrefix: 'ssd-', nodes: 1, zones: 1, labels: { pool: 'ssd', disk: 'ssd' } }),
      fleet({ namePrefix: 'tainted-', nodes: 1, zones: 1, labels: { pool: 'tainted' }, taints: [{ key: 'dedicated', value: 'infra', effect: 'NoSchedule' }] }),
      fleet({ namePrefix: 'gpu-', nodes: 2, zones: 1, gpus: 2, labels: { pool: 'gpu' } }),
    ]);
  });

  after(async () => {
    stop.abort();
    await Promise.allSettled(fleets);
    client?.close();
    await srv?.stop();
  });

  test('all simulated nodes are Ready', () => {
    const out = kc(srv, ['get', 'nodes', '--no-headers']).trim().split('\n');
    assert.equal(out.length, totalNodes, out.join('\n'));
    for (const line of out) assert.equal(line.split(/\s+/)[1], 'Ready', line);
  });

  test('a nodeSelector lands the pod on the labelled node', async () => {
    apply(podManifest('fast-disk', { nodeSelector: { disk: 'ssd' } }));
    const pod = await boundPod('fast-disk');
    assert.equal(pod.spec?.nodeName, 'ssd-0');
    assert.equal(podScheduled(pod)?.status, 'True');
    const ev = await waitForEvent('fast-disk', 'Scheduled');
    assert.equal(ev.message, 'Successfully assigned default/fast-disk to ssd-0');
  });

  test('a tainted node is avoided unless the pod tolerates the taint', async () => {
    apply(podManifest('intolerant', { nodeSelector: { pool: 'tainted' } }), podManifest('tolerant', { nodeSelector: { pool: 'tainted' }, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'infra', effect: 'NoSchedule' }] }));
    assert.equal((await boundPod('tolerant')).spec?.nodeName, 'tainted-0');
    const pending = await unschedulablePod('intolerant');
    assert.equal(pending.spec?.nodeName, undefined);
    assert.match(podScheduled(pending)?.message ?? '', /^0\/7 nodes are available: 1 node\(s\) had untolerated taint \{dedicated: infra\}, 6 node\(s\) didn't match Pod's node affinity\/selector\./);
    await deletePods('intolerant', 'tolerant');
  });

  test('required pod anti-affinity by hostname spreads replicas, and a 4th stays Pending', async () => {
    const replica = (i: number) =>
      podManifest(
        `anti-${i}`,
        {
          nodeSelector: { pool: 'general' },
          affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { group: 'anti' } }, topologyKey: 'kubernetes.io/hostname' }] } },
        },
        { group: 'anti' },
      );
    apply(replica(0), replica(1), replica(2));
    const hosts = (await Promise.all([0, 1, 2].map((i) => boundPod(`anti-${i}`)))).map((p) => p.spec!.nodeName);
    assert.deepEqual([...hosts].sort(), ['gen-0', 'gen-1', 'gen-2']);
    apply(replica(3));
    const pending = await unschedulablePod('anti-3');
    const msg = podScheduled(pending)?.message ?? '';
    // Filters run in upstream order and a node reports its first failure: the taint comes first.
    assert.match(msg, /^0\/7 nodes are available: 1 node\(s\) had untolerated taint \{dedicated: infra\}, 3 node\(s\) didn't match Pod's node affinity\/selector, 3 node\(s\) didn't match pod anti-affinity rules\. preemption: /);
    await deletePods('anti-0', 'anti-1', 'anti-2', 'anti-3');
  });

  test('topology spread over zones with maxSkew 1 balances pods', async () => {
    const spread = (i: number) =>
      podManifest(
        `spread-${i}`,
        {
          nodeSelector: { pool: 'general' },
          topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { group: 'spread' } } }],
        },
        { group: 'spread' },
      );
    apply(...[0, 1, 2, 3, 4, 5].map(spread));
    const pods = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => boundPod(`spread-${i}`)));
    const perNode = new Map<string, number>();
    for (const p of pods) perNode.set(p.spec!.nodeName!, (perNode.get(p.spec!.nodeName!) ?? 0) + 1);
    // gen-0, gen-1 and gen-2 are alone in zone-a, zone-b and zone-c: two pods in each zone.
    assert.deepEqual([...perNode.entries()].sort(), [['gen-0', 2], ['gen-1', 2], ['gen-2', 2]]);
    await deletePods(...pods.map((p) => p.metadata.name!));
  });

  test('GPU requests land only on GPU nodes; asking for more than any node has stays Pending', async () => {
    const gpuPod = (name: string, gpus: number) => podManifest(name, { containers: [{ name: 'train', image: 'trainer:1', resources: { limits: { 'nvidia.com/gpu': String(gpus) } } }] });
    apply(gpuPod('gpu-a', 2), gpuPod('gpu-b', 2), gpuPod('gpu-huge', 3));
    const hosts = (await Promise.all([boundPod('gpu-a'), boundPod('gpu-b')])).map((p) => p.spec!.nodeName);
    assert.deepEqual([...hosts].sort(), ['gpu-0', 'gpu-1']);
    const pending = await unschedulablePod('gpu-huge');
    const msg = podScheduled(pending)?.message ?? '';
    assert.match(msg, /^0\/7 nodes are available: 1 node\(s\) had untolerated taint \{dedicated: infra\}, 6 Insufficient nvidia\.com\/gpu\./);
    // Nothing to gain by preemption: no node has three GPUs even when emptied.
    assert.match(msg, /preemption: 0\/7 nodes are available: 1 Preemption is not helpful for scheduling, 6 No preemption victims found for incoming pod\.$/);
    await deletePods('gpu-a', 'gpu-b', 'gpu-huge');
  });

  test('a high-priority pod preempts a low-priority pod and takes its GPUs', async () => {
    apply(
      { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'batch-low' }, value: 100 },
      { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'serving-high' }, value: 100000 },
    );
    const gpuPod = (name: string, priorityClassName: string) =>
      podManifest(name, { priorityClassName, nodeSelector: { pool: 'gpu' }, containers: [{ name: 'app', image: 'model:1', resources: { limits: { 'nvidia.com/gpu': '2' } } }] });
    apply(gpuPod('train-0', 'batch-low'), gpuPod('train-1', 'batch-low'));
    const victims = await Promise.all([boundPod('train-0'), boundPod('train-1')]);
    assert.deepEqual(victims.map((p) => p.spec?.priority), [100, 100]);
    // Both GPU nodes are full. The model server needs one of them.
    const watching = waitForPod('serve', (p) => isBound(p), 30_000);
    apply(gpuPod('serve', 'serving-high'));
    const { pod: serve, seen } = await watching;
    assert.equal(serve!.spec?.priority, 100000);
    const nominated = seen.find((p) => p?.status?.nominatedNodeName)?.status?.nominatedNodeName;
    assert.ok(nominated, 'status.nominatedNodeName was set before binding');
    assert.equal(serve!.spec?.nodeName, nominated);
    // The victim on that node was deleted; the other low-priority pod kept running.
    const victim = victims.find((p) => p.spec?.nodeName === nominated)!;
    const survivor = victims.find((p) => p.spec?.nodeName !== nominated)!;
    await waitForPod(victim.metadata.name!, (p) => p === undefined || p.metadata.uid !== victim.metadata.uid);
    const preempted = await waitForEvent(victim.metadata.name!, 'Preempted');
    assert.match(preempted.message ?? '', new RegExp(`^Preempted by pod ${serve!.metadata.uid} on node ${nominated}$`));
    assert.equal((await client.get<PodObject>(podsRef, survivor.metadata.name!, { namespace: ns })).metadata.uid, survivor.metadata.uid);
    await deletePods('serve', survivor.metadata.name!);
  });

  test('kubectl describe pod shows the FailedScheduling event of an unschedulable pod', async () => {
    apply(podManifest('greedy', { containers: [{ name: 'app', image: 'nginx:1.27', resources: { requests: { cpu: '64' } } }] }));
    await unschedulablePod('greedy');
    await waitForEvent('greedy', 'FailedScheduling');
    const out = kc(srv, ['describe', 'pod', 'greedy']);
    assert.match(out, /^Status:\s+Pending$/m);
    assert.match(out, /PodScheduled\s+False/);
    assert.match(out, /Warning\s+FailedScheduling\s+.*default-scheduler\s+0\/7 nodes are available: 1 node\(s\) had untolerated taint \{dedicated: infra\}, 6 Insufficient cpu\. preemption: 0\/7 nodes are available: /);
    await deletePods('greedy');
  });

  test('a pod naming another scheduler is left alone', async () => {
    apply(podManifest('elsewhere', { schedulerName: 'other' }));
    // The scheduler's pod informer sees events in order: once a later pod is bound, the scheduler
    // has seen "elsewhere" and decided about it.
    apply(podManifest('sentinel'));
    await boundPod('sentinel');
    const pod = await client.get<PodObject>(podsRef, 'elsewhere', { namespace: ns });
    assert.equal(pod.spec?.nodeName, undefined);
    assert.equal(podScheduled(pod), undefined);
    const events = await client.list<Event>(eventsRef, { namespace: ns, fieldSelector: 'involvedObject.name=elsewhere' });
    assert.deepEqual(events.items, []);
    const r = kubectl(srv, ['get', 'pod', 'elsewhere', '--no-headers']);
    assert.match(r.stdout, /^elsewhere\s+0\/1\s+Pending\s+0\s+/);
    await deletePods('elsewhere', 'sentinel');
  });

  /** Waits for an Event of `reason` about pod `name` (events are written asynchronously). */
  async function waitForEvent(name: string, reason: string, ms = 15_000): Promise<Event> {
    const signal = AbortSignal.timeout(ms);
    const fieldSelector = `involvedObject.name=${name},reason=${reason}`;
    const list = await client.list<Event & ApiObject>(eventsRef, { namespace: ns, fieldSelector });
    if (list.items.length) return list.items.at(-1)!;
    try {
      for await (const ev of client.watch<Event & ApiObject>(eventsRef, { namespace: ns, fieldSelector, resourceVersion: list.metadata.resourceVersion, signal })) {
        if (ev.type === 'ADDED' || ev.type === 'MODIFIED') return ev.object;
      }
    } catch (e) {
      if (!signal.aborted) throw e;
    }
    throw new Error(`no ${reason} event for pod ${name} within ${ms} ms`);
  }
});
