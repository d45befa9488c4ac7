/**
 * The built-in local-path provisioner's decisions, pure: the default StorageClass, the
 * PersistentVolume made for a claim once the PV controller handed it to this provisioner
 * (`volume.kubernetes.io/storage-provisioner`) and the scheduler picked its node
 * (`volume.kubernetes.io/selected-node`), pre-bound to the claim so that the PV controller
 * completes the binding, and the deletion of volumes the PV controller released (reclaimPolicy
 * Delete). The split is upstream's between the PV controller and an external provisioner.
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
  /** Create the volume, pre-bound to the claim through claimRef; the PV controller completes the binding. */
  | { kind: 'createVolume'; pv: PersistentVolume };

/**
 * What to do for a claim (the external provisioner's shouldProvision, after
 * sig-storage-lib-external-provisioner): a claim the PV controller marked for this provisioner,
 * not bound yet, whose node the scheduler selected, gets a volume on that node, unless it has one.
 */
export function claimAction(pvc: PersistentVolumeClaim, pv: PersistentVolume | undefined, dataDir: string, reclaimPolicy = 'Delete'): ClaimAction {
  const ann = pvc.metadata?.annotations ?? {};
  if ((ann[annStorageProvisioner] ?? ann[annBetaStorageProvisioner]) !== localPathProvisionerName) return { kind: 'none', why: 'not for this provisioner' };
  if (pvc.metadata?.deletionTimestamp) return { kind: 'none', why: 'claim is being deleted' };
  if (pvc.spec?.volumeName) return { kind: 'none', why: 'claim is bound' };
  if (pv) return { kind: 'none', why: 'volume exists' };
  const node = ann[annSelectedNode];
  if (!node) return { kind: 'none', why: 'waiting for first consumer' };
  return { kind: 'createVolume', pv: newVolume(pvc, node, dataDir, reclaimPolicy) };
}

function newVolume(pvc: PersistentVolumeClaim, node: string, dataDir: string, reclaimPolicy: string): PersistentVolume {
  const name = volumeNameForClaim(pvc);
  const storage = pvc.spec?.resources?.requests?.storage ?? '0';
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, annotations: { [annDynamicallyProvisioned]: localPathProvisionerName } },
    spec: {
      capacity: { storage },
      accessModes: pvc.spec?.accessModes?.length ? pvc.spec.accessModes : ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: reclaimPolicy,
      storageClassName: claimClassName(pvc) ?? localPathStorageClassName,
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
 * Whether a volume of ours is to be deleted: the PV controller released it (its claim is gone)
 * and its reclaim policy is Delete (the library's shouldDelete).
 */
export function shouldDeleteVolume(pv: PersistentVolume): boolean {
  if (pv.metadata?.annotations?.[annDynamicallyProvisioned] !== localPathProvisionerName) return false;
  if (pv.spec?.persistentVolumeReclaimPolicy !== 'Delete') return false;
  if (pv.metadata?.deletionTimestamp) return false;
  return pv.status?.phase === 'Released';
}
