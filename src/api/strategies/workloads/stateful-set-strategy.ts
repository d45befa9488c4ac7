/**
 * apps/v1 StatefulSet strategy (pkg/registry/apps/statefulset/strategy.go; ValidateStatefulSetSpec
 * and ValidateStatefulSetUpdate in pkg/apis/apps/validation). As upstream, the pod template's spec
 * is not validated here (its volumes may be claim templates): pod creation reports such errors.
 */
import type { StatefulSet } from 'kubernetes-types/apps/v1.js';
import { type FieldError, FieldPath, forbidden, invalid, notSupported, required } from '../../field-errors.js';
import type { ApiObject } from '../../object.js';
import { deepCopy, jsonEqual } from '../../object.js';
import type { ResourceStrategy } from '../../strategy.js';
import { validateAnnotations, validateLabels } from '../../validation/meta.js';
import { isDNS1123Label } from '../../validation/names.js';
import { defaultStatefulSet } from './apps-defaults.js';
import { collisionCountDecrement, selectorOf, templateMatches, validateReplicaStatus, validateRequiredSelector } from './controller-validation.js';
import { intOrPercentValue, isObject, nonNegative, notMoreThan100Percent, root, validatePositiveIntOrPercent } from './util.js';

const asSts = (o: ApiObject): StatefulSet => o as unknown as StatefulSet;
const retentionPolicies = ['Retain', 'Delete'];

export function validateStatefulSetSpec(sts: StatefulSet): FieldError[] {
  const spec = isObject(sts.spec) ? sts.spec : ({} as NonNullable<StatefulSet['spec']>);
  const path = root('spec');
  const errs: FieldError[] = [];
  const pmp = spec.podManagementPolicy;
  if (!pmp) errs.push(required(path.child('podManagementPolicy')));
  else if (pmp !== 'OrderedReady' && pmp !== 'Parallel') errs.push(invalid(path.child('podManagementPolicy'), pmp, "must be 'OrderedReady' or 'Parallel'"));
  const us = isObject(spec.updateStrategy) ? spec.updateStrategy : {};
  const usPath = path.child('updateStrategy');
  switch (us.type ?? '') {
    case '':
      errs.push(required(usPath));
      break;
    case 'OnDelete':
      if (us.rollingUpdate) errs.push(invalid(usPath.child('rollingUpdate'), us.rollingUpdate, "only allowed for updateStrategy 'RollingUpdate'"));
      break;
    case 'RollingUpdate':
      if (isObject(us.rollingUpdate)) {
        const rp = usPath.child('rollingUpdate');
        errs.push(...nonNegative(us.rollingUpdate.partition, rp.child('partition')));
        const mu = us.rollingUpdate.maxUnavailable;
        if (mu !== undefined && mu !== null) {
          errs.push(...validatePositiveIntOrPercent(mu, rp.child('maxUnavailable')));
          if (intOrPercentValue(mu) === 0) errs.push(invalid(rp.child('maxUnavailable'), mu, 'cannot be 0'));
          errs.push(...notMoreThan100Percent(mu, rp.child('maxUnavailable')));
        }
      }
      break;
    default:
      errs.push(invalid(usPath, us, "must be 'RollingUpdate' or 'OnDelete'"));
  }
  const retention = spec.persistentVolumeClaimRetentionPolicy;
  if (isObject(retention)) {
    const rp = path.child('persistentVolumeClaimRetentionPolicy');
    for (const f of ['whenDeleted', 'whenScaled'] as const)
      if (!retentionPolicies.includes(retention[f] ?? '')) errs.push(notSupported(rp.child(f), retention[f] ?? '', retentionPolicies));
  }
  errs.push(...nonNegative(spec.replicas, path.child('replicas')));
  errs.push(...nonNegative(spec.minReadySeconds, path.child('minReadySeconds')));
  if (isObject(spec.ordinals)) errs.push(...nonNegative(spec.ordinals.start, path.child('ordinals.start')));
  errs.push(...validateRequiredSelector(spec.selector, path.child('selector'), 'empty selector is invalid for statefulset'));
  const sel = selectorOf(spec.selector);
  const tp = path.child('template');
  if (!sel) errs.push(invalid(path.child('selector'), spec.selector, ''));
  else if (!isObject(spec.template)) errs.push(required(tp));
  else {
    if (!sel.empty()) errs.push(...templateMatches(spec.template, sel, tp.child('metadata', 'labels')));
    const meta = isObject(spec.template.metadata) ? spec.template.metadata : {};
    errs.push(...validateLabels(meta.labels, tp.child('labels')));
    errs.push(...validateAnnotations(meta.annotations, tp.child('annotations')));
  }
  const podSpec = isObject(spec.template) && isObject(spec.template.spec) ? spec.template.spec : undefined;
  if (podSpec?.restartPolicy !== 'Always') errs.push(notSupported(tp.child('spec', 'restartPolicy'), podSpec?.restartPolicy ?? '', ['Always']));
  if (podSpec?.activeDeadlineSeconds !== undefined && podSpec?.activeDeadlineSeconds !== null)
    errs.push(forbidden(tp.child('spec', 'activeDeadlineSeconds'), 'activeDeadlineSeconds in StatefulSet is not Supported'));
  return errs;
}

export const statefulSetUpdateForbiddenMessage =
  "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";

/** ValidateStatefulSetUpdate: only the listed spec fields may change. */
export function validateStatefulSetUpdate(sts: StatefulSet, old: StatefulSet): FieldError[] {
  const next = deepCopy(isObject(sts.spec) ? sts.spec : {}) as Record<string, unknown>;
  const prev = isObject(old.spec) ? (old.spec as unknown as Record<string, unknown>) : {};
  for (const f of ['replicas', 'template', 'updateStrategy', 'minReadySeconds', 'ordinals', 'persistentVolumeClaimRetentionPolicy']) {
    if (prev[f] === undefined) delete next[f];
    else next[f] = prev[f];
  }
  return jsonEqual(next, prev) ? [] : [forbidden(FieldPath.root('spec'), statefulSetUpdateForbiddenMessage)];
}

/**
 * StatefulSet names become pod hostnames, so they must be DNS-1123 labels (ValidateStatefulSetName);
 * the generic store uses this in place of its DNS-subdomain default.
 */
export const statefulSetNameValidator = (name: string): string[] => isDNS1123Label(name);

export const statefulSetStrategy: ResourceStrategy & { nameValidator: (name: string) => string[] } = {
  nameValidator: statefulSetNameValidator,
  default: (obj) => defaultStatefulSet(asSts(obj)),
  prepareForCreate(obj) {
    obj.status = { replicas: 0, availableReplicas: 0 };
  },
  validate: (obj) => validateStatefulSetSpec(asSts(obj)),
  validateUpdate: (obj, old) => validateStatefulSetUpdate(asSts(obj), asSts(old)),
  statusValidateUpdate: (obj, old) => [
    ...validateReplicaStatus(
      obj.status as Record<string, unknown>,
      ['replicas', 'readyReplicas', 'currentReplicas', 'updatedReplicas', 'availableReplicas', 'observedGeneration', 'collisionCount'],
      root('status'),
      'cannot be greater than status.readyReplicas',
    ),
    ...collisionCountDecrement(obj.status, old.status),
  ],
};
