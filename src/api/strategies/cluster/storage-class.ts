/** StorageClasses: storage/v1 defaults and pkg/apis/storage/validation (ValidateStorageClass*). */
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { type FieldError, forbidden, invalid, notSupported, required, tooLong } from '../../field-errors.js';
import { jsonEqual } from '../../object.js';
import { type ClusterStrategy, immutable, qualifiedNameErrors, root } from './util.js';

const maxParameters = 512;
const maxParameterSize = 256 * 1024;
const bindingModes = ['Immediate', 'WaitForFirstConsumer'];
const reclaimPolicies = ['Delete', 'Retain'];

export const storageClassStrategy: ClusterStrategy = {
  default(obj) {
    const sc = obj as unknown as { reclaimPolicy?: string; volumeBindingMode?: string };
    if (!sc.reclaimPolicy) sc.reclaimPolicy = 'Delete';
    if (!sc.volumeBindingMode) sc.volumeBindingMode = 'Immediate';
  },
  validate(obj) {
    const sc = obj as unknown as StorageClass;
    const errs: FieldError[] = [];
    const provisioner = sc.provisioner ?? '';
    if (!provisioner) errs.push(required(root('provisioner'), provisioner));
    else errs.push(...qualifiedNameErrors(provisioner.toLowerCase(), root('provisioner')));
    const params = sc.parameters ?? {};
    if (Object.keys(params).length > maxParameters) errs.push(tooLong(root('parameters'), 'Provisioner Parameters exceeded max allowed', maxParameters));
    else {
      let total = 0;
      for (const [k, v] of Object.entries(params)) {
        if (!k) errs.push(invalid(root('parameters'), k, 'field can not be empty.'));
        total += k.length + String(v).length;
      }
      if (total > maxParameterSize) errs.push(tooLong(root('parameters'), '', maxParameterSize));
    }
    if (sc.reclaimPolicy && !reclaimPolicies.includes(sc.reclaimPolicy)) errs.push(notSupported(root('reclaimPolicy'), sc.reclaimPolicy, reclaimPolicies));
    if (sc.volumeBindingMode === undefined) errs.push(required(root('volumeBindingMode')));
    else if (!bindingModes.includes(sc.volumeBindingMode)) errs.push(notSupported(root('volumeBindingMode'), sc.volumeBindingMode, bindingModes));
    (sc.allowedTopologies ?? []).forEach((term, i) => {
      const tp = root('allowedTopologies').index(i);
      const exprs = term.matchLabelExpressions ?? [];
      if (!exprs.length) errs.push(required(tp.child('matchLabelExpressions'), 'must contain at least one requirement'));
      exprs.forEach((e, j) => {
        const ep = tp.child('matchLabelExpressions').index(j);
        errs.push(...qualifiedNameErrors(e.key ?? '', ep.child('key')));
        if (!(e.values ?? []).length) errs.push(required(ep.child('values'), 'must specify as least one value'));
      });
    });
    return errs;
  },
  validateUpdate(obj, old) {
    const sc = obj as unknown as StorageClass;
    const prev = old as unknown as StorageClass;
    const errs: FieldError[] = [];
    if (!jsonEqual(sc.parameters ?? {}, prev.parameters ?? {})) errs.push(forbidden(root('parameters'), 'updates to parameters are forbidden.'));
    if (sc.provisioner !== prev.provisioner) errs.push(forbidden(root('provisioner'), 'updates to provisioner are forbidden.'));
    if ((sc.reclaimPolicy ?? '') !== (prev.reclaimPolicy ?? '')) errs.push(forbidden(root('reclaimPolicy'), 'updates to reclaimPolicy are forbidden.'));
    errs.push(...immutable(sc.volumeBindingMode, prev.volumeBindingMode, root('volumeBindingMode')));
    return errs;
  },
};
