/**
 * Node lifecycle end to end: simulated nodes (in this process) against a real server whose grace
 * periods are shortened. A node that stops heartbeating turns Unknown, gets the unreachable taints,
 * and its pods are evicted after their (shortened) tolerationSeconds; `kubectl drain` of a node
 * whose pods a PodDisruptionBudget guards evicts only as many as the budget allows.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import type { ApiObject } from '../../src/api/object.js';
import { ApiClient } from '../../src/client/api-client.js';
import type { ResourceRef } from '../../src/client/resource-path.js';
import { simAnnotations } from '../../src/sim/sim-options.js';
import { startSimulatedNodes } from '../../src/sim/simulated-nodes.js';
import { createLogger } from '../../src/util/logger.js';
import { kubectlPath, startServer, type ServerHandle } from './harness.js';
import { waitFor } from '../support/wait-for.js';

const kubectlBin = kubectlPath();
const podsRef: ResourceRef = { group: '', version: 'v1', plural: 'pods', namespaced: true };
const nodesRef: ResourceRef = { group: '', version: 'v1', plural: 'nodes', namespaced: false };
const rsRef: ResourceRef = { group: 'apps', version: 'v1', plural: 'replicasets', namespaced: true };
const pdbRef: ResourceRef = { group: 'policy', version: 'v1', plural: 'poddisruptionbudgets', namespaced: true };

/** kubectl without blocking the event loop (the simulated kubelets run in this process). */
function kubectlAsync(srv: ServerHandle, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(kubectlBin!, ['--kubeconfig', srv.kubeconfig, ...args], { env: { ...process.env, HOME: srv.dataDir, KUBECTL_KUBERC: 'false' } });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('close', (code) => resolve({ code, out }));
  });
}

const condition = (o: { status?: { conditions?: { type: string; status: string; reason?: string }[] } } | undefined, type: string) => o?.status?.conditions?.find((c) => c.type === type);
const hasTaint = (n: Node | undefined, key: string, effect: string) => !!n?.spec?.taints?.some((t) => t.key === key && t.effect === effect);

const pod = (name: string, nodeName: string, tolerations?: NonNullable<Pod['spec']>['tolerations']): ApiObject =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { nodeName, tolerations, containers: [{ name: 'app', image: 'nginx:1.27' }] } }) as ApiObject;

describe('node lifecycle', { skip: !kubectlBin && 'kubectl is not installed' }, () => {
  let srv: ServerHandle;
  let client: ApiClient;
  const stop = new AbortController();
  let running: Promise<void>;

  before(async () => {
    srv = await startServer({ extraArgs: ['--node-monitor-grace-period', '3s', '--default-toleration-seconds', '2'] });
    client = await ApiClient.fromKubeconfig(srv.kubeconfig);
    let onReady!: () => void;
    const ready = new Promise<void>((r) => (onReady = r));
    running = startSimulatedNodes(client, { nodes: 3, zones: 0, leaseRenewIntervalMs: 500, logger: createLogger('error'), onReady: () => onReady() }, stop.signal);
    await Promise.race([ready, running.then(() => assert.fail('the simulator stopped before it was ready'))]);
  });

  after(async () => {
    stop.abort();
    await running;
    client.close();
    await srv?.stop();
  });

  test('registered nodes lose the not-ready:NoSchedule taint once Ready', async () => {
    for (const name of ['sim-0', 'sim-1', 'sim-2']) {
      const n = await waitFor<Node>(client, nodesRef, undefined, name, (n) => condition(n, 'Ready')?.status === 'True' && !n?.spec?.taints?.length);
      assert.equal(n?.spec?.taints, undefined);
    }
  });

  test('a silenced node turns Unknown, is tainted unreachable, and its pods are evicted after tolerationSeconds', async () => {
    const created = (await client.create(podsRef, pod('victim', 'sim-2'))) as unknown as Pod;
    const added = created.spec?.tolerations?.filter((t) => t.effect === 'NoExecute').map((t) => [t.key, t.operator, t.tolerationSeconds]);
    assert.deepEqual(added, [
      ['node.kubernetes.io/not-ready', 'Exists', 2],
      ['node.kubernetes.io/unreachable', 'Exists', 2],
    ]);
    await client.create(podsRef, pod('tolerant', 'sim-2', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }]));
    await waitFor<Pod>(client, podsRef, 'default', 'victim', (p) => condition(p, 'Ready')?.status === 'True');

    await client.patch(nodesRef, 'sim-2', { metadata: { annotations: { [simAnnotations.stopHeartbeat]: 'true' } } }, 'merge');
    const node = await waitFor<Node>(client, nodesRef, undefined, 'sim-2', (n) => hasTaint(n, 'node.kubernetes.io/unreachable', 'NoExecute'));
    const ready = condition(node, 'Ready') as { status: string; reason?: string; message?: string };
    assert.equal(ready.status, 'Unknown');
    assert.equal(ready.reason, 'NodeStatusUnknown');
    assert.equal(ready.message, 'Kubelet stopped posting node status.');
    assert.equal(condition(node, 'MemoryPressure')?.status, 'Unknown');
    assert.ok(hasTaint(node, 'node.kubernetes.io/unreachable', 'NoSchedule'));
    const taintedAt = Date.now();

    const victim = await waitFor<Pod>(client, podsRef, 'default', 'victim', (p) => !p || !!p.metadata?.deletionTimestamp);
    assert.ok(Date.now() - taintedAt >= 1000, 'evicted only after tolerationSeconds');
    if (victim) {
      const dt = condition(victim, 'DisruptionTarget') as { status: string; reason?: string } | undefined;
      assert.equal(dt?.status, 'True');
      assert.equal(dt?.reason, 'DeletionByTaintManager');
    }
    const tolerant = (await client.get(podsRef, 'tolerant', { namespace: 'default' })) as unknown as Pod;
    assert.equal(tolerant.metadata?.deletionTimestamp, undefined, 'a pod tolerating the taint for ever stays');

    // The kubelet comes back: Ready again, taints removed.
    await client.patch(nodesRef, 'sim-2', { metadata: { annotations: { [simAnnotations.stopHeartbeat]: null } } }, 'merge');
    await waitFor<Node>(client, nodesRef, undefined, 'sim-2', (n) => condition(n, 'Ready')?.status === 'True' && !n?.spec?.taints?.length);
  });

  test('kubectl drain evicts only as many pods as the PodDisruptionBudget allows', async () => {
    await client.create(pdbRef, { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web', namespace: 'default' }, spec: { minAvailable: 2, selector: { matchLabels: { app: 'web' } } } } as ApiObject);
    await client.create(rsRef, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { nodeSelector: { 'kubernetes.io/hostname': 'sim-0' }, containers: [{ name: 'app', image: 'nginx:1.27' }] } },
      },
    } as ApiObject);
    const ready = await waitFor<PodDisruptionBudget>(client, pdbRef, 'default', 'web', (p) => p?.status?.currentHealthy === 3 && p.status.disruptionsAllowed === 1);
    assert.equal(ready?.status?.expectedPods, 3);
    assert.equal(ready?.status?.desiredHealthy, 2);
    assert.equal(ready?.status?.observedGeneration, ready?.metadata?.generation);
    assert.deepEqual(
      ready?.status?.conditions?.map((c) => [c.type, c.status, c.reason]),
      [['DisruptionAllowed', 'True', 'SufficientPods']],
    );

    const drain = await kubectlAsync(srv, ['drain', 'sim-0', '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=6s']);
    assert.notEqual(drain.code, 0, `drain cannot finish while the budget blocks it:\n${drain.out}`);
    assert.match(drain.out, /Cannot evict pod as it would violate the pod's disruption budget/);

    const node = (await client.get(nodesRef, 'sim-0')) as unknown as Node;
    assert.equal(node.spec?.unschedulable, true);
    await waitFor<Node>(client, nodesRef, undefined, 'sim-0', (n) => hasTaint(n, 'node.kubernetes.io/unschedulable', 'NoSchedule'));
    const pods = (await client.list<Pod>(podsRef, { namespace: 'default', labelSelector: 'app=web' })).items;
    const onNode = pods.filter((p) => p.spec?.nodeName === 'sim-0' && !p.metadata?.deletionTimestamp);
    assert.equal(onNode.length, 2, 'exactly one pod was evicted');
    assert.equal(pods.filter((p) => !p.spec?.nodeName).length, 1, 'its replacement cannot schedule on the cordoned node');
    const blocked = await waitFor<PodDisruptionBudget>(client, pdbRef, 'default', 'web', (p) => p?.status?.currentHealthy === 2);
    assert.equal(blocked?.status?.disruptionsAllowed, 0);
    assert.equal(blocked?.status?.conditions?.[0]?.reason, 'InsufficientPods');

    const uncordon = await kubectlAsync(srv, ['uncordon', 'sim-0']);
    assert.equal(uncordon.code, 0, uncordon.out);
    await waitFor<PodDisruptionBudget>(client, pdbRef, 'default', 'web', (p) => p?.status?.currentHealthy === 3 && p.status.disruptionsAllowed === 1);
    await waitFor<Node>(client, nodesRef, undefined, 'sim-0', (n) => !hasTaint(n, 'node.kubernetes.io/unschedulable', 'NoSchedule'));
  });
});
