/**
 * PersistentVolumeClaims: SetDefaults_PersistentVolumeClaim(Spec) (core/v1), the
 * persistentvolumeclaim registry strategy and ValidatePersistentVolumeClaim(Update) (core validation).
 */
import type { PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import { type FieldError, forbidden, invalid, notSupported, required } from '../../field-errors.js';
import { deepCopy, jsonEqual } from '../../object.js';
import { validateLabelSelector } from '../../validation/meta.js';
import { isDNS1123Subdomain } from '../../validation/names.js';
import { validateAccessModes, volumeModes } from './persistent-volume.js';
import { type ClusterStrategy, asRecord, immutable, positiveQuantity, quantityAt, root, validateResourceQuantityValue } from './util.js';

const betaClassAnnotation = 'volume.beta.kubernetes.io/storage-class';

type Spec = NonNullable<PersistentVolumeClaim['spec']>;

function validateDataSource(ds: { apiGroup?: string; kind?: string; name?: string; namespace?: string }, path: ReturnType<typeof root>): FieldError[] {
  const errs: FieldError[] = [];
  if (!ds.name) errs.push(required(path.child('name')));
  if (!ds.kind) errs.push(required(path.child('kind')));
  if (!ds.apiGroup && ds.kind !== 'PersistentVolumeClaim') errs.push(invalid(path, ds.kind ?? '', "must be 'PersistentVolumeClaim' when referencing the default apiGroup"));
  if (ds.apiGroup) for (const m of isDNS1123Subdomain(ds.apiGroup)) errs.push(invalid(path.child('apiGroup'), ds.apiGroup, m));
  return errs;
}

export function validateClaimSpec(spec: Spec, sp: ReturnType<typeof root>): FieldError[] {
  const errs: FieldError[] = [];
  const modes = spec.accessModes ?? [];
  if (!modes.length) errs.push(required(sp.child('accessModes'), 'at least 1 access mode is required'));
  if (spec.selector) errs.push(...validateLabelSelector(spec.selector, sp.child('selector')));
  errs.push(...validateAccessModes(modes, sp.child('accessModes')));
  const requests = asRecord(spec.resources?.requests);
  // Upstream's path quirk: `spec.resources[storage]`.
  const storagePath = sp.child('resources').key('storage');
  if (!('storage' in requests)) errs.push(required(storagePath));
  else {
    const q = quantityAt(requests.storage, storagePath, errs);
    if (q) {
      const pos = positiveQuantity(q, storagePath);
      errs.push(...(pos.length ? pos : validateResourceQuantityValue('storage', q, storagePath)));
    }
  }
  if (spec.storageClassName) for (const m of isDNS1123Subdomain(spec.storageClassName)) errs.push(invalid(sp.child('storageClassName'), spec.storageClassName, m));
  if (spec.volumeMode !== undefined && !volumeModes.includes(spec.volumeMode)) errs.push(notSupported(sp.child('volumeMode'), spec.volumeMode, volumeModes));
  if (spec.dataSource) errs.push(...validateDataSource(spec.dataSource, sp.child('dataSource')));
  if (spec.dataSourceRef) errs.push(...validateDataSource(spec.dataSourceRef, sp.child('dataSourceRef')));
  if (spec.dataSourceRef?.namespace) {
    if (spec.dataSource) errs.push(invalid(sp, 'spec.dataSource', 'may not be specified when dataSourceRef.namespace is specified'));
  } else if (spec.dataSource && spec.dataSourceRef) {
    const a = spec.dataSource;
    const b = spec.dataSourceRef;
    if ((a.apiGroup ?? null) !== (b.apiGroup ?? null) || a.kind !== b.kind || a.name !== b.name) errs.push(invalid(sp, 'spec.dataSource', 'must match dataSourceRef'));
  }
  return errs;
}

/** A short rendering of what changed, standing in for upstream's cmp.Diff text. */
function diffKeys(a: Record<string, unknown>, b: Record<string, unknown>): string {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !jsonEqual(a[k], b[k])).sort();
  return keys.map((k) => `  ${k}: ${JSON.stringify(a[k] ?? null)} -> ${JSON.stringify(b[k] ?? null)}`).join('\n');
}

export const persistentVolumeClaimStrategy: ClusterStrategy = {
  default(obj) {
    const pvc = obj as unknown as { spec?: Record<string, unknown> };
    pvc.spec ??= {};
    if (pvc.spec.volumeMode === undefined) pvc.spec.volumeMode = 'Filesystem';
  },
  prepareForCreate(obj) {
    (obj as { status?: unknown }).status = { phase: 'Pending' };
  },
  validate(obj) {
    const pvc = obj as unknown as PersistentVolumeClaim;
    return validateClaimSpec(pvc.spec ?? {}, root('spec'));
  },
  validateUpdate(obj, old) {
    const pvc = obj as unknown as PersistentVolumeClaim;
    const prev = old as unknown as PersistentVolumeClaim;
    const errs: FieldError[] = [];
    const newSpec = deepCopy((pvc.spec ?? {}) as Record<string, unknown>);
    const oldSpec = deepCopy((prev.spec ?? {}) as Record<string, unknown>);
    // The volume binder may set volumeName once.
    if (!oldSpec.volumeName) oldSpec.volumeName = newSpec.volumeName;
    const oldAnn = prev.metadata?.annotations ?? {};
    const newAnn = pvc.metadata?.annotations ?? {};
    const fromAnnotation =
      betaClassAnnotation in oldAnn && oldSpec.storageClassName === undefined && newSpec.storageClassName === oldAnn[betaClassAnnotation] &&
      (!(betaClassAnnotation in newAnn) || newAnn[betaClassAnnotation] === oldAnn[betaClassAnnotation]);
    if (fromAnnotation) delete newSpec.storageClassName;
    else {
      if ((newAnn[betaClassAnnotation] ?? '') !== (oldAnn[betaClassAnnotation] ?? ''))
        errs.push(invalid(root('metadata').child('annotations', betaClassAnnotation), newAnn[betaClassAnnotation] ?? '', 'field is immutable'));
      // A claim without a class may get one (if it matches a beta annotation, when present).
      if (newSpec.storageClassName !== undefined && oldSpec.storageClassName === undefined && (!(betaClassAnnotation in oldAnn) || oldAnn[betaClassAnnotation] === newSpec.storageClassName))
        newSpec.storageClassName = oldSpec.storageClassName;
    }
    const reqs = (s: Record<string, unknown>) => asRecord(asRecord(s.resources).requests);
    if (pvc.status?.phase === 'Bound' && newSpec.resources && asRecord(newSpec.resources).requests)
      reqs(newSpec).storage = reqs(oldSpec).storage;
    newSpec.volumeAttributesClassName = oldSpec.volumeAttributesClassName;
    if (!jsonEqual(newSpec, oldSpec))
      errs.push(forbidden(root('spec'), `spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n${diffKeys(oldSpec, newSpec)}`));
    const sizeErrs: FieldError[] = [];
    const oldSize = quantityAt(reqs((prev.spec ?? {}) as Record<string, unknown>).storage ?? '0', root('spec'), sizeErrs);
    const newSize = quantityAt(reqs((pvc.spec ?? {}) as Record<string, unknown>).storage ?? '0', root('spec'), sizeErrs);
    if (oldSize && newSize && newSize.cmp(oldSize) < 0) {
      // RecoverVolumeExpansionFailure is beta (on) in 1.32: shrinking is allowed down to just above status.capacity.
      const statusSize = quantityAt(asRecord(prev.status?.capacity).storage ?? '0', root('status'), sizeErrs);
      if (statusSize && newSize.cmp(statusSize) <= 0)
        errs.push(forbidden(root('spec').child('resources', 'requests', 'storage'), 'field can not be less than status.capacity'));
    }
    errs.push(...immutable(pvc.spec?.volumeMode, prev.spec?.volumeMode, root('volumeMode')));
    return errs;
  },
};
