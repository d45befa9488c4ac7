/**
 * apps/v1 Deployment and ReplicaSet strategies (pkg/registry/apps/deployment/strategy.go,
 * pkg/registry/apps/replicaset/strategy.go; validation from pkg/apis/apps/validation).
 */
import type { Deployment, DeploymentStrategy, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { type FieldError, FieldPath, forbidden, invalid, notSupported, required } from '../../field-errors.js';
import type { ApiObject } from '../../object.js';
import type { ResourceStrategy } from '../../strategy.js';
import { defaultDeployment, defaultReplicaSet } from './apps-defaults.js';
import { collisionCountDecrement, selectorOf, validateReplicaStatus, validateRequiredSelector, validateTemplateForReplicas } from './controller-validation.js';
import { immutableField, intOrPercentValue, isObject, nonNegative, notMoreThan100Percent, root, validatePositiveIntOrPercent } from './util.js';

const asDeployment = (o: ApiObject): Deployment => o as unknown as Deployment;
const asReplicaSet = (o: ApiObject): ReplicaSet => o as unknown as ReplicaSet;

/** ValidateDeploymentStrategy with ValidateRollingUpdateDeployment. */
function validateDeploymentStrategy(s: DeploymentStrategy | undefined, path: FieldPath): FieldError[] {
  const strategy = isObject(s) ? s : {};
  switch (strategy.type) {
    case 'Recreate':
      return strategy.rollingUpdate ? [forbidden(path.child('rollingUpdate'), "may not be specified when strategy `type` is 'Recreate'")] : [];
    case 'RollingUpdate': {
      const ru = strategy.rollingUpdate;
      if (!isObject(ru)) return [required(path.child('rollingUpdate'), 'this should be defaulted and never be nil')];
      const rp = path.child('rollingUpdate');
      const errs = [
        ...validatePositiveIntOrPercent(ru.maxUnavailable, rp.child('maxUnavailable')),
        ...validatePositiveIntOrPercent(ru.maxSurge, rp.child('maxSurge')),
      ];
      if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0)
        errs.push(invalid(rp.child('maxUnavailable'), ru.maxUnavailable ?? 0, 'may not be 0 when `maxSurge` is 0'));
      errs.push(...notMoreThan100Percent(ru.maxUnavailable, rp.child('maxUnavailable')));
      return errs;
    }
    default:
      return [notSupported(path, strategy, ['Recreate', 'RollingUpdate'])];
  }
}

/** ValidateDeploymentSpec. */
export function validateDeploymentSpec(d: Deployment): FieldError[] {
  const spec = isObject(d.spec) ? d.spec : ({} as NonNullable<Deployment['spec']>);
  const path = root('spec');
  const errs = nonNegative(spec.replicas, path.child('replicas'));
  errs.push(...validateRequiredSelector(spec.selector, path.child('selector'), 'empty selector is invalid for deployment'));
  const sel = selectorOf(spec.selector);
  if (!sel) errs.push(invalid(path.child('selector'), spec.selector, 'invalid label selector'));
  else errs.push(...validateTemplateForReplicas(spec.template, sel, 'ReplicaSet', path.child('template')));
  errs.push(...validateDeploymentStrategy(spec.strategy, path.child('strategy')));
  errs.push(...nonNegative(spec.minReadySeconds, path.child('minReadySeconds')));
  errs.push(...nonNegative(spec.revisionHistoryLimit, path.child('revisionHistoryLimit')));
  const pds = spec.progressDeadlineSeconds;
  if (typeof pds === 'number') {
    errs.push(...nonNegative(pds, path.child('progressDeadlineSeconds')));
    if (pds <= (spec.minReadySeconds ?? 0)) errs.push(invalid(path.child('progressDeadlineSeconds'), pds, 'must be greater than minReadySeconds'));
  }
  return errs;
}

const resetStatus = (obj: ApiObject): void => {
  obj.status = {};
};

export const deploymentStrategy: ResourceStrategy = {
  default: (obj) => defaultDeployment(asDeployment(obj)),
  prepareForCreate: resetStatus,
  validate: (obj) => validateDeploymentSpec(asDeployment(obj)),
  /** apps/v1 selectors are immutable. */
  validateUpdate: (obj, old) => immutableField(asDeployment(obj).spec?.selector, asDeployment(old).spec?.selector, root('spec').child('selector')),
  statusValidateUpdate: (obj, old) => [
    ...validateReplicaStatus(
      obj.status as Record<string, unknown>,
      ['observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas', 'collisionCount'],
      root('status'),
    ),
    ...collisionCountDecrement(obj.status, old.status),
  ],
};

/** ValidateReplicaSetSpec. */
export function validateReplicaSetSpec(rs: ReplicaSet): FieldError[] {
  const spec = isObject(rs.spec) ? rs.spec : ({} as NonNullable<ReplicaSet['spec']>);
  const path = root('spec');
  const errs = nonNegative(spec.replicas, path.child('replicas'));
  errs.push(...nonNegative(spec.minReadySeconds, path.child('minReadySeconds')));
  // Upstream reuses the Deployment wording here.
  errs.push(...validateRequiredSelector(spec.selector, path.child('selector'), 'empty selector is invalid for deployment'));
  const sel = selectorOf(spec.selector);
  if (!sel) errs.push(invalid(path.child('selector'), spec.selector, 'invalid label selector'));
  else errs.push(...validateTemplateForReplicas(spec.template, sel, 'ReplicaSet', path.child('template')));
  return errs;
}

export const replicaSetStrategy: ResourceStrategy = {
  default: (obj) => defaultReplicaSet(asReplicaSet(obj)),
  /** ReplicaSetStatus.replicas has no omitempty, so a fresh status reads `{replicas: 0}`. */
  prepareForCreate(obj) {
    obj.status = { replicas: 0 };
  },
  validate: (obj) => validateReplicaSetSpec(asReplicaSet(obj)),
  validateUpdate: (obj, old) => immutableField(asReplicaSet(obj).spec?.selector, asReplicaSet(old).spec?.selector, root('spec').child('selector')),
  statusValidateUpdate: (obj) =>
    validateReplicaStatus(obj.status as Record<string, unknown>, ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration'], root('status')),
};
