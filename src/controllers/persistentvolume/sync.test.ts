import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { defaultClass } from './matching.js';
import { type SyncEvent, externalProvisioningMessage, msgNoClassNoVolume, msgNoDeleter, msgWaitForFirstConsumer, syncClaim, syncVolume } from './sync.js';

interface World {
  claims: PersistentVolumeClaim[];
  volumes: PersistentVolume[];
  classes: StorageClass[];
  pods?: string[];
}
type Seen = (SyncEvent & { object: string })[];

const replace = <T extends { metadata?: { name?: string; namespace?: string } }>(list: T[], obj: T) => {
  const i = list.findIndex((o) => o.metadata?.name === obj.metadata?.name && o.metadata?.namespace === obj.metadata?.namespace);
  list[i] = obj;
};

/** Runs claim and volume syncs, applying each write, until nothing changes; returns the events. */
function settle(w: World, rounds = 30): Seen {
  const seen: Seen = [];
  for (let r = 0; r < rounds; r++) {
    let wrote = false;
    const apply = (res: ReturnType<typeof syncClaim>, claim?: PersistentVolumeClaim, volume?: PersistentVolume) => {
      for (const e of res.events) seen.push({ ...e, object: (e.on === 'claim' ? claim : volume)?.metadata?.name ?? '?' });
      const wr = res.write;
      if (wr.kind === 'updateClaim' || wr.kind === 'updateClaimStatus') replace(w.claims, wr.pvc);
      else if (wr.kind === 'updateVolume' || wr.kind === 'updateVolumeStatus' || wr.kind === 'releaseVolume') replace(w.volumes, wr.pv);
      else return;
      wrote = true;
    };
    for (const c of [...w.claims]) {
      const res = syncClaim({ claim: c, volumes: w.volumes, storageClass: (n) => w.classes.find((s) => s.metadata?.name === n), defaultClass: defaultClass(w.classes), unscheduledPods: w.pods ?? [] });
      assert.equal(res.error, undefined);
      apply(res, c, w.volumes.find((v) => v.metadata?.name === c.spec?.volumeName));
    }
    for (const v of [...w.volumes]) {
      const ref = v.spec?.claimRef;
      const claim = w.claims.find((c) => c.metadata?.name === ref?.name && c.metadata?.namespace === ref?.namespace);
      apply(syncVolume(v, claim), claim, v);
    }
    if (!wrote) return seen;
  }
  assert.fail('did not settle');
}

const pv = (name: string, storage: string, spec: Partial<NonNullable<PersistentVolume['spec']>> = {}, meta: PersistentVolume['metadata'] = {}): PersistentVolume => ({
  metadata: { name, ...meta },
  spec: { capacity: { storage }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain', hostPath: { path: `/srv/${name}` }, ...spec },
  status: { phase: 'Pending' },
});
const pvc = (name: string, spec: PersistentVolumeClaim['spec'] = {}, meta: PersistentVolumeClaim['metadata'] = {}): PersistentVolumeClaim => ({
  metadata: { name, namespace: 'ns', uid: `uid-${name}`, resourceVersion: '1', ...meta },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: '', volumeMode: 'Filesystem', ...spec },
  status: { phase: 'Pending' },
});
const wffc: StorageClass = { metadata: { name: 'local-path', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }, provisioner: 'capstan.io/local-path', volumeBindingMode: 'WaitForFirstConsumer', reclaimPolicy: 'Delete' };
const immediate: StorageClass = { metadata: { name: 'ext' }, provisioner: 'example.com/ext', volumeBindingMode: 'Immediate' };

describe('PV controller sync', () => {
  it('binds an Immediate claim to the best static volume, both sides Bound with upstream annotations', () => {
    const w: World = { claims: [pvc('data')], volumes: [pv('pv-big', '5Gi'), pv('pv-fit', '1Gi')], classes: [] };
    settle(w);
    const [c] = w.claims;
    const v = w.volumes.find((x) => x.metadata?.name === 'pv-fit')!;
    assert.equal(c!.spec?.volumeName, 'pv-fit');
    assert.deepEqual(c!.metadata?.annotations, { 'pv.kubernetes.io/bind-completed': 'yes', 'pv.kubernetes.io/bound-by-controller': 'yes' });
    assert.deepEqual(c!.status, { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' } });
    assert.equal(v.status?.phase, 'Bound');
    assert.deepEqual(v.spec?.claimRef, { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: 'ns', name: 'data', uid: 'uid-data', resourceVersion: '1' });
    assert.equal(v.metadata?.annotations?.['pv.kubernetes.io/bound-by-controller'], 'yes');
    assert.equal(w.volumes.find((x) => x.metadata?.name === 'pv-big')!.status?.phase, 'Available');
  });

  it('honours a claim naming its volume, and a volume pre-bound to a claim (no bound-by-controller on the pre-bound side)', () => {
    const w: World = { claims: [pvc('named', { volumeName: 'pv-b' }), pvc('pre')], volumes: [pv('pv-a', '1Gi'), pv('pv-b', '1Gi'), pv('pv-c', '1Gi', { claimRef: { namespace: 'ns', name: 'pre' } })], classes: [] };
    settle(w);
    const named = w.claims[0]!;
    assert.equal(named.spec?.volumeName, 'pv-b');
    assert.equal(named.metadata?.annotations?.['pv.kubernetes.io/bound-by-controller'], undefined);
    assert.equal(w.volumes[1]!.metadata?.annotations?.['pv.kubernetes.io/bound-by-controller'], 'yes');
    assert.equal(w.claims[1]!.spec?.volumeName, 'pv-c');
    assert.equal(w.volumes[2]!.metadata?.annotations?.['pv.kubernetes.io/bound-by-controller'], undefined);
    assert.equal(w.volumes[2]!.spec?.claimRef?.uid, 'uid-pre');
    assert.equal(w.volumes[0]!.status?.phase, 'Available');
  });

  it('a claim with no match and no class stays Pending with FailedBinding; a mismatching named volume says why', () => {
    const w: World = { claims: [pvc('big', { resources: { requests: { storage: '10Gi' } } }), pvc('named', { volumeName: 'small' })], volumes: [pv('small', '1Mi')], classes: [] };
    const events = settle(w);
    assert.equal(w.claims[0]!.status?.phase, 'Pending');
    assert.deepEqual(events.find((e) => e.object === 'big'), { on: 'claim', type: 'Normal', reason: 'FailedBinding', message: msgNoClassNoVolume, object: 'big' });
    assert.deepEqual(events.find((e) => e.object === 'named'), { on: 'claim', type: 'Warning', reason: 'VolumeMismatch', message: 'Cannot bind to requested volume "small": requested PV is too small', object: 'named' });
  });

  it('WaitForFirstConsumer: a claim without a selected node waits (naming unscheduled pods); the default class is assigned to a classless claim', () => {
    const w: World = { claims: [pvc('data', { storageClassName: undefined })], volumes: [], classes: [wffc] };
    let events = settle(w);
    assert.equal(w.claims[0]!.spec?.storageClassName, 'local-path');
    assert.deepEqual(events.map((e) => [e.reason, e.message]), [['WaitForFirstConsumer', msgWaitForFirstConsumer]]);
    w.pods = ['web-0'];
    events = settle(w);
    assert.deepEqual(events.map((e) => [e.reason, e.message]), [['WaitForPodScheduled', 'waiting for pod web-0 to be scheduled']]);
  });

  it('hands a claim to its external provisioner, then binds the pre-bound volume it creates', () => {
    const w: World = { claims: [pvc('data', { storageClassName: 'local-path' }, { annotations: { 'volume.kubernetes.io/selected-node': 'n1' } })], volumes: [], classes: [wffc] };
    const events = settle(w);
    const ann = w.claims[0]!.metadata?.annotations ?? {};
    assert.equal(ann['volume.kubernetes.io/storage-provisioner'], 'capstan.io/local-path');
    assert.equal(ann['volume.beta.kubernetes.io/storage-provisioner'], 'capstan.io/local-path');
    assert.deepEqual(events.at(-1), { on: 'claim', type: 'Normal', reason: 'ExternalProvisioning', message: externalProvisioningMessage('capstan.io/local-path'), object: 'data' });
    // The provisioner's volume, pre-bound by UID.
    w.volumes.push(pv('pvc-uid-data', '1Gi', { storageClassName: 'local-path', persistentVolumeReclaimPolicy: 'Delete', claimRef: { kind: 'PersistentVolumeClaim', namespace: 'ns', name: 'data', uid: 'uid-data' } }, { annotations: { 'pv.kubernetes.io/provisioned-by': 'capstan.io/local-path' } }));
    settle(w);
    assert.equal(w.claims[0]!.spec?.volumeName, 'pvc-uid-data');
    assert.equal(w.claims[0]!.status?.phase, 'Bound');
    assert.equal(w.volumes[0]!.status?.phase, 'Bound');
    assert.equal(w.volumes[0]!.metadata?.annotations?.['pv.kubernetes.io/bound-by-controller'], undefined);
    // Claim deleted: Released, and Delete is left to the provisioner.
    w.claims = [];
    const after = settle(w);
    assert.equal(w.volumes[0]!.status?.phase, 'Released');
    assert.deepEqual(after, []);
  });

  it('an Immediate class with an external provisioner is handed over at once; a missing class is reported', () => {
    const w: World = { claims: [pvc('a', { storageClassName: 'ext' }), pvc('b', { storageClassName: 'gone' })], volumes: [], classes: [immediate] };
    const events = settle(w);
    assert.equal(w.claims[0]!.metadata?.annotations?.['volume.kubernetes.io/storage-provisioner'], 'example.com/ext');
    assert.deepEqual(events.find((e) => e.object === 'b'), { on: 'claim', type: 'Warning', reason: 'ProvisioningFailed', message: 'storageclass.storage.k8s.io "gone" not found', object: 'b' });
  });

  it('reclaim: Retain → Released; Delete without a deleter → Failed; Recycle → Failed', () => {
    const w: World = { claims: [pvc('r'), pvc('d'), pvc('y')], volumes: [pv('pv-r', '1Gi'), pv('pv-d', '2Gi', { persistentVolumeReclaimPolicy: 'Delete' }), pv('pv-y', '3Gi', { persistentVolumeReclaimPolicy: 'Recycle' })], classes: [] };
    w.claims[0]!.spec!.volumeName = 'pv-r';
    w.claims[1]!.spec!.volumeName = 'pv-d';
    w.claims[2]!.spec!.volumeName = 'pv-y';
    settle(w);
    assert.deepEqual(w.volumes.map((v) => v.status?.phase), ['Bound', 'Bound', 'Bound']);
    w.claims = [];
    const events = settle(w);
    assert.deepEqual(w.volumes.map((v) => v.status?.phase), ['Released', 'Failed', 'Failed']);
    assert.equal(w.volumes[1]!.status?.message, msgNoDeleter('pv-d'));
    assert.deepEqual(events.map((e) => [e.object, e.reason]), [['pv-d', 'VolumeFailedDelete'], ['pv-y', 'VolumeFailedRecycle']]);
    // A new claim of the same name is another claim: the Released volume is not reused.
    w.claims = [pvc('r', {}, { uid: 'uid-new' })];
    settle(w);
    assert.equal(w.claims[0]!.status?.phase, 'Pending');
  });

  it('a bound claim whose volume vanished is Lost; two claims on one volume: the second is Misbound', () => {
    const bound = (name: string, volumeName: string) => pvc(name, { volumeName }, { annotations: { 'pv.kubernetes.io/bind-completed': 'yes' } });
    const w: World = { claims: [bound('lost', 'nope'), bound('one', 'pv1'), bound('two', 'pv1')], volumes: [pv('pv1', '1Gi', { claimRef: { namespace: 'ns', name: 'one', uid: 'uid-one' } })], classes: [] };
    const events = settle(w);
    assert.deepEqual(w.claims.map((c) => c.status?.phase), ['Lost', 'Bound', 'Lost']);
    assert.deepEqual(events.map((e) => [e.object, e.reason, e.message]), [
      ['lost', 'ClaimLost', 'Bound claim has lost its PersistentVolume. Data on the volume is lost!'],
      ['two', 'ClaimMisbound', 'Two claims are bound to the same volume, this one is bound incorrectly'],
    ]);
  });

  it('a controller-made binding to a claim bound elsewhere is undone; the volume is Available again', () => {
    const w: World = { claims: [pvc('c', { volumeName: 'other' }, { annotations: { 'pv.kubernetes.io/bind-completed': 'yes' } })], volumes: [pv('other', '1Gi'), pv('stale', '1Gi', { claimRef: { namespace: 'ns', name: 'c', uid: 'uid-c' } }, { annotations: { 'pv.kubernetes.io/bound-by-controller': 'yes' } })], classes: [] };
    settle(w);
    const stale = w.volumes[1]!;
    assert.equal(stale.spec?.claimRef, undefined);
    assert.equal(stale.status?.phase, 'Available');
    assert.equal(w.volumes[0]!.status?.phase, 'Bound');
  });
});

describe('unscheduledPodsOfClaim', () => {
  it('names the claim\'s pods that have no node yet', async () => {
    const { unscheduledPodsOfClaim } = await import('./persistentvolume-controller.js');
    const claim = pvc('data');
    const pod = (name: string, claimName: string, nodeName?: string, namespace = 'ns') => ({ metadata: { name, namespace }, spec: { nodeName, containers: [], volumes: [{ name: 'v', persistentVolumeClaim: { claimName } }] } });
    const eph = { metadata: { name: 'e', namespace: 'ns' }, spec: { containers: [], volumes: [{ name: 'data', ephemeral: {} }] } };
    assert.deepEqual(unscheduledPodsOfClaim([pod('b', 'data'), pod('a', 'data'), pod('c', 'data', 'n1'), pod('d', 'other'), pod('x', 'data', undefined, 'elsewhere')], claim), ['a', 'b']);
    assert.deepEqual(unscheduledPodsOfClaim([eph], pvc('e-data')), ['e']);
  });
});
