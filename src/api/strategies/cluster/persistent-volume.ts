/**
 * PersistentVolumes: SetDefaults_PersistentVolume (core/v1), pkg/registry/core/persistentvolume
 * strategy and ValidatePersistentVolume* (core validation). Volume sources other than hostPath,
 * local, nfs and csi are checked only for "exactly one".
 */
import type { PersistentVolume } from 'kubernetes-types/core/v1.js';
import { type FieldError, forbidden, invalid, notSupported, required } from '../../field-errors.js';
import { jsonEqual } from '../../object.js';
import { isDNS1123Subdomain } from '../../validation/names.js';
import { type ClusterStrategy, asRecord, immutable, positiveQuantity, resourceList, root } from './util.js';

export const accessModes = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
export const volumeModes = ['Block', 'Filesystem'];
const reclaimPolicies = ['Delete', 'Recycle', 'Retain'];
const hostPathTypes = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];

/** The spec fields that are volume sources, in upstream's check order. */
const sources = [
  'hostPath', 'gcePersistentDisk', 'awsElasticBlockStore', 'glusterfs', 'flocker', 'nfs', 'rbd', 'quobyte', 'cephfs', 'iscsi', 'cinder', 'fc',
  'flexVolume', 'azureFile', 'vsphereVolume', 'photonPersistentDisk', 'portworxVolume', 'azureDisk', 'scaleIO', 'local', 'storageos', 'csi',
];

/** validateAccessModes shared with PVCs: enum, and ReadWriteOncePod alone. */
export function validateAccessModes(modes: string[], path: ReturnType<typeof root>): FieldError[] {
  const errs: FieldError[] = [];
  let rwop = false;
  let other = false;
  for (const m of modes) {
    if (!accessModes.includes(m)) errs.push(notSupported(path, m, accessModes));
    if (m === 'ReadWriteOncePod') rwop = true;
    else if (accessModes.includes(m)) other = true;
  }
  if (rwop && other) errs.push(forbidden(path, 'may not use ReadWriteOncePod with other access modes'));
  return errs;
}

function validateSource(name: string, src: Record<string, unknown>, path: ReturnType<typeof root>): FieldError[] {
  const errs: FieldError[] = [];
  const str = (k: string) => (typeof src[k] === 'string' ? (src[k] as string) : '');
  switch (name) {
    case 'hostPath':
      if (!str('path')) errs.push(required(path.child('path')));
      if (str('path').split('/').includes('..')) errs.push(invalid(path.child('path'), str('path'), "must not contain '..'"));
      if (src.type !== undefined && !hostPathTypes.includes(str('type'))) errs.push(notSupported(path.child('type'), src.type, hostPathTypes));
      break;
    case 'local':
      if (!str('path')) errs.push(required(path.child('path')));
      else if (str('path').split('/').includes('..')) errs.push(invalid(path.child('path'), str('path'), "must not contain '..'"));
      break;
    case 'nfs':
      if (!str('server')) errs.push(required(path.child('server')));
      if (!str('path')) errs.push(required(path.child('path')));
      else if (!str('path').startsWith('/')) errs.push(invalid(path.child('path'), str('path'), 'must be an absolute path'));
      break;
    case 'csi':
      if (!str('driver')) errs.push(required(path.child('driver')));
      if (!str('volumeHandle')) errs.push(required(path.child('volumeHandle')));
      break;
    default:
  }
  return errs;
}

export function validatePersistentVolume(pv: PersistentVolume): FieldError[] {
  const spec = (pv.spec ?? {}) as Record<string, unknown> & NonNullable<PersistentVolume['spec']>;
  const sp = root('spec');
  const errs: FieldError[] = [];
  const modes = spec.accessModes ?? [];
  if (!modes.length) errs.push(required(sp.child('accessModes')));
  errs.push(...validateAccessModes(modes, sp.child('accessModes')));
  const capacity = asRecord(spec.capacity);
  if (!Object.keys(capacity).length) errs.push(required(sp.child('capacity')));
  if (!('storage' in capacity) || Object.keys(capacity).length > 1) errs.push(notSupported(sp.child('capacity'), capacity, ['storage']));
  for (const [k, q] of resourceList(capacity, sp.child('capacity'), errs)) {
    if (q.value() < 0) errs.push(invalid(sp.child('capacity').key(k), q.value(), 'must be a valid resource quantity'));
    errs.push(...positiveQuantity(q, sp.child('capacity').key(k)));
  }
  if (spec.persistentVolumeReclaimPolicy && !reclaimPolicies.includes(spec.persistentVolumeReclaimPolicy))
    errs.push(notSupported(sp.child('persistentVolumeReclaimPolicy'), spec.persistentVolumeReclaimPolicy, reclaimPolicies));
  let nodeAffinitySpecified = false;
  if (spec.nodeAffinity) {
    nodeAffinitySpecified = true;
    if (!spec.nodeAffinity.required) errs.push(required(sp.child('nodeAffinity', 'required'), 'must specify required node constraints'));
  }
  let count = 0;
  for (const name of sources) {
    if (spec[name] === undefined || spec[name] === null) continue;
    if (count > 0 && name !== 'flexVolume') {
      errs.push(forbidden(sp.child(name), 'may not specify more than 1 volume type'));
      continue;
    }
    count++;
    errs.push(...validateSource(name, asRecord(spec[name]), sp.child(name)));
    if (name === 'local' && !nodeAffinitySpecified) errs.push(required(sp.child('nodeAffinity'), 'Local volume requires node affinity'));
  }
  if (count === 0) errs.push(required(sp, 'must specify a volume type'));
  const hostPath = asRecord(spec.hostPath).path;
  if (typeof hostPath === 'string' && hostPath.replace(/\/+$/, '') === '' && hostPath.startsWith('/') && spec.persistentVolumeReclaimPolicy === 'Recycle')
    errs.push(forbidden(sp.child('persistentVolumeReclaimPolicy'), "may not be 'recycle' for a hostPath mount of '/'"));
  if (spec.storageClassName) for (const m of isDNS1123Subdomain(spec.storageClassName)) errs.push(invalid(sp.child('storageClassName'), spec.storageClassName, m));
  if (spec.volumeMode !== undefined && !volumeModes.includes(spec.volumeMode)) errs.push(notSupported(sp.child('volumeMode'), spec.volumeMode, volumeModes));
  return errs;
}

export const persistentVolumeStrategy: ClusterStrategy = {
  default(obj) {
    const pv = obj as unknown as { spec?: Record<string, unknown> };
    pv.spec ??= {};
    if (!pv.spec.persistentVolumeReclaimPolicy) pv.spec.persistentVolumeReclaimPolicy = 'Retain';
    if (pv.spec.volumeMode === undefined) pv.spec.volumeMode = 'Filesystem';
  },
  prepareForCreate(obj) {
    // PersistentVolumeLastPhaseTransitionTime (GA): a new volume is Pending since now.
    (obj as { status?: unknown }).status = { phase: 'Pending', lastPhaseTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') };
  },
  validate(obj) {
    return validatePersistentVolume(obj as unknown as PersistentVolume);
  },
  validateUpdate(obj, old) {
    const spec = ((obj as unknown as PersistentVolume).spec ?? {}) as Record<string, unknown>;
    const prev = ((old as unknown as PersistentVolume).spec ?? {}) as Record<string, unknown>;
    const errs: FieldError[] = [];
    const pick = (s: Record<string, unknown>) => {
      const out: Record<string, unknown> = {};
      for (const k of sources) if (s[k] !== undefined) out[k] = s[k];
      // A CSI volume may gain a controllerExpandSecretRef.
      if (out.csi && !asRecord(prev.csi).controllerExpandSecretRef) out.csi = { ...asRecord(out.csi), controllerExpandSecretRef: undefined };
      return out;
    };
    if (!jsonEqual(pick(spec), pick(prev))) errs.push(forbidden(root('spec').child('persistentvolumesource'), 'spec.persistentvolumesource is immutable after creation'));
    errs.push(...immutable(spec.volumeMode, prev.volumeMode, root('volumeMode')));
    if (prev.nodeAffinity && !jsonEqual(spec.nodeAffinity, prev.nodeAffinity))
      errs.push(invalid(root('nodeAffinity'), spec.nodeAffinity ?? null, 'field is immutable, except for updating from beta label to GA'));
    return errs;
  },
};
