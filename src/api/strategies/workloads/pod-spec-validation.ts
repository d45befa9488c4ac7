/**
 * ValidatePodSpec and ValidatePodTemplateSpec (pkg/apis/core/validation/validation.go). Paths are
 * relative to the caller's path, so a Deployment reports `spec.template.spec.containers[0].image`.
 */
import { isIP } from 'node:net';
import type { PodDNSConfig, PodSecurityContext, PodSpec, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { duplicate, type FieldError, FieldPath, forbidden, invalid, notSupported, required } from '../../field-errors.js';
import { validateAnnotations, validateLabels } from '../../validation/meta.js';
import { idRangeErrors, validateContainers, validateInitContainers } from './container-validation.js';
import { validateAffinity, validateTolerations, validateTopologySpreadConstraints } from './scheduling-validation.js';
import { dns1123LabelErrors, dns1123SubdomainErrors, inclusiveRangeError, isObject, maxInt32, qualifiedNameErrors } from './util.js';
import { validateVolumes } from './volume-validation.js';

export interface PodSpecValidationOptions {
  /** True for a Pod itself (not a template): with hostNetwork, every hostPort must equal its containerPort. */
  isPod?: boolean;
}

const restartPolicies = ['Always', 'OnFailure', 'Never'];
const dnsPolicies = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const validIPMsg = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';

/** ValidatePodSpec. */
export function validatePodSpec(spec: PodSpec | undefined, path: FieldPath, opts: PodSpecValidationOptions = {}): FieldError[] {
  if (!isObject(spec)) return [required(path.child('containers'))];
  const errs: FieldError[] = [];
  const grace = typeof spec.terminationGracePeriodSeconds === 'number' ? spec.terminationGracePeriodSeconds : undefined;
  const vols = validateVolumes(spec.volumes, path.child('volumes'));
  errs.push(...vols.errs);
  const ctx = { volumes: vols.names, gracePeriod: grace };
  errs.push(...validateContainers(spec.containers, ctx, path.child('containers')));
  errs.push(...validateInitContainers(spec.initContainers, spec.containers, ctx, path.child('initContainers')));
  errs.push(...validateHostNetworkPorts(spec, path, opts));
  errs.push(...enumValue(spec.restartPolicy, restartPolicies, path.child('restartPolicy')));
  errs.push(...enumValue(spec.dnsPolicy, dnsPolicies, path.child('dnsPolicy')));
  errs.push(...validateLabels(spec.nodeSelector, path.child('nodeSelector')));
  errs.push(...validatePodSecurityContext(spec.securityContext, spec, path.child('securityContext')));
  (spec.imagePullSecrets ?? []).forEach((s, i) => {
    if (isObject(s) && Object.keys(s).some((k) => k !== 'name')) errs.push(invalid(path.child('imagePullSecrets').index(i), s, 'only name may be set'));
  });
  errs.push(...validateAffinity(spec.affinity, path.child('affinity')));
  errs.push(...validateDNSConfig(spec.dnsConfig, spec.dnsPolicy, path.child('dnsConfig')));
  (spec.readinessGates ?? []).forEach((g, i) => errs.push(...qualifiedNameErrors(g?.conditionType ?? '', path.child('readinessGates').index(i).child('conditionType'))));
  const gates = new Set<string>();
  (spec.schedulingGates ?? []).forEach((g, i) => {
    const p = path.child('schedulingGates').index(i);
    const name = g?.name ?? '';
    errs.push(...qualifiedNameErrors(name, p));
    if (gates.has(name)) errs.push(duplicate(p, name));
    gates.add(name);
  });
  errs.push(...validateTopologySpreadConstraints(spec.topologySpreadConstraints, path.child('topologySpreadConstraints')));
  if (spec.serviceAccountName) errs.push(...dns1123SubdomainErrors(spec.serviceAccountName, path.child('serviceAccountName')));
  if (spec.nodeName) errs.push(...dns1123SubdomainErrors(spec.nodeName, path.child('nodeName')));
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds !== null) {
    const v = spec.activeDeadlineSeconds;
    if (!(v >= 1 && v <= maxInt32)) errs.push(invalid(path.child('activeDeadlineSeconds'), v, inclusiveRangeError(1, maxInt32)));
  }
  if (spec.hostname) errs.push(...dns1123LabelErrors(spec.hostname, path.child('hostname')));
  if (spec.subdomain) errs.push(...dns1123LabelErrors(spec.subdomain, path.child('subdomain')));
  errs.push(...validateTolerations(spec.tolerations, path.child('tolerations')));
  (spec.hostAliases ?? []).forEach((a, i) => {
    if (!isObject(a)) return;
    const p = path.child('hostAliases').index(i);
    if (!isIP(a.ip ?? '')) errs.push(invalid(p.child('ip'), a.ip ?? '', validIPMsg));
    (a.hostnames ?? []).forEach((h, j) => errs.push(...dns1123SubdomainErrors(h, p.child('hostnames').index(j))));
  });
  if (spec.priorityClassName) errs.push(...dns1123SubdomainErrors(spec.priorityClassName, path.child('priorityClassName')));
  if (spec.runtimeClassName) errs.push(...dns1123SubdomainErrors(spec.runtimeClassName, path.child('runtimeClassName')));
  if (spec.preemptionPolicy !== undefined && spec.preemptionPolicy !== null && spec.preemptionPolicy !== 'PreemptLowerPriority' && spec.preemptionPolicy !== 'Never')
    errs.push(notSupported(path.child('preemptionPolicy'), spec.preemptionPolicy, ['PreemptLowerPriority', 'Never']));
  if (isObject(spec.os) && !spec.os.name) errs.push(required(path.child('os').child('name'), 'cannot be empty'));
  return errs;
}

/** Required when empty, NotSupported when outside `allowed` (validateRestartPolicy, validateDNSPolicy). */
function enumValue(v: string | undefined, allowed: readonly string[], path: FieldPath): FieldError[] {
  if (!v) return [required(path)];
  return allowed.includes(v) ? [] : [notSupported(path, v, allowed)];
}

function validateHostNetworkPorts(spec: PodSpec, path: FieldPath, opts: PodSpecValidationOptions): FieldError[] {
  if (!spec.hostNetwork) return [];
  const errs: FieldError[] = [];
  (spec.containers ?? []).forEach((c, i) => {
    (isObject(c) ? (c.ports ?? []) : []).forEach((port, j) => {
      if (!isObject(port)) return;
      const hostPort = port.hostPort ?? 0;
      if ((opts.isPod && hostPort !== port.containerPort) || (hostPort !== 0 && hostPort !== port.containerPort))
        errs.push(invalid(path.child('containers').index(i).child('ports').index(j).child('containerPort'), port.containerPort, 'must match `hostPort` when `hostNetwork` is true'));
    });
  });
  return errs;
}

const fsGroupChangePolicies = ['OnRootMismatch', 'Always'];

/** validatePodSpecSecurityContext (the v1 spec-level host namespaces live in the internal security context upstream). */
function validatePodSecurityContext(sc: PodSecurityContext | undefined, spec: PodSpec, path: FieldPath): FieldError[] {
  if (!isObject(sc)) return [];
  const errs: FieldError[] = [];
  errs.push(...idRangeErrors(sc.fsGroup, path.child('fsGroup')));
  errs.push(...idRangeErrors(sc.runAsUser, path.child('runAsUser')));
  errs.push(...idRangeErrors(sc.runAsGroup, path.child('runAsGroup')));
  (sc.supplementalGroups ?? []).forEach((g, i) => errs.push(...idRangeErrors(g, path.child('supplementalGroups').index(i))));
  if (spec.shareProcessNamespace && spec.hostPID)
    errs.push(invalid(path.child('shareProcessNamespace'), true, 'ShareProcessNamespace and HostPID cannot both be enabled'));
  if (sc.fsGroupChangePolicy !== undefined && !fsGroupChangePolicies.includes(sc.fsGroupChangePolicy))
    errs.push(notSupported(path.child('fsGroupChangePolicy'), sc.fsGroupChangePolicy, fsGroupChangePolicies));
  const sysctls = new Set<string>();
  (sc.sysctls ?? []).forEach((s, i) => {
    const p = path.child('sysctls').index(i);
    if (!s?.name) errs.push(required(p.child('name')));
    else if (sysctls.has(s.name)) errs.push(duplicate(p.child('name'), s.name));
    else sysctls.add(s.name);
  });
  return errs;
}

function validateDNSConfig(cfg: PodDNSConfig | undefined, policy: string | undefined, path: FieldPath): FieldError[] {
  if (policy === 'None') {
    if (!isObject(cfg)) return [required(path, 'must provide `dnsConfig` when `dnsPolicy` is None')];
    if (!cfg.nameservers?.length) return [required(path.child('nameservers'), 'must provide at least one DNS nameserver when `dnsPolicy` is None')];
  }
  if (!isObject(cfg)) return [];
  const errs: FieldError[] = [];
  const ns = cfg.nameservers ?? [];
  if (ns.length > 3) errs.push(invalid(path.child('nameservers'), ns, 'must not have more than 3 nameservers'));
  ns.forEach((n, i) => {
    if (!isIP(n)) errs.push(invalid(path.child('nameservers').index(i), n, validIPMsg));
  });
  const searches = cfg.searches ?? [];
  if (searches.length > 32) errs.push(invalid(path.child('searches'), searches, 'must not have more than 32 search paths'));
  searches.forEach((s, i) => {
    // A trailing dot is allowed (an absolute name); "." alone means the root.
    const name = s === '.' ? '' : s.replace(/\.$/, '');
    if (name) errs.push(...dns1123SubdomainErrors(name, path.child('searches').index(i)));
  });
  (cfg.options ?? []).forEach((o, i) => {
    if (!o?.name) errs.push(required(path.child('options').index(i), 'Option.Name must not be empty'));
  });
  return errs;
}

/**
 * ValidatePodTemplateSpec. Note upstream's paths: template labels are reported at `<path>.labels`
 * (not `<path>.metadata.labels`); only the selector mismatch uses `metadata.labels`.
 */
export function validatePodTemplateSpec(template: PodTemplateSpec | undefined, path: FieldPath, opts: PodSpecValidationOptions = {}): FieldError[] {
  if (!isObject(template)) return [required(path)];
  const errs: FieldError[] = [];
  const meta = isObject(template.metadata) ? template.metadata : {};
  errs.push(...validateLabels(meta.labels, path.child('labels')));
  errs.push(...validateAnnotations(meta.annotations, path.child('annotations')));
  errs.push(...validatePodSpec(template.spec, path.child('spec'), opts));
  if (isObject(template.spec) && Array.isArray(template.spec.ephemeralContainers) && template.spec.ephemeralContainers.length > 0)
    errs.push(forbidden(path.child('spec').child('ephemeralContainers'), 'ephemeral containers not allowed in pod template'));
  return errs;
}
