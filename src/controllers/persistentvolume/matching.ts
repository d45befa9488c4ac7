/**
 * Matching PersistentVolumes to PersistentVolumeClaims, pure (after
 * pkg/controller/volume/persistentvolume/index.go and
 * pkg/volume/util FindMatchingVolume / CheckAccessModes / CheckVolumeModeMismatches and
 * component-helpers/storage/volume). Shared by the PV controller (no node) and the scheduler's
 * VolumeBinding plugin (a node, through `nodeFits`).
 */
import type { ObjectReference, PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { selectorFromLabelSelector } from '../../api/labels.js';
import { type Quantity, parseQuantity } from '../../api/quantity.js';

export const annBindCompleted = 'pv.kubernetes.io/bind-completed';
export const annBoundByController = 'pv.kubernetes.io/bound-by-controller';
export const annSelectedNode = 'volume.kubernetes.io/selected-node';
export const annStorageProvisioner = 'volume.kubernetes.io/storage-provisioner';
export const annBetaStorageProvisioner = 'volume.beta.kubernetes.io/storage-provisioner';
export const annDynamicallyProvisioned = 'pv.kubernetes.io/provisioned-by';
export const annBetaStorageClass = 'volume.beta.kubernetes.io/storage-class';
export const annDefaultClass = 'storageclass.kubernetes.io/is-default-class';
export const annBetaDefaultClass = 'storageclass.beta.kubernetes.io/is-default-class';

/** GetPersistentVolumeClaimClass: the beta annotation wins over spec.storageClassName; "" for none. */
export function claimClass(pvc: PersistentVolumeClaim): string {
  return pvc.metadata?.annotations?.[annBetaStorageClass] ?? pvc.spec?.storageClassName ?? '';
}

/** PersistentVolumeClaimHasClass: a class was asked for, even the empty one. */
export function claimHasClass(pvc: PersistentVolumeClaim): boolean {
  return Object.hasOwn(pvc.metadata?.annotations ?? {}, annBetaStorageClass) || pvc.spec?.storageClassName != null;
}

/** GetPersistentVolumeClass. */
export function volumeClass(pv: PersistentVolume): string {
  return pv.metadata?.annotations?.[annBetaStorageClass] ?? pv.spec?.storageClassName ?? '';
}

export function isDefaultClass(sc: StorageClass): boolean {
  const a = sc.metadata?.annotations ?? {};
  return a[annDefaultClass] === 'true' || a[annBetaDefaultClass] === 'true';
}

/** GetDefaultClass: among the classes marked default, the newest (then the name) wins. */
export function defaultClass(classes: readonly StorageClass[]): StorageClass | undefined {
  const defaults = classes.filter(isDefaultClass);
  defaults.sort((a, b) => {
    const ta = a.metadata?.creationTimestamp ?? '';
    const tb = b.metadata?.creationTimestamp ?? '';
    if (ta !== tb) return ta > tb ? -1 : 1;
    return (a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1;
  });
  return defaults[0];
}

const zero = parseQuantity('0')!;
const storageOf = (r: Record<string, unknown> | undefined): Quantity => {
  const v = r?.storage;
  return (typeof v === 'string' || typeof v === 'number' ? parseQuantity(v) : undefined) ?? zero;
};
export const requestedStorage = (pvc: PersistentVolumeClaim): Quantity => storageOf(pvc.spec?.resources?.requests);
export const volumeStorage = (pv: PersistentVolume): Quantity => storageOf(pv.spec?.capacity);

/** The reference a volume keeps to its claim (GetReference). */
export function claimReference(pvc: PersistentVolumeClaim): ObjectReference {
  return {
    kind: 'PersistentVolumeClaim',
    apiVersion: 'v1',
    namespace: pvc.metadata?.namespace,
    name: pvc.metadata?.name,
    uid: pvc.metadata?.uid,
    resourceVersion: pvc.metadata?.resourceVersion,
  };
}

/** IsVolumeBoundToClaim: the claimRef names the claim (and its UID, when the ref has one). */
export function isVolumeBoundToClaim(pv: PersistentVolume, pvc: PersistentVolumeClaim): boolean {
  const ref = pv.spec?.claimRef;
  if (!ref) return false;
  if (ref.name !== pvc.metadata?.name || (ref.namespace ?? '') !== (pvc.metadata?.namespace ?? '')) return false;
  return !ref.uid || ref.uid === pvc.metadata?.uid;
}

/** CheckVolumeModeMismatches: an unset mode means Filesystem on both sides. */
export function volumeModeMismatches(pvc: PersistentVolumeClaim, pv: PersistentVolume): boolean {
  return (pvc.spec?.volumeMode ?? 'Filesystem') !== (pv.spec?.volumeMode ?? 'Filesystem');
}

/** CheckAccessModes: the volume offers every mode the claim asks for. */
export function accessModesSatisfied(pvc: PersistentVolumeClaim, pv: PersistentVolume): boolean {
  const offered = new Set(pv.spec?.accessModes ?? []);
  return (pvc.spec?.accessModes ?? []).every((m) => offered.has(m));
}

export interface MatchOptions {
  /** The claim's class binds on first consumer: the PV controller leaves such claims alone. */
  delayBinding: boolean;
  /** Scheduler path: the node's verdict on a volume's node affinity; also turns on the access mode check. */
  nodeFits?: (pv: PersistentVolume) => boolean;
  /** Volumes already chosen for other claims of the same pod. */
  excluded?: ReadonlySet<string>;
}

/**
 * FindMatchingVolume: a volume pre-bound to the claim wins outright; otherwise the smallest
 * Available volume of the claim's class whose capacity, volume mode, selector (and, for the
 * scheduler, node affinity and access modes) fit.
 */
export function findMatchingVolume(pvc: PersistentVolumeClaim, volumes: readonly PersistentVolume[], opts: MatchOptions): PersistentVolume | undefined {
  const requested = requestedStorage(pvc);
  const requestedClass = claimClass(pvc);
  const selector = pvc.spec?.selector ? selectorFromLabelSelector(pvc.spec.selector) : undefined;
  let smallest: PersistentVolume | undefined;
  let smallestQty: Quantity | undefined;
  for (const pv of volumes) {
    if (opts.excluded?.has(pv.metadata?.name ?? '')) continue;
    if (pv.spec?.claimRef && !isVolumeBoundToClaim(pv, pvc)) continue;
    const qty = volumeStorage(pv);
    if (qty.cmp(requested) < 0) continue;
    if (volumeModeMismatches(pvc, pv)) continue;
    if (pv.metadata?.deletionTimestamp) continue;
    const nodeOk = opts.nodeFits ? opts.nodeFits(pv) : true;
    if (isVolumeBoundToClaim(pv, pvc)) return nodeOk ? pv : undefined;
    if (!opts.nodeFits && opts.delayBinding) continue;
    if (pv.status?.phase !== 'Available') continue;
    if (selector && !selector.matches(pv.metadata?.labels ?? {})) continue;
    if (volumeClass(pv) !== requestedClass) continue;
    if (!nodeOk) continue;
    if (opts.nodeFits && !accessModesSatisfied(pvc, pv)) continue;
    if (!smallestQty || smallestQty.cmp(qty) > 0) {
      smallest = pv;
      smallestQty = qty;
    }
  }
  return smallest;
}

/**
 * The PV controller's findBestMatchForClaim: volumes are grouped by their set of access modes;
 * the groups offering every requested mode are tried from the fewest modes up, and the first
 * group with a match decides.
 */
export function findBestMatchForClaim(pvc: PersistentVolumeClaim, volumes: readonly PersistentVolume[], delayBinding: boolean): PersistentVolume | undefined {
  const groups = new Map<string, { modes: Set<string>; volumes: PersistentVolume[] }>();
  for (const pv of volumes) {
    const modes = [...new Set(pv.spec?.accessModes ?? [])].sort();
    const key = modes.join(',');
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { modes: new Set(modes), volumes: [] }));
    g.volumes.push(pv);
  }
  const wanted = pvc.spec?.accessModes ?? [];
  const candidates = [...groups.values()].filter((g) => wanted.every((m) => g.modes.has(m))).sort((a, b) => a.modes.size - b.modes.size);
  for (const g of candidates) {
    const pv = findMatchingVolume(pvc, g.volumes, { delayBinding });
    if (pv) return pv;
  }
  return undefined;
}

/** checkVolumeSatisfyClaim: why a requested volume cannot serve the claim, or undefined. */
export function volumeSatisfiesClaimError(pv: PersistentVolume, pvc: PersistentVolumeClaim): string | undefined {
  if (pv.metadata?.deletionTimestamp) return `the volume is marked for deletion "${pv.metadata.name}"`;
  if (volumeStorage(pv).cmp(requestedStorage(pvc)) < 0) return 'requested PV is too small';
  if (volumeClass(pv) !== claimClass(pvc)) return 'storageClassName does not match';
  if (volumeModeMismatches(pvc, pv)) return 'incompatible volumeMode';
  if (!accessModesSatisfied(pvc, pv)) return 'incompatible accessMode';
  return undefined;
}
