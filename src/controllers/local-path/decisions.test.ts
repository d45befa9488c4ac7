import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import { annSelectedNode, annStorageProvisioner, claimAction, defaultStorageClass, localPathProvisionerName, shouldDeleteVolume } from './decisions.js';

const claim = (extra: Partial<PersistentVolumeClaim['metadata']> = {}, spec: PersistentVolumeClaim['spec'] = {}): PersistentVolumeClaim => ({
  metadata: { name: 'data', namespace: 'ns', uid: 'u1', resourceVersion: '5', ...extra },
  spec: { storageClassName: 'local-path', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec },
});
const ours = (node?: string) => ({ annotations: { [annStorageProvisioner]: localPathProvisionerName, ...(node ? { [annSelectedNode]: node } : {}) } });

describe('local-path provisioner decisions', () => {
  it('has a default WaitForFirstConsumer class', () => {
    const sc = defaultStorageClass();
    assert.equal(sc.provisioner, 'capstan.io/local-path');
    assert.equal(sc.volumeBindingMode, 'WaitForFirstConsumer');
    assert.equal(sc.reclaimPolicy, 'Delete');
    assert.equal(sc.metadata?.annotations?.['storageclass.kubernetes.io/is-default-class'], 'true');
  });

  it('acts only on claims handed to it whose node is selected', () => {
    assert.equal(claimAction(claim(ours()), undefined, '/data').kind, 'none', 'no selected node yet');
    assert.equal(claimAction(claim({ annotations: { [annSelectedNode]: 'n1' } }), undefined, '/data').kind, 'none', 'the PV controller has not handed it over');
    assert.equal(claimAction(claim({ annotations: { [annSelectedNode]: 'n1', [annStorageProvisioner]: 'other' } }), undefined, '/data').kind, 'none');
    assert.equal(claimAction(claim(ours('n1'), { storageClassName: 'local-path', volumeName: 'pv9' }), undefined, '/data').kind, 'none', 'bound');
  });

  it('creates a volume pre-bound to the claim on the selected node, once', () => {
    const pvc = claim(ours('n1'));
    const a1 = claimAction(pvc, undefined, '/data/');
    assert.equal(a1.kind, 'createVolume');
    const pv = (a1 as { pv: PersistentVolume }).pv;
    assert.equal(pv.metadata?.name, 'pvc-u1');
    assert.equal(pv.metadata?.annotations?.['pv.kubernetes.io/provisioned-by'], 'capstan.io/local-path');
    assert.equal(pv.spec?.local?.path, '/data/local-path/pvc-u1');
    assert.equal(pv.spec?.storageClassName, 'local-path');
    assert.equal(pv.spec?.persistentVolumeReclaimPolicy, 'Delete');
    assert.deepEqual(pv.spec?.nodeAffinity?.required?.nodeSelectorTerms?.[0].matchExpressions, [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['n1'] }]);
    assert.deepEqual(pv.spec?.claimRef, { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: 'ns', name: 'data', uid: 'u1', resourceVersion: '5' });
    assert.equal(pv.spec?.capacity?.storage, '1Gi');
    assert.equal(pv.status, undefined, 'the PV controller sets phases');
    assert.equal(claimAction(pvc, pv, '/data').kind, 'none');
    assert.equal((claimAction(pvc, undefined, '/data', 'Retain') as { pv: PersistentVolume }).pv.spec?.persistentVolumeReclaimPolicy, 'Retain');
  });

  it('deletes its volumes once the PV controller released them', () => {
    const pv = (claimAction(claim(ours('n1')), undefined, '/d') as { pv: PersistentVolume }).pv;
    assert.equal(shouldDeleteVolume({ ...pv, status: { phase: 'Bound' } }), false);
    assert.equal(shouldDeleteVolume({ ...pv, status: { phase: 'Released' } }), true);
    assert.equal(shouldDeleteVolume({ ...pv, spec: { ...pv.spec, persistentVolumeReclaimPolicy: 'Retain' }, status: { phase: 'Released' } }), false);
    assert.equal(shouldDeleteVolume({ ...pv, metadata: { name: 'x' }, status: { phase: 'Released' } }), false, 'not ours');
  });
});
