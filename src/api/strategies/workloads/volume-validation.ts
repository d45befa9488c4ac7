/**
 * Pod volume validation (pkg/apis/core/validation/validation.go: ValidateVolumes,
 * validateVolumeSource and the per-source validators for the sources real workloads use).
 */
import type { Volume } from 'kubernetes-types/core/v1.js';
import { duplicate, type FieldError, FieldPath, forbidden, invalid, notSupported, required } from '../../field-errors.js';
import { parseQuantity } from '../../quantity.js';
import { volumeSourceKeys } from './pod-defaults.js';
import { dns1123LabelErrors, isObject } from './util.js';

const fileModeErrorMsg = 'must be a number between 0 and 0777 (octal), both inclusive';
const hostPathTypes = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];

/** validatePathNoBacksteps: no `..` element. */
function validatePathNoBacksteps(p: string, path: FieldPath): FieldError[] {
  return p.split('/').includes('..') ? [invalid(path, p, "must not contain '..'")] : [];
}

/** validateLocalDescendingPath: relative and without backsteps. */
export function validateLocalDescendingPath(p: string, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (p.startsWith('/')) errs.push(invalid(path, p, 'must be a relative path'));
  errs.push(...validatePathNoBacksteps(p, path));
  return errs;
}

function validateLocalNonReservedPath(p: string, path: FieldPath): FieldError[] {
  const errs = validateLocalDescendingPath(p, path);
  if (p.startsWith('..') && !p.startsWith('../')) errs.push(invalid(path, p, "must not start with '..'"));
  return errs;
}

function validateMode(mode: unknown, path: FieldPath): FieldError[] {
  return typeof mode === 'number' && (mode > 0o777 || mode < 0) ? [invalid(path, mode, fileModeErrorMsg)] : [];
}

function validateKeyToPaths(items: unknown, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  (Array.isArray(items) ? items : []).forEach((kp, i) => {
    if (!isObject(kp)) return;
    const p = path.index(i);
    if (!kp.key) errs.push(required(p.child('key')));
    if (!kp.path) errs.push(required(p.child('path')));
    else errs.push(...validateLocalNonReservedPath(kp.path as string, p.child('path')));
    errs.push(...validateMode(kp.mode, p.child('mode')));
  });
  return errs;
}

function validateDownwardAPIItems(items: unknown, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  (Array.isArray(items) ? items : []).forEach((it, i) => {
    if (!isObject(it)) return;
    const p = path.index(i);
    if (!it.path) errs.push(required(p.child('path')));
    else errs.push(...validateLocalNonReservedPath(it.path as string, p.child('path')));
    errs.push(...validateMode(it.mode, p.child('mode')));
    if (isObject(it.fieldRef) && isObject(it.resourceFieldRef))
      errs.push(invalid(p, 'resource', 'fieldRef and resourceFieldRef can not be specified simultaneously'));
  });
  return errs;
}

/** The checks of one volume source; `undefined` for sources with no rules here. */
function validateSource(kind: string, src: Record<string, unknown>, path: FieldPath): FieldError[] {
  switch (kind) {
    case 'hostPath': {
      if (!src.path) return [required(path.child('path'))];
      const errs = validatePathNoBacksteps(src.path as string, path.child('path'));
      const t = src.type;
      if (typeof t === 'string' && !hostPathTypes.includes(t)) errs.push(notSupported(path.child('type'), t, hostPathTypes));
      return errs;
    }
    case 'emptyDir': {
      const limit = src.sizeLimit;
      if (limit === undefined || limit === null) return [];
      const q = typeof limit === 'string' || typeof limit === 'number' ? parseQuantity(limit) : undefined;
      return !q || q.sign() < 0 ? [forbidden(path.child('sizeLimit'), 'SizeLimit field must be a valid resource quantity')] : [];
    }
    case 'secret': {
      const errs: FieldError[] = [];
      if (!src.secretName) errs.push(required(path.child('secretName')));
      errs.push(...validateMode(src.defaultMode, path.child('defaultMode')));
      errs.push(...validateKeyToPaths(src.items, path.child('items')));
      return errs;
    }
    case 'configMap': {
      const errs: FieldError[] = [];
      if (!src.name) errs.push(required(path.child('name')));
      errs.push(...validateMode(src.defaultMode, path.child('defaultMode')));
      errs.push(...validateKeyToPaths(src.items, path.child('items')));
      return errs;
    }
    case 'persistentVolumeClaim':
      return src.claimName ? [] : [required(path.child('claimName'))];
    case 'downwardAPI':
      return [...validateMode(src.defaultMode, path.child('defaultMode')), ...validateDownwardAPIItems(src.items, path.child('items'))];
    case 'nfs': {
      const errs: FieldError[] = [];
      if (!src.server) errs.push(required(path.child('server')));
      if (!src.path) errs.push(required(path.child('path')));
      else if (!(src.path as string).startsWith('/')) errs.push(invalid(path.child('path'), src.path, 'must be an absolute path'));
      return errs;
    }
    case 'csi':
      return src.driver ? [] : [required(path.child('driver'))];
    case 'projected':
      return validateProjected(src, path);
    case 'ephemeral':
      return isObject(src.volumeClaimTemplate) ? [] : [required(path.child('volumeClaimTemplate'))];
    default:
      return [];
  }
}

function validateProjected(src: Record<string, unknown>, path: FieldPath): FieldError[] {
  const errs = validateMode(src.defaultMode, path.child('defaultMode'));
  (Array.isArray(src.sources) ? src.sources : []).forEach((s, i) => {
    if (!isObject(s)) return;
    const p = path.child('sources').index(i);
    let n = 0;
    for (const kind of ['secret', 'downwardAPI', 'configMap', 'serviceAccountToken', 'clusterTrustBundle']) {
      const v = s[kind];
      if (!isObject(v)) continue;
      const kp = p.child(kind);
      if (n > 0) {
        errs.push(forbidden(kp, 'may not specify more than 1 volume type per source'));
        continue;
      }
      n++;
      if (kind === 'secret' || kind === 'configMap') {
        if (!v.name) errs.push(required(kp.child('name')));
        errs.push(...validateKeyToPaths(v.items, kp.child('items')));
      } else if (kind === 'downwardAPI') errs.push(...validateDownwardAPIItems(v.items, kp.child('items')));
      else if (kind === 'serviceAccountToken') {
        const exp = v.expirationSeconds as number | undefined;
        if (typeof exp === 'number' && exp < 600) errs.push(invalid(kp.child('expirationSeconds'), exp, 'may not specify a duration less than 10 minutes'));
        if (typeof exp === 'number' && exp > 2 ** 32) errs.push(invalid(kp.child('expirationSeconds'), exp, 'may not specify a duration larger than 2^32 seconds'));
        if (!v.path) errs.push(required(kp.child('path')));
      }
    }
    if (n === 0) errs.push(required(p, 'must specify exactly one volume type'));
  });
  return errs;
}

/**
 * ValidateVolumes: each volume has a unique DNS-1123-label name and exactly one source. Returns
 * the names of the valid volumes (mounts may only refer to those, as upstream).
 */
export function validateVolumes(volumes: Volume[] | undefined, path: FieldPath): { names: Set<string>; errs: FieldError[] } {
  const names = new Set<string>();
  const errs: FieldError[] = [];
  (volumes ?? []).forEach((vol, i) => {
    const p = path.index(i);
    if (!isObject(vol)) return;
    const v = vol as unknown as Record<string, unknown>;
    const el: FieldError[] = [];
    let n = 0;
    for (const kind of volumeSourceKeys) {
      const src = v[kind];
      if (src === undefined || src === null) continue;
      if (n > 0) {
        el.push(forbidden(p.child(kind), 'may not specify more than 1 volume type'));
        continue;
      }
      n++;
      if (isObject(src as unknown)) el.push(...validateSource(kind, src as Record<string, unknown>, p.child(kind)));
    }
    if (n === 0) el.push(required(p, 'must specify a volume type'));
    if (!vol.name) el.push(required(p.child('name')));
    else el.push(...dns1123LabelErrors(vol.name, p.child('name')));
    if (names.has(vol.name)) el.push(duplicate(p.child('name'), vol.name));
    if (el.length === 0) names.add(vol.name);
    else errs.push(...el);
  });
  return { names, errs };
}
