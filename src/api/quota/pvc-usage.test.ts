import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import { claimClass, claimUsage, pvcEvaluator } from './pvc-usage.js';
import { writeList } from './resource-list.js';

const claim = (storage: string | undefined, storageClassName?: string, extra: Partial<PersistentVolumeClaim> = {}): PersistentVolumeClaim => ({
  metadata: { name: 'c', namespace: 'n' },
  spec: { accessModes: ['ReadWriteOnce'], resources: storage ? { requests: { storage } } : {}, ...(storageClassName !== undefined ? { storageClassName } : {}) },
  ...extra,
});

describe('claim quota usage', () => {
  test('a claim without a class uses a claim and its request', () => {
    assert.deepEqual(writeList(claimUsage(claim('2Gi'))), { 'count/persistentvolumeclaims': '1', persistentvolumeclaims: '1', 'requests.storage': '2Gi' });
  });

  test('a claim with a class is charged to the class too', () => {
    assert.deepEqual(writeList(claimUsage(claim('1Gi', 'gold'))), {
      'count/persistentvolumeclaims': '1',
      'gold.storageclass.storage.k8s.io/persistentvolumeclaims': '1',
      'gold.storageclass.storage.k8s.io/requests.storage': '1Gi',
      persistentvolumeclaims: '1',
      'requests.storage': '1Gi',
    });
  });

  test('the beta annotation names the class before the spec does', () => {
    const c = claim('1Gi', 'gold', { metadata: { name: 'c', annotations: { 'volume.beta.kubernetes.io/storage-class': 'silver' } } });
    assert.equal(claimClass(c), 'silver');
  });

  test('an allocated size larger than the request is charged; fractions round up to whole bytes', () => {
    const grown = claim('1Gi', undefined, { status: { allocatedResources: { storage: '2Gi' } } });
    assert.equal(writeList(claimUsage(grown))['requests.storage'], '2Gi');
    const smaller = claim('2Gi', undefined, { status: { allocatedResources: { storage: '1Gi' } } });
    assert.equal(writeList(claimUsage(smaller))['requests.storage'], '2Gi');
    assert.equal(writeList(claimUsage(claim('1500m')))['requests.storage'], '2');
  });

  test('names the evaluator answers to', () => {
    assert.deepEqual(
      pvcEvaluator.matchingResources(['pods', 'requests.storage', 'gold.storageclass.storage.k8s.io/requests.storage', 'bronze.storageclass.storage.k8s.io/persistentvolumeclaims', 'count/persistentvolumeclaims', 'services']),
      ['bronze.storageclass.storage.k8s.io/persistentvolumeclaims', 'count/persistentvolumeclaims', 'gold.storageclass.storage.k8s.io/requests.storage', 'requests.storage'],
    );
    assert.equal(pvcEvaluator.handles('UPDATE'), true);
  });
});
