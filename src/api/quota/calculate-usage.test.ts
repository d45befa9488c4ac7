import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ResourceQuota } from 'kubernetes-types/core/v1.js';
import type { ApiObject } from '../object.js';
import { quotaKinds, quotaStatus } from './calculate-usage.js';

const obj = (o: object): ApiObject => ({ metadata: { name: 'x', namespace: 'n' }, ...o }) as ApiObject;
const objects: Record<string, ApiObject[]> = {
  '/services': [obj({ spec: { type: 'NodePort', ports: [{ port: 80 }, { port: 81 }] } }), obj({ spec: { type: 'LoadBalancer', ports: [{ port: 443 }] } }), obj({ spec: { type: 'ClusterIP', ports: [{ port: 1 }] } })],
  '/configmaps': [obj({}), obj({})],
  '/persistentvolumeclaims': [obj({ spec: { resources: { requests: { storage: '1Gi' } }, storageClassName: 'gold' } }), obj({ spec: { resources: { requests: { storage: '512Mi' } } } })],
  '/pods': [obj({ spec: { containers: [{ name: 'c', resources: { requests: { cpu: '250m' } } }] } })],
  'apps/deployments': [obj({}), obj({}), obj({})],
};
const of = (gr: { group: string; resource: string }) => objects[`${gr.group}/${gr.resource}`] ?? [];

describe('quota status', () => {
  test('used is recounted for every kind the quota names, hard mirrors the spec', () => {
    const rq: ResourceQuota = {
      metadata: { name: 'q', namespace: 'n' },
      spec: {
        hard: {
          'services.nodeports': '5',
          'services.loadbalancers': '1',
          services: '10',
          'count/configmaps': '2',
          configmaps: '4',
          'requests.storage': '10Gi',
          'gold.storageclass.storage.k8s.io/requests.storage': '5Gi',
          'gold.storageclass.storage.k8s.io/persistentvolumeclaims': '2',
          'requests.cpu': '1',
          'count/deployments.apps': '4',
        },
      },
    };
    assert.deepEqual(quotaStatus(rq, of, 0).used, {
      configmaps: '2',
      'count/configmaps': '2',
      'count/deployments.apps': '3',
      'gold.storageclass.storage.k8s.io/persistentvolumeclaims': '1',
      'gold.storageclass.storage.k8s.io/requests.storage': '1Gi',
      'requests.cpu': '250m',
      'requests.storage': '1536Mi',
      services: '3',
      'services.loadbalancers': '1',
      'services.nodeports': '3',
    });
    assert.equal(quotaStatus(rq, of, 0).hard['requests.storage'], '10Gi');
  });

  test('kinds not known yet keep their previous usage; names gone from hard are dropped', () => {
    const rq: ResourceQuota = {
      metadata: { name: 'q', namespace: 'n' },
      spec: { hard: { 'count/configmaps': '9', 'count/widgets.example.com': '3' } },
      status: { used: { 'count/configmaps': '7', 'count/widgets.example.com': '2', 'count/secrets': '1' } },
    };
    const unknownWidgets = (gr: { group: string; resource: string }) => (gr.group === 'example.com' ? undefined : of(gr));
    assert.deepEqual(quotaStatus(rq, unknownWidgets, 0).used, { 'count/configmaps': '2', 'count/widgets.example.com': '2' });
    assert.deepEqual(quotaKinds(rq), [{ group: '', resource: 'configmaps' }, { group: 'example.com', resource: 'widgets' }]);
  });

  test('a scoped quota counts only pods: other kinds match no scope', () => {
    const rq: ResourceQuota = { metadata: { name: 'q', namespace: 'n' }, spec: { hard: { pods: '5', 'count/configmaps': '5' }, scopes: ['NotBestEffort'] } };
    assert.deepEqual(quotaStatus(rq, of, 0).used, { 'count/configmaps': '0', pods: '1' });
  });
});
