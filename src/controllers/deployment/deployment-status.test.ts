import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { calculateStatus, getCondition, pausedConditionStatus, rolloutStatus, stuckRequeueAfterMs, timestamp } from './deployment-status.js';

const t0 = Date.UTC(2024, 0, 1, 12, 0, 0);

function deployment(replicas: number, status: Deployment['status'] = {}, extra: Partial<Deployment['spec']> = {}): Deployment {
  return {
    metadata: { name: 'web', namespace: 'default', generation: 2 },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: {},
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } },
      progressDeadlineSeconds: 600,
      ...extra,
    },
    status,
  };
}

const rs = (name: string, replicas: number, ready: number, available: number): ReplicaSet => ({
  metadata: { name },
  spec: { replicas, selector: {} },
  status: { replicas, readyReplicas: ready, availableReplicas: available },
});

describe('calculateStatus', () => {
  test('counters, omitempty zeros and the Available condition', () => {
    const s = calculateStatus([rs('old', 2, 2, 2), rs('new', 2, 1, 0)], rs('new', 2, 1, 0), deployment(3), t0);
    assert.equal(s.observedGeneration, 2);
    assert.equal(s.replicas, 4);
    assert.equal(s.updatedReplicas, 2);
    assert.equal(s.readyReplicas, 3);
    assert.equal(s.availableReplicas, 2);
    assert.equal(s.unavailableReplicas, 2);
    assert.deepEqual(getCondition(s, 'Available'), {
      type: 'Available',
      status: 'True',
      reason: 'MinimumReplicasAvailable',
      message: 'Deployment has minimum availability.',
      lastUpdateTime: timestamp(t0),
      lastTransitionTime: timestamp(t0),
    });
    const empty = calculateStatus([], undefined, deployment(0), t0);
    assert.deepEqual(Object.keys(empty).sort(), ['conditions', 'observedGeneration']);
  });
  test('below replicas − maxUnavailable: MinimumReplicasUnavailable', () => {
    const s = calculateStatus([rs('new', 3, 1, 1)], rs('new', 3, 1, 1), deployment(3), t0);
    const c = getCondition(s, 'Available')!;
    assert.equal(c.status, 'False');
    assert.equal(c.reason, 'MinimumReplicasUnavailable');
    assert.equal(c.message, 'Deployment does not have minimum availability.');
  });
});

describe('rolloutStatus: Progressing', () => {
  const progressing = (reason: string, at: number, status = 'True') => ({ type: 'Progressing', status, reason, message: 'm', lastUpdateTime: timestamp(at), lastTransitionTime: timestamp(at) });
  const cases: { name: string; d: Deployment; rss: ReplicaSet[]; now: number; reason: string | undefined; status?: string; message?: string }[] = [
    {
      name: 'complete → NewReplicaSetAvailable',
      d: deployment(2, { conditions: [progressing('ReplicaSetUpdated', t0)] }),
      rss: [rs('web-abc', 2, 2, 2)],
      now: t0 + 5000,
      reason: 'NewReplicaSetAvailable',
      message: 'ReplicaSet "web-abc" has successfully progressed.',
    },
    {
      name: 'more updated replicas → ReplicaSetUpdated',
      d: deployment(3, { replicas: 3, updatedReplicas: 0, conditions: [progressing('NewReplicaSetCreated', t0)] }),
      rss: [rs('old', 2, 2, 2), rs('web-abc', 2, 0, 0)],
      now: t0 + 5000,
      reason: 'ReplicaSetUpdated',
      message: 'ReplicaSet "web-abc" is progressing.',
    },
    {
      name: 'no progress past the deadline → ProgressDeadlineExceeded',
      d: deployment(3, { replicas: 4, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2, conditions: [progressing('ReplicaSetUpdated', t0)] }),
      rss: [rs('old', 2, 2, 2), rs('web-abc', 2, 0, 0)],
      now: t0 + 601_000,
      reason: 'ProgressDeadlineExceeded',
      status: 'False',
      message: 'ReplicaSet "web-abc" has timed out progressing.',
    },
    {
      name: 'no progress within the deadline → unchanged',
      d: deployment(3, { replicas: 4, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2, conditions: [progressing('ReplicaSetUpdated', t0)] }),
      rss: [rs('old', 2, 2, 2), rs('web-abc', 2, 0, 0)],
      now: t0 + 60_000,
      reason: 'ReplicaSetUpdated',
    },
    {
      name: 'no progressDeadlineSeconds → no Progressing condition',
      d: deployment(1, { conditions: [progressing('ReplicaSetUpdated', t0)] }, { progressDeadlineSeconds: 2147483647 }),
      rss: [rs('web-abc', 1, 1, 1)],
      now: t0,
      reason: undefined,
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const s = rolloutStatus(c.rss, c.rss[c.rss.length - 1], c.d, c.now);
      const cond = getCondition(s, 'Progressing');
      assert.equal(cond?.reason, c.reason);
      if (c.status) assert.equal(cond?.status, c.status);
      if (c.message) assert.equal(cond?.message, c.message);
    });
  }
  test('ReplicaSetUpdated keeps the transition time and moves the update time', () => {
    const d = deployment(3, { replicas: 3, updatedReplicas: 1, conditions: [progressing('ReplicaSetUpdated', t0)] });
    const s = rolloutStatus([rs('old', 1, 1, 1), rs('new', 2, 2, 2)], rs('new', 2, 2, 2), d, t0 + 30_000);
    const cond = getCondition(s, 'Progressing')!;
    assert.equal(cond.lastTransitionTime, timestamp(t0));
    assert.equal(cond.lastUpdateTime, timestamp(t0 + 30_000));
  });
  test('ReplicaFailure is mirrored from the new RS', () => {
    const failing = { ...rs('new', 1, 0, 0), status: { replicas: 0, conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'quota', lastTransitionTime: timestamp(t0) }] } };
    const s = rolloutStatus([failing], failing, deployment(1), t0);
    assert.equal(getCondition(s, 'ReplicaFailure')?.reason, 'FailedCreate');
  });
  test('requeue for a stuck rollout at the deadline', () => {
    const d = deployment(3, { conditions: [progressing('ReplicaSetUpdated', t0)] });
    assert.equal(stuckRequeueAfterMs(d, { replicas: 1 }, t0 + 100_000), 501_000);
    assert.equal(stuckRequeueAfterMs(d, { replicas: 1 }, t0 + 600_000), 0);
    assert.equal(stuckRequeueAfterMs(deployment(3), {}, t0), undefined);
  });
});

describe('paused conditions', () => {
  test('pause then resume', () => {
    const paused = pausedConditionStatus(deployment(1, {}, { paused: true }), t0)!;
    assert.equal(getCondition(paused, 'Progressing')?.reason, 'DeploymentPaused');
    assert.equal(getCondition(paused, 'Progressing')?.message, 'Deployment is paused');
    assert.equal(pausedConditionStatus(deployment(1, paused, { paused: true }), t0), undefined);
    const resumed = pausedConditionStatus(deployment(1, paused), t0)!;
    assert.equal(getCondition(resumed, 'Progressing')?.reason, 'DeploymentResumed');
    assert.equal(getCondition(resumed, 'Progressing')?.status, 'Unknown');
  });
});
