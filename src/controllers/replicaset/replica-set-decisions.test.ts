import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { selectorFromSet } from '../../api/labels.js';
import { claimDecision } from '../controller-ref.js';
import { calculateStatus, podFromTemplate, podsToDelete, type ReplicaSetLike, scaleAction, statusNeedsUpdate } from './replica-set-decisions.js';

const now = Date.parse('2024-05-01T12:00:00Z');
const ago = (s: number) => new Date(now - s * 1000).toISOString();

interface PodOpts {
  node?: string;
  phase?: string;
  readySince?: number;
  created?: number;
  restarts?: number;
  cost?: string;
  labels?: Record<string, string>;
  owner?: string;
  deleting?: boolean;
}
function pod(name: string, o: PodOpts = {}): Pod {
  return {
    metadata: {
      name,
      uid: `uid-${name}`,
      labels: o.labels ?? { app: 'web' },
      creationTimestamp: ago(o.created ?? 1000),
      annotations: o.cost ? { 'controller.kubernetes.io/pod-deletion-cost': o.cost } : undefined,
      ownerReferences: o.owner ? [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: o.owner, controller: true }] : undefined,
      deletionTimestamp: o.deleting ? ago(0) : undefined,
    },
    spec: { nodeName: o.node, containers: [] },
    status: {
      phase: o.phase ?? 'Running',
      conditions: o.readySince !== undefined ? [{ type: 'Ready', status: 'True', lastTransitionTime: ago(o.readySince) }] : [{ type: 'Ready', status: 'False' }],
      containerStatuses: [{ name: 'c', image: 'i', imageID: '', ready: true, restartCount: o.restarts ?? 0 }],
    },
  };
}

describe('scaleAction', () => {
  const cases: { name: string; pods: number; replicas: number; want: string }[] = [
    { name: 'too few: create the difference', pods: 1, replicas: 3, want: 'create:2' },
    { name: 'too many: delete the surplus', pods: 4, replicas: 1, want: 'delete:3' },
    { name: 'exact: nothing', pods: 2, replicas: 2, want: 'none' },
    { name: 'bursts are capped at 500', pods: 0, replicas: 800, want: 'create:500' },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const a = scaleAction(Array.from({ length: c.pods }, (_, i) => pod(`p${i}`, { node: 'n' })), c.replicas, [], now);
      assert.equal(a.kind === 'create' ? `create:${a.count}` : a.kind === 'delete' ? `delete:${a.pods.length}` : 'none', c.want);
    });
  }
});

describe('podsToDelete ranking (ActivePodsWithRanks)', () => {
  const cases: { name: string; first: Pod; second: Pod }[] = [
    { name: 'unscheduled before scheduled', first: pod('a'), second: pod('b', { node: 'n' }) },
    { name: 'pending before running', first: pod('a', { node: 'n', phase: 'Pending' }), second: pod('b', { node: 'n' }) },
    { name: 'unknown before running', first: pod('a', { node: 'n', phase: 'Unknown' }), second: pod('b', { node: 'n' }) },
    { name: 'not ready before ready', first: pod('a', { node: 'n' }), second: pod('b', { node: 'n', readySince: 10 }) },
    { name: 'lower deletion cost first', first: pod('a', { node: 'n', readySince: 10, cost: '-5' }), second: pod('b', { node: 'n', readySince: 10 }) },
    { name: 'ready more recently first (log buckets)', first: pod('a', { node: 'n', readySince: 10 }), second: pod('b', { node: 'n', readySince: 10_000 }) },
    { name: 'more restarts first', first: pod('a', { node: 'n', restarts: 5 }), second: pod('b', { node: 'n', restarts: 1 }) },
    { name: 'newer first', first: pod('a', { node: 'n', created: 5 }), second: pod('b', { node: 'n', created: 50_000 }) },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.equal(podsToDelete([c.second, c.first], [], 1, now)[0]!.metadata!.name, c.first.metadata!.name);
      assert.equal(podsToDelete([c.first, c.second], [], 1, now)[0]!.metadata!.name, c.first.metadata!.name);
    });
  }
  test('pods doubled up with related pods on their node go first', () => {
    const lonely = pod('a', { node: 'n1', readySince: 100 });
    const crowded = pod('b', { node: 'n2', readySince: 100 });
    const related = [pod('r1', { node: 'n2' }), pod('r2', { node: 'n2' }), pod('r3', { node: 'n1' })];
    assert.equal(podsToDelete([lonely, crowded], related, 1, now)[0]!.metadata!.name, 'b');
  });
});

describe('claimDecision (adoption and release)', () => {
  const sel = selectorFromSet({ app: 'web' });
  const cases: { name: string; pod: Pod; deleting?: boolean; want: string }[] = [
    { name: 'orphan that matches is adopted', pod: pod('a'), want: 'adopt' },
    { name: 'orphan that does not match is ignored', pod: pod('a', { labels: { app: 'db' } }), want: 'ignore' },
    { name: 'orphan is not adopted by a deleting owner', pod: pod('a'), deleting: true, want: 'ignore' },
    { name: 'terminating orphan is not adopted', pod: pod('a', { deleting: true }), want: 'ignore' },
    { name: 'owned and matching is claimed', pod: pod('a', { owner: 'me' }), want: 'claim' },
    { name: 'owned but no longer matching is released', pod: pod('a', { owner: 'me', labels: { app: 'x' } }), want: 'release' },
    { name: 'a deleting owner releases nothing', pod: pod('a', { owner: 'me', labels: { app: 'x' } }), deleting: true, want: 'ignore' },
    { name: "another controller's pod is ignored", pod: pod('a', { owner: 'other' }), want: 'ignore' },
  ];
  for (const c of cases) test(c.name, () => assert.equal(claimDecision(c.pod, 'me', !!c.deleting, sel), c.want));
});

describe('calculateStatus', () => {
  const rs: ReplicaSetLike = { metadata: { name: 'rs', generation: 2 }, spec: { replicas: 3, minReadySeconds: 30, template: { metadata: { labels: { app: 'web', tier: 'fe' } } } }, status: { replicas: 0, observedGeneration: 1 } };
  test('counts fully labeled, ready and available pods', () => {
    const pods = [
      pod('a', { labels: { app: 'web', tier: 'fe' }, readySince: 60 }),
      pod('b', { labels: { app: 'web', tier: 'fe' }, readySince: 5 }),
      pod('c', { labels: { app: 'web' } }),
    ];
    const s = calculateStatus(rs, pods, undefined, false, now);
    assert.deepEqual(s, { replicas: 3, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 1, observedGeneration: 1 });
    assert.equal(statusNeedsUpdate(rs, { ...s, observedGeneration: 2 }), true);
  });
  test('a failed create adds ReplicaFailure, success removes it', () => {
    const failed = calculateStatus(rs, [], new Error('pods "x" is forbidden: exceeded quota'), true, now);
    assert.deepEqual(failed.conditions, [{ type: 'ReplicaFailure', status: 'True', lastTransitionTime: '2024-05-01T12:00:00Z', reason: 'FailedCreate', message: 'pods "x" is forbidden: exceeded quota' }]);
    const healed = calculateStatus({ ...rs, status: failed }, [], undefined, true, now);
    assert.equal(healed.conditions, undefined);
  });
  test('unchanged status with current observedGeneration needs no write', () => {
    const cur: ReplicaSetLike = { ...rs, status: { replicas: 0, fullyLabeledReplicas: 0, readyReplicas: 0, availableReplicas: 0, observedGeneration: 2 } };
    assert.equal(statusNeedsUpdate(cur, { ...calculateStatus(cur, [], undefined, false, now), observedGeneration: 2 }), false);
  });
});

test('podFromTemplate: generateName, labels and controller reference', () => {
  const ref = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'u', controller: true, blockOwnerDeletion: true };
  const p = podFromTemplate({ metadata: { labels: { app: 'web' }, annotations: { a: 'b' } }, spec: { containers: [{ name: 'c' }] } }, 'ns', 'web', ref);
  assert.deepEqual(p.metadata, { generateName: 'web-', namespace: 'ns', labels: { app: 'web' }, annotations: { a: 'b' }, ownerReferences: [ref] });
  assert.deepEqual(p.spec, { containers: [{ name: 'c' }] });
});
