import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluatorFor, evaluatorsForNames, isQuotable } from './registry.js';

const kinds = (names: string[]) =>
  evaluatorsForNames(names)
    .map((e) => `${e.groupResource.group}/${e.groupResource.resource}`)
    .sort();

describe('quota evaluator registry', () => {
  test('each kind gets its evaluator; unknown kinds are counted; events are ignored', () => {
    assert.deepEqual(evaluatorFor({ group: '', resource: 'services' })!.matchingResources(['services.nodeports']), ['services.nodeports']);
    assert.deepEqual(evaluatorFor({ group: '', resource: 'secrets' })!.matchingResources(['secrets', 'count/secrets']), ['count/secrets', 'secrets']);
    assert.deepEqual(evaluatorFor({ group: 'apps', resource: 'deployments' })!.matchingResources(['count/deployments.apps']), ['count/deployments.apps']);
    assert.equal(evaluatorFor({ group: '', resource: 'events' }), undefined);
    assert.equal(evaluatorFor({ group: 'events.k8s.io', resource: 'events' }), undefined);
  });

  test('the kinds a quota counts come from its hard names', () => {
    assert.deepEqual(kinds(['requests.cpu', 'services.nodeports', 'count/configmaps', 'requests.storage', 'count/deployments.apps', 'count/events']), [
      '/configmaps',
      '/persistentvolumeclaims',
      '/pods',
      '/services',
      'apps/deployments',
    ]);
    assert.deepEqual(kinds(['resourcequotas', 'count/widgets.example.com']), ['/resourcequotas', 'example.com/widgets']);
    assert.deepEqual(kinds(['gold.storageclass.storage.k8s.io/persistentvolumeclaims']), ['/persistentvolumeclaims']);
  });

  test('quotable kinds are namespaced, fully served, and not ignored', () => {
    const verbs = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
    assert.equal(isQuotable({ group: '', plural: 'configmaps', namespaced: true, verbs }), true);
    assert.equal(isQuotable({ group: '', plural: 'nodes', namespaced: false, verbs }), false);
    assert.equal(isQuotable({ group: '', plural: 'events', namespaced: true, verbs }), false);
    assert.equal(isQuotable({ group: 'authorization.k8s.io', plural: 'localsubjectaccessreviews', namespaced: true, verbs: ['create'] }), false);
  });
});
