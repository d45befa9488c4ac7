/**
 * The PV controller's decisions, pure (after pkg/controller/volume/persistentvolume/pv_controller.go:
 * syncUnboundClaim, syncBoundClaim, syncVolume, bind, reclaimVolume, provisionClaim). Each call
 * returns the next single write and the events to record once it succeeds; the controller applies
 * it and syncs again on the informer event the write brings, so every step sees the last one.
 */
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import {
  annBetaStorageProvisioner,
  annBindCompleted,
  annBoundByController,
  annDynamicallyProvisioned,
  annSelectedNode,
  annStorageProvisioner,
  claimClass,
  claimHasClass,
  claimReference,
  findBestMatchForClaim,
  isVolumeBoundToClaim,
  volumeModeMismatches,
  volumeSatisfiesClaimError,
} from './matching.js';

export interface SyncEvent {
  on: 'claim' | 'volume';
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export type SyncWrite =
  | { kind: 'none' }
  | { kind: 'updateClaim'; pvc: PersistentVolumeClaim }
  | { kind: 'updateClaimStatus'; pvc: PersistentVolumeClaim }
  | { kind: 'updateVolume'; pv: PersistentVolume }
  | { kind: 'updateVolumeStatus'; pv: PersistentVolume }
  /** Mark the volume Released, once the claim's absence is confirmed against the API. */
  | { kind: 'releaseVolume'; pv: PersistentVolume }
  /** Sync the claim soon (the volume waits for the claim side of a binding). */
  | { kind: 'enqueueClaim'; namespace: string; name: string };

export interface SyncResult {
  write: SyncWrite;
  events: SyncEvent[];
  /** An invalid state to report as an error (the key is retried with backoff). */
  error?: string;
}

export interface ClaimSyncInput {
  claim: PersistentVolumeClaim;
  /** Every volume (the controller's cache). */
  volumes: readonly PersistentVolume[];
  storageClass(name: string): StorageClass | undefined;
  defaultClass: StorageClass | undefined;
  /** Names of the claim's pods not yet scheduled (WaitForPodScheduled's message). */
  unscheduledPods: readonly string[];
}

const clone = <T>(o: T): T => JSON.parse(JSON.stringify(o)) as T;
const none = (events: SyncEvent[] = []): SyncResult => ({ write: { kind: 'none' }, events });
const ev = (on: SyncEvent['on'], type: SyncEvent['type'], reason: string, message: string): SyncEvent => ({ on, type, reason, message });

export const msgNoClassNoVolume = 'no persistent volumes available for this claim and no storage class is set';
export const msgWaitForFirstConsumer = 'waiting for first consumer to be created before binding';

/** Upstream's message while an external provisioner is expected to act. */
export function externalProvisioningMessage(provisioner: string): string {
  return `Waiting for a volume to be created either by the external provisioner '${provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`;
}

/** IsDelayBindingMode: the claim's class exists and binds on first consumer. */
export function isDelayBinding(pvc: PersistentVolumeClaim, storageClass: (name: string) => StorageClass | undefined): boolean {
  const name = claimClass(pvc);
  if (!name) return false;
  return storageClass(name)?.volumeBindingMode === 'WaitForFirstConsumer';
}

/** The claim's status with a phase, and the volume's modes and capacity when bound to one. */
function claimStatusWrite(pvc: PersistentVolumeClaim, phase: string, pv: PersistentVolume | undefined): SyncWrite {
  const status = { ...(pvc.status ?? {}), phase };
  if (pv) {
    status.accessModes = pv.spec?.accessModes;
    status.capacity = pv.spec?.capacity?.storage !== undefined ? { storage: pv.spec.capacity.storage } : undefined;
  }
  if (JSON.stringify(status) === JSON.stringify(pvc.status ?? {})) return { kind: 'none' };
  return { kind: 'updateClaimStatus', pvc: { ...clone(pvc), status } };
}

function volumePhaseWrite(pv: PersistentVolume, phase: string, message?: string): SyncWrite {
  if (pv.status?.phase === phase && (message === undefined || pv.status?.message === message)) return { kind: 'none' };
  const status: NonNullable<PersistentVolume['status']> = { ...(pv.status ?? {}), phase };
  if (message !== undefined) status.message = message;
  else delete status.message;
  return { kind: 'updateVolumeStatus', pv: { ...clone(pv), status } };
}

/** bind: volume's claimRef, volume Bound, claim's volumeName and annotations, claim Bound; the first step still to do. */
export function bindStep(pv: PersistentVolume, pvc: PersistentVolumeClaim): SyncWrite {
  const ref = pv.spec?.claimRef;
  if (!ref || ref.name !== pvc.metadata?.name || ref.namespace !== pvc.metadata?.namespace || ref.uid !== pvc.metadata?.uid) {
    const updated = clone(pv);
    const byController = !isVolumeBoundToClaim(pv, pvc);
    updated.spec = { ...updated.spec, claimRef: claimReference(pvc) };
    if (byController) updated.metadata = { ...updated.metadata, annotations: { ...(updated.metadata?.annotations ?? {}), [annBoundByController]: 'yes' } };
    return { kind: 'updateVolume', pv: updated };
  }
  const phase = volumePhaseWrite(pv, 'Bound');
  if (phase.kind !== 'none') return phase;
  const ann = pvc.metadata?.annotations ?? {};
  if (pvc.spec?.volumeName !== pv.metadata?.name || !Object.hasOwn(ann, annBindCompleted)) {
    const updated = clone(pvc);
    const annotations = { ...ann };
    if (pvc.spec?.volumeName !== pv.metadata?.name) {
      updated.spec = { ...updated.spec, volumeName: pv.metadata?.name };
      if (!Object.hasOwn(annotations, annBoundByController)) annotations[annBoundByController] = 'yes';
    }
    if (!Object.hasOwn(annotations, annBindCompleted)) annotations[annBindCompleted] = 'yes';
    updated.metadata = { ...updated.metadata, annotations };
    return { kind: 'updateClaim', pvc: updated };
  }
  return claimStatusWrite(pvc, 'Bound', pv);
}

/** syncClaim: the next step for a claim. */
export function syncClaim(input: ClaimSyncInput): SyncResult {
  const { claim } = input;
  if (!Object.hasOwn(claim.metadata?.annotations ?? {}, annBindCompleted)) return syncUnboundClaim(input);
  return syncBoundClaim(input);
}

function syncUnboundClaim(input: ClaimSyncInput): SyncResult {
  const { claim, volumes } = input;
  const volumeName = claim.spec?.volumeName ?? '';
  if (!volumeName) {
    const delay = isDelayBinding(claim, input.storageClass);
    const pv = findBestMatchForClaim(claim, volumes, delay);
    if (pv) return { write: bindStep(pv, claim), events: [] };
    // Retroactive default StorageClass assignment: a claim that asked for no class gets the default.
    if (!claimHasClass(claim) && input.defaultClass?.metadata?.name) {
      const updated = clone(claim);
      updated.spec = { ...updated.spec, storageClassName: input.defaultClass.metadata.name };
      return { write: { kind: 'updateClaim', pvc: updated }, events: [] };
    }
    const className = claimClass(claim);
    const events: SyncEvent[] = [];
    if (delay && !Object.hasOwn(claim.metadata?.annotations ?? {}, annSelectedNode)) {
      const pods = input.unscheduledPods;
      if (pods.length === 0) events.push(ev('claim', 'Normal', 'WaitForFirstConsumer', msgWaitForFirstConsumer));
      else events.push(ev('claim', 'Normal', 'WaitForPodScheduled', pods.length > 1 ? `waiting for pods ${pods.join(',')} to be scheduled` : `waiting for pod ${pods[0]} to be scheduled`));
    } else if (className) {
      return provisionClaim(claim, className, input.storageClass(className));
    } else {
      events.push(ev('claim', 'Normal', 'FailedBinding', msgNoClassNoVolume));
    }
    return { write: claimStatusWrite(claim, 'Pending', undefined), events };
  }
  const pv = volumes.find((v) => v.metadata?.name === volumeName);
  if (!pv) return { write: claimStatusWrite(claim, 'Pending', undefined), events: [] };
  if (!pv.spec?.claimRef) {
    const why = volumeSatisfiesClaimError(pv, claim);
    if (why) return { write: claimStatusWrite(claim, 'Pending', undefined), events: [ev('claim', 'Warning', 'VolumeMismatch', `Cannot bind to requested volume "${volumeName}": ${why}`)] };
    return { write: bindStep(pv, claim), events: [] };
  }
  if (isVolumeBoundToClaim(pv, claim)) return { write: bindStep(pv, claim), events: [] };
  if (!Object.hasOwn(claim.metadata?.annotations ?? {}, annBoundByController)) {
    // The user asked for a volume that another claim holds: wait.
    return { write: claimStatusWrite(claim, 'Pending', undefined), events: [] };
  }
  const ref = pv.spec.claimRef;
  return { ...none(), error: `Invalid binding of claim "${claim.metadata?.namespace}/${claim.metadata?.name}" to volume "${volumeName}": volume already claimed by "${ref.namespace}/${ref.name}"` };
}

/** provisionClaim for an external provisioner: mark the claim for it and say so. */
function provisionClaim(claim: PersistentVolumeClaim, className: string, sc: StorageClass | undefined): SyncResult {
  if (!sc) return none([ev('claim', 'Warning', 'ProvisioningFailed', `storageclass.storage.k8s.io "${className}" not found`)]);
  const provisioner = sc.provisioner;
  if (provisioner.startsWith('kubernetes.io/')) return none([ev('claim', 'Warning', 'ProvisioningFailed', `no volume plugin matched name: ${provisioner}`)]);
  const events = [ev('claim', 'Normal', 'ExternalProvisioning', externalProvisioningMessage(provisioner))];
  const ann = claim.metadata?.annotations ?? {};
  if (ann[annStorageProvisioner] === provisioner && ann[annBetaStorageProvisioner] === provisioner) return none(events);
  const updated = clone(claim);
  updated.metadata = { ...updated.metadata, annotations: { ...ann, [annStorageProvisioner]: provisioner, [annBetaStorageProvisioner]: provisioner } };
  return { write: { kind: 'updateClaim', pvc: updated }, events };
}

function lost(claim: PersistentVolumeClaim, reason: string, message: string): SyncResult {
  const write = claimStatusWrite(claim, 'Lost', undefined);
  return { write, events: claim.status?.phase === 'Lost' ? [] : [ev('claim', 'Warning', reason, message)] };
}

function syncBoundClaim(input: ClaimSyncInput): SyncResult {
  const { claim } = input;
  const volumeName = claim.spec?.volumeName ?? '';
  if (!volumeName) return lost(claim, 'ClaimLost', 'Bound claim has lost reference to PersistentVolume. Data on the volume is lost!');
  const pv = input.volumes.find((v) => v.metadata?.name === volumeName);
  if (!pv) return lost(claim, 'ClaimLost', 'Bound claim has lost its PersistentVolume. Data on the volume is lost!');
  if (!pv.spec?.claimRef || isVolumeBoundToClaim(pv, claim)) return { write: bindStep(pv, claim), events: [] };
  return lost(claim, 'ClaimMisbound', 'Two claims are bound to the same volume, this one is bound incorrectly');
}

/**
 * syncVolume: the next step for a volume, given the claim its claimRef names (by namespace and
 * name; a claim with another UID counts as gone).
 */
export function syncVolume(pv: PersistentVolume, found: PersistentVolumeClaim | undefined): SyncResult {
  const ref = pv.spec?.claimRef;
  if (!ref || !ref.uid) return { write: volumePhaseWrite(pv, 'Available'), events: [] };
  const claim = found && found.metadata?.uid === ref.uid ? found : undefined;
  const phase = pv.status?.phase;
  if (!claim) {
    if (phase !== 'Released' && phase !== 'Failed') return { write: { kind: 'releaseVolume', pv: releasedCopy(pv) }, events: [] };
    return reclaimVolume(pv);
  }
  if (!claim.spec?.volumeName) {
    if (volumeModeMismatches(claim, pv)) {
      return none([
        ev('volume', 'Warning', 'VolumeMismatch', `Cannot bind PersistentVolume to requested PersistentVolumeClaim "${claim.metadata?.name}" due to incompatible volumeMode.`),
        ev('claim', 'Warning', 'VolumeMismatch', `Cannot bind PersistentVolume "${pv.metadata?.name}" to requested PersistentVolumeClaim due to incompatible volumeMode.`),
      ]);
    }
    // The claim side of the binding is still to do: the claim's sync completes it.
    return { write: { kind: 'enqueueClaim', namespace: claim.metadata?.namespace ?? '', name: claim.metadata?.name ?? '' }, events: [] };
  }
  if (claim.spec.volumeName === pv.metadata?.name) return { write: volumePhaseWrite(pv, 'Bound'), events: [] };
  // The claim is bound to another volume.
  const ann = pv.metadata?.annotations ?? {};
  if (Object.hasOwn(ann, annDynamicallyProvisioned) && pv.spec?.persistentVolumeReclaimPolicy === 'Delete') {
    if (phase !== 'Released' && phase !== 'Failed') return { write: volumePhaseWrite(pv, 'Released'), events: [] };
    return reclaimVolume(pv);
  }
  if (Object.hasOwn(ann, annBoundByController)) return { write: unbindVolume(pv), events: [] };
  return none();
}

function releasedCopy(pv: PersistentVolume): PersistentVolume {
  const w = volumePhaseWrite(pv, 'Released');
  return w.kind === 'updateVolumeStatus' ? w.pv : pv;
}

/** unbindVolume: drop a controller-made claimRef (a user's keeps its name, loses the UID). */
function unbindVolume(pv: PersistentVolume): SyncWrite {
  const updated = clone(pv);
  const ann = { ...(updated.metadata?.annotations ?? {}) };
  if (Object.hasOwn(ann, annBoundByController)) {
    delete updated.spec!.claimRef;
    delete ann[annBoundByController];
  } else {
    updated.spec!.claimRef = { ...updated.spec!.claimRef, uid: '' };
  }
  updated.metadata = { ...updated.metadata, annotations: ann };
  return { kind: 'updateVolume', pv: updated };
}

export const msgNoDeleter = (name: string): string => `error getting deleter volume plugin for volume "${name}": no deletable volume plugin matched`;
export const msgNoRecycler = 'No recycler plugin found for the volume!';

/**
 * reclaimVolume of a Released volume: Retain keeps it; Delete is left to the external provisioner
 * that made it (Capstan has no in-tree deleters), else the volume Fails; Recycle Fails likewise.
 */
export function reclaimVolume(pv: PersistentVolume): SyncResult {
  if (pv.status?.phase !== 'Released') return none();
  const policy = pv.spec?.persistentVolumeReclaimPolicy ?? 'Retain';
  if (policy === 'Retain') return none();
  if (policy === 'Delete') {
    const by = pv.metadata?.annotations?.[annDynamicallyProvisioned];
    if (by && !by.startsWith('kubernetes.io/')) return none();
    const message = msgNoDeleter(pv.metadata?.name ?? '');
    return { write: volumePhaseWrite(pv, 'Failed', message), events: [ev('volume', 'Warning', 'VolumeFailedDelete', message)] };
  }
  if (policy === 'Recycle') return { write: volumePhaseWrite(pv, 'Failed', msgNoRecycler), events: [ev('volume', 'Warning', 'VolumeFailedRecycle', msgNoRecycler)] };
  return { ...none(), error: `unknown PersistentVolume reclaim policy "${policy}"` };
}
