/**
 * Validation shared by the controllers that embed a pod template (pkg/apis/apps/validation and
 * pkg/apis/core/validation: ValidatePodTemplateSpecForReplicaSet, ValidatePodTemplateSpecForRC,
 * the replica-count status checks).
 */
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { type FieldError, FieldPath, forbidden, invalid, notSupported, required } from '../../field-errors.js';
import { labelSelectorAsSelector, type Selector } from '../../labels.js';
import { validateLabelSelector } from '../../validation/meta.js';
import { validatePodTemplateSpec } from './pod-spec-validation.js';
import { isDecremented, isObject, nonNegative } from './util.js';

export const selectorMismatchMsg = '`selector` does not match template `labels`';

const templateLabels = (t: PodTemplateSpec | undefined): Record<string, string> | undefined =>
  isObject(t) && isObject(t.metadata) ? (t.metadata.labels as Record<string, string> | undefined) : undefined;

/**
 * A required, non-empty LabelSelector (`spec.selector`), as Deployment, ReplicaSet and StatefulSet
 * check it. `emptyMsg` is the kind-specific wording ("empty selector is invalid for deployment").
 */
export function validateRequiredSelector(sel: LabelSelector | undefined, path: FieldPath, emptyMsg: string): FieldError[] {
  if (sel === undefined || sel === null) return [required(path)];
  const errs = validateLabelSelector(sel, path);
  if (Object.keys(sel.matchLabels ?? {}).length + (sel.matchExpressions ?? []).length === 0) errs.push(invalid(path, sel, emptyMsg));
  return errs;
}

/**
 * The selector a template must match: nil matches nothing, `{}` everything. `undefined` when the
 * selector does not convert (upstream then reports `invalidMsg` on the selector).
 */
export function selectorOf(sel: LabelSelector | undefined): Selector | undefined {
  const r = labelSelectorAsSelector(sel);
  return r.ok ? r.selector : undefined;
}

/**
 * ValidatePodTemplateSpecForReplicaSet / ForRC: labels match the selector, the pod template is
 * valid, restartPolicy is Always and activeDeadlineSeconds is unset.
 */
export function validateTemplateForReplicas(template: PodTemplateSpec | undefined, selector: Selector, kind: string, path: FieldPath): FieldError[] {
  if (!isObject(template)) return [required(path)];
  const errs: FieldError[] = [];
  const labels = templateLabels(template);
  if (!selector.empty() && !selector.matches(labels)) errs.push(invalid(path.child('metadata', 'labels'), labels ?? {}, selectorMismatchMsg));
  errs.push(...validatePodTemplateSpec(template, path));
  const spec = isObject(template.spec) ? template.spec : undefined;
  if (spec?.restartPolicy !== 'Always') errs.push(notSupported(path.child('spec', 'restartPolicy'), spec?.restartPolicy ?? '', ['Always']));
  if (spec?.activeDeadlineSeconds !== undefined && spec?.activeDeadlineSeconds !== null)
    errs.push(forbidden(path.child('spec', 'activeDeadlineSeconds'), `activeDeadlineSeconds in ${kind} is not Supported`));
  return errs;
}

/** The template-label/selector check alone (StatefulSet, DaemonSet, Job). */
export function templateMatches(template: PodTemplateSpec | undefined, selector: Selector | undefined, path: FieldPath): FieldError[] {
  if (!selector) return [];
  const labels = templateLabels(template);
  return selector.matches(labels) ? [] : [invalid(path, labels ?? {}, selectorMismatchMsg)];
}

/** Non-negative status counters, then `cannot be greater than` relations (ValidateReplicaSetStatus et al.). */
export function validateReplicaStatus(
  status: Record<string, unknown> | undefined,
  counters: readonly string[],
  path: FieldPath,
  availableVsReadyMsg = 'cannot be greater than readyReplicas',
): FieldError[] {
  const s = isObject(status) ? status : {};
  const num = (k: string): number => (typeof s[k] === 'number' ? (s[k] as number) : 0);
  const errs: FieldError[] = [];
  for (const k of counters) if (typeof s[k] === 'number') errs.push(...nonNegative(s[k] as number, path.child(k)));
  const msg = 'cannot be greater than status.replicas';
  for (const k of ['fullyLabeledReplicas', 'updatedReplicas', 'readyReplicas', 'currentReplicas', 'availableReplicas'])
    if (counters.includes(k) && num(k) > num('replicas')) errs.push(invalid(path.child(k), num(k), msg));
  if (counters.includes('availableReplicas') && num('availableReplicas') > num('readyReplicas'))
    errs.push(invalid(path.child('availableReplicas'), num('availableReplicas'), availableVsReadyMsg));
  return errs;
}

/** `status.collisionCount: cannot be decremented`. */
export function collisionCountDecrement(status: unknown, oldStatus: unknown): FieldError[] {
  const n = isObject(status) ? (status.collisionCount as number | undefined) : undefined;
  const o = isObject(oldStatus) ? (oldStatus.collisionCount as number | undefined) : undefined;
  return isDecremented(n, o) ? [invalid(FieldPath.root('status').child('collisionCount'), n ?? 0, 'cannot be decremented')] : [];
}
