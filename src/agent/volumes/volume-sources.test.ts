import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sourceKinds, volumeReferences } from './volume-sources.js';

describe('volume sources', () => {
  const volumes = [
    { name: 'a', configMap: { name: 'cm' } },
    { name: 'b', secret: { secretName: 's' } },
    { name: 'c', projected: { sources: [{ configMap: { name: 'cm' } }, { secret: { name: 's2' } }, { serviceAccountToken: { path: 'token' } }] } },
    { name: 'd', emptyDir: {} },
  ];

  it('lists the ConfigMaps and Secrets volumes read, once each', () => {
    assert.deepEqual(volumeReferences('ns', volumes), [
      { kind: 'configmaps', key: 'ns/cm' },
      { kind: 'secrets', key: 'ns/s' },
      { kind: 'secrets', key: 'ns/s2' },
    ]);
  });

  it('starts only the informers the volumes need', () => {
    assert.deepEqual(sourceKinds(volumes), ['configmaps', 'secrets']);
    assert.deepEqual(sourceKinds([{ name: 'd', emptyDir: {} }]), []);
    assert.deepEqual(sourceKinds([{ name: 'p', persistentVolumeClaim: { claimName: 'c' } }]), ['persistentvolumeclaims', 'persistentvolumes']);
  });
});
