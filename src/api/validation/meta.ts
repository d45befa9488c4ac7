/**
 * ObjectMeta, label and label-selector validation (apimachinery/pkg/api/validation/objectmeta.go and
 * apimachinery/pkg/apis/meta/v1/validation), shared by every strategy.
 */
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { type FieldError, FieldPath, forbidden, invalid, notSupported, required, tooLong } from '../field-errors.js';
import type { ApiObject, ObjectMeta } from '../object.js';
import { jsonEqual } from '../object.js';
import { isDNS1123Subdomain, isQualifiedName, isValidLabelValue, isValidPathSegmentName } from './names.js';

export type NameValidator = (name: string) => string[];

const totalAnnotationSizeLimit = 256 * 1024;

export function validateLabels(labels: Record<string, string> | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    for (const m of isQualifiedName(k)) errs.push(invalid(path, k, m));
    if (typeof v !== 'string') {
      errs.push(invalid(path.key(k), v, 'must be a string'));
      continue;
    }
    for (const m of isValidLabelValue(v)) errs.push(invalid(path.key(k), v, m));
  }
  return errs;
}

export function validateAnnotations(annotations: Record<string, string> | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    for (const m of isQualifiedName(k.toLowerCase())) errs.push(invalid(path, k, m));
    total += k.length + (typeof v === 'string' ? v.length : 0);
  }
  if (total > totalAnnotationSizeLimit) errs.push(tooLong(path, '', totalAnnotationSizeLimit));
  return errs;
}

export interface MetaValidationOptions {
  namespaced: boolean;
  nameValidator?: NameValidator;
}

/** ValidateObjectMeta: name/generateName, namespace scope, labels, annotations, finalizers, ownerReferences. */
export function validateObjectMeta(meta: ObjectMeta, opts: MetaValidationOptions, path = FieldPath.root('metadata')): FieldError[] {
  const errs: FieldError[] = [];
  const nameFn = opts.nameValidator ?? isDNS1123Subdomain;
  if (meta.generateName) {
    for (const m of nameFn(meta.generateName.replace(/-$/, '') || 'a')) errs.push(invalid(path.child('generateName'), meta.generateName, m));
  }
  if (!meta.name) errs.push(required(path.child('name'), 'name or generateName is required'));
  else {
    for (const m of nameFn(meta.name)) errs.push(invalid(path.child('name'), meta.name, m));
    for (const m of isValidPathSegmentName(meta.name)) errs.push(invalid(path.child('name'), meta.name, m));
  }
  if (opts.namespaced) {
    if (!meta.namespace) errs.push(required(path.child('namespace')));
  } else if (meta.namespace) {
    errs.push(forbidden(path.child('namespace'), 'not allowed on this type'));
  }
  if (meta.generation !== undefined && meta.generation < 0) errs.push(invalid(path.child('generation'), meta.generation, 'must be greater than or equal to 0'));
  errs.push(...validateLabels(meta.labels, path.child('labels')));
  errs.push(...validateAnnotations(meta.annotations, path.child('annotations')));
  errs.push(...validateFinalizers(meta.finalizers, path.child('finalizers')));
  (meta.ownerReferences ?? []).forEach((ref, i) => {
    const rp = path.child('ownerReferences').index(i);
    if (!ref.apiVersion) errs.push(invalid(rp.child('apiVersion'), ref.apiVersion ?? '', 'version must not be empty'));
    if (!ref.kind) errs.push(invalid(rp.child('kind'), ref.kind ?? '', 'kind must not be empty'));
    if (!ref.name) errs.push(invalid(rp.child('name'), ref.name ?? '', 'name must not be empty'));
    if (!ref.uid) errs.push(invalid(rp.child('uid'), ref.uid ?? '', 'uid must not be empty'));
  });
  const controllers = (meta.ownerReferences ?? []).filter((r) => r.controller);
  if (controllers.length > 1)
    errs.push(invalid(path.child('ownerReferences'), meta.ownerReferences, `Only one reference can have Controller set to true. Found "true" in references for ${controllers.map((c) => `${c.kind}/${c.name}`).join(' and ')}`));
  return errs;
}

export function validateFinalizers(finalizers: string[] | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  for (const f of finalizers ?? []) {
    for (const m of isQualifiedName(f)) errs.push(invalid(path, f, m));
    if (seen.has(f)) errs.push({ type: 'FieldValueDuplicate', field: path.toString(), value: f });
    seen.add(f);
  }
  return errs;
}

/** ValidateObjectMetaUpdate: immutable identity fields. */
export function validateObjectMetaUpdate(meta: ObjectMeta, old: ObjectMeta, path = FieldPath.root('metadata')): FieldError[] {
  const errs: FieldError[] = [];
  const immutable = (field: keyof ObjectMeta) => {
    if (!jsonEqual(meta[field] ?? undefined, old[field] ?? undefined)) errs.push(invalid(path.child(field), meta[field] ?? '', 'field is immutable'));
  };
  immutable('name');
  immutable('namespace');
  immutable('uid');
  immutable('creationTimestamp');
  if (old.deletionTimestamp && !meta.deletionTimestamp) errs.push(invalid(path.child('deletionTimestamp'), null, 'field is immutable; may only be changed via deletion'));
  if (old.deletionTimestamp) {
    const added = (meta.finalizers ?? []).filter((f) => !(old.finalizers ?? []).includes(f));
    if (added.length) errs.push(forbidden(path.child('finalizers'), `no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`));
  }
  return errs;
}

const selectorOps = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

/** ValidateLabelSelector (metav1validation). */
export function validateLabelSelector(sel: LabelSelector | undefined, path: FieldPath): FieldError[] {
  if (!sel) return [];
  const errs = validateLabels(sel.matchLabels, path.child('matchLabels'));
  (sel.matchExpressions ?? []).forEach((req, i) => {
    const rp = path.child('matchExpressions').index(i);
    if (!selectorOps.includes(req.operator)) errs.push(notSupported(rp.child('operator'), req.operator, selectorOps));
    const vals = req.values ?? [];
    if ((req.operator === 'In' || req.operator === 'NotIn') && vals.length === 0)
      errs.push(required(rp.child('values'), 'must be specified when `operator` is \'In\' or \'NotIn\''));
    if ((req.operator === 'Exists' || req.operator === 'DoesNotExist') && vals.length > 0)
      errs.push(forbidden(rp.child('values'), 'may not be specified when `operator` is \'Exists\' or \'DoesNotExist\''));
    for (const m of isQualifiedName(req.key ?? '')) errs.push(invalid(rp.child('key'), req.key, m));
    vals.forEach((v, j) => {
      for (const m of isValidLabelValue(v)) errs.push(invalid(rp.child('values').index(j), v, m));
    });
  });
  return errs;
}

/** Convenience for strategies: the metadata of an object as a typed view. */
export const metaOf = (obj: ApiObject): ObjectMeta => obj.metadata;
