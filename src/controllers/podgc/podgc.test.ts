import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import {
  failedStatusPatch,
  missingNodes,
  orphanCondition,
  quarantineDue,
  terminatedOverThreshold,
  terminatingOnOutOfServiceNodes,
  unscheduledTerminating,
} from './podgc.js';

const pod = (name: string, o: { phase?: string; reason?: string; created?: string; node?: string; deleting?: boolean } = {}): Pod => ({
  metadata: { name, namespace: 'default', uid: `uid-${name}`, creationTimestamp: o.created ?? '2026-01-01T00:00:00Z', ...(o.deleting ? { deletionTimestamp: '2026-01-02T00:00:00Z' } : {}) },
  spec: { containers: [{ name: 'c' }], ...(o.node ? { nodeName: o.node } : {}) },
  status: { phase: o.phase ?? 'Running', ...(o.reason ? { reason: o.reason } : {}) },
});
const node = (name: string, ready: boolean, taints: string[] = []): Node => ({
  metadata: { name },
  spec: { taints: taints.map((key) => ({ key, effect: 'NoExecute' })) },
  status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});
const names = (ps: Pod[]) => ps.map((p) => p.metadata!.name);

describe('pod garbage collection decisions', () => {
  test('terminated pods beyond the threshold: evicted first, then oldest, then by name', () => {
    const pods = [
      pod('new', { phase: 'Succeeded', created: '2026-01-03T00:00:00Z' }),
      pod('old', { phase: 'Failed', created: '2026-01-01T00:00:00Z' }),
      pod('evicted', { phase: 'Failed', reason: 'Evicted', created: '2026-01-05T00:00:00Z' }),
      pod('b-mid', { phase: 'Succeeded', created: '2026-01-02T00:00:00Z' }),
      pod('a-mid', { phase: 'Succeeded', created: '2026-01-02T00:00:00Z' }),
      pod('running'),
      pod('pending', { phase: 'Pending' }),
      pod('unknown', { phase: 'Unknown' }),
    ];
    assert.deepEqual(names(terminatedOverThreshold(pods, 2)), ['evicted', 'old', 'a-mid']);
    assert.deepEqual(names(terminatedOverThreshold(pods, 5)), []);
    assert.deepEqual(names(terminatedOverThreshold(pods, 0)), [], '0 disables');
  });

  test('terminating pods only on not-ready nodes tainted out-of-service', () => {
    const nodes = new Map([
      ['oos', node('oos', false, ['node.kubernetes.io/out-of-service'])],
      ['ready-oos', node('ready-oos', true, ['node.kubernetes.io/out-of-service'])],
      ['down', node('down', false)],
    ]);
    const pods = [pod('a', { node: 'oos', deleting: true }), pod('b', { node: 'oos' }), pod('c', { node: 'ready-oos', deleting: true }), pod('d', { node: 'down', deleting: true }), pod('e', { node: 'gone', deleting: true })];
    assert.deepEqual(names(terminatingOnOutOfServiceNodes(pods, nodes)), ['a']);
  });

  test('orphans: missing nodes are quarantined, then due; a node that returns leaves quarantine', () => {
    const nodes = new Map([['here', node('here', true)]]);
    const pods = [pod('a', { node: 'here' }), pod('b', { node: 'gone' }), pod('c', { node: 'gone' }), pod('d')];
    const missing = missingNodes(pods, nodes);
    assert.deepEqual([...missing], ['gone']);
    const q = new Map<string, number>();
    assert.deepEqual(quarantineDue(q, missing, 1_000, 40_000), []);
    assert.deepEqual(quarantineDue(q, missing, 40_999, 40_000), []);
    assert.deepEqual(quarantineDue(q, missing, 41_000, 40_000), ['gone']);
    assert.deepEqual(quarantineDue(q, new Set(), 50_000, 40_000), []);
    assert.equal(q.size, 0);
    assert.deepEqual(quarantineDue(q, missing, 60_000, 40_000), [], 'the clock starts again');
  });

  test('unscheduled terminating pods', () => {
    assert.deepEqual(names(unscheduledTerminating([pod('a', { deleting: true }), pod('b', { deleting: true, node: 'n' }), pod('c')])), ['a']);
  });

  test('the status patch marks non-terminal pods Failed, with the orphan condition when given', () => {
    const cond = orphanCondition('2026-01-01T00:00:00Z');
    assert.deepEqual(cond, { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists', lastTransitionTime: '2026-01-01T00:00:00Z' });
    assert.deepEqual(failedStatusPatch(pod('a'), cond), { metadata: { uid: 'uid-a' }, status: { phase: 'Failed', conditions: [cond] } });
    assert.deepEqual(failedStatusPatch(pod('a', { phase: 'Pending' })), { metadata: { uid: 'uid-a' }, status: { phase: 'Failed' } });
    assert.equal(failedStatusPatch(pod('a', { phase: 'Succeeded' }), cond), undefined);
    assert.equal(failedStatusPatch(pod('a', { phase: 'Failed' })), undefined);
  });
});
