/** ConfigMaps: ValidateConfigMap / ValidateConfigMapUpdate (core validation). */
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { type FieldError, forbidden, invalid, tooLong } from '../../field-errors.js';
import { jsonEqual } from '../../object.js';
import { configKeyErrors, maxDataSize } from './config-key.js';
import { type ClusterStrategy, base64Length, root } from './util.js';

const immutableMsg = 'field is immutable when `immutable` is set';

export const configMapStrategy: ClusterStrategy = {
  validate(obj) {
    const cm = obj as unknown as ConfigMap;
    const errs: FieldError[] = [];
    let total = 0;
    for (const [k, v] of Object.entries(cm.data ?? {})) {
      errs.push(...configKeyErrors(k, root('data')));
      if (cm.binaryData && k in cm.binaryData) errs.push(invalid(root('data').key(k), k, 'duplicate of key present in binaryData'));
      total += Buffer.byteLength(typeof v === 'string' ? v : '', 'utf8');
    }
    for (const [k, v] of Object.entries(cm.binaryData ?? {})) {
      errs.push(...configKeyErrors(k, root('binaryData')));
      total += base64Length(typeof v === 'string' ? v : '') ?? 0;
    }
    if (total > maxDataSize) errs.push(tooLong('', '', maxDataSize));
    return errs;
  },
  validateUpdate(obj, old) {
    const cm = obj as unknown as ConfigMap;
    const prev = old as unknown as ConfigMap;
    const errs: FieldError[] = [];
    if (prev.immutable) {
      if (!cm.immutable) errs.push(forbidden(root('immutable'), immutableMsg));
      if (!jsonEqual(cm.data ?? {}, prev.data ?? {})) errs.push(forbidden(root('data'), immutableMsg));
      if (!jsonEqual(cm.binaryData ?? {}, prev.binaryData ?? {})) errs.push(forbidden(root('binaryData'), immutableMsg));
    }
    return errs;
  },
};
