import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { type CycleState, type FilterPlugin, Status } from '../../framework/interface.js';
import { type NodeInfo, podRequests } from '../../framework/node-info.js';
import { FakeHandle, nodeInfo, pod } from './fake-handle.js';
import { DefaultPreemption } from './plugin.js';
import { InterPodAffinity } from '../inter-pod-affinity/index.js';
import { type Candidate, filterPodsWithPDBViolation, selectCandidate } from './victims.js';

/** A minimal NodeResourcesFit stand-in: cpu only. */
const cpuFit: FilterPlugin = {
  name: 'CPUFit',
  filter: (_s: CycleState, p: Pod, ni: NodeInfo) => (ni.requested.milliCPU + podRequests(p).milliCPU > ni.allocatable.milliCPU ? Status.unschedulable('Insufficient cpu') : Status.success()),
};

const cpuPod = (name: string, cpu: string, priority: number, extra: { labels?: Record<string, string>; startTime?: string } = {}): Pod => {
  const p = pod(name, extra.labels ?? {}, { priority, containers: [{ name: 'c', resources: { requests: { cpu } } }] });
  return extra.startTime ? { ...p, status: { startTime: extra.startTime } } : p;
};

async function preempt(handle: FakeHandle, p: Pod, statusOf: (ni: NodeInfo) => Status = (ni) => handle.runFilterPlugins(handle.preFilter(p), p, ni), plugin = new DefaultPreemption(handle, {}, () => 0)) {
  handle.filterPlugins = handle.filterPlugins.length ? handle.filterPlugins : [cpuFit];
  const state = handle.preFilter(p);
  const statuses = new Map(handle.nodes.map((ni) => [ni.name, statusOf(ni)]));
  return plugin.postFilter(state, p, statuses);
}

describe('DefaultPreemption', () => {
  test('preempts on the node with the least important victims, and reprieves what it can', async () => {
    const handle = new FakeHandle([
      nodeInfo('n1', {}, [cpuPod('a', '2', 50), cpuPod('b', '2', 10)]),
      nodeInfo('n2', {}, [cpuPod('c', '2', 5, { startTime: '2023-12-02T00:00:00Z' }), cpuPod('d', '2', 5, { startTime: '2023-12-01T00:00:00Z' })]),
      nodeInfo('n3', {}, [cpuPod('e', '4', 1000)]),
    ]);
    handle.filterPlugins = [cpuFit];
    const low = cpuPod('nominated-low', '1', 1);
    handle.nominated.set('n2', [low, cpuPod('nominated-high', '1', 500)]);
    const r = await preempt(handle, cpuPod('big', '2', 100));
    assert.equal(r.status.code, 'Success');
    assert.equal(r.result?.nominatedNodeName, 'n2');
    // One 2-cpu victim suffices on n2: the older (more important) d is reprieved; n1's victim would have priority 10 > 5.
    assert.deepEqual(handle.effectsLog, [
      { kind: 'evict', pod: 'c', value: 'DefaultPreemption: preempting to accommodate a higher priority pod' },
      { kind: 'nominate', pod: 'nominated-low', value: undefined },
      { kind: 'nominate', pod: 'big', value: 'n2' },
    ]);
  });

  test('no lower-priority pods anywhere: upstream message', async () => {
    const handle = new FakeHandle([nodeInfo('n1', {}, [cpuPod('a', '4', 100)]), nodeInfo('n2', {}, [cpuPod('b', '4', 100)]), nodeInfo('n3', {}, [cpuPod('c', '4', 200)])]);
    const r = await preempt(handle, cpuPod('p', '1', 100));
    assert.equal(r.status.code, 'Unschedulable');
    assert.equal(r.status.message(), 'preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.');
    assert.equal(r.result?.nominatedNodeName, '');
  });

  test('unresolvable nodes are not candidates', async () => {
    const handle = new FakeHandle([nodeInfo('n1', {}, [cpuPod('a', '4', 1)]), nodeInfo('n2', {}), nodeInfo('n3', {})]);
    const r = await preempt(handle, cpuPod('p', '1', 100), (ni) => (ni.name === 'n1' ? Status.unschedulable('Insufficient cpu') : Status.unresolvable("node(s) didn't match Pod's node affinity/selector")));
    assert.equal(r.result?.nominatedNodeName, 'n1');
    const none = await preempt(handle, cpuPod('p', '1', 100), () => Status.unresolvable('x'));
    assert.equal(none.status.message(), 'preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.');
  });

  test('mixed reasons form a sorted histogram', async () => {
    const handle = new FakeHandle([nodeInfo('n1', {}, [cpuPod('a', '4', 500)]), nodeInfo('n2', {}), nodeInfo('n3', {})]);
    const r = await preempt(handle, cpuPod('p', '1', 100), (ni) => (ni.name === 'n1' ? Status.unschedulable('Insufficient cpu') : Status.unresolvable('x')));
    assert.equal(r.status.message(), 'preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.');
  });

  test('eligibility: preemptionPolicy Never, and terminating victims on the nominated node', async () => {
    const handle = new FakeHandle([nodeInfo('n1', {}, [cpuPod('a', '4', 1)])]);
    const never = { ...cpuPod('p', '1', 100), spec: { ...cpuPod('p', '1', 100).spec!, preemptionPolicy: 'Never' } };
    assert.equal((await preempt(handle, never)).status.message(), 'preemption: not eligible due to preemptionPolicy=Never.');

    const terminating: Pod = {
      ...cpuPod('t', '4', 1),
      metadata: { ...cpuPod('t', '4', 1).metadata, deletionTimestamp: '2024-01-01T00:00:00Z' },
      status: { conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler' }] },
    };
    const h2 = new FakeHandle([nodeInfo('n1', {}, [terminating])]);
    const nominated = { ...cpuPod('p', '1', 100), status: { nominatedNodeName: 'n1' } };
    assert.equal((await preempt(h2, nominated)).status.message(), 'preemption: not eligible due to a terminating pod on the nominated node.');
    assert.deepEqual(h2.effectsLog, []);
  });

  test('PDBs: prefers a candidate whose victims violate no budget', async () => {
    const pdb: PodDisruptionBudget = { metadata: { name: 'db', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'db' } } }, status: { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 } };
    const handle = new FakeHandle([nodeInfo('n1', {}, [cpuPod('db', '4', 1, { labels: { app: 'db' } })]), nodeInfo('n2', {}, [cpuPod('web', '4', 10, { labels: { app: 'web' } })])], {
      podDisruptionBudgets: () => [pdb],
    });
    const r = await preempt(handle, cpuPod('p', '1', 100));
    assert.equal(r.result?.nominatedNodeName, 'n2');
  });

  test('filterPodsWithPDBViolation spends each budget once per pod', () => {
    const pdb: PodDisruptionBudget = { metadata: { name: 'x', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'x' } } }, status: { disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1, expectedPods: 2 } };
    const pods = [pod('x1', { app: 'x' }), pod('x2', { app: 'x' }), pod('y', { app: 'y' }), pod('nolabels')];
    const r = filterPodsWithPDBViolation(pods, [pdb]);
    assert.deepEqual(r.violating.map((p) => p.metadata!.name), ['x2']);
    assert.deepEqual(r.nonViolating.map((p) => p.metadata!.name), ['x1', 'y', 'nolabels']);
  });

  test('selectCandidate follows upstream ordering', () => {
    const now = new Date('2024-01-02T00:00:00Z');
    const v = (prios: number[], pdb = 0, start = '2024-01-01T00:00:00Z') => ({ pods: prios.map((p, i) => cpuPod(`p${i}`, '1', p, { startTime: start })), numPDBViolations: pdb });
    const pick = (...cs: [string, Candidate['victims']][]) => selectCandidate(cs.map(([nodeName, victims]) => ({ nodeName, victims })), now)?.nodeName;
    assert.equal(pick(['a', v([1], 1)], ['b', v([50])]), 'b');
    assert.equal(pick(['a', v([10])], ['b', v([5, 5])]), 'b');
    assert.equal(pick(['a', v([5, 5, 1])], ['b', v([5, 4])]), 'b');
    assert.equal(pick(['a', v([-5, -5])], ['b', v([-5])]), 'b');
    assert.equal(pick(['a', v([5], 0, '2024-01-01T00:00:00Z')], ['b', v([5], 0, '2024-01-01T05:00:00Z')]), 'b');
    assert.equal(pick(['a', v([5])], ['b', v([5])]), 'a');
  });

  test('numCandidates: percentage, at least the absolute minimum, at most all nodes', () => {
    const handle = new FakeHandle([]);
    assert.equal(new DefaultPreemption(handle).numCandidates(50), 50);
    assert.equal(new DefaultPreemption(handle).numCandidates(5000), 500);
    assert.equal(new DefaultPreemption(handle, { minCandidateNodesPercentage: 0, minCandidateNodesAbsolute: 3 }).numCandidates(50), 3);
  });

  test('dry runs keep other plugins\' PreFilter state in step (anti-affinity victims)', async () => {
    const handle = new FakeHandle([nodeInfo('n1', {}, [cpuPod('web-low', '1', 1, { labels: { app: 'web' } }), cpuPod('other', '1', 1)]), nodeInfo('n2', {}, [cpuPod('web-high', '1', 1000, { labels: { app: 'web' } })])]);
    handle.filterPlugins = [cpuFit, new InterPodAffinity(handle)];
    const p: Pod = {
      ...cpuPod('p', '1', 100),
      spec: { ...cpuPod('p', '1', 100).spec!, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' }] } } },
    };
    const r = await preempt(handle, p);
    assert.equal(r.result?.nominatedNodeName, 'n1');
    // Only the pod that matched the anti-affinity term goes; the other is reprieved.
    assert.deepEqual(handle.effectsLog.filter((e) => e.kind === 'evict').map((e) => e.pod), ['web-low']);
  });
});
