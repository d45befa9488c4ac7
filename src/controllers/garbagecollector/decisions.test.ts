import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { ApiObject } from '../../api/object.js';
import { deletableResources } from './garbage-collector.js';
import { dependentAction, type OwnerState } from './decisions.js';
import { OwnershipGraph } from './graph.js';

const ref = (uid: string, block = true): OwnerReference => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: uid, uid, controller: uid === 'a', blockOwnerDeletion: block });
const obj = (uid: string, refs: OwnerReference[], extra: Partial<ApiObject['metadata']> = {}): ApiObject => ({ metadata: { name: uid, namespace: 'ns', uid, ownerReferences: refs, ...extra } });

describe('dependentAction', () => {
  const cases: { name: string; dep: ApiObject; states: Record<string, OwnerState>; hasDependents?: boolean; want: unknown }[] = [
    { name: 'no owners: nothing', dep: obj('d', []), states: {}, want: { kind: 'none' } },
    { name: 'live owner: nothing', dep: obj('d', [ref('a')]), states: { a: 'present' }, want: { kind: 'none' } },
    { name: 'owner gone: background delete', dep: obj('d', [ref('a')]), states: { a: 'absent' }, want: { kind: 'delete', policy: 'Background' } },
    { name: 'one owner gone, one live: drop the dangling reference', dep: obj('d', [ref('a'), ref('b')]), states: { a: 'absent', b: 'present' }, want: { kind: 'removeRefs', uids: ['a'] } },
    { name: 'live owner and a foreground-deleting one: drop the waiting reference', dep: obj('d', [ref('a'), ref('b')]), states: { a: 'deletingDependents', b: 'present' }, want: { kind: 'removeRefs', uids: ['a'] } },
    { name: 'owner deleting in foreground: delete', dep: obj('d', [ref('a')]), states: { a: 'deletingDependents' }, want: { kind: 'delete', policy: 'Background' } },
    {
      name: 'owner deleting in foreground, dependent has dependents: unblock and delete in foreground',
      dep: obj('d', [ref('a')]),
      states: { a: 'deletingDependents' },
      hasDependents: true,
      want: { kind: 'unblockAndDelete', uids: ['a'], policy: 'Foreground' },
    },
    { name: 'orphan finalizer on the dependent: orphan policy', dep: obj('d', [ref('a')], { finalizers: ['orphan'] }), states: { a: 'absent' }, want: { kind: 'delete', policy: 'Orphan' } },
    { name: 'already being deleted: nothing', dep: obj('d', [ref('a')], { deletionTimestamp: '2024-01-01T00:00:00Z' }), states: { a: 'absent' }, want: { kind: 'none' } },
  ];
  for (const c of cases) test(c.name, () => assert.deepEqual(dependentAction(c.dep, (r) => c.states[r.uid]!, !!c.hasDependents), c.want));
});

describe('OwnershipGraph', () => {
  const res = { group: '', version: 'v1', plural: 'pods', namespaced: true, kind: 'Pod' };
  test('tracks dependents and blocking dependents across updates and removals', () => {
    const g = new OwnershipGraph();
    g.upsert(obj('p1', [ref('a')]), res);
    g.upsert(obj('p2', [ref('a', false)]), res);
    assert.deepEqual(g.dependentsOf('a').map((n) => n.uid).sort(), ['p1', 'p2']);
    assert.deepEqual(g.blockingDependentsOf('a').map((n) => n.uid), ['p1']);
    const oldRefs = g.upsert(obj('p1', [ref('b')]), res);
    assert.deepEqual(oldRefs?.map((r) => r.uid), ['a']);
    assert.deepEqual(g.dependentsOf('a').map((n) => n.uid), ['p2']);
    g.remove('p2');
    assert.deepEqual(g.dependentsOf('a'), []);
    assert.deepEqual(g.dependentsOf('b').map((n) => n.uid), ['p1']);
  });
});

test('deletableResources keeps list+watch+delete and drops events', () => {
  const r = (group: string, plural: string, verbs: string[]) => ({ group, version: 'v1', plural, namespaced: true, verbs, kind: plural });
  const got = deletableResources([
    r('', 'pods', ['list', 'watch', 'delete', 'get']),
    r('', 'events', ['list', 'watch', 'delete']),
    r('events.k8s.io', 'events', ['list', 'watch', 'delete']),
    r('', 'bindings', ['create']),
  ]);
  assert.deepEqual(got.map((x) => x.plural), ['pods']);
});
