import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { cpuQuantity, goDuration, memoryQuantity, metricsTable, nodeMetrics, podMetrics, type NodeSummary } from './metrics-objects.js';

const NOW = Date.parse('2024-01-01T12:00:30Z');
const build = { now: NOW, windowMs: 10_000 };

test('quantities in canonical form: nanocores scaled up where exact, memory in binary SI', () => {
  assert.equal(cpuQuantity(12345), '12345n');
  assert.equal(cpuQuantity(1_000_000), '1m');
  assert.equal(cpuQuantity(1_234_000), '1234u');
  assert.equal(cpuQuantity(2_500_000_000), '2500m');
  assert.equal(cpuQuantity(0), '0');
  assert.equal(memoryQuantity(2660 * 1024), '2660Ki');
  assert.equal(memoryQuantity(64 * 2 ** 20), '64Mi');
  assert.equal(memoryQuantity(1000), '1k');
  assert.equal(memoryQuantity(1234567), '1234567');
});

test("goDuration writes Go's Duration.String()", () => {
  assert.equal(goDuration(0), '0s');
  assert.equal(goDuration(500), '500ms');
  assert.equal(goDuration(10_000), '10s');
  assert.equal(goDuration(10_203), '10.203s');
  assert.equal(goDuration(60_000), '1m0s');
  assert.equal(goDuration(90_500), '1m30.5s');
  assert.equal(goDuration(3_605_000), '1h0m5s');
});

const node: Node = { metadata: { name: 'n1', labels: { 'kubernetes.io/hostname': 'n1' } }, status: { conditions: [{ type: 'Ready', status: 'True' }] } };
const summary: NodeSummary = {
  node: { nodeName: 'n1', cpu: { time: '2024-01-01T12:00:20Z', usageNanoCores: 1_500_000_000 }, memory: { time: '2024-01-01T12:00:19Z', workingSetBytes: 2 * 2 ** 30 } },
  pods: [
    {
      podRef: { name: 'web', namespace: 'default', uid: 'u1' },
      containers: [
        { name: 'app', startTime: '2024-01-01T11:00:00Z', cpu: { time: '2024-01-01T12:00:20Z', usageNanoCores: 1_002_003_004 }, memory: { time: '2024-01-01T12:00:20Z', workingSetBytes: 4096 * 10 } },
        { name: 'side', startTime: '2024-01-01T12:00:16Z', cpu: { time: '2024-01-01T12:00:20Z', usageNanoCores: 0 }, memory: { time: '2024-01-01T12:00:20Z', workingSetBytes: 8192 } },
      ],
    },
    { podRef: { name: 'partial', namespace: 'default' }, containers: [{ name: 'app', cpu: { time: '2024-01-01T12:00:20Z' }, memory: { time: '2024-01-01T12:00:20Z', workingSetBytes: 1 } }] },
  ],
};
const pod = (name: string, phase = 'Running', uid = 'u1'): Pod => ({ metadata: { name, namespace: 'default', uid, labels: { app: name } }, spec: { nodeName: 'n1', containers: [] }, status: { phase } });

test('NodeMetrics: usage from the summary, the earlier reading time, the window and the labels', () => {
  assert.deepEqual(nodeMetrics(node, summary, build), {
    kind: 'NodeMetrics',
    apiVersion: 'metrics.k8s.io/v1beta1',
    metadata: { name: 'n1', creationTimestamp: '2024-01-01T12:00:30Z', labels: { 'kubernetes.io/hostname': 'n1' } },
    timestamp: '2024-01-01T12:00:19Z',
    window: '10s',
    usage: { cpu: '1500m', memory: '2Gi' },
  });
  assert.equal(nodeMetrics(node, undefined, build), undefined);
  assert.equal(nodeMetrics(node, { node: { cpu: { time: '2024-01-01T12:00:20Z' } } }, build), undefined);
});

test('PodMetrics: every container with usage; a young container shortens the window', () => {
  assert.deepEqual(podMetrics(pod('web'), summary, build), {
    kind: 'PodMetrics',
    apiVersion: 'metrics.k8s.io/v1beta1',
    metadata: { name: 'web', namespace: 'default', creationTimestamp: '2024-01-01T12:00:30Z', labels: { app: 'web' } },
    timestamp: '2024-01-01T12:00:20Z',
    window: '10s',
    containers: [
      { name: 'app', usage: { cpu: '1002003004n', memory: '40Ki' } },
      { name: 'side', usage: { cpu: '0', memory: '8Ki' } },
    ],
  });
  const young: NodeSummary = { node: summary.node, pods: [{ podRef: { name: 'web', namespace: 'default' }, containers: [summary.pods![0]!.containers![1]!] }] };
  assert.equal(podMetrics(pod('web'), young, build)?.window, '4s');
});

test('PodMetrics: left out when not Running, unknown to the agent, another pod of that name, or any container lacks usage', () => {
  assert.equal(podMetrics(pod('web', 'Pending'), summary, build), undefined);
  assert.equal(podMetrics(pod('gone'), summary, build), undefined);
  assert.equal(podMetrics(pod('web', 'Running', 'other-uid'), summary, build), undefined);
  assert.equal(podMetrics(pod('partial', 'Running', ''), summary, build), undefined);
});

test('metricsTable: name, usage summed over containers, window', () => {
  const m = podMetrics(pod('web'), summary, build)!;
  const t = metricsTable([m], 'v1') as { columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] };
  assert.deepEqual(t.columnDefinitions.map((c) => c.name), ['Name', 'cpu', 'memory', 'Window']);
  assert.deepEqual(t.rows[0]!.cells, ['web', '1002003004n', '48Ki', '10s']);
});
