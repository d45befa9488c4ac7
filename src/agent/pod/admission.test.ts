import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, Node, Pod, PodSpec } from 'kubernetes-types/core/v1.js';
import { admitPod, allocationFailure, rejectedPodStatus } from './admission.js';
import { GpuAllocationError } from '../node/gpus.js';

const node = (extra: { labels?: Record<string, string>; taints?: NonNullable<Node['spec']>['taints']; allocatable?: Record<string, string> } = {}): Node => ({
  metadata: { name: 'n1', labels: { 'kubernetes.io/hostname': 'n1', 'kubernetes.io/os': 'linux', ...(extra.labels ?? {}) } },
  spec: { taints: extra.taints },
  status: { allocatable: extra.allocatable ?? { cpu: '1', memory: '1Gi', pods: '3', 'ephemeral-storage': '10Gi', 'nvidia.com/gpu': '2' } },
});

let n = 0;
const pod = (requests: Record<string, string> = {}, spec: Partial<PodSpec> = {}, labels?: Record<string, string>): Pod => {
  n++;
  const c: Container = { name: 'c', image: 'img', resources: { requests } };
  return { metadata: { name: `p${n}`, namespace: 'default', uid: `u${n}`, labels }, spec: { nodeName: 'n1', containers: [c], ...spec } };
};

describe('admitPod', () => {
  test('a pod that fits is admitted', () => {
    assert.deepEqual(admitPod({ pod: pod({ cpu: '500m' }), node: node(), otherPods: [pod({ cpu: '500m' })] }), { admit: true });
  });

  test('cpu over what is left: OutOfcpu with the requested, used and capacity in milli-cores', () => {
    const r = admitPod({ pod: pod({ cpu: '2' }), node: node(), otherPods: [pod({ cpu: '500m' })] });
    assert.deepEqual(r, { admit: false, reason: 'OutOfcpu', message: "Node didn't have enough resource: cpu, requested: 2000, used: 500, capacity: 1000" });
  });

  test('memory in bytes, and pods counted first', () => {
    const mem = admitPod({ pod: pod({ memory: '1Gi' }), node: node(), otherPods: [pod({ memory: '512Mi' })] });
    assert.equal(mem.admit, false);
    if (!mem.admit) {
      assert.equal(mem.reason, 'OutOfmemory');
      assert.equal(mem.message, "Node didn't have enough resource: memory, requested: 1073741824, used: 536870912, capacity: 1073741824");
    }
    const full = admitPod({ pod: pod({ cpu: '10' }), node: node(), otherPods: [pod(), pod(), pod()] });
    assert.deepEqual(full, { admit: false, reason: 'OutOfpods', message: "Node didn't have enough resource: pods, requested: 1, used: 3, capacity: 3" });
  });

  test('extended resources: OutOf<name>; one the node does not advertise is not the node’s to check', () => {
    const gpu = admitPod({ pod: pod({ 'nvidia.com/gpu': '2' }), node: node(), otherPods: [pod({ 'nvidia.com/gpu': '1' })] });
    assert.deepEqual(gpu, { admit: false, reason: 'OutOfnvidia.com/gpu', message: "Node didn't have enough resource: nvidia.com/gpu, requested: 2, used: 1, capacity: 2" });
    assert.deepEqual(admitPod({ pod: pod({ 'example.com/widget': '5' }), node: node(), otherPods: [] }), { admit: true });
  });

  test('init containers count as their maximum, sidecars add up', () => {
    const p = pod({ cpu: '200m' }, { initContainers: [{ name: 'init', image: 'i', resources: { requests: { cpu: '900m' } } }] });
    assert.deepEqual(admitPod({ pod: p, node: node(), otherPods: [pod({ cpu: '200m' })] }), { admit: false, reason: 'OutOfcpu', message: "Node didn't have enough resource: cpu, requested: 900, used: 200, capacity: 1000" });
  });

  test('nodeSelector and required node affinity against the node labels', () => {
    const r = admitPod({ pod: pod({}, { nodeSelector: { disk: 'ssd' } }), node: node(), otherPods: [] });
    assert.deepEqual(r, { admit: false, reason: 'NodeAffinity', message: "Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector" });
    assert.deepEqual(admitPod({ pod: pod({}, { nodeSelector: { disk: 'ssd' } }), node: node({ labels: { disk: 'ssd' } }), otherPods: [] }), { admit: true });
    const affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } };
    assert.equal(admitPod({ pod: pod({}, { affinity }), node: node({ labels: { zone: 'b' } }), otherPods: [] }).admit, false);
  });

  test('resources are reported before affinity', () => {
    const r = admitPod({ pod: pod({ cpu: '5' }, { nodeSelector: { disk: 'ssd' } }), node: node(), otherPods: [] });
    assert.equal(r.admit === false && r.reason, 'OutOfcpu');
  });

  test('a pod bound to another node name', () => {
    const r = admitPod({ pod: pod({}, { nodeName: 'other' }), node: node(), otherPods: [] });
    assert.deepEqual(r, { admit: false, reason: 'NodeName', message: "Predicate NodeName failed: node(s) didn't match the requested node name" });
  });

  test('a host port already taken', () => {
    const withPort = (port: number) => pod({}, { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80, hostPort: port }] }] });
    const r = admitPod({ pod: withPort(8080), node: node(), otherPods: [withPort(8080)] });
    assert.deepEqual(r, { admit: false, reason: 'NodePorts', message: "Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports" });
    assert.deepEqual(admitPod({ pod: withPort(8081), node: node(), otherPods: [withPort(8080)] }), { admit: true });
  });

  test('on a bridge-mode node a containerPort is no host port; on a host-mode node it is', () => {
    const web = pod({}, { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 8080 }] }] });
    const labelled = (mode: string) => node({ labels: { 'capstan.io/network-mode': mode } });
    assert.deepEqual(admitPod({ pod: web, node: labelled('bridge'), otherPods: [web] }), { admit: true });
    assert.equal(admitPod({ pod: web, node: labelled('host'), otherPods: [web] }).admit, false);
  });

  test('only NoExecute taints matter, and tolerations apply', () => {
    const taints = [{ key: 'dedicated', value: 'ml', effect: 'NoExecute' }];
    const r = admitPod({ pod: pod(), node: node({ taints }), otherPods: [] });
    assert.deepEqual(r, { admit: false, reason: 'TaintToleration', message: "Predicate TaintToleration failed: node(s) had taints that the pod didn't tolerate" });
    const tolerant = pod({}, { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'ml', effect: 'NoExecute' }] });
    assert.deepEqual(admitPod({ pod: tolerant, node: node({ taints }), otherPods: [] }), { admit: true });
    assert.deepEqual(admitPod({ pod: pod(), node: node({ taints: [{ key: 'x', effect: 'NoSchedule' }] }), otherPods: [] }), { admit: true });
  });

  test('operating system: the pod label and spec.os', () => {
    const r = admitPod({ pod: pod({}, {}, { 'kubernetes.io/os': 'windows' }), node: node(), otherPods: [] });
    assert.deepEqual(r, { admit: false, reason: 'PodOSSelectorNodeLabelDoesNotMatch', message: "Failed to admit pod as the `kubernetes.io/os` label doesn't match node label" });
    const os = admitPod({ pod: pod({}, { os: { name: 'windows' } }), node: node(), otherPods: [] });
    assert.deepEqual(os, { admit: false, reason: 'PodOSNotSupported', message: "Failed to admit pod as the OS field doesn't match node OS" });
    assert.deepEqual(admitPod({ pod: pod({}, { os: { name: 'linux' } }, { 'kubernetes.io/os': 'linux' }), node: node(), otherPods: [] }), { admit: true });
  });
});

describe('rejections', () => {
  test('the status of a rejected pod', () => {
    const p = pod({ cpu: '2' });
    const s = rejectedPodStatus(p, 'OutOfcpu', "Node didn't have enough resource: cpu, requested: 2000, used: 500, capacity: 1000", Date.UTC(2025, 0, 2, 3, 4, 5, 600));
    assert.deepEqual(s, {
      phase: 'Failed',
      reason: 'OutOfcpu',
      message: "Pod was rejected: Node didn't have enough resource: cpu, requested: 2000, used: 500, capacity: 1000",
      qosClass: 'Burstable',
      startTime: '2025-01-02T03:04:05Z',
    });
  });

  test('a device allocation failure', () => {
    assert.deepEqual(allocationFailure(new GpuAllocationError(2, 1)), {
      admit: false,
      reason: 'UnexpectedAdmissionError',
      message: 'Allocate failed due to requested number of devices unavailable for nvidia.com/gpu. Requested: 2, Available: 1, which is unexpected',
    });
  });
});
