import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import { annSelectedNode, claimAction, defaultStorageClass, shouldDeleteVolume } from './decisions.js';

const claim = (extra: Partial<PersistentVolumeClaim['metadata']> = {}, spec: PersistentVolumeClaim['spec'] = {}): PersistentVolumeClaim => ({
  metadata: { name: 'data', namespace: 'ns', uid: 'u1', resourceVersion: '5', ...extra },
  spec: { storageClassName: 'local-path', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec },
});

describe('local-path provisioner decisions', () => {
  it('has a default WaitForFirstConsumer class', () => {
    const sc = defaultStorageClass();
    assert.equal(sc.provisioner, 'capstan.io/local-path');
    assert.equal(sc.volumeBindingMode, 'WaitForFirstConsumer');
    assert.equal(sc.reclaimPolicy, 'Delete');
    assert.equal(sc.metadata?.annotations?.['storageclass.kubernetes.io/is-default-class'], 'true');
  });

  it('waits for the selected node, ignores other classes', () => {
    assert.equal(claimAction(claim(), undefined, '/data').kind, 'none');
    assert.equal(claimAction(claim({ annotations: { [annSelectedNode]: 'n1' } }, { storageClassName: 'other' }), undefined, '/data').kind, 'none');
  });

  it('provisions, then binds volume and claim step by step', () => {
    let pvc = claim({ annotations: { [annSelectedNode]: 'n1' } });
    const a1 = claimAction(pvc, undefined, '/data/');
    assert.equal(a1.kind, 'createVolume');
    let pv = (a1 as { pv: PersistentVolume }).pv;
    assert.equal(pv.metadata?.name, 'pvc-u1');
    assert.equal(pv.spec?.local?.path, '/data/local-path/pvc-u1');
    assert.deepEqual(pv.spec?.nodeAffinity?.required?.nodeSelectorTerms?.[0].matchExpressions, [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['n1'] }]);
    assert.deepEqual(pv.spec?.claimRef, { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: 'ns', name: 'data', uid: 'u1', resourceVersion: '5' });
    assert.equal(pv.spec?.capacity?.storage, '1Gi');

    const a2 = claimAction(pvc, pv, '/data');
    assert.equal(a2.kind, 'volumeStatus');
    pv = (a2 as { pv: PersistentVolume }).pv;
    assert.equal(pv.status?.phase, 'Bound');

    const a3 = claimAction(pvc, pv, '/data');
    assert.equal(a3.kind, 'bindClaim');
    pvc = (a3 as { pvc: PersistentVolumeClaim }).pvc;
    assert.equal(pvc.spec?.volumeName, 'pvc-u1');
    assert.equal(pvc.metadata?.annotations?.['pv.kubernetes.io/bind-completed'], 'yes');

    const a4 = claimAction(pvc, pv, '/data');
    assert.equal(a4.kind, 'claimStatus');
    pvc = (a4 as { pvc: PersistentVolumeClaim }).pvc;
    assert.deepEqual(pvc.status, { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' } });

    assert.equal(claimAction(pvc, pv, '/data').kind, 'none');
  });

  it('deletes a volume whose claim is gone or replaced', () => {
    const pvc = claim({ annotations: { [annSelectedNode]: 'n1' } });
    const pv = (claimAction(pvc, undefined, '/d') as { pv: PersistentVolume }).pv;
    assert.equal(shouldDeleteVolume(pv, pvc), false);
    assert.equal(shouldDeleteVolume(pv, undefined), true);
    assert.equal(shouldDeleteVolume(pv, claim({ uid: 'u2' })), true);
    assert.equal(shouldDeleteVolume({ ...pv, metadata: { name: 'x' } }, undefined), false, 'not ours');
  });
});
