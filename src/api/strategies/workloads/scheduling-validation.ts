/**
 * Scheduling-related pod spec validation (pkg/apis/core/validation/validation.go:
 * ValidateTolerations, validateAffinity, ValidateNodeSelector, validatePodAffinityTerm,
 * validateTopologySpreadConstraints).
 */
import type { Affinity, NodeSelector, NodeSelectorTerm, PodAffinityTerm, Toleration, TopologySpreadConstraint } from 'kubernetes-types/core/v1.js';
import { duplicate, type FieldError, FieldPath, forbidden, invalid, notSupported, required } from '../../field-errors.js';
import { validateLabelSelector } from '../../validation/meta.js';
import { isValidLabelValue } from '../../validation/names.js';
import { dns1123LabelErrors, isObject, qualifiedNameErrors } from './util.js';

const taintEffects = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** ValidateTolerations. */
export function validateTolerations(tolerations: Toleration[] | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  (tolerations ?? []).forEach((t, i) => {
    const p = path.index(i);
    if (!isObject(t)) return;
    if (t.key) errs.push(...qualifiedNameErrors(t.key, p.child('key')));
    if (!t.key && t.operator !== 'Exists')
      errs.push(invalid(p.child('operator'), t.operator ?? '', 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null && t.effect !== 'NoExecute')
      errs.push(invalid(p.child('effect'), t.effect ?? '', "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    switch (t.operator ?? '') {
      case 'Equal':
      case '': {
        const msgs = isValidLabelValue(t.value ?? '');
        if (msgs.length) errs.push(invalid(p.child('operator'), t.value, msgs.join(';')));
        break;
      }
      case 'Exists':
        if (t.value) errs.push(invalid(p.child('operator'), t, "value must be empty when `operator` is 'Exists'"));
        break;
      default:
        errs.push(notSupported(p.child('operator'), t.operator, ['Equal', 'Exists']));
    }
    if (t.effect && !taintEffects.includes(t.effect)) errs.push(notSupported(p.child('effect'), t.effect, taintEffects));
  });
  return errs;
}

const nodeSelectorOps = ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'];

function validateNodeSelectorRequirement(rq: Record<string, unknown>, path: FieldPath, fieldSelector: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const values = Array.isArray(rq.values) ? rq.values : [];
  switch (rq.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) errs.push(required(path.child('values'), "must be specified when `operator` is 'In' or 'NotIn'"));
      if (fieldSelector && values.length !== 1) errs.push(required(path.child('values'), 'must be only one value when `operator` is \'In\' or \'NotIn\' for node field selector'));
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (fieldSelector) errs.push(invalid(path.child('operator'), rq.operator, 'not a valid selector operator'));
      else if (values.length > 0) errs.push(forbidden(path.child('values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    case 'Gt':
    case 'Lt':
      if (fieldSelector) errs.push(invalid(path.child('operator'), rq.operator, 'not a valid selector operator'));
      else if (values.length !== 1) errs.push(required(path.child('values'), "must be specified single value when `operator` is 'Lt' or 'Gt'"));
      break;
    default:
      errs.push(notSupported(path.child('operator'), rq.operator ?? '', fieldSelector ? ['In', 'NotIn'] : nodeSelectorOps));
  }
  if (fieldSelector) {
    if (rq.key !== 'metadata.name') errs.push(invalid(path.child('key'), rq.key ?? '', 'not a valid field selector key'));
  } else errs.push(...qualifiedNameErrors((rq.key as string) ?? '', path.child('key')));
  return errs;
}

function validateNodeSelectorTerm(term: NodeSelectorTerm | undefined, path: FieldPath): FieldError[] {
  if (!isObject(term)) return [];
  const errs: FieldError[] = [];
  (term.matchExpressions ?? []).forEach((r, j) => {
    if (isObject(r)) errs.push(...validateNodeSelectorRequirement(r as unknown as Record<string, unknown>, path.child('matchExpressions').index(j), false));
  });
  (term.matchFields ?? []).forEach((r, j) => {
    if (isObject(r)) errs.push(...validateNodeSelectorRequirement(r as unknown as Record<string, unknown>, path.child('matchFields').index(j), true));
  });
  return errs;
}

/** ValidateNodeSelector: at least one term. */
function validateNodeSelector(ns: NodeSelector, path: FieldPath): FieldError[] {
  const termsPath = path.child('nodeSelectorTerms');
  if (!Array.isArray(ns.nodeSelectorTerms) || ns.nodeSelectorTerms.length === 0) return [required(termsPath, 'must have at least one node selector term')];
  return ns.nodeSelectorTerms.flatMap((t, i) => validateNodeSelectorTerm(t, termsPath.index(i)));
}

const weightError = 'must be in the range 1-100';

function validatePodAffinityTerm(term: PodAffinityTerm, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  errs.push(...validateLabelSelector(term.labelSelector, path.child('labelSelector')));
  errs.push(...validateLabelSelector(term.namespaceSelector, path.child('namespaceSelector')));
  for (const ns of term.namespaces ?? []) errs.push(...dns1123LabelErrors(ns, path.child('namespace')));
  if (!term.topologyKey) errs.push(required(path.child('topologyKey'), 'can not be empty'));
  errs.push(...qualifiedNameErrors(term.topologyKey ?? '', path.child('topologyKey')));
  return errs;
}

function validatePodAffinityKind(a: Record<string, unknown>, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const req = a.requiredDuringSchedulingIgnoredDuringExecution;
  (Array.isArray(req) ? req : []).forEach((t, i) => {
    if (isObject(t)) errs.push(...validatePodAffinityTerm(t as unknown as PodAffinityTerm, path.child('requiredDuringSchedulingIgnoredDuringExecution').index(i)));
  });
  const pref = a.preferredDuringSchedulingIgnoredDuringExecution;
  (Array.isArray(pref) ? pref : []).forEach((w, i) => {
    if (!isObject(w)) return;
    const p = path.child('preferredDuringSchedulingIgnoredDuringExecution').index(i);
    const weight = w.weight as number;
    if (!(weight >= 1 && weight <= 100)) errs.push(invalid(p.child('weight'), weight ?? 0, weightError));
    if (isObject(w.podAffinityTerm)) errs.push(...validatePodAffinityTerm(w.podAffinityTerm as unknown as PodAffinityTerm, p.child('podAffinityTerm')));
  });
  return errs;
}

/** validateAffinity. */
export function validateAffinity(affinity: Affinity | undefined, path: FieldPath): FieldError[] {
  if (!isObject(affinity)) return [];
  const errs: FieldError[] = [];
  const na = affinity.nodeAffinity;
  if (isObject(na)) {
    const np = path.child('nodeAffinity');
    if (isObject(na.requiredDuringSchedulingIgnoredDuringExecution))
      errs.push(...validateNodeSelector(na.requiredDuringSchedulingIgnoredDuringExecution, np.child('requiredDuringSchedulingIgnoredDuringExecution')));
    (na.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t, i) => {
      if (!isObject(t)) return;
      const p = np.child('preferredDuringSchedulingIgnoredDuringExecution').index(i);
      if (!(t.weight >= 1 && t.weight <= 100)) errs.push(invalid(p.child('weight'), t.weight ?? 0, weightError));
      errs.push(...validateNodeSelectorTerm(t.preference, p.child('preference')));
    });
  }
  if (isObject(affinity.podAffinity)) errs.push(...validatePodAffinityKind(affinity.podAffinity as unknown as Record<string, unknown>, path.child('podAffinity')));
  if (isObject(affinity.podAntiAffinity)) errs.push(...validatePodAffinityKind(affinity.podAntiAffinity as unknown as Record<string, unknown>, path.child('podAntiAffinity')));
  return errs;
}

const whenUnsatisfiable = ['DoNotSchedule', 'ScheduleAnyway'];
const inclusionPolicies = ['Honor', 'Ignore'];

/** validateTopologySpreadConstraints. */
export function validateTopologySpreadConstraints(constraints: TopologySpreadConstraint[] | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const list = (constraints ?? []).filter(isObject);
  list.forEach((c, i) => {
    const p = path.index(i);
    if (!(c.maxSkew > 0)) errs.push(invalid(p.child('maxSkew'), c.maxSkew ?? 0, 'must be greater than zero'));
    if (!c.topologyKey) errs.push(required(p.child('topologyKey'), 'can not be empty'));
    else errs.push(...qualifiedNameErrors(c.topologyKey, p.child('topologyKey')));
    if (!whenUnsatisfiable.includes(c.whenUnsatisfiable)) errs.push(notSupported(p.child('whenUnsatisfiable'), c.whenUnsatisfiable ?? '', whenUnsatisfiable));
    if (list.slice(i + 1).some((o) => o.topologyKey === c.topologyKey && o.whenUnsatisfiable === c.whenUnsatisfiable))
      errs.push(duplicate(p.child('{topologyKey, whenUnsatisfiable}'), `{${c.topologyKey}, ${c.whenUnsatisfiable}}`));
    if (c.minDomains !== undefined && c.minDomains !== null) {
      if (c.minDomains <= 0) errs.push(invalid(p.child('minDomains'), c.minDomains, 'must be greater than 0'));
      else if (c.whenUnsatisfiable !== 'DoNotSchedule')
        errs.push(invalid(p.child('minDomains'), c.minDomains, `can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ${c.whenUnsatisfiable}`));
    }
    for (const f of ['nodeAffinityPolicy', 'nodeTaintsPolicy'] as const) {
      const v = c[f];
      if (v !== undefined && !inclusionPolicies.includes(v)) errs.push(notSupported(p.child(f), v, inclusionPolicies));
    }
    errs.push(...validateLabelSelector(c.labelSelector, p.child('labelSelector')));
  });
  return errs;
}
