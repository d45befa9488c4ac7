/**
 * What a PersistentVolumeClaim is charged against a ResourceQuota (upstream's PVC quota
 * evaluator, pkg/quota/v1/evaluator/core/persistent_volume_claims.go): `persistentvolumeclaims`
 * and `count/persistentvolumeclaims` (1 each), `requests.storage` (the request, or the allocated
 * size when a resize made it larger, in whole bytes), and the same two per StorageClass as
 * `<class>.storageclass.storage.k8s.io/persistentvolumeclaims` and `.../requests.storage`.
 * Creation and update are charged (a claim can grow). Quota scopes do not apply to claims (the
 * VolumeAttributesClass scope sits behind a feature gate that v1.32 leaves off).
 */
import type { PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import type { ApiObject } from '../object.js';
import { Quantity, parseQuantity } from '../quantity.js';
import { matchesNoScope, noConstraints, type QuotaEvaluator } from './evaluator.js';
import { objectCountName } from './object-count.js';
import type { ResourceList } from './resource-list.js';

const groupResource = { group: '', resource: 'persistentvolumeclaims' };
const countName = objectCountName(groupResource);
const claimResources = ['persistentvolumeclaims', 'requests.storage'];
/** `<class>` + this + a claim resource names that resource for one StorageClass. */
export const storageClassSuffix = '.storageclass.storage.k8s.io/';
const betaClassAnnotation = 'volume.beta.kubernetes.io/storage-class';

/** The claim's StorageClass: the beta annotation wins over spec.storageClassName (upstream GetPersistentVolumeClaimClass). */
export function claimClass(pvc: PersistentVolumeClaim): string {
  const ann = pvc.metadata?.annotations;
  if (ann && betaClassAnnotation in ann) return ann[betaClassAnnotation] ?? '';
  return pvc.spec?.storageClassName ?? '';
}

/** A storage size in whole bytes: a fractional value is rounded up, as quota validation wants integers. */
function wholeBytes(q: Quantity): Quantity {
  const whole = Quantity.fromInt(q.bigValue(), q.format);
  return whole.cmp(q) === 0 ? q : whole;
}

/** The storage the claim is charged: its request, or its allocated size when that is larger. */
function storageUsage(pvc: PersistentVolumeClaim): Quantity | undefined {
  const requested = pvc.spec?.resources?.requests?.storage;
  const req = requested === undefined ? undefined : parseQuantity(requested as string);
  if (!req) return undefined;
  const allocated = pvc.status?.allocatedResources?.storage;
  const alloc = allocated === undefined ? undefined : parseQuantity(allocated as string);
  return wholeBytes(alloc && alloc.cmp(req) > 0 ? alloc : req);
}

export function claimUsage(pvc: PersistentVolumeClaim): ResourceList {
  const out: ResourceList = new Map([
    ['persistentvolumeclaims', Quantity.fromInt(1)],
    [countName, Quantity.fromInt(1)],
  ]);
  const cls = claimClass(pvc);
  if (cls) out.set(`${cls}${storageClassSuffix}persistentvolumeclaims`, Quantity.fromInt(1));
  const storage = storageUsage(pvc);
  if (storage) {
    out.set('requests.storage', storage);
    if (cls) out.set(`${cls}${storageClassSuffix}requests.storage`, storage);
  }
  return out;
}

function matchingResources(names: Iterable<string>): string[] {
  const match = (n: string) => n === countName || claimResources.includes(n) || claimResources.some((r) => n.endsWith(`${storageClassSuffix}${r}`));
  return [...new Set([...names].filter(match))].sort();
}

export const pvcEvaluator: QuotaEvaluator = {
  groupResource,
  handles: (op) => op === 'CREATE' || op === 'UPDATE',
  matchingResources,
  matchesScope: matchesNoScope,
  constraints: noConstraints,
  usage: (obj: ApiObject) => claimUsage(obj as unknown as PersistentVolumeClaim),
};
