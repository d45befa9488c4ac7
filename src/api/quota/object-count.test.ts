import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiObject } from '../object.js';
import { objectCountEvaluator, objectCountName, parseObjectCountName } from './object-count.js';
import { writeList } from './resource-list.js';

describe('object-count quota', () => {
  test('names for the core group and for named groups', () => {
    assert.equal(objectCountName({ group: '', resource: 'configmaps' }), 'count/configmaps');
    assert.equal(objectCountName({ group: 'apps', resource: 'deployments' }), 'count/deployments.apps');
    assert.deepEqual(parseObjectCountName('count/deployments.apps'), { group: 'apps', resource: 'deployments' });
    assert.deepEqual(parseObjectCountName('count/widgets.example.com'), { group: 'example.com', resource: 'widgets' });
    assert.deepEqual(parseObjectCountName('count/secrets'), { group: '', resource: 'secrets' });
    assert.equal(parseObjectCountName('count/'), undefined);
    assert.equal(parseObjectCountName('secrets'), undefined);
  });

  test('one object counts 1 under its count name and its alias, on create only', () => {
    const ev = objectCountEvaluator({ group: '', resource: 'configmaps' }, 'configmaps');
    const cm = { metadata: { name: 'c', namespace: 'n' } } as ApiObject;
    assert.deepEqual(writeList(ev.usage(cm, 0)), { configmaps: '1', 'count/configmaps': '1' });
    assert.deepEqual(ev.matchingResources(['pods', 'configmaps', 'count/configmaps', 'count/secrets']), ['configmaps', 'count/configmaps']);
    assert.equal(ev.handles('CREATE'), true);
    assert.equal(ev.handles('UPDATE'), false);
    assert.equal(ev.matchesScope({ scopeName: 'BestEffort', operator: 'Exists' }, cm), false);
  });
});
