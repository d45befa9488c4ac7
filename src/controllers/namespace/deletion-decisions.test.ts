import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiObject } from '../../api/object.js';
import { emptyReport, failureConditions, updateDeletionConditions } from './deletion-conditions.js';
import { deletableResources, finalizersWithout, judgeRemaining, namespaceStep, podTerminationEstimate, remainingRequeueMs } from './deletion-decisions.js';

const item = (name: string, finalizers?: string[]): ApiObject => ({ metadata: { name, namespace: 'ns', finalizers } });

describe('namespace deletion decisions', () => {
  test('deletable resources: namespaced, with the delete verb, no subresources', () => {
    const got = deletableResources([
      {
        groupVersion: 'v1',
        resources: [
          { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['create', 'delete', 'deletecollection', 'get', 'list'] },
          { name: 'pods/status', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get', 'patch', 'update'] },
          { name: 'bindings', singularName: 'binding', namespaced: true, kind: 'Binding', verbs: ['create'] },
          { name: 'nodes', singularName: 'node', namespaced: false, kind: 'Node', verbs: ['delete', 'list'] },
        ],
      },
      { groupVersion: 'apps/v1', resources: [{ name: 'deployments', singularName: 'deployment', namespaced: true, kind: 'Deployment', verbs: ['delete', 'list'] }] },
    ]);
    assert.deepEqual(
      got.map((r) => `${r.group}/${r.version}/${r.plural}`),
      ['/v1/pods', 'apps/v1/deployments'],
    );
  });

  test('pod estimate: longest grace of non-terminal pods, zero once elapsed', () => {
    const pods = [
      { spec: { terminationGracePeriodSeconds: 30 }, status: { phase: 'Running' } },
      { spec: { terminationGracePeriodSeconds: 90 }, status: { phase: 'Succeeded' } },
      { spec: { terminationGracePeriodSeconds: 10 } },
    ];
    assert.equal(podTerminationEstimate(pods, 0, 5_000), 30);
    assert.equal(podTerminationEstimate(pods, 0, 30_000), 0);
    assert.equal(podTerminationEstimate([], 0, 0), 0);
  });

  test('remaining items: done, waiting on grace, waiting on finalizers, or unexpected', () => {
    assert.deepEqual(judgeRemaining([], 0), { estimateSeconds: 0, numRemaining: 0, finalizers: new Map(), unexpected: false });
    assert.equal(judgeRemaining([item('a')], 30).estimateSeconds, 30);
    const fin = judgeRemaining([item('a', ['x/f']), item('b', ['x/f', 'y'])], 0);
    assert.equal(fin.estimateSeconds, 15);
    assert.deepEqual([...fin.finalizers], [['x/f', 2], ['y', 1]]);
    assert.equal(fin.unexpected, false);
    assert.equal(judgeRemaining([item('a')], 0).unexpected, true);
  });

  test('finalize removes only the kubernetes token; requeue is estimate/2+1 seconds', () => {
    assert.deepEqual(finalizersWithout(['kubernetes', 'z/other', 'a/x', 'a/x']), ['a/x', 'z/other']);
    assert.deepEqual(finalizersWithout(undefined), []);
    assert.equal(remainingRequeueMs(15), 8000);
    assert.equal(remainingRequeueMs(30), 16000);
  });

  test('namespace step', () => {
    assert.equal(namespaceStep(undefined), 'ignore');
    assert.equal(namespaceStep({ metadata: {} }), 'ignore');
    assert.equal(namespaceStep({ metadata: { deletionTimestamp: 't' }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } }), 'mark-terminating');
    assert.equal(namespaceStep({ metadata: { deletionTimestamp: 't' }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Terminating' } }), 'delete-content');
    assert.equal(namespaceStep({ metadata: { deletionTimestamp: 't' }, spec: {}, status: { phase: 'Terminating' } }), 'done');
  });
});

describe('namespace deletion conditions', () => {
  test('all ok: five False conditions with upstream reasons and messages', () => {
    const { conditions, changed } = updateDeletionConditions(undefined, emptyReport(), '2025-01-01T00:00:00Z');
    assert.equal(changed, true);
    assert.deepEqual(
      conditions.map((c) => [c.type, c.status, c.reason, c.message]),
      [
        ['NamespaceDeletionDiscoveryFailure', 'False', 'ResourcesDiscovered', 'All resources successfully discovered'],
        ['NamespaceDeletionGroupVersionParsingFailure', 'False', 'ParsedGroupVersions', 'All legacy kube types successfully parsed'],
        ['NamespaceDeletionContentFailure', 'False', 'ContentDeleted', 'All content successfully deleted, may be waiting on finalization'],
        ['NamespaceContentRemaining', 'False', 'ContentRemoved', 'All content successfully removed'],
        ['NamespaceFinalizersRemaining', 'False', 'ContentHasNoFinalizers', 'All content-preserving finalizers finished'],
      ],
    );
    assert.equal(updateDeletionConditions(conditions, emptyReport(), 'later').changed, false);
  });

  test('failures: messages as upstream words them; transition time moves only on status flips', () => {
    const report = emptyReport();
    report.discoveryError = { message: 'unable to retrieve the complete list of server APIs: metrics.k8s.io/v1beta1: boom', failedGroups: 1 };
    report.contentErrors.push('b failed', 'a failed');
    report.remainingByResource.set('deployments.apps', 1).set('pods.', 2);
    report.remainingByFinalizer.set('custom.io/finalizer', 1);
    const msgs = Object.fromEntries(failureConditions(report).map((c) => [c.type, `${c.reason}: ${c.message}`]));
    assert.deepEqual(msgs, {
      NamespaceDeletionDiscoveryFailure:
        'DiscoveryFailed: Discovery failed for some groups, 1 failing: unable to retrieve the complete list of server APIs: metrics.k8s.io/v1beta1: boom',
      NamespaceDeletionContentFailure: 'ContentDeletionFailed: Failed to delete all resource types, 2 remaining: a failed, b failed',
      NamespaceContentRemaining: 'SomeResourcesRemain: Some resources are remaining: deployments.apps has 1 resource instances, pods. has 2 resource instances',
      NamespaceFinalizersRemaining: 'SomeFinalizersRemain: Some content in the namespace has finalizers remaining: custom.io/finalizer in 1 resource instances',
    });

    const first = updateDeletionConditions(undefined, emptyReport(), 't0').conditions;
    const second = updateDeletionConditions(first, report, 't1');
    assert.equal(second.changed, true);
    const byType = Object.fromEntries(second.conditions.map((c) => [c.type, c]));
    assert.equal(byType.NamespaceContentRemaining.lastTransitionTime, 't1');
    assert.equal(byType.NamespaceDeletionGroupVersionParsingFailure.lastTransitionTime, 't0');
    assert.equal(first[0].status, 'False', 'input not mutated');
  });
});
