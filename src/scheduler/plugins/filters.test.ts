import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CycleState } from '../framework/interface.js';
import { NodeInfo } from '../framework/node-info.js';
import { makeNode, makePod } from '../testing/fixtures.js';
import { NodeAffinity } from './node-affinity/index.js';
import { NodeName } from './node-name/index.js';
import { NodePorts } from './node-ports/index.js';
import { fitsRequest, NodeResourcesFit } from './node-resources/fit.js';
import { NodeUnschedulable } from './node-unschedulable/index.js';
import { PrioritySort } from './priority-sort/index.js';
import { SchedulingGates } from './scheduling-gates/index.js';
import { TaintToleration } from './taint-toleration/index.js';
import { podRequests } from '../framework/node-info.js';

const filterWith = (pl: { filter(s: CycleState, p: never, n: NodeInfo): { code: string; reasons: readonly string[] } }, pod: ReturnType<typeof makePod>, info: NodeInfo, pre?: { preFilter(s: CycleState, p: never, n: never): unknown }) => {
  const s = new CycleState();
  pre?.preFilter(s, pod as never, [] as never);
  const st = pl.filter(s, pod as never, info);
  return { code: st.code, reasons: [...st.reasons] };
};

describe('TaintToleration filter', () => {
  const pl = new TaintToleration();
  test('untolerated NoSchedule taint is rejected in upstream words', () => {
    const info = new NodeInfo(makeNode('n', { taints: [{ key: 'dedicated', value: 'ml', effect: 'NoSchedule' }] }));
    assert.deepEqual(filterWith(pl, makePod('p'), info), { code: 'UnschedulableAndUnresolvable', reasons: ['node(s) had untolerated taint {dedicated: ml}'] });
  });
  test('matching toleration admits; Exists without key tolerates everything', () => {
    const info = new NodeInfo(makeNode('n', { taints: [{ key: 'dedicated', value: 'ml', effect: 'NoSchedule' }] }));
    assert.equal(filterWith(pl, makePod('p', { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'ml', effect: 'NoSchedule' }] }), info).code, 'Success');
    assert.equal(filterWith(pl, makePod('p', { tolerations: [{ operator: 'Exists' }] }), info).code, 'Success');
    assert.equal(filterWith(pl, makePod('p', { tolerations: [{ key: 'dedicated', value: 'other' }] }), info).code, 'UnschedulableAndUnresolvable');
  });
  test('not-ready and unreachable nodes are kept free through their taints', () => {
    for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
      const info = new NodeInfo(makeNode('n', { taints: [{ key, effect: 'NoSchedule' }] }));
      assert.deepEqual(filterWith(pl, makePod('p'), info).reasons, [`node(s) had untolerated taint {${key}: }`]);
    }
    const noExec = new NodeInfo(makeNode('n', { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] }));
    assert.equal(filterWith(pl, makePod('p'), noExec).code, 'UnschedulableAndUnresolvable');
  });
  test('PreferNoSchedule does not filter; score counts it, reversed by normalisation', () => {
    const a = new NodeInfo(makeNode('a', { taints: [{ key: 'x', effect: 'PreferNoSchedule' }, { key: 'y', effect: 'PreferNoSchedule' }] }));
    const b = new NodeInfo(makeNode('b'));
    const c = new NodeInfo(makeNode('c', { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] }));
    const pod = makePod('p');
    assert.equal(filterWith(pl, pod, a).code, 'Success');
    const s = new CycleState();
    pl.preScore(s, pod);
    const scores = [a, b, c].map((n) => ({ name: n.name, score: pl.score(s, pod, n).score }));
    assert.deepEqual(scores.map((x) => x.score), [2, 0, 1]);
    pl.normalizeScore(s, pod, scores);
    assert.deepEqual(scores.map((x) => x.score), [0, 100, 50]);
  });
});

describe('NodeAffinity', () => {
  const pl = new NodeAffinity();
  const node = new NodeInfo(makeNode('n1', { labels: { zone: 'a', gpus: '4' } }));
  const reason = "node(s) didn't match Pod's node affinity/selector";
  const req = (exprs: object[], fields: object[] = []) => ({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: exprs, matchFields: fields }] } } }) as never;
  test('nodeSelector', () => {
    assert.equal(filterWith(pl, makePod('p', { nodeSelector: { zone: 'a' } }), node).code, 'Success');
    assert.deepEqual(filterWith(pl, makePod('p', { nodeSelector: { zone: 'b' } }), node), { code: 'UnschedulableAndUnresolvable', reasons: [reason] });
  });
  test('matchExpressions incl. Gt/Lt and matchFields metadata.name', () => {
    const ok = (a: never) => filterWith(pl, makePod('p', { affinity: a }), node).code;
    assert.equal(ok(req([{ key: 'zone', operator: 'In', values: ['a', 'b'] }])), 'Success');
    assert.equal(ok(req([{ key: 'zone', operator: 'NotIn', values: ['a'] }])), 'UnschedulableAndUnresolvable');
    assert.equal(ok(req([{ key: 'gpus', operator: 'Gt', values: ['3'] }])), 'Success');
    assert.equal(ok(req([{ key: 'gpus', operator: 'Lt', values: ['3'] }])), 'UnschedulableAndUnresolvable');
    assert.equal(ok(req([{ key: 'missing', operator: 'DoesNotExist' }])), 'Success');
    assert.equal(ok(req([], [{ key: 'metadata.name', operator: 'In', values: ['n1'] }])), 'Success');
    assert.equal(ok(req([], [{ key: 'metadata.name', operator: 'In', values: ['n2'] }])), 'UnschedulableAndUnresolvable');
  });
  test('PreFilter narrows by metadata.name and detects conflicts', () => {
    const s = new CycleState();
    const pod = makePod('p', { affinity: req([], [{ key: 'metadata.name', operator: 'In', values: ['n1'] }]) });
    assert.deepEqual([...(pl.preFilter(s, pod).result?.nodeNames ?? [])], ['n1']);
    const conflict = makePod('p', { affinity: req([], [{ key: 'metadata.name', operator: 'In', values: ['a'] }, { key: 'metadata.name', operator: 'In', values: ['b'] }]) });
    assert.deepEqual(pl.preFilter(s, conflict).status.reasons, ['pod affinity terms conflict']);
    assert.equal(pl.preFilter(s, makePod('p')).status.code, 'Skip');
  });
  test('preferred terms score by weight, normalised', () => {
    const pod = makePod('p', {
      affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 5, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } }, { weight: 3, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] } }] } } as never,
    });
    const s = new CycleState();
    assert.equal(pl.preScore(s, pod).code, 'Success');
    const b = new NodeInfo(makeNode('n2', { labels: { zone: 'b' } }));
    const scores = [node, b].map((n) => ({ name: n.name, score: pl.score(s, pod, n).score }));
    assert.deepEqual(scores.map((x) => x.score), [5, 3]);
    pl.normalizeScore(s, pod, scores);
    assert.deepEqual(scores.map((x) => x.score), [100, 60]);
  });
});

describe('NodeResourcesFit filter', () => {
  const pl = new NodeResourcesFit();
  test('Insufficient cpu, memory and extended resources; Too many pods', () => {
    const info = new NodeInfo(makeNode('n', { cpu: '1', memory: '1Gi', pods: '1', extra: { 'nvidia.com/gpu': '1' } }));
    info.addPod(makePod('existing', { cpu: '500m' }));
    const got = filterWith(pl, makePod('p', { cpu: '600m', memory: '2Gi', extra: { 'nvidia.com/gpu': '2' } }), info, pl);
    assert.deepEqual(got, { code: 'Unschedulable', reasons: ['Too many pods', 'Insufficient cpu', 'Insufficient memory', 'Insufficient nvidia.com/gpu'] });
  });
  test('a GPU pod does not fit a node without GPUs; a plain pod does', () => {
    const info = new NodeInfo(makeNode('n'));
    assert.deepEqual(filterWith(pl, makePod('p', { extra: { 'nvidia.com/gpu': '1' } }), info, pl).reasons, ['Insufficient nvidia.com/gpu']);
    assert.equal(filterWith(pl, makePod('p', { cpu: '1' }), info, pl).code, 'Success');
  });
  test('init containers count as the maximum, sidecars add up, overhead adds', () => {
    const pod = makePod('p', { cpu: '100m' });
    pod.spec!.initContainers = [
      { name: 'i1', image: 'x', resources: { requests: { cpu: '2' } } },
      { name: 's', image: 'x', restartPolicy: 'Always', resources: { requests: { cpu: '300m' } } },
    ];
    pod.spec!.overhead = { cpu: '50m' };
    // max(2000, 300+100) + overhead 50
    assert.equal(podRequests(pod).milliCPU, 2050);
    const info = new NodeInfo(makeNode('n', { cpu: '2' }));
    assert.deepEqual(fitsRequest(podRequests(pod), info).map((r) => r.reason), ['Insufficient cpu']);
  });
  test('ignoredResources skips extended resources', () => {
    const p = new NodeResourcesFit({ ignoredResources: ['example.com/foo'] });
    assert.equal(filterWith(p, makePod('p', { extra: { 'example.com/foo': '1' } }), new NodeInfo(makeNode('n')), p).code, 'Success');
  });
});

describe('NodePorts', () => {
  const pl = new NodePorts();
  const reason = "node(s) didn't have free ports for the requested pod ports";
  test('host port conflicts, wildcard IP conflicts with all', () => {
    const info = new NodeInfo(makeNode('n'));
    info.addPod(makePod('a', { ports: [{ containerPort: 80, hostPort: 8080 }] }));
    assert.deepEqual(filterWith(pl, makePod('p', { ports: [{ containerPort: 80, hostPort: 8080 }] }), info, pl), { code: 'Unschedulable', reasons: [reason] });
    assert.equal(filterWith(pl, makePod('p', { ports: [{ containerPort: 80, hostPort: 8080, protocol: 'UDP' }] }), info, pl).code, 'Success');
    assert.equal(filterWith(pl, makePod('p', { ports: [{ containerPort: 80 }] }), info, pl).code, 'Success');
  });
  test('on host-network nodes every containerPort is a host port', () => {
    const info = new NodeInfo(makeNode('n', { labels: { 'capstan.io/network-mode': 'host' } }));
    info.addPod(makePod('a', { ports: [{ containerPort: 80 }] }));
    assert.deepEqual(filterWith(pl, makePod('p', { ports: [{ containerPort: 80 }] }), info, pl).reasons, [reason]);
  });
  test('on bridge-network nodes only declared hostPorts conflict: replicas share a containerPort', () => {
    const info = new NodeInfo(makeNode('n', { labels: { 'capstan.io/network-mode': 'bridge' } }));
    info.addPod(makePod('a', { ports: [{ containerPort: 80 }, { containerPort: 81, hostPort: 9090 }] }));
    assert.equal(filterWith(pl, makePod('p', { ports: [{ containerPort: 80 }] }), info, pl).code, 'Success');
    assert.deepEqual(filterWith(pl, makePod('p', { ports: [{ containerPort: 82, hostPort: 9090 }] }), info, pl).reasons, [reason]);
  });
});

describe('NodeUnschedulable and NodeName', () => {
  test('cordoned node rejects unless the pod tolerates the unschedulable taint', () => {
    const pl = new NodeUnschedulable();
    const info = new NodeInfo(makeNode('n', { unschedulable: true }));
    assert.deepEqual(filterWith(pl, makePod('p'), info), { code: 'UnschedulableAndUnresolvable', reasons: ['node(s) were unschedulable'] });
    assert.equal(filterWith(pl, makePod('p', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] }), info).code, 'Success');
  });
  test('NodeName', () => {
    const pl = new NodeName();
    const info = new NodeInfo(makeNode('n'));
    assert.deepEqual(filterWith(pl, makePod('p', { nodeName: 'other' }), info), { code: 'UnschedulableAndUnresolvable', reasons: ["node(s) didn't match the requested node name"] });
    assert.equal(filterWith(pl, makePod('p', { nodeName: 'n' }), info).code, 'Success');
  });
});

describe('PrioritySort and SchedulingGates', () => {
  test('priority first, then timestamp', () => {
    const pl = new PrioritySort();
    const a = { pod: makePod('a', { priority: 10 }), timestamp: 2, attempts: 0, unschedulablePlugins: new Set<string>() };
    const b = { pod: makePod('b', { priority: 5 }), timestamp: 1, attempts: 0, unschedulablePlugins: new Set<string>() };
    const c = { pod: makePod('c', { priority: 10 }), timestamp: 1, attempts: 0, unschedulablePlugins: new Set<string>() };
    assert.equal(pl.less(a, b), true);
    assert.equal(pl.less(c, a), true);
    assert.equal(pl.less(a, c), false);
  });
  test('gated pods wait', () => {
    const pl = new SchedulingGates();
    assert.equal(pl.preEnqueue(makePod('p')).code, 'Success');
    assert.deepEqual([...pl.preEnqueue(makePod('p', { schedulingGates: [{ name: 'a' }, { name: 'b' }] })).reasons], ['waiting for scheduling gates: [a b]']);
  });
});
