import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { defaultClass, findBestMatchForClaim, findMatchingVolume, isVolumeBoundToClaim, volumeSatisfiesClaimError } from './matching.js';

const pv = (name: string, storage: string, extra: Partial<NonNullable<PersistentVolume['spec']>> = {}, meta: PersistentVolume['metadata'] = {}, phase = 'Available'): PersistentVolume => ({
  metadata: { name, ...meta },
  spec: { capacity: { storage }, accessModes: ['ReadWriteOnce'], hostPath: { path: `/srv/${name}` }, ...extra },
  status: { phase },
});
const pvc = (spec: PersistentVolumeClaim['spec'] = {}, meta: PersistentVolumeClaim['metadata'] = {}): PersistentVolumeClaim => ({
  metadata: { name: 'data', namespace: 'ns', uid: 'u1', ...meta },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: '', ...spec },
});
const best = (c: PersistentVolumeClaim, vols: PersistentVolume[], delay = false) => findBestMatchForClaim(c, vols, delay)?.metadata?.name;

describe('PV matching', () => {
  it('picks the smallest volume that is large enough', () => {
    assert.equal(best(pvc(), [pv('big', '10Gi'), pv('small', '500Mi'), pv('fit', '2Gi'), pv('exact', '1024Mi')]), 'exact');
    assert.equal(best(pvc(), [pv('small', '500Mi')]), undefined);
  });

  it('needs the class, a superset of access modes (fewest modes first), the volume mode and the selector', () => {
    assert.equal(best(pvc({ storageClassName: 'fast' }), [pv('a', '1Gi')]), undefined);
    assert.equal(best(pvc({ storageClassName: 'fast' }), [pv('a', '1Gi', { storageClassName: 'fast' })]), 'a');
    assert.equal(best(pvc(), [pv('a', '1Gi', { storageClassName: 'fast' })]), undefined, 'a claim of no class gets volumes of no class');
    assert.equal(best(pvc({ accessModes: ['ReadWriteMany'] }), [pv('a', '1Gi')]), undefined);
    // The RWO-only group is tried before RWO+ROX, even though its volume is larger.
    assert.equal(best(pvc(), [pv('multi', '1Gi', { accessModes: ['ReadWriteOnce', 'ReadOnlyMany'] }), pv('rwo', '5Gi')]), 'rwo');
    assert.equal(best(pvc({ volumeMode: 'Block' }), [pv('a', '1Gi')]), undefined);
    assert.equal(best(pvc({ volumeMode: 'Block' }), [pv('a', '1Gi', { volumeMode: 'Block' })]), 'a');
    const sel = pvc({ selector: { matchLabels: { tier: 'gold' } } });
    assert.equal(best(sel, [pv('a', '1Gi'), pv('b', '5Gi', {}, { labels: { tier: 'gold' } })]), 'b');
  });

  it('skips volumes that are not Available, claimed by another claim, or being deleted', () => {
    assert.equal(best(pvc(), [pv('a', '1Gi', {}, {}, 'Released')]), undefined);
    assert.equal(best(pvc(), [pv('a', '1Gi', { claimRef: { namespace: 'ns', name: 'other' } })]), undefined);
    assert.equal(best(pvc(), [pv('a', '1Gi', {}, { deletionTimestamp: '2026-01-01T00:00:00Z' })]), undefined);
  });

  it('a volume pre-bound to the claim wins, whatever its phase, and even for delayed binding', () => {
    const pre = pv('pre', '5Gi', { claimRef: { namespace: 'ns', name: 'data' } }, {}, 'Pending');
    assert.equal(best(pvc(), [pv('a', '1Gi'), pre]), 'pre');
    assert.equal(best(pvc(), [pv('a', '1Gi'), pre], true), 'pre');
    assert.equal(best(pvc(), [pv('a', '1Gi')], true), undefined, 'the PV controller leaves WaitForFirstConsumer claims to the scheduler');
    assert.ok(isVolumeBoundToClaim(pre, pvc()));
    assert.ok(!isVolumeBoundToClaim(pv('x', '1Gi', { claimRef: { namespace: 'ns', name: 'data', uid: 'u2' } }), pvc()));
  });

  it('the scheduler path checks node affinity and access modes', () => {
    const vols = [pv('a', '1Gi'), pv('b', '2Gi')];
    const onlyB = (v: PersistentVolume) => v.metadata?.name === 'b';
    assert.equal(findMatchingVolume(pvc(), vols, { delayBinding: true, nodeFits: onlyB })?.metadata?.name, 'b');
    assert.equal(findMatchingVolume(pvc(), vols, { delayBinding: true, nodeFits: () => true, excluded: new Set(['a']) })?.metadata?.name, 'b');
    assert.equal(findMatchingVolume(pvc({ accessModes: ['ReadWriteMany'] }), vols, { delayBinding: true, nodeFits: () => true }), undefined);
  });

  it('explains why a requested volume does not fit', () => {
    assert.equal(volumeSatisfiesClaimError(pv('a', '1Gi'), pvc()), undefined);
    assert.equal(volumeSatisfiesClaimError(pv('a', '1Mi'), pvc()), 'requested PV is too small');
    assert.equal(volumeSatisfiesClaimError(pv('a', '1Gi', { storageClassName: 'x' }), pvc()), 'storageClassName does not match');
    assert.equal(volumeSatisfiesClaimError(pv('a', '1Gi', { volumeMode: 'Block' }), pvc()), 'incompatible volumeMode');
    assert.equal(volumeSatisfiesClaimError(pv('a', '1Gi', { accessModes: ['ReadOnlyMany'] }), pvc()), 'incompatible accessMode');
  });

  it('the newest default class wins', () => {
    const sc = (name: string, ts: string, def = true): StorageClass => ({ metadata: { name, creationTimestamp: ts, annotations: def ? { 'storageclass.kubernetes.io/is-default-class': 'true' } : {} }, provisioner: 'p' });
    assert.equal(defaultClass([sc('old', '2026-01-01T00:00:00Z'), sc('new', '2026-02-01T00:00:00Z'), sc('newest', '2026-03-01T00:00:00Z', false)])?.metadata?.name, 'new');
    assert.equal(defaultClass([sc('x', 't', false)]), undefined);
  });
});
