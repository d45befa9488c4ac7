/**
 * RBAC Roles, ClusterRoles and their bindings: rbac/v1 defaults and pkg/apis/rbac/validation.
 * RBAC names are path segments (`system:controller:...` is valid), not DNS subdomains.
 */
import type { ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, Subject } from 'kubernetes-types/rbac/v1.js';
import { type FieldError, FieldPath, invalid, notSupported, required } from '../../field-errors.js';
import { jsonEqual } from '../../object.js';
import { validateLabelSelector } from '../../validation/meta.js';
import { isDNS1123Subdomain, isValidPathSegmentName } from '../../validation/names.js';
import { type ClusterStrategy, GoValue, root } from './util.js';

const rbacGroup = 'rbac.authorization.k8s.io';

export function validatePolicyRule(rule: PolicyRule, namespaced: boolean, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (!(rule.verbs ?? []).length) errs.push(required(path.child('verbs'), 'verbs must contain at least one value'));
  if ((rule.nonResourceURLs ?? []).length) {
    if (namespaced) errs.push(invalid(path.child('nonResourceURLs'), rule.nonResourceURLs, 'namespaced rules cannot apply to non-resource URLs'));
    if ((rule.apiGroups ?? []).length || (rule.resources ?? []).length || (rule.resourceNames ?? []).length)
      errs.push(invalid(path.child('nonResourceURLs'), rule.nonResourceURLs, 'rules cannot apply to both regular resources and non-resource URLs'));
    return errs;
  }
  if (!(rule.apiGroups ?? []).length) errs.push(required(path.child('apiGroups'), 'resource rules must supply at least one api group'));
  if (!(rule.resources ?? []).length) errs.push(required(path.child('resources'), 'resource rules must supply at least one resource'));
  return errs;
}

function validateSubject(s: Subject, namespaced: boolean, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (!s.name) errs.push(required(path.child('name')));
  switch (s.kind) {
    case 'ServiceAccount':
      if (s.name) for (const m of isDNS1123Subdomain(s.name)) errs.push(invalid(path.child('name'), s.name, m));
      if (s.apiGroup) errs.push(notSupported(path.child('apiGroup'), s.apiGroup, ['']));
      if (!namespaced && !s.namespace) errs.push(required(path.child('namespace')));
      break;
    case 'User':
    case 'Group':
      if (s.apiGroup !== rbacGroup) errs.push(notSupported(path.child('apiGroup'), s.apiGroup ?? '', [rbacGroup]));
      break;
    default:
      errs.push(notSupported(path.child('kind'), s.kind ?? '', ['ServiceAccount', 'User', 'Group']));
  }
  return errs;
}

function defaultBinding(obj: unknown): void {
  const b = obj as { roleRef?: { apiGroup?: string }; subjects?: Subject[] };
  if (b.roleRef && !b.roleRef.apiGroup) b.roleRef.apiGroup = rbacGroup;
  for (const s of b.subjects ?? []) {
    if (!s.apiGroup && (s.kind === 'User' || s.kind === 'Group')) s.apiGroup = rbacGroup;
  }
}

function validateBinding(b: RoleBinding | ClusterRoleBinding, kinds: string[], namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const ref = b.roleRef ?? ({} as RoleBinding['roleRef']);
  if (ref.apiGroup !== rbacGroup) errs.push(notSupported(root('roleRef').child('apiGroup'), ref.apiGroup ?? '', [rbacGroup]));
  if (!kinds.includes(ref.kind ?? '')) errs.push(notSupported(root('roleRef').child('kind'), ref.kind ?? '', kinds));
  if (!ref.name) errs.push(required(root('roleRef').child('name')));
  else for (const m of isValidPathSegmentName(ref.name)) errs.push(invalid(root('roleRef').child('name'), ref.name, m));
  (b.subjects ?? []).forEach((s, i) => errs.push(...validateSubject(s, namespaced, root('subjects').index(i))));
  return errs;
}

function roleRefUpdate(obj: unknown, old: unknown): FieldError[] {
  const ref = (obj as RoleBinding).roleRef ?? {};
  const prev = (old as RoleBinding).roleRef ?? {};
  if (jsonEqual(ref, prev)) return [];
  return [invalid(root('roleRef'), new GoValue(`rbac.RoleRef{APIGroup:${JSON.stringify(ref.apiGroup ?? '')}, Kind:${JSON.stringify(ref.kind ?? '')}, Name:${JSON.stringify(ref.name ?? '')}}`), 'cannot change roleRef')];
}

export const roleStrategy: ClusterStrategy = {
  nameValidator: isValidPathSegmentName,
  validate(obj) {
    const errs: FieldError[] = [];
    ((obj as unknown as Role).rules ?? []).forEach((r, i) => errs.push(...validatePolicyRule(r, true, root('rules').index(i))));
    return errs;
  },
};

export const clusterRoleStrategy: ClusterStrategy = {
  nameValidator: isValidPathSegmentName,
  validate(obj) {
    const cr = obj as unknown as ClusterRole;
    const errs: FieldError[] = [];
    (cr.rules ?? []).forEach((r, i) => errs.push(...validatePolicyRule(r, false, root('rules').index(i))));
    if (cr.aggregationRule) {
      const p = root('aggregationRule').child('clusterRoleSelectors');
      const sels = cr.aggregationRule.clusterRoleSelectors ?? [];
      if (!sels.length) errs.push(required(p, 'at least one clusterRoleSelector required if aggregationRule is non-nil'));
      sels.forEach((s, i) => errs.push(...validateLabelSelector(s, p.index(i))));
    }
    return errs;
  },
};

export const roleBindingStrategy: ClusterStrategy = {
  nameValidator: isValidPathSegmentName,
  default: defaultBinding,
  validate: (obj) => validateBinding(obj as unknown as RoleBinding, ['Role', 'ClusterRole'], true),
  validateUpdate: roleRefUpdate,
};

export const clusterRoleBindingStrategy: ClusterStrategy = {
  nameValidator: isValidPathSegmentName,
  default: defaultBinding,
  validate: (obj) => validateBinding(obj as unknown as ClusterRoleBinding, ['ClusterRole'], false),
  validateUpdate: roleRefUpdate,
};
