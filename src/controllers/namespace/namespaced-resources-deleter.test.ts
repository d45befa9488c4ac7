import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { methodNotSupported, notFoundError, staleConflict } from '../../api/errors.js';
import type { ApiObject } from '../../api/object.js';
import type { ResourceRef } from '../../client/resource-path.js';
import type { APIResourceList } from 'kubernetes-types/meta/v1.js';
import { type DeleterClient, NamespacedResourcesDeleter } from './namespaced-resources-deleter.js';

/** An in-memory API with just the calls the deleter makes; records every write. */
class FakeApi {
  namespaces = new Map<string, ApiObject>();
  /** `plural` → objects in namespace "doomed". */
  content = new Map<string, ApiObject[]>();
  calls: string[] = [];
  noDeleteCollection = new Set<string>();
  conflictsLeft = 0;

  readonly client = {
    get: async (r: ResourceRef, name: string) => {
      const ns = this.namespaces.get(name);
      if (!ns) throw notFoundError({ group: '', resource: r.plural }, name);
      return structuredClone(ns);
    },
    list: async (r: ResourceRef) => ({ metadata: {}, items: structuredClone(this.content.get(r.plural) ?? []) }),
    deleteCollection: async (r: ResourceRef) => {
      if (this.noDeleteCollection.has(r.plural)) throw methodNotSupported({ group: r.group, resource: r.plural }, 'deletecollection');
      this.calls.push(`deletecollection ${r.plural}`);
      this.content.set(r.plural, (this.content.get(r.plural) ?? []).filter((o) => (o.metadata.finalizers ?? []).length > 0));
      return { metadata: {}, items: [] };
    },
    delete: async (r: ResourceRef, name: string) => {
      this.calls.push(`delete ${r.plural}/${name}`);
      this.content.set(r.plural, (this.content.get(r.plural) ?? []).filter((o) => o.metadata.name !== name));
      return {};
    },
    updateStatus: async (_r: ResourceRef, obj: ApiObject) => {
      if (this.conflictsLeft > 0) {
        this.conflictsLeft--;
        throw staleConflict({ group: '', resource: 'namespaces' }, obj.metadata.name!);
      }
      this.calls.push(`status ${JSON.stringify((obj.status as { phase?: string }).phase)}`);
      this.namespaces.set(obj.metadata.name!, structuredClone(obj));
      return structuredClone(obj);
    },
    update: async (_r: ResourceRef, obj: ApiObject, opts: { subresource?: string }) => {
      this.calls.push(`${opts.subresource} ${JSON.stringify((obj.spec as { finalizers: string[] }).finalizers)}`);
      this.namespaces.set(obj.metadata.name!, structuredClone(obj));
      return structuredClone(obj);
    },
  } as unknown as DeleterClient;
}

const discovery: APIResourceList[] = [
  {
    groupVersion: 'v1',
    resources: [
      { name: 'configmaps', singularName: 'configmap', namespaced: true, kind: 'ConfigMap', verbs: ['delete', 'deletecollection', 'list'] },
      { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['delete', 'deletecollection', 'list'] },
    ],
  },
  { groupVersion: 'example.com/v1', resources: [{ name: 'widgets', singularName: 'widget', namespaced: true, kind: 'Widget', verbs: ['delete', 'list'] }] },
];

const doomed = (): ApiObject => ({
  metadata: { name: 'doomed', uid: 'u1', deletionTimestamp: '2025-01-01T00:00:00Z' },
  spec: { finalizers: ['kubernetes'] },
  status: { phase: 'Active' },
});
const obj = (name: string, finalizers?: string[]): ApiObject => ({ metadata: { name, namespace: 'doomed', finalizers } });
const conditionsOf = (api: FakeApi) =>
  Object.fromEntries(((api.namespaces.get('doomed')!.status as { conditions: { type: string; status: string; message: string }[] }).conditions ?? []).map((c) => [c.type, `${c.status} ${c.message}`]));

describe('NamespacedResourcesDeleter', () => {
  const now = () => Date.parse('2025-01-01T00:10:00Z');

  test('empties the namespace, records ok conditions, then finalizes', async () => {
    const api = new FakeApi();
    api.namespaces.set('doomed', doomed());
    api.content.set('configmaps', [obj('c1'), obj('c2')]);
    api.content.set('widgets', [obj('w1')]);
    api.noDeleteCollection.add('pods');
    const d = new NamespacedResourcesDeleter({ client: api.client, discover: async () => ({ lists: discovery }), now });
    assert.deepEqual(await d.delete('doomed'), {});
    assert.deepEqual(api.calls, ['status "Terminating"', 'deletecollection configmaps', 'delete widgets/w1', 'status "Terminating"', 'finalize []']);
    assert.equal(conditionsOf(api).NamespaceContentRemaining, 'False All content successfully removed');
  });

  test('content held by finalizers: conditions say so, requeue after the estimate, no finalize', async () => {
    const api = new FakeApi();
    api.namespaces.set('doomed', { ...doomed(), status: { phase: 'Terminating' } });
    api.content.set('configmaps', [obj('held', ['custom.io/finalizer'])]);
    const d = new NamespacedResourcesDeleter({ client: api.client, discover: async () => ({ lists: discovery }), now });
    assert.deepEqual(await d.delete('doomed'), { requeueAfterMs: 8000 });
    assert.ok(!api.calls.some((c) => c.startsWith('finalize')));
    const c = conditionsOf(api);
    assert.equal(c.NamespaceContentRemaining, 'True Some resources are remaining: configmaps. has 1 resource instances');
    assert.equal(c.NamespaceFinalizersRemaining, 'True Some content in the namespace has finalizers remaining: custom.io/finalizer in 1 resource instances');
  });

  test('a discovery failure is recorded and retried; a conflicting status write is re-read and retried', async () => {
    const api = new FakeApi();
    api.namespaces.set('doomed', doomed());
    api.conflictsLeft = 1;
    const d = new NamespacedResourcesDeleter({ client: api.client, discover: async () => Promise.reject(new Error('discovery down')), now });
    await assert.rejects(d.delete('doomed'), /discovery down/);
    assert.equal(conditionsOf(api).NamespaceDeletionDiscoveryFailure, 'True discovery down');
    assert.equal((api.namespaces.get('doomed')!.status as { phase: string }).phase, 'Terminating');
  });

  test('a missing or live namespace is left alone', async () => {
    const api = new FakeApi();
    api.namespaces.set('live', { metadata: { name: 'live' }, spec: { finalizers: ['kubernetes'] } });
    const d = new NamespacedResourcesDeleter({ client: api.client, discover: async () => ({ lists: discovery }), now });
    assert.deepEqual(await d.delete('missing'), {});
    assert.deepEqual(await d.delete('live'), {});
    assert.deepEqual(api.calls, []);
  });
});
