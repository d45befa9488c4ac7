/**
 * Container validation (pkg/apis/core/validation/validation.go: validateContainers,
 * validateInitContainers, validateContainerCommon, validateContainerPorts, ValidateEnv,
 * ValidateEnvFrom, ValidateVolumeMounts, ValidateSecurityContext, checkHostPortConflicts).
 */
import type { Container, ContainerPort, EnvFromSource, EnvVar, SecurityContext, VolumeMount } from 'kubernetes-types/core/v1.js';
import { duplicate, type FieldError, FieldPath, forbidden, invalid, notFound, notSupported, required } from '../../field-errors.js';
import { isValidPortName, isValidPortNum } from '../../validation/names.js';
import { validateLifecycle, validateLivenessProbe, validateReadinessProbe, validateStartupProbe } from './probe-validation.js';
import { validateResourceRequirements } from './resource-validation.js';
import { dns1123LabelErrors, dns1123SubdomainErrors, inclusiveRangeError, isObject, qualifiedNameErrors, regexError } from './util.js';
import { validateLocalDescendingPath } from './volume-validation.js';

/** Pod-wide facts container validation needs. */
export interface ContainerContext {
  /** Names of the pod's valid volumes. */
  volumes: ReadonlySet<string>;
  gracePeriod: number | undefined;
}

const supportedPortProtocols = ['SCTP', 'TCP', 'UDP'];

/** validateContainers: required, per-container checks, unique names, host-port conflicts. */
export function validateContainers(containers: Container[] | undefined, ctx: ContainerContext, path: FieldPath): FieldError[] {
  if (!Array.isArray(containers) || containers.length === 0) return [required(path)];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  containers.forEach((c, i) => {
    const p = path.index(i);
    if (!isObject(c)) {
      errs.push(invalid(p, c ?? null, 'must be an object'));
      return;
    }
    errs.push(...validateContainerCommon(c, ctx, p));
    if (names.has(c.name)) errs.push(duplicate(p.child('name'), c.name));
    else names.add(c.name);
    errs.push(...validateLifecycle(c.lifecycle, ctx.gracePeriod, p.child('lifecycle')));
    errs.push(...validateLivenessProbe(c.livenessProbe, ctx.gracePeriod, p.child('livenessProbe')));
    errs.push(...validateReadinessProbe(c.readinessProbe, ctx.gracePeriod, p.child('readinessProbe')));
    errs.push(...validateStartupProbe(c.startupProbe, ctx.gracePeriod, p.child('startupProbe')));
    if ((c as { restartPolicy?: string }).restartPolicy !== undefined) errs.push(forbidden(p.child('restartPolicy'), 'may not be set for non-init containers'));
  });
  errs.push(...checkHostPortConflicts(containers, path));
  return errs;
}

/** validateInitContainers: names unique across init and regular containers; sidecars (restartPolicy Always) may have probes. */
export function validateInitContainers(inits: Container[] | undefined, regular: Container[] | undefined, ctx: ContainerContext, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>((regular ?? []).filter(isObject).map((c) => c.name));
  (inits ?? []).forEach((c, i) => {
    const p = path.index(i);
    if (!isObject(c)) {
      errs.push(invalid(p, c ?? null, 'must be an object'));
      return;
    }
    errs.push(...validateContainerCommon(c, ctx, p));
    const policy = (c as { restartPolicy?: string }).restartPolicy;
    if (policy !== undefined && policy !== 'Always') errs.push(notSupported(p.child('restartPolicy'), policy, ['Always']));
    const sidecar = policy === 'Always';
    if (names.has(c.name)) errs.push(duplicate(p.child('name'), c.name));
    else if (c.name) names.add(c.name);
    errs.push(...checkHostPortConflicts([c], path));
    if (sidecar) {
      errs.push(...validateLifecycle(c.lifecycle, ctx.gracePeriod, p.child('lifecycle')));
      errs.push(...validateLivenessProbe(c.livenessProbe, ctx.gracePeriod, p.child('livenessProbe')));
      errs.push(...validateReadinessProbe(c.readinessProbe, ctx.gracePeriod, p.child('readinessProbe')));
      errs.push(...validateStartupProbe(c.startupProbe, ctx.gracePeriod, p.child('startupProbe')));
    } else {
      for (const f of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe'] as const)
        if (c[f] !== undefined && c[f] !== null) errs.push(forbidden(p.child(f), 'may not be set for init containers without restartPolicy=Always'));
    }
    if (Array.isArray(c.resizePolicy) && c.resizePolicy.length > 0) errs.push(invalid(p.child('resizePolicy'), c.resizePolicy, 'must not be set for init containers'));
  });
  return errs;
}

/** validateContainerCommon: the checks every kind of container shares. */
export function validateContainerCommon(c: Container, ctx: ContainerContext, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (!c.name) errs.push(required(path.child('name')));
  else errs.push(...dns1123LabelErrors(c.name, path.child('name')));
  if (!c.image) errs.push(required(path.child('image')));
  const tmp = c.terminationMessagePolicy;
  if (!tmp) errs.push(required(path.child('terminationMessagePolicy')));
  else if (tmp !== 'File' && tmp !== 'FallbackToLogsOnError') errs.push(notSupported(path.child('terminationMessagePolicy'), tmp, ['File', 'FallbackToLogsOnError']));
  errs.push(...validateContainerPorts(c.ports, path.child('ports')));
  errs.push(...validateEnv(c.env, path.child('env')));
  errs.push(...validateEnvFrom(c.envFrom, path.child('envFrom')));
  errs.push(...validateVolumeMounts(c.volumeMounts, ctx.volumes, path.child('volumeMounts')));
  const pull = c.imagePullPolicy;
  if (!pull) errs.push(required(path.child('imagePullPolicy')));
  else if (pull !== 'Always' && pull !== 'IfNotPresent' && pull !== 'Never') errs.push(notSupported(path.child('imagePullPolicy'), pull, ['Always', 'IfNotPresent', 'Never']));
  errs.push(...validateResourceRequirements(c.resources, path.child('resources')));
  errs.push(...validateSecurityContext(c.securityContext, path.child('securityContext')));
  return errs;
}

function validateContainerPorts(ports: ContainerPort[] | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  (ports ?? []).forEach((port, i) => {
    const p = path.index(i);
    if (!isObject(port)) return;
    if (port.name) {
      const msgs = isValidPortName(port.name);
      if (msgs.length) errs.push(...msgs.map((m) => invalid(p.child('name'), port.name, m)));
      else if (names.has(port.name)) errs.push(duplicate(p.child('name'), port.name));
      else names.add(port.name);
    }
    if (!port.containerPort) errs.push(required(p.child('containerPort')));
    else errs.push(...isValidPortNum(port.containerPort).map((m) => invalid(p.child('containerPort'), port.containerPort, m)));
    if (port.hostPort) errs.push(...isValidPortNum(port.hostPort).map((m) => invalid(p.child('hostPort'), port.hostPort, m)));
    if (!port.protocol) errs.push(required(p.child('protocol')));
    else if (!supportedPortProtocols.includes(port.protocol)) errs.push(notSupported(p.child('protocol'), port.protocol, supportedPortProtocols));
  });
  return errs;
}

/** checkHostPortConflicts: a protocol/hostIP/hostPort triple may appear once. */
function checkHostPortConflicts(containers: Container[], path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  containers.forEach((c, ci) => {
    (isObject(c) ? (c.ports ?? []) : []).forEach((port, pi) => {
      if (!isObject(port) || !port.hostPort) return;
      const key = `${port.protocol ?? ''}/${port.hostIP ?? ''}/${port.hostPort}`;
      if (seen.has(key)) errs.push(duplicate(path.index(ci).child('ports').index(pi).child('hostPort'), key));
      else seen.add(key);
    });
  });
  return errs;
}

const relaxedEnvVarNameMsg = "a valid environment variable name must consist only of printable ASCII characters other than '='";

/** IsRelaxedEnvVarName (RelaxedEnvironmentVariableValidation is on by default in v1.32). */
function isRelaxedEnvVarName(v: string): string[] {
  const errs: string[] = [];
  if (v.length === 0) errs.push('environment variable name must be non-empty');
  for (const ch of v) {
    const code = ch.codePointAt(0)!;
    if (code < 0x20 || code > 0x7e || ch === '=') {
      errs.push(relaxedEnvVarNameMsg);
      break;
    }
  }
  return errs;
}

const envFieldPaths = ['metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.serviceAccountName', 'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs'];
const volumeFieldPaths = ['metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid'];

/** validateObjectFieldSelector for env vars (envFieldPaths) and downward-API volumes (volumeFieldPaths). */
export function validateObjectFieldSelector(fs: { apiVersion?: string; fieldPath?: string }, expressions: readonly string[], path: FieldPath): FieldError[] {
  if (!fs.apiVersion) return [required(path.child('apiVersion'))];
  const fieldPath = fs.fieldPath as string | undefined;
  if (!fieldPath) return [required(path.child('fieldPath'))];
  const m = /^(metadata\.(?:labels|annotations))\['(.*)'\]$/.exec(fieldPath);
  if (m) {
    const [, base, sub] = m;
    return qualifiedNameErrors(base === 'metadata.annotations' ? sub!.toLowerCase() : sub!, path);
  }
  return expressions.includes(fieldPath) ? [] : [notSupported(path.child('fieldPath'), fieldPath, [...expressions].sort())];
}
export const downwardVolumeFieldPaths: readonly string[] = volumeFieldPaths;

const configMapKeyRe = /^[-._a-zA-Z0-9]+$/;

/** validation.IsConfigMapKey (also used for secret keys). */
export function isConfigMapKey(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 253) errs.push('must be no more than 253 characters');
  if (!configMapKeyRe.test(v)) errs.push(regexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'", '[-._a-zA-Z0-9]+', 'key.name', 'KEY_NAME', 'key-name'));
  if (v === '.') errs.push("must not be '.'");
  else if (v === '..') errs.push("must not be '..'");
  else if (v.startsWith('..')) errs.push("must not start with '..'");
  return errs;
}

function validateKeySelector(s: { name?: string; key?: string }, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const name = (s.name as string | undefined) ?? '';
  if (name) errs.push(...dns1123SubdomainErrors(name, path.child('name')));
  const key = s.key as string | undefined;
  if (!key) errs.push(required(path.child('key')));
  else errs.push(...isConfigMapKey(key).map((m) => invalid(path.child('key'), key, m)));
  return errs;
}

/** ValidateEnv. */
export function validateEnv(env: EnvVar[] | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  (env ?? []).forEach((ev, i) => {
    const p = path.index(i);
    if (!isObject(ev)) return;
    if (!ev.name) errs.push(required(p.child('name')));
    else errs.push(...isRelaxedEnvVarName(ev.name).map((m) => invalid(p.child('name'), ev.name, m)));
    const from = ev.valueFrom;
    if (!isObject(from)) return;
    const fp = p.child('valueFrom');
    let n = 0;
    if (isObject(from.fieldRef)) {
      n++;
      errs.push(...validateObjectFieldSelector(from.fieldRef, envFieldPaths, fp.child('fieldRef')));
    }
    if (isObject(from.resourceFieldRef)) {
      n++;
      if (!from.resourceFieldRef.resource) errs.push(required(fp.child('resourceFieldRef').child('resource')));
    }
    if (isObject(from.configMapKeyRef)) {
      n++;
      errs.push(...validateKeySelector(from.configMapKeyRef, fp.child('configMapKeyRef')));
    }
    if (isObject(from.secretKeyRef)) {
      n++;
      errs.push(...validateKeySelector(from.secretKeyRef, fp.child('secretKeyRef')));
    }
    if (n === 0) errs.push(invalid(fp, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
    else if (ev.value) errs.push(invalid(fp, '', 'may not be specified when `value` is not empty'));
    else if (n > 1) errs.push(invalid(fp, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

/** ValidateEnvFrom. */
function validateEnvFrom(envFrom: EnvFromSource[] | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  (envFrom ?? []).forEach((ef, i) => {
    const p = path.index(i);
    if (!isObject(ef)) return;
    if (ef.prefix) errs.push(...isRelaxedEnvVarName(ef.prefix).map((m) => invalid(p.child('prefix'), ef.prefix, m)));
    let n = 0;
    for (const kind of ['configMapRef', 'secretRef'] as const) {
      const ref = ef[kind];
      if (!isObject(ref)) continue;
      n++;
      if (!ref.name) errs.push(required(p.child(kind).child('name')));
      else errs.push(...dns1123SubdomainErrors(ref.name, p.child(kind).child('name')));
    }
    if (n === 0) errs.push(invalid(path, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (n > 1) errs.push(invalid(path, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

const mountPropagationModes = ['None', 'HostToContainer', 'Bidirectional'];

/** ValidateVolumeMounts: names refer to valid volumes, mount paths unique. */
function validateVolumeMounts(mounts: VolumeMount[] | undefined, volumes: ReadonlySet<string>, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const mountPoints = new Set<string>();
  (mounts ?? []).forEach((m, i) => {
    const p = path.index(i);
    if (!isObject(m)) return;
    if (!m.name) errs.push(required(p.child('name')));
    if (!volumes.has(m.name)) errs.push(notFound(p.child('name'), m.name ?? ''));
    if (!m.mountPath) errs.push(required(p.child('mountPath')));
    if (mountPoints.has(m.mountPath)) errs.push(invalid(p.child('mountPath'), m.mountPath, 'must be unique'));
    mountPoints.add(m.mountPath);
    if (m.subPath) errs.push(...validateLocalDescendingPath(m.subPath, path.child('subPath')));
    if (m.subPathExpr) {
      if (m.subPath) errs.push(invalid(p.child('subPathExpr'), m.subPathExpr, 'subPathExpr and subPath are mutually exclusive'));
      errs.push(...validateLocalDescendingPath(m.subPathExpr, path.child('subPathExpr')));
    }
    if (m.mountPropagation !== undefined && !mountPropagationModes.includes(m.mountPropagation))
      errs.push(notSupported(p.child('mountPropagation'), m.mountPropagation, mountPropagationModes));
  });
  return errs;
}

/** IsValidUserID / IsValidGroupID. */
export function idRangeErrors(v: number | undefined, path: FieldPath): FieldError[] {
  if (v === undefined || v === null) return [];
  return v >= 0 && v <= 2147483647 ? [] : [invalid(path, v, inclusiveRangeError(0, 2147483647))];
}

/** ValidateSecurityContext (container level). */
function validateSecurityContext(sc: SecurityContext | undefined, path: FieldPath): FieldError[] {
  if (!isObject(sc)) return [];
  const errs: FieldError[] = [];
  errs.push(...idRangeErrors(sc.runAsUser, path.child('runAsUser')));
  errs.push(...idRangeErrors(sc.runAsGroup, path.child('runAsGroup')));
  if (sc.procMount !== undefined && sc.procMount !== 'Default' && sc.procMount !== 'Unmasked')
    errs.push(notSupported(path.child('procMount'), sc.procMount, ['Default', 'Unmasked']));
  if (sc.allowPrivilegeEscalation === false) {
    if (sc.privileged === true) errs.push(invalid(path, sc, 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'));
    if ((sc.capabilities?.add ?? []).includes('CAP_SYS_ADMIN'))
      errs.push(invalid(path, sc, 'cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN'));
  }
  return errs;
}
