/** ResourceQuotas: the resourcequota registry strategy and ValidateResourceQuota* (core validation). */
import type { ResourceQuota } from 'kubernetes-types/core/v1.js';
import { type FieldError, FieldPath, invalid, required } from '../../field-errors.js';
import { type ClusterStrategy, isStandardQuotaResourceName, resourceList, root, validateResourceName, validateResourceQuantityValue } from './util.js';

const scopes = new Set(['Terminating', 'NotTerminating', 'BestEffort', 'NotBestEffort', 'PriorityClass', 'CrossNamespacePodAffinity', 'VolumeAttributesClass']);
const podCompute = new Set(['pods', 'cpu', 'memory', 'limits.cpu', 'limits.memory', 'requests.cpu', 'requests.memory']);
const volumeClassResources = new Set(['persistentvolumeclaims', 'requests.storage']);

/** IsResourceQuotaScopeValidForResource. */
function scopeAllows(scope: string, resource: string): boolean {
  switch (scope) {
    case 'BestEffort':
      return resource === 'pods' || resource === 'count/pods';
    case 'VolumeAttributesClass':
      return volumeClassResources.has(resource) || resource === 'count/persistentvolumeclaims';
    case 'Terminating':
    case 'NotTerminating':
    case 'NotBestEffort':
    case 'PriorityClass':
    case 'CrossNamespacePodAffinity':
      return podCompute.has(resource) || resource === 'count/pods';
    default:
      return true;
  }
}

const conflicting = [['BestEffort', 'NotBestEffort'], ['Terminating', 'NotTerminating']];
const existsOnly = new Set(['BestEffort', 'NotBestEffort', 'Terminating', 'NotTerminating', 'CrossNamespacePodAffinity']);

function validateHard(list: Record<string, unknown> | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, q] of resourceList(list, path, errs)) {
    const p = path.key(k);
    errs.push(...validateResourceName(k, p));
    if (!k.includes('/') && !isStandardQuotaResourceName(k)) errs.push(invalid(p, k, 'must be a standard resource for quota'));
    errs.push(...validateResourceQuantityValue(k, q, p));
  }
  return errs;
}

function validateSpec(rq: ResourceQuota): FieldError[] {
  const spec = rq.spec ?? {};
  const sp = root('spec');
  const errs = validateHard(spec.hard as Record<string, unknown>, sp.child('hard'));
  const hard = Object.keys(spec.hard ?? {}).sort();
  if ((spec.scopes ?? []).length) {
    const set = new Set<string>();
    for (const s of spec.scopes!) {
      if (!scopes.has(s)) errs.push(invalid(sp.child('scopes'), spec.scopes, 'unsupported scope'));
      for (const k of hard) if (isStandardQuotaResourceName(k) && !scopeAllows(s, k)) errs.push(invalid(sp.child('scopes'), spec.scopes, 'unsupported scope applied to resource'));
      set.add(s);
    }
    for (const pair of conflicting) if (pair.every((s) => set.has(s))) errs.push(invalid(sp.child('scopes'), spec.scopes, 'conflicting scopes'));
  }
  if (spec.scopeSelector) {
    const p = sp.child('scopeSelector', 'matchExpressions');
    const set = new Set<string>();
    for (const req of spec.scopeSelector.matchExpressions ?? []) {
      if (!scopes.has(req.scopeName)) errs.push(invalid(p.child('scopeName'), req.scopeName, 'unsupported scope'));
      for (const k of hard) if (isStandardQuotaResourceName(k) && !scopeAllows(req.scopeName, k)) errs.push(invalid(p, spec.scopeSelector, 'unsupported scope applied to resource'));
      if (existsOnly.has(req.scopeName) && req.operator !== 'Exists')
        errs.push(invalid(p.child('operator'), req.operator, 'must be \'Exists\' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity'));
      switch (req.operator) {
        case 'In':
        case 'NotIn':
          if (!(req.values ?? []).length) errs.push(required(p.child('values'), "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector"));
          break;
        case 'Exists':
        case 'DoesNotExist':
          if ((req.values ?? []).length) errs.push(invalid(p.child('values'), req.values, "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector"));
          break;
        default:
          errs.push(invalid(p.child('operator'), req.operator, 'not a valid selector operator'));
      }
      set.add(req.scopeName);
    }
    for (const pair of conflicting) if (pair.every((s) => set.has(s))) errs.push(invalid(p, spec.scopes ?? null, 'conflicting scopes'));
  }
  return errs;
}

function validateStatus(rq: ResourceQuota): FieldError[] {
  return [
    ...validateHard(rq.status?.hard as Record<string, unknown>, root('status').child('hard')),
    ...validateHard(rq.status?.used as Record<string, unknown>, root('status').child('used')),
  ];
}

export const resourceQuotaStrategy: ClusterStrategy = {
  prepareForCreate(obj) {
    (obj as { status?: unknown }).status = {};
  },
  validate(obj) {
    const rq = obj as unknown as ResourceQuota;
    return [...validateSpec(rq), ...validateStatus(rq)];
  },
  validateUpdate(obj, old) {
    const a = new Set((obj as unknown as ResourceQuota).spec?.scopes ?? []);
    const b = new Set((old as unknown as ResourceQuota).spec?.scopes ?? []);
    const same = a.size === b.size && [...a].every((s) => b.has(s));
    return same ? [] : [invalid(root('spec').child('scopes'), (obj as unknown as ResourceQuota).spec?.scopes ?? null, 'field is immutable')];
  },
  statusValidateUpdate(obj) {
    return validateStatus(obj as unknown as ResourceQuota);
  },
};
