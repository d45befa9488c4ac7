/**
 * Simulated nodes against a real server: the simulator runs in this process (an API client like
 * any other) and kubectl sees its Nodes Ready, their Leases renewed, and pods run, finish and go.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { isStatusError } from '../../src/api/errors.js';
import type { ApiObject } from '../../src/api/object.js';
import { ApiClient } from '../../src/client/api-client.js';
import type { ResourceRef } from '../../src/client/resource-path.js';
import { simAnnotations } from '../../src/sim/sim-options.js';
import { startSimulatedNodes } from '../../src/sim/simulated-nodes.js';
import { createLogger } from '../../src/util/logger.js';
import { kc, kubectlPath, startServer, type ServerHandle } from './harness.js';
import { waitFor } from '../support/wait-for.js';

const haveKubectl = kubectlPath() !== undefined;
const podsRef: ResourceRef = { group: '', version: 'v1', plural: 'pods', namespaced: true };
const nodesRef: ResourceRef = { group: '', version: 'v1', plural: 'nodes', namespaced: false };
const leasesRef: ResourceRef = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespaced: true };


const podCondition = (p: Pod | undefined, type: string) => p?.status?.conditions?.find((c) => c.type === type)?.status;

const podManifest = (name: string, extra: { annotations?: Record<string, string>; restartPolicy?: string; nodeName?: string } = {}): ApiObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', annotations: extra.annotations },
  spec: { restartPolicy: extra.restartPolicy ?? 'Always', nodeName: extra.nodeName, containers: [{ name: 'app', image: 'nginx:1.27' }] },
});

describe('simulated nodes', { skip: !haveKubectl && 'kubectl is not installed' }, () => {
  let srv: ServerHandle;
  let client: ApiClient;
  const stop = new AbortController();
  let running: Promise<void>;

  before(async () => {
    // The test binds pods itself.
    srv = await startServer({ extraArgs: ['--disable-scheduler'] });
    client = await ApiClient.fromKubeconfig(srv.kubeconfig);
    let onReady!: () => void;
    const ready = new Promise<void>((r) => (onReady = r));
    running = startSimulatedNodes(
      client,
      { nodes: 3, zones: 2, labels: { pool: 'sim' }, leaseRenewIntervalMs: 500, logger: createLogger('warn'), onReady: () => onReady() },
      stop.signal,
    );
    await Promise.race([ready, running.then(() => assert.fail('the simulator stopped before it was ready'))]);
  });

  after(async () => {
    stop.abort();
    await running;
    client.close();
    await srv?.stop();
  });

  /** Creates and binds a pod to sim-1 (through pods/binding, or spec.nodeName where binding is missing). */
  async function createBound(name: string, extra: Parameters<typeof podManifest>[1] = {}): Promise<void> {
    await client.create(podsRef, podManifest(name, extra));
    try {
      await client.request('POST', `/api/v1/namespaces/default/pods/${name}/binding`, {
        body: { apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { apiVersion: 'v1', kind: 'Node', name: 'sim-1' } },
      });
    } catch (e) {
      if (!(isStatusError(e) && (e.code === 404 || e.code === 405))) throw e;
      await client.delete(podsRef, name, { namespace: 'default', gracePeriodSeconds: 0 });
      await waitFor(client, podsRef, 'default', name, (p) => p === undefined);
      await client.create(podsRef, podManifest(name, { ...extra, nodeName: 'sim-1' }));
    }
  }

  test('kubectl get nodes shows three Ready nodes with their version', () => {
    const lines = kc(srv, ['get', 'nodes', '-l', 'pool=sim']).trim().split('\n');
    assert.match(lines[0], /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION$/);
    const rows = lines.slice(1).map((l) => l.split(/\s+/));
    assert.deepEqual(
      rows.map((r) => [r[0], r[1], r[2], r[4]]),
      ['sim-0', 'sim-1', 'sim-2'].map((n) => [n, 'Ready', '<none>', 'v1.32.0-sim']),
    );
    const wide = kc(srv, ['get', 'node', 'sim-2', '-o', 'wide', '--no-headers']);
    assert.match(wide, /127\.128\.0\.3/);
    assert.match(wide, /sim:\/\/1/);
    assert.equal(kc(srv, ['get', 'node', 'sim-1', '-o', 'jsonpath={.metadata.labels.topology\\.kubernetes\\.io/zone}']), 'zone-b');
    assert.equal(kc(srv, ['get', 'node', 'sim-1', '-o', 'jsonpath={.status.allocatable.cpu}']), '32');
  });

  test('each node holds a Lease that it renews', async () => {
    const first = (await client.get<Lease & ApiObject>(leasesRef, 'sim-0', { namespace: 'kube-node-lease' }))!;
    assert.equal(first.spec?.holderIdentity, 'sim-0');
    assert.equal(first.spec?.leaseDurationSeconds, 40);
    assert.equal(first.metadata.ownerReferences?.[0]?.kind, 'Node');
    await waitFor<Lease & ApiObject>(client, leasesRef, 'kube-node-lease', 'sim-0', (l) => !!l && l.spec?.renewTime !== first.spec?.renewTime);
  });

  test('a bound pod runs and becomes Ready', async () => {
    await createBound('web');
    const pod = (await waitFor<Pod>(client, podsRef, 'default', 'web', (p) => podCondition(p, 'Ready') === 'True'))!;
    assert.equal(pod.status?.phase, 'Running');
    assert.equal(pod.status?.hostIP, '127.128.0.2');
    assert.match(pod.status?.podIP ?? '', /^10\.128\.2\.\d+$/);
    assert.equal(pod.status?.containerStatuses?.[0]?.ready, true);
    assert.ok(pod.status?.containerStatuses?.[0]?.state?.running?.startedAt);
    const row = kc(srv, ['get', 'pod', 'web', '--no-headers']).trim().split(/\s+/);
    assert.deepEqual(row.slice(0, 4), ['web', '1/1', 'Running', '0']);
  });

  test('a pod with the run-seconds annotation reaches Succeeded', async () => {
    await createBound('job-like', { restartPolicy: 'Never', annotations: { [simAnnotations.runSeconds]: '1' } });
    const pod = (await waitFor<Pod>(client, podsRef, 'default', 'job-like', (p) => p?.status?.phase === 'Succeeded'))!;
    assert.equal(pod.status?.containerStatuses?.[0]?.state?.terminated?.reason, 'Completed');
    assert.match(kc(srv, ['get', 'pod', 'job-like', '--no-headers']), /Completed/);
  });

  test('deleting a running pod removes it', async () => {
    await createBound('doomed');
    await waitFor<Pod>(client, podsRef, 'default', 'doomed', (p) => p?.status?.phase === 'Running');
    kc(srv, ['delete', 'pod', 'doomed', '--wait=false']);
    await waitFor<Pod>(client, podsRef, 'default', 'doomed', (p) => p === undefined);
  });

  test('the stop-heartbeat annotation silences a node until it is removed', async () => {
    const lease = async (name: string) => (await client.get<Lease & ApiObject>(leasesRef, name, { namespace: 'kube-node-lease' })).spec?.renewTime;
    /** Waits for two renewals of sim-0's Lease: time enough for sim-2 to have renewed, were it alive. */
    const twoRenewalsOfSim0 = async () => {
      for (let i = 0; i < 2; i++) {
        const seen = await lease('sim-0');
        await waitFor<Lease & ApiObject>(client, leasesRef, 'kube-node-lease', 'sim-0', (l) => !!l && l.spec?.renewTime !== seen);
      }
    };
    kc(srv, ['annotate', 'node', 'sim-2', `${simAnnotations.stopHeartbeat}=true`]);
    await twoRenewalsOfSim0(); // the simulator has seen the annotation by now
    const silent = await lease('sim-2');
    await twoRenewalsOfSim0();
    assert.equal(await lease('sim-2'), silent, 'a silenced node does not renew its Lease');
    kc(srv, ['annotate', 'node', 'sim-2', `${simAnnotations.stopHeartbeat}-`]);
    await waitFor<Lease & ApiObject>(client, leasesRef, 'kube-node-lease', 'sim-2', (l) => !!l && l.spec?.renewTime !== silent);
    const node = await client.get<ApiObject>(nodesRef, 'sim-2');
    assert.equal(node.metadata.annotations?.[simAnnotations.stopHeartbeat], undefined);
  });
});
