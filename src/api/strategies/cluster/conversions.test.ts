import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { conversions } from './conversions.js';

const hpa = conversions['autoscaling/v1/HorizontalPodAutoscaler'];
const ev = conversions['events.k8s.io/v1/Event'];

describe('autoscaling/v1 HorizontalPodAutoscaler', () => {
  const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' };

  test('targetCPUUtilizationPercentage becomes a Resource cpu Utilization metric and back', () => {
    const v1 = { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h', namespace: 'd' }, spec: { scaleTargetRef: ref, minReplicas: 1, maxReplicas: 4, targetCPUUtilizationPercentage: 60 } };
    const v2 = hpa.toStorage(v1);
    assert.deepEqual(v2, {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'h', namespace: 'd' },
      spec: { scaleTargetRef: ref, minReplicas: 1, maxReplicas: 4, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } }] },
    });
    assert.deepEqual(hpa.fromStorage(v2), v1);
  });

  test('v2-only data survives a v1 round trip in annotations', () => {
    const v2 = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'h', namespace: 'd', annotations: { keep: 'me' } },
      spec: {
        scaleTargetRef: ref,
        minReplicas: 2,
        maxReplicas: 9,
        metrics: [
          { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
          { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '100Mi' } } },
          { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } } },
        ],
        behavior: { scaleDown: { stabilizationWindowSeconds: 60, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] } },
      },
      status: {
        currentReplicas: 2,
        desiredReplicas: 3,
        currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 55, averageValue: '110m' } } }],
        conditions: [{ type: 'AbleToScale', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z', reason: 'ReadyForNewScale' }],
      },
    };
    const v1 = hpa.fromStorage(v2);
    const spec = v1.spec as Record<string, unknown>;
    assert.equal(spec.targetCPUUtilizationPercentage, 70);
    assert.equal((v1.status as Record<string, unknown>).currentCPUUtilizationPercentage, 55);
    const ann = (v1.metadata as { annotations: Record<string, string> }).annotations;
    assert.equal(ann.keep, 'me');
    assert.deepEqual(JSON.parse(ann['autoscaling.alpha.kubernetes.io/metrics']), [
      { type: 'Resource', resource: { name: 'memory', targetAverageValue: '100Mi' } },
      { type: 'Pods', pods: { metricName: 'qps', targetAverageValue: '10' } },
    ]);
    const back = hpa.toStorage(v1);
    const backSpec = back.spec as Record<string, unknown>;
    assert.deepEqual(backSpec.behavior, v2.spec.behavior);
    assert.deepEqual(new Set((backSpec.metrics as unknown[]).map((m) => JSON.stringify(m))), new Set(v2.spec.metrics.map((m) => JSON.stringify(m))));
    assert.deepEqual(back.status, v2.status);
    assert.deepEqual(back.metadata, v2.metadata);
  });
});

describe('events.k8s.io/v1 Event', () => {
  test('renamed fields map to core/v1 and back', () => {
    const v1 = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: 'e', namespace: 'd' },
      eventTime: '2024-01-01T00:00:00.000000Z',
      regarding: { kind: 'Pod', name: 'p', namespace: 'd' },
      note: 'pulled',
      reason: 'Pulled',
      action: 'Pull',
      type: 'Normal',
      reportingController: 'capstan.dev/agent',
      reportingInstance: 'node-1',
      series: { count: 2, lastObservedTime: '2024-01-01T00:00:05.000000Z' },
      deprecatedCount: 3,
      deprecatedSource: { component: 'agent' },
    };
    const core = ev.toStorage(v1);
    assert.deepEqual(core, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'e', namespace: 'd' },
      eventTime: '2024-01-01T00:00:00.000000Z',
      involvedObject: { kind: 'Pod', name: 'p', namespace: 'd' },
      message: 'pulled',
      reason: 'Pulled',
      action: 'Pull',
      type: 'Normal',
      reportingComponent: 'capstan.dev/agent',
      reportingInstance: 'node-1',
      series: { count: 2, lastObservedTime: '2024-01-01T00:00:05.000000Z' },
      count: 3,
      source: { component: 'agent' },
    });
    assert.deepEqual(ev.fromStorage(core), v1);
  });
});
