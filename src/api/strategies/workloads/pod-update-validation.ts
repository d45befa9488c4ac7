/**
 * Pod update rules (pkg/apis/core/validation/validation.go: ValidatePodUpdate,
 * ValidateContainerUpdates, validateOnlyAddedTolerations, ValidatePodStatusUpdate,
 * ValidateContainerStateTransition). A pod's spec is immutable except for images, a shrinking
 * activeDeadlineSeconds, added tolerations, removed scheduling gates and the negative-grace fix-up.
 */
import { isIP } from 'node:net';
import type { Container, ContainerStatus, Pod, PodSpec, Toleration } from 'kubernetes-types/core/v1.js';
import { type FieldError, FieldPath, forbidden, invalid, required } from '../../field-errors.js';
import { deepCopy, jsonEqual } from '../../object.js';
import { validateTolerations } from './scheduling-validation.js';
import { dns1123SubdomainErrors, inclusiveRangeError, isObject, maxInt32, qualifiedNameErrors } from './util.js';

const updatableFields = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

/** The message prefix of the forbidden-spec-change error, exactly as upstream. */
export const podUpdateForbiddenMessage = `pod updates may not change fields other than ${updatableFields.join(',')}`;

function validateContainerUpdates(next: Container[] | undefined, old: Container[] | undefined, path: FieldPath): { errs: FieldError[]; stop: boolean } {
  const n = next ?? [];
  const o = old ?? [];
  if (n.length !== o.length) return { errs: [forbidden(path, 'pod updates may not add or remove containers')], stop: true };
  const errs: FieldError[] = [];
  n.forEach((c, i) => {
    const image = isObject(c) ? (c.image ?? '') : '';
    if (!image) errs.push(required(path.index(i).child('image')));
    if (image.trim().length !== image.length) errs.push(invalid(path.index(i).child('image'), image, 'must not have leading or trailing whitespace'));
  });
  return { errs, stop: false };
}

function validateOnlyAddedTolerations(next: Toleration[] | undefined, old: Toleration[] | undefined, path: FieldPath): FieldError[] {
  for (const o of old ?? []) {
    const found = (next ?? []).some((n) => jsonEqual({ ...o, tolerationSeconds: n.tolerationSeconds }, n));
    if (!found) return [forbidden(path, 'existing toleration can not be modified except its tolerationSeconds')];
  }
  return validateTolerations(next, path);
}

function validateOnlyDeletedSchedulingGates(next: PodSpec['schedulingGates'], old: PodSpec['schedulingGates'], path: FieldPath): FieldError[] {
  const oldNames = new Set((old ?? []).map((g) => g.name));
  const errs: FieldError[] = [];
  (next ?? []).forEach((g, i) => {
    if (!oldNames.has(g.name)) errs.push(forbidden(path.index(i), `only deletion is allowed, but found new scheduling gate '${g.name}'`));
  });
  return errs;
}

/** ValidatePodUpdate (the spec part; ValidatePodSpec of the new pod runs separately). */
export function validatePodUpdate(pod: Pod, old: Pod): FieldError[] {
  const errs: FieldError[] = [];
  const spec = (pod.spec ?? {}) as PodSpec;
  const oldSpec = (old.spec ?? {}) as PodSpec;
  const specPath = FieldPath.root('spec');
  for (const [field, name] of [
    ['containers', 'containers'],
    ['initContainers', 'initContainers'],
  ] as const) {
    const r = validateContainerUpdates(spec[field], oldSpec[field], specPath.child(name));
    errs.push(...r.errs);
    if (r.stop) return errs;
  }
  const ads = spec.activeDeadlineSeconds;
  if (ads !== undefined && ads !== null) {
    if (ads < 0 || ads > maxInt32) return [...errs, invalid(specPath.child('activeDeadlineSeconds'), ads, inclusiveRangeError(0, maxInt32))];
    if (typeof oldSpec.activeDeadlineSeconds === 'number' && oldSpec.activeDeadlineSeconds < ads)
      return [...errs, invalid(specPath.child('activeDeadlineSeconds'), ads, 'must be less than or equal to previous value')];
  } else if (oldSpec.activeDeadlineSeconds !== undefined && oldSpec.activeDeadlineSeconds !== null) {
    errs.push(invalid(specPath.child('activeDeadlineSeconds'), null, 'must not update from a positive integer to nil value'));
  }
  errs.push(...validateOnlyAddedTolerations(spec.tolerations, oldSpec.tolerations, specPath.child('tolerations')));
  errs.push(...validateOnlyDeletedSchedulingGates(spec.schedulingGates, oldSpec.schedulingGates, specPath.child('schedulingGates')));
  if (jsonEqual(spec, oldSpec)) return errs;

  // Munge the updatable fields back to their old values; anything left over is forbidden.
  const munged = deepCopy(spec);
  (munged.containers ?? []).forEach((c, i) => (c.image = oldSpec.containers?.[i]?.image as string));
  (munged.initContainers ?? []).forEach((c, i) => (c.image = oldSpec.initContainers?.[i]?.image as string));
  setOrDelete(munged, 'activeDeadlineSeconds', oldSpec.activeDeadlineSeconds);
  setOrDelete(munged, 'schedulingGates', oldSpec.schedulingGates);
  setOrDelete(munged, 'tolerations', oldSpec.tolerations);
  const oldGrace = oldSpec.terminationGracePeriodSeconds;
  if (typeof oldGrace === 'number' && oldGrace < 0 && munged.terminationGracePeriodSeconds === 1) munged.terminationGracePeriodSeconds = oldGrace;
  if ((oldSpec.schedulingGates ?? []).length > 0) {
    // Gated pods may gain nodeSelector entries (no removals or changes).
    const o = oldSpec.nodeSelector ?? {};
    const n = munged.nodeSelector ?? {};
    if (!jsonEqual(o, n)) {
      const changed = Object.keys(o).some((k) => n[k] !== o[k]);
      if (changed) errs.push(invalid(specPath.child('nodeSelector'), n, 'only additions to spec.nodeSelector are allowed (no mutations or deletions)'));
      setOrDelete(munged, 'nodeSelector', oldSpec.nodeSelector);
    }
  }
  if (!jsonEqual(munged, oldSpec)) errs.push(forbidden(specPath, `${podUpdateForbiddenMessage}\n${specDiff(oldSpec, munged)}`));
  return errs;
}

function setOrDelete<T extends object, K extends keyof T>(obj: T, key: K, value: T[K] | undefined): void {
  if (value === undefined) delete obj[key];
  else obj[key] = deepCopy(value);
}

/** A compact diff of two specs in the spirit of upstream's cmp.Diff: `-`/`+` lines per changed leaf. */
function specDiff(old: unknown, next: unknown): string {
  const lines: string[] = [];
  const walk = (a: unknown, b: unknown, p: string) => {
    if (jsonEqual(a, b)) return;
    if (isObject(a) && isObject(b)) {
      for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) walk(a[k], b[k], p ? `${p}.${k}` : k);
      return;
    }
    if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
      a.forEach((x, i) => walk(x, b[i], `${p}[${i}]`));
      return;
    }
    if (a !== undefined) lines.push(`- \t${p}: ${JSON.stringify(a)}`);
    if (b !== undefined) lines.push(`+ \t${p}: ${JSON.stringify(b)}`);
  };
  walk(old, next, '');
  return ['  v1.PodSpec{', ...lines, '  }', ''].join('\n');
}

/** ValidateContainerStateTransition: terminated containers of a non-restarting pod stay terminated. */
function validateContainerStateTransition(next: ContainerStatus[] | undefined, old: ContainerStatus[] | undefined, path: FieldPath, restartPolicy: string | undefined): FieldError[] {
  if (restartPolicy === 'Always') return [];
  const errs: FieldError[] = [];
  (next ?? []).forEach((s, i) => {
    const o = (old ?? []).find((x) => x.name === s.name);
    if (!o?.state?.terminated) return;
    if (restartPolicy === 'OnFailure' && o.state.terminated.exitCode !== 0) return;
    if (!s.state?.terminated) errs.push(forbidden(path.index(i).child('state'), 'may not be transitioned to non-terminated state'));
  });
  return errs;
}

const systemConditions = new Set(['PodScheduled', 'Ready', 'Initialized', 'ContainersReady', 'PodReadyToStartContainers', 'DisruptionTarget', 'PodResizePending', 'PodResizeInProgress']);

/** ValidatePodStatusUpdate (the status part). */
export function validatePodStatusUpdate(pod: Pod, old: Pod): FieldError[] {
  const errs: FieldError[] = [];
  const status = pod.status ?? {};
  const oldStatus = old.status ?? {};
  const sp = FieldPath.root('status');
  (status.conditions ?? []).forEach((c, i) => {
    if (isObject(c) && !systemConditions.has(c.type)) errs.push(...qualifiedNameErrors(c.type ?? '', sp.child('conditions').index(i).child('Type')));
  });
  if ((pod.spec?.nodeName ?? '') !== (old.spec?.nodeName ?? '')) errs.push(forbidden(sp.child('nodeName'), 'may not be changed directly'));
  if (status.nominatedNodeName && status.nominatedNodeName !== oldStatus.nominatedNodeName)
    errs.push(...dns1123SubdomainErrors(status.nominatedNodeName, sp.child('nominatedNodeName')));
  const policy = old.spec?.restartPolicy;
  errs.push(...validateContainerStateTransition(status.containerStatuses, oldStatus.containerStatuses, sp.child('containerStatuses'), policy));
  errs.push(...validateContainerStateTransition(status.initContainerStatuses, oldStatus.initContainerStatuses, sp.child('initContainerStatuses'), policy));
  const ips = [...(status.podIPs ?? [])];
  ips.forEach((ip, i) => {
    if (!isValidIP(ip?.ip)) errs.push(invalid(sp.child('podIPs').index(i), ip?.ip ?? '', 'must be a valid IP address'));
  });
  return errs;
}

const isValidIP = (s: string | undefined): boolean => typeof s === 'string' && isIP(s) !== 0;
