/**
 * The built-in local-path provisioner's decisions, pure: the default StorageClass, the
 * PersistentVolume made for a claim once the scheduler picked its node (the
 * `volume.kubernetes.io/selected-node` annotation of WaitForFirstConsumer binding), the binding
 * of both sides as the PV controller does it (pkg/controller/volume/persistentvolume,
 * bindVolumeToClaim / bindClaimToVolume), and the deletion of volumes whose claim is gone
 * (reclaimPolicy Delete).
 */
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';

/** Kept equal to the agent's copy in src/agent/volumes/local-path/names.ts. */
export const localPathProvisionerName = 'capstan.io/local-path';
export const localPathStorageClassName = 'local-path';

export const annSelectedNode = 'volume.kubernetes.io/selected-node';
export const annStorageProvisioner = 'volume.kubernetes.io/storage-provisioner';
export const annBetaStorageProvisioner = 'volume.beta.kubernetes.io/storage-provisioner';
export const annDynamicallyProvisioned = 'pv.kubernetes.io/provisioned-by';
export const annBindCompleted = 'pv.kubernetes.io/bind-completed';
export const annBoundByController = 'pv.kubernetes.io/bound-by-controller';
export const annDefaultClass = 'storageclass.kubernetes.io/is-default-class';

/** The StorageClass the provisioner serves, marked default. */
export function defaultStorageClass(): StorageClass {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: localPathStorageClassName, annotations: { [annDefaultClass]: 'true' } },
    provisioner: localPathProvisionerName,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'WaitForFirstConsumer',
  };
}

/** The PV name the PV controller gives a provisioned claim's volume. */
export function volumeNameForClaim(pvc: PersistentVolumeClaim): string {
  return `pvc-${pvc.metadata?.uid ?? ''}`;
}

/** A node's directory for a volume: `<dataDir>/local-path/<pv>`. */
export function volumePath(dataDir: string, pvName: string): string {
  return `${dataDir.replace(/\/+$/, '')}/local-path/${pvName}`;
}

export function claimClassName(pvc: PersistentVolumeClaim): string | undefined {
  return pvc.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? pvc.spec?.storageClassName;
}

export type ClaimAction =
  | { kind: 'none'; why: string }
  /** Create the volume (bound to the claim through claimRef); its status is set next. */
  | { kind: 'createVolume'; pv: PersistentVolume }
  /** Set the volume's status phase to Bound. */
  | { kind: 'volumeStatus'; pv: PersistentVolume }
  /** Point the claim at the volume (spec.volumeName and binding annotations). */
  | { kind: 'bindClaim'; pvc: PersistentVolumeClaim }
  /** Set the claim's status to Bound with the volume's capacity and access modes. */
  | { kind: 'claimStatus'; pvc: PersistentVolumeClaim };

const clone = <T>(o: T): T => JSON.parse(JSON.stringify(o)) as T;

/**
 * The next step for a claim, given the volume named for it (if any). One step per call: the
 * controller applies it and looks again, so every write sees the result of the previous one.
 */
export function claimAction(pvc: PersistentVolumeClaim, pv: PersistentVolume | undefined, dataDir: string): ClaimAction {
  if (claimClassName(pvc) !== localPathStorageClassName) return { kind: 'none', why: 'not our class' };
  if (pvc.metadata?.deletionTimestamp) return { kind: 'none', why: 'claim is being deleted' };
  const pvName = volumeNameForClaim(pvc);
  if (pvc.spec?.volumeName && pvc.spec.volumeName !== pvName) return { kind: 'none', why: 'bound to another volume' };
  if (!pv) {
    if (pvc.spec?.volumeName) return { kind: 'none', why: 'claim is Lost' };
    const node = pvc.metadata?.annotations?.[annSelectedNode];
    if (!node) return { kind: 'none', why: 'waiting for first consumer' };
    return { kind: 'createVolume', pv: newVolume(pvc, node, dataDir) };
  }
  if (pv.spec?.claimRef?.uid !== pvc.metadata?.uid) return { kind: 'none', why: 'volume belongs to another claim' };
  if (pv.status?.phase !== 'Bound') {
    return { kind: 'volumeStatus', pv: { ...clone(pv), status: { ...pv.status, phase: 'Bound' } } };
  }
  const ann = pvc.metadata?.annotations ?? {};
  if (pvc.spec?.volumeName !== pvName || ann[annBindCompleted] !== 'yes' || ann[annBoundByController] !== 'yes') {
    const updated = clone(pvc);
    updated.spec = { ...updated.spec, volumeName: pvName };
    updated.metadata = { ...updated.metadata, annotations: { ...ann, [annBindCompleted]: 'yes', [annBoundByController]: 'yes' } };
    return { kind: 'bindClaim', pvc: updated };
  }
  if (pvc.status?.phase !== 'Bound') {
    return { kind: 'claimStatus', pvc: { ...clone(pvc), status: { ...pvc.status, phase: 'Bound', accessModes: pv.spec?.accessModes, capacity: pv.spec?.capacity } } };
  }
  return { kind: 'none', why: 'bound' };
}

function newVolume(pvc: PersistentVolumeClaim, node: string, dataDir: string): PersistentVolume {
  const name = volumeNameForClaim(pvc);
  const storage = pvc.spec?.resources?.requests?.storage ?? '0';
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, annotations: { [annDynamicallyProvisioned]: localPathProvisionerName } },
    spec: {
      capacity: { storage },
      accessModes: pvc.spec?.accessModes?.length ? pvc.spec.accessModes : ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: localPathStorageClassName,
      volumeMode: pvc.spec?.volumeMode ?? 'Filesystem',
      local: { path: volumePath(dataDir, name) },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } },
      claimRef: {
        kind: 'PersistentVolumeClaim',
        apiVersion: 'v1',
        namespace: pvc.metadata?.namespace,
        name: pvc.metadata?.name,
        uid: pvc.metadata?.uid,
        resourceVersion: pvc.metadata?.resourceVersion,
      },
    },
  };
}

/**
 * Whether a volume of ours is to be deleted: its claim is gone (or replaced by a new one of the
 * same name) and its reclaim policy is Delete.
 */
export function shouldDeleteVolume(pv: PersistentVolume, claim: PersistentVolumeClaim | undefined): boolean {
  if (pv.metadata?.annotations?.[annDynamicallyProvisioned] !== localPathProvisionerName) return false;
  if (pv.spec?.persistentVolumeReclaimPolicy !== 'Delete') return false;
  if (pv.metadata?.deletionTimestamp) return false;
  const ref = pv.spec?.claimRef;
  if (!ref?.uid) return false;
  return !claim || claim.metadata?.uid !== ref.uid;
}
