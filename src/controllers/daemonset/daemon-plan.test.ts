import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Taint } from 'kubernetes-types/core/v1.js';
import { newDaemonPod, nodeShouldRunDaemonPod, targetNodeName, type DaemonSetObject, type NodeObject, type PodObject } from './daemon-pod.js';
import { planDaemonSet, rollingBudgets } from './daemon-plan.js';

function ds(over: Partial<NonNullable<DaemonSetObject['spec']>> = {}, podSpec: Record<string, unknown> = {}): DaemonSetObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'ns', uid: 'ds-uid', generation: 1 },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image: 'x' }], ...podSpec } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      ...over,
    },
  };
}
const node = (name: string, labels: Record<string, string> = {}, taints: Taint[] = []): NodeObject => ({ metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } }, spec: { taints } });

let seq = 0;
function pod(d: DaemonSetObject, nodeName: string, hash: string, opts: { ready?: boolean; phase?: string } = {}): PodObject {
  const p = newDaemonPod(d, hash, nodeName);
  p.metadata.name = `agent-${++seq}`;
  Object.assign(p.metadata, { uid: p.metadata.name, creationTimestamp: `2024-01-01T00:00:${String(seq).padStart(2, '0')}Z` });
  p.spec!.nodeName = nodeName;
  return Object.assign(p, { status: { phase: (opts.phase ?? 'Running') as never, conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }] } });
}

describe('daemon node eligibility', () => {
  const cases: [string, DaemonSetObject, NodeObject, boolean, boolean][] = [
    ['plain node', ds(), node('n'), true, true],
    ['nodeSelector mismatch', ds({}, { nodeSelector: { disk: 'ssd' } }), node('n'), false, false],
    ['nodeSelector match', ds({}, { nodeSelector: { disk: 'ssd' } }), node('n', { disk: 'ssd' }), true, true],
    ['required affinity', ds({}, { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } } }), node('n', { zone: 'b' }), false, false],
    ['NoSchedule taint: no new pod, existing stays', ds(), node('n', {}, [{ key: 'gpu', effect: 'NoSchedule' }]), false, true],
    ['NoExecute taint: nothing runs', ds(), node('n', {}, [{ key: 'gpu', effect: 'NoExecute' }]), false, false],
    ['tolerated taint', ds({}, { tolerations: [{ key: 'gpu', operator: 'Exists' }] }), node('n', {}, [{ key: 'gpu', effect: 'NoExecute' }]), true, true],
    ['daemon pods tolerate unschedulable and not-ready', ds(), node('n', {}, [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }, { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }]), true, true],
    ['network-unavailable only with hostNetwork', ds(), node('n', {}, [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }]), false, true],
    ['hostNetwork tolerates network-unavailable', ds({}, { hostNetwork: true }), node('n', {}, [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }]), true, true],
  ];
  for (const [name, d, n, run, cont] of cases) test(name, () => assert.deepEqual(nodeShouldRunDaemonPod(n, d), { shouldRun: run, shouldContinueRunning: cont }));

  test('pods are pinned by node affinity, not nodeName', () => {
    const p = newDaemonPod(ds({}, { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'a', operator: 'Exists' }] }] } } } }), 'h1', 'n1');
    assert.equal(p.spec?.nodeName, undefined);
    assert.deepEqual(p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution, { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }] });
    assert.equal(targetNodeName(p), 'n1');
    assert.deepEqual(p.metadata.labels, { app: 'agent', 'pod-template-generation': '1', 'controller-revision-hash': 'h1' });
    assert.equal(p.metadata.generateName, 'agent-');
    assert.equal(p.spec?.tolerations?.length, 6);
  });
});

describe('daemon sync plan', () => {
  test('one pod per eligible node; misscheduled pods go', () => {
    const d = ds();
    const nodes = [node('a'), node('b'), node('t', {}, [{ key: 'x', effect: 'NoExecute' }])];
    const plan = planDaemonSet({ ds: d, hash: 'h', nodes, pods: [pod(d, 'a', 'h'), pod(d, 't', 'h')], now: 0 });
    assert.deepEqual(plan.createOn, ['b']);
    assert.deepEqual(plan.deletePods.map((x) => targetNodeName(x.pod)), ['t']);
    assert.deepEqual([plan.status.desiredNumberScheduled, plan.status.currentNumberScheduled, plan.status.numberMisscheduled, plan.status.numberReady, plan.status.updatedNumberScheduled, plan.status.numberUnavailable], [2, 1, 1, 1, 1, 1]);
  });
  test('extra pods on a node: the oldest stays', () => {
    const d = ds();
    const keep = pod(d, 'a', 'h');
    const extra = pod(d, 'a', 'h');
    assert.deepEqual(planDaemonSet({ ds: d, hash: 'h', nodes: [node('a')], pods: [extra, keep], now: 0 }).deletePods.map((x) => x.pod.metadata.name), [extra.metadata.name]);
  });
  test('rolling update with maxUnavailable deletes that many old pods', () => {
    const d = ds({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2, maxSurge: 0 } } });
    Object.assign(d.metadata, { generation: 2 });
    const pods = ['a', 'b', 'c'].map((n) => pod(ds(), n, 'old'));
    const plan = planDaemonSet({ ds: d, hash: 'new', nodes: ['a', 'b', 'c'].map((n) => node(n)), pods, now: 0 });
    assert.equal(plan.deletePods.length, 2);
    assert.deepEqual(plan.createOn, []);
  });
  test('rolling update with maxSurge creates new pods beside the old ones', () => {
    const d = ds({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } });
    Object.assign(d.metadata, { generation: 2 });
    const pods = ['a', 'b'].map((n) => pod(ds(), n, 'old'));
    const plan = planDaemonSet({ ds: d, hash: 'new', nodes: ['a', 'b'].map((n) => node(n)), pods, now: 0 });
    assert.deepEqual([plan.createOn.length, plan.deletePods.length], [1, 0]);
    const surged = [...pods, pod(d, 'a', 'new')];
    const next = planDaemonSet({ ds: d, hash: 'new', nodes: ['a', 'b'].map((n) => node(n)), pods: surged, now: 0 });
    assert.deepEqual(next.deletePods.map((x) => x.pod.metadata.name), [pods[0]!.metadata.name]);
  });
  test('OnDelete leaves old pods', () => {
    const d = ds({ updateStrategy: { type: 'OnDelete' } });
    Object.assign(d.metadata, { generation: 2 });
    assert.deepEqual(planDaemonSet({ ds: d, hash: 'new', nodes: [node('a')], pods: [pod(ds(), 'a', 'old')], now: 0 }).deletePods, []);
  });
  test('rolling budgets', () => {
    const cases: [number | string | undefined, number | string | undefined, number, [number, number]][] = [
      [1, 0, 10, [0, 1]],
      ['25%', 0, 10, [0, 3]],
      [0, '10%', 10, [1, 0]],
      ['0%', 0, 10, [0, 1]],
    ];
    for (const [mu, ms, n, [surge, unavail]] of cases) {
      assert.deepEqual(rollingBudgets(ds({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: mu, maxSurge: ms } } }), n), { maxSurge: surge, maxUnavailable: unavail });
    }
  });
});
