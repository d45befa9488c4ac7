/**
 * apps/v1 DaemonSet strategy (pkg/registry/apps/daemonset/strategy.go; ValidateDaemonSetSpec in
 * pkg/apis/apps/validation). The internal templateGeneration travels in apps/v1 as the
 * `deprecated.daemonset.template.generation` annotation: 1 on create, bumped on template changes.
 */
import type { DaemonSet, DaemonSetUpdateStrategy } from 'kubernetes-types/apps/v1.js';
import { type FieldError, FieldPath, forbidden, invalid, notSupported, required } from '../../field-errors.js';
import type { ApiObject } from '../../object.js';
import { jsonEqual } from '../../object.js';
import type { ResourceStrategy } from '../../strategy.js';
import { validateLabelSelector } from '../../validation/meta.js';
import { defaultDaemonSet } from './apps-defaults.js';
import { collisionCountDecrement, selectorOf, templateMatches } from './controller-validation.js';
import { validatePodTemplateSpec } from './pod-spec-validation.js';
import { immutableField, intOrPercentValue, isObject, nonNegative, notMoreThan100Percent, root, validatePositiveIntOrPercent } from './util.js';

const asDs = (o: ApiObject): DaemonSet => o as unknown as DaemonSet;
export const templateGenerationAnnotation = 'deprecated.daemonset.template.generation';

function validateUpdateStrategy(s: DaemonSetUpdateStrategy | undefined, path: FieldPath): FieldError[] {
  const strategy = isObject(s) ? s : {};
  switch (strategy.type) {
    case 'OnDelete':
      return [];
    case 'RollingUpdate': {
      const ru = strategy.rollingUpdate;
      if (!isObject(ru)) return [required(path.child('rollingUpdate'))];
      const rp = path.child('rollingUpdate');
      const errs = [
        ...validatePositiveIntOrPercent(ru.maxUnavailable, rp.child('maxUnavailable')),
        ...validatePositiveIntOrPercent(ru.maxSurge, rp.child('maxSurge')),
        ...notMoreThan100Percent(ru.maxUnavailable, rp.child('maxUnavailable')),
        ...notMoreThan100Percent(ru.maxSurge, rp.child('maxSurge')),
      ];
      const hasUnavailable = intOrPercentValue(ru.maxUnavailable) !== 0;
      const hasSurge = intOrPercentValue(ru.maxSurge) !== 0;
      if (hasUnavailable && hasSurge) errs.push(invalid(rp.child('maxSurge'), ru.maxSurge, 'may not be set when maxUnavailable is non-zero'));
      else if (!hasUnavailable && !hasSurge) errs.push(required(rp.child('maxUnavailable'), 'cannot be 0 when maxSurge is 0'));
      return errs;
    }
    default:
      return [notSupported(path, strategy, ['RollingUpdate', 'OnDelete'])];
  }
}

/** ValidateDaemonSetSpec. */
export function validateDaemonSetSpec(ds: DaemonSet): FieldError[] {
  const spec = isObject(ds.spec) ? ds.spec : ({} as NonNullable<DaemonSet['spec']>);
  const path = root('spec');
  const errs = validateLabelSelector(spec.selector, path.child('selector'));
  errs.push(...templateMatches(spec.template, selectorOf(spec.selector), path.child('template', 'metadata', 'labels')));
  const sel = spec.selector;
  if (isObject(sel) && Object.keys(sel.matchLabels ?? {}).length + (sel.matchExpressions ?? []).length === 0)
    errs.push(invalid(path.child('selector'), sel, 'empty selector is invalid for daemonset'));
  errs.push(...validatePodTemplateSpec(spec.template, path.child('template')));
  const podSpec = isObject(spec.template) && isObject(spec.template.spec) ? spec.template.spec : undefined;
  if (podSpec?.restartPolicy !== 'Always') errs.push(notSupported(path.child('template', 'spec', 'restartPolicy'), podSpec?.restartPolicy ?? '', ['Always']));
  if (podSpec?.activeDeadlineSeconds !== undefined && podSpec?.activeDeadlineSeconds !== null)
    errs.push(forbidden(path.child('template', 'spec', 'activeDeadlineSeconds'), 'activeDeadlineSeconds in DaemonSet is not Supported'));
  errs.push(...nonNegative(spec.minReadySeconds, path.child('minReadySeconds')));
  errs.push(...validateUpdateStrategy(spec.updateStrategy, path.child('updateStrategy')));
  errs.push(...nonNegative(spec.revisionHistoryLimit, path.child('revisionHistoryLimit')));
  return errs;
}

function templateGeneration(obj: ApiObject): number {
  const n = Number.parseInt(obj.metadata.annotations?.[templateGenerationAnnotation] ?? '', 10);
  return Number.isNaN(n) ? 0 : n;
}

function setTemplateGeneration(obj: ApiObject, gen: number): void {
  obj.metadata.annotations = { ...(obj.metadata.annotations ?? {}), [templateGenerationAnnotation]: String(gen) };
}

const statusCounters = [
  'currentNumberScheduled', 'numberMisscheduled', 'desiredNumberScheduled', 'numberReady', 'observedGeneration',
  'updatedNumberScheduled', 'numberAvailable', 'numberUnavailable', 'collisionCount',
];

export const daemonSetStrategy: ResourceStrategy = {
  default: (obj) => defaultDaemonSet(asDs(obj)),
  prepareForCreate(obj) {
    obj.status = { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 };
    if (templateGeneration(obj) < 1) setTemplateGeneration(obj, 1);
  },
  prepareForUpdate(obj, old) {
    const oldGen = templateGeneration(old);
    const newGen = obj.metadata.annotations?.[templateGenerationAnnotation] === undefined ? oldGen : templateGeneration(obj);
    const changed = !jsonEqual(asDs(obj).spec?.template, asDs(old).spec?.template);
    setTemplateGeneration(obj, changed && newGen === oldGen ? oldGen + 1 : newGen);
  },
  validate: (obj) => validateDaemonSetSpec(asDs(obj)),
  validateUpdate: (obj, old) => immutableField(asDs(obj).spec?.selector, asDs(old).spec?.selector, root('spec').child('selector')),
  statusValidateUpdate(obj, old) {
    const s = isObject(obj.status) ? obj.status : {};
    const errs = statusCounters.flatMap((k) => nonNegative(s[k] as number | undefined, root('status').child(k)));
    return [...errs, ...collisionCountDecrement(obj.status, old.status)];
  },
};
