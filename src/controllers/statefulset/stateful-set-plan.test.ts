import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { maxUnavailableFor, planStatefulSet, type StatefulSetSyncInput } from './stateful-set-plan.js';
import { claimName, claimOwnerRefsFor, newStatefulSetPod, parentNameAndOrdinal, type ClaimObject, type PodObject, type StatefulSetObject } from './stateful-pod.js';

function set(over: Partial<NonNullable<StatefulSetObject['spec']>> = {}): StatefulSetObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'web', namespace: 'ns', uid: 'set-uid', generation: 2 },
    spec: {
      replicas: 3,
      serviceName: 'nginx',
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
      volumeClaimTemplates: [{ metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'] } }],
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      ...over,
    },
  };
}

/** A pod of `s` at `ordinal`, Running and Ready unless told otherwise. */
function pod(s: StatefulSetObject, ordinal: number, opts: { rev?: string; ready?: boolean; phase?: string; terminating?: boolean } = {}): PodObject {
  const p = newStatefulSetPod(s, ordinal, opts.rev ?? 'web-new');
  Object.assign(p.metadata, { uid: `pod-${ordinal}` }, opts.terminating ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {});
  return Object.assign(p, { status: { phase: (opts.phase ?? 'Running') as never, conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }] } });
}

function input(s: StatefulSetObject, pods: PodObject[], claims: ClaimObject[] = []): StatefulSetSyncInput {
  return { set: s, currentSet: s, updateSet: s, currentRevision: 'web-old', updateRevision: 'web-new', collisionCount: 0, pods, claim: (n) => claims.find((c) => c.metadata.name === n), now: Date.parse('2024-01-01T00:00:00Z') };
}

const summary = (i: StatefulSetSyncInput) => planStatefulSet(i).actions.map((a) => `${a.type} ${a.type === 'createClaim' || a.type === 'updateClaimOwners' ? a.claim.metadata.name : a.pod.metadata.name}`);

describe('statefulset pod identity', () => {
  test('names, labels, hostname and claims', () => {
    const s = set({ ordinals: { start: 5 } });
    const p = newStatefulSetPod(s, 5, 'web-abc');
    assert.equal(p.metadata.name, 'web-5');
    assert.deepEqual(p.metadata.labels, { app: 'web', 'controller-revision-hash': 'web-abc', 'statefulset.kubernetes.io/pod-name': 'web-5', 'apps.kubernetes.io/pod-index': '5' });
    assert.equal(p.spec?.hostname, 'web-5');
    assert.equal(p.spec?.subdomain, 'nginx');
    assert.deepEqual(p.spec?.volumes, [{ name: 'www', persistentVolumeClaim: { claimName: 'www-web-5' } }]);
    assert.equal(claimName(s, 'data', 12), 'data-web-12');
    for (const [name, want] of [['web-0', 0], ['my-web-12', 12], ['web', -1], ['web-x', -1]] as const) assert.equal(parentNameAndOrdinal(name).ordinal, want);
  });
});

describe('statefulset ordering decisions', () => {
  const cases: { name: string; s: StatefulSetObject; pods: (s: StatefulSetObject) => PodObject[]; want: string[] }[] = [
    { name: 'OrderedReady creates web-0 (claim first) and waits', s: set(), pods: () => [], want: ['createClaim www-web-0', 'createPod web-0'] },
    { name: 'waits for web-0 to be Ready', s: set(), pods: (s) => [pod(s, 0, { ready: false })], want: [] },
    { name: 'creates web-1 once web-0 is Ready', s: set(), pods: (s) => [pod(s, 0)], want: ['createClaim www-web-1', 'createPod web-1'] },
    { name: 'Parallel creates them all', s: set({ podManagementPolicy: 'Parallel' }), pods: () => [], want: ['createClaim www-web-0', 'createPod web-0', 'createClaim www-web-1', 'createPod web-1', 'createClaim www-web-2', 'createPod web-2'] },
    { name: 'ordinals.start shifts the range', s: set({ replicas: 1, ordinals: { start: 3 } }), pods: () => [], want: ['createClaim www-web-3', 'createPod web-3'] },
    { name: 'scale down deletes the highest ordinal first', s: set({ replicas: 1 }), pods: (s) => [pod(s, 0), pod(s, 1), pod(s, 2)], want: ['deletePod web-2'] },
    { name: 'scale down waits for a terminating pod', s: set({ replicas: 1 }), pods: (s) => [pod(s, 0), pod(s, 1), pod(s, 2, { terminating: true })], want: [] },
    { name: 'a failed pod is deleted to be recreated', s: set(), pods: (s) => [pod(s, 0, { phase: 'Failed', ready: false })], want: ['deletePod web-0'] },
    { name: 'rolling update deletes the highest old pod', s: set(), pods: (s) => [pod(s, 0, { rev: 'web-old' }), pod(s, 1, { rev: 'web-old' }), pod(s, 2, { rev: 'web-old' })], want: ['deletePod web-2'] },
    { name: 'partition protects lower ordinals', s: set({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } }), pods: (s) => [pod(s, 0, { rev: 'web-old' }), pod(s, 1, { rev: 'web-old' }), pod(s, 2)], want: [] },
    { name: 'maxUnavailable 2 deletes two at once', s: set({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0, maxUnavailable: 2 } } }), pods: (s) => [0, 1, 2].map((i) => pod(s, i, { rev: 'web-old' })), want: ['deletePod web-2', 'deletePod web-1'] },
    { name: 'OnDelete never deletes for an update', s: set({ updateStrategy: { type: 'OnDelete' } }), pods: (s) => [0, 1, 2].map((i) => pod(s, i, { rev: 'web-old' })), want: [] },
  ];
  for (const c of cases) test(c.name, () => assert.deepEqual(summary(input(c.s, c.pods(c.s))), c.want));

  test('new pods below the partition get the current revision', () => {
    const s = set({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } }, podManagementPolicy: 'Parallel' });
    const plan = planStatefulSet(input(s, []));
    const revs = plan.actions.flatMap((a) => (a.type === 'createPod' ? [a.pod.metadata.labels?.['controller-revision-hash']] : []));
    assert.deepEqual(revs, ['web-old', 'web-old', 'web-new']);
  });

  test('status counts and completes the rolling update', () => {
    const s = set();
    const all = [0, 1, 2].map((i) => pod(s, i));
    const st = planStatefulSet(input(s, all)).status;
    assert.deepEqual([st.replicas, st.readyReplicas, st.availableReplicas, st.updatedReplicas, st.currentReplicas, st.currentRevision, st.updateRevision, st.observedGeneration], [3, 3, 3, 3, 3, 'web-new', 'web-new', 2]);
    const partial = planStatefulSet(input(s, [pod(s, 0, { rev: 'web-old' }), pod(s, 1, { ready: false })])).status;
    assert.deepEqual([partial.replicas, partial.readyReplicas, partial.currentReplicas, partial.updatedReplicas, partial.currentRevision], [2, 1, 1, 1, 'web-old']);
  });

  test('maxUnavailable math', () => {
    for (const [v, n, want] of [[undefined, 5, 1], [2, 5, 2], ['50%', 5, 3], ['0%', 5, 1], ['10%', 3, 1]] as const) assert.equal(maxUnavailableFor(v, n), want);
  });
});

describe('claim retention policy', () => {
  const claim = (refs: { uid: string }[] = []): ClaimObject => ({ metadata: { name: 'www-web-1', ownerReferences: refs.map((r) => ({ apiVersion: 'v1', kind: 'X', name: 'x', ...r })) } });
  const cases: [string, string, number, string[]][] = [
    ['Retain', 'Retain', 1, []],
    ['Delete', 'Retain', 1, ['set-uid']],
    ['Retain', 'Delete', 1, []],
    ['Retain', 'Delete', 5, ['pod-5']],
    ['Delete', 'Delete', 5, ['pod-5']],
    ['Delete', 'Delete', 1, ['set-uid']],
  ];
  for (const [whenDeleted, whenScaled, ordinal, want] of cases) {
    test(`whenDeleted=${whenDeleted} whenScaled=${whenScaled} ordinal ${ordinal}`, () => {
      const s = set({ persistentVolumeClaimRetentionPolicy: { whenDeleted, whenScaled } });
      const refs = claimOwnerRefsFor(s, pod(s, ordinal), claim()) ?? [];
      assert.deepEqual(refs.map((r) => r.uid), want);
    });
  }
  test('unchanged owners need no update; foreign owners are kept', () => {
    const s = set({ persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Retain' } });
    assert.equal(claimOwnerRefsFor(s, pod(s, 1), claim([{ uid: 'set-uid' }])), undefined);
    assert.deepEqual(claimOwnerRefsFor(set(), pod(s, 1), claim([{ uid: 'other' }, { uid: 'set-uid' }]))?.map((r) => r.uid), ['other']);
  });
});
