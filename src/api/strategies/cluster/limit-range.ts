/** LimitRanges: SetDefaults_LimitRangeItem (core/v1) and ValidateLimitRange (core validation). */
import type { LimitRange } from 'kubernetes-types/core/v1.js';
import { type FieldError, FieldPath, duplicate, forbidden, invalid, required } from '../../field-errors.js';
import type { Quantity } from '../../quantity.js';
import { isQualifiedName } from '../../validation/names.js';
import { type ClusterStrategy, isOvercommitAllowed, quantityValue, resourceList, root, validateContainerResourceName, validateResourceName } from './util.js';

const limitTypes = new Set(['Pod', 'Container', 'PersistentVolumeClaim']);

function validateTypeName(t: string, path: FieldPath): FieldError[] {
  const errs = isQualifiedName(t).map((m) => invalid(path, t, m));
  if (errs.length) return errs;
  if (!t.includes('/') && !limitTypes.has(t)) return [invalid(path, t, 'must be a standard limit type or fully qualified')];
  return [];
}

/** The ratio limit as Go's %f prints it (six decimals). */
const goFloat = (x: number): string => (Number.isFinite(x) ? x.toFixed(6) : x > 0 ? '+Inf' : x < 0 ? '-Inf' : 'NaN');

export const limitRangeStrategy: ClusterStrategy = {
  default(obj) {
    for (const item of (obj as unknown as LimitRange).spec?.limits ?? []) {
      if (item.type !== 'Container') continue;
      const def: Record<string, string> = { ...((item.default ?? {}) as Record<string, string>) };
      const defReq: Record<string, string> = { ...((item.defaultRequest ?? {}) as Record<string, string>) };
      for (const [k, v] of Object.entries(item.max ?? {})) if (!(k in def)) def[k] = v as string;
      for (const [k, v] of Object.entries(def)) if (!(k in defReq)) defReq[k] = v;
      for (const [k, v] of Object.entries(item.min ?? {})) if (!(k in defReq)) defReq[k] = v as string;
      // Empty maps disappear on the wire (omitempty), so only non-empty ones are written.
      if (Object.keys(def).length) item.default = def;
      if (Object.keys(defReq).length) item.defaultRequest = defReq;
    }
  },
  validate(obj) {
    const lr = obj as unknown as LimitRange;
    const errs: FieldError[] = [];
    const seenTypes = new Set<string>();
    (lr.spec?.limits ?? []).forEach((item, i) => {
      const p = root('spec').child('limits').index(i);
      const type = item.type ?? '';
      errs.push(...validateTypeName(type, p.child('type')));
      if (seenTypes.has(type)) errs.push(duplicate(p.child('type'), type));
      seenTypes.add(type);
      const nameCheck = (k: string, path: FieldPath) =>
        type === 'Pod' || type === 'Container' ? validateContainerResourceName(k, path) : validateResourceName(k, path);
      const read = (field: 'max' | 'min' | 'default' | 'defaultRequest' | 'maxLimitRequestRatio'): Map<string, Quantity> => {
        const m = resourceList(item[field] as Record<string, unknown>, p.child(field), errs);
        for (const k of m.keys()) errs.push(...nameCheck(k, p.child(field).key(k)));
        return m;
      };
      const max = read('max');
      const min = read('min');
      let defaults = new Map<string, Quantity>();
      let defaultRequests = new Map<string, Quantity>();
      if (type === 'Pod') {
        if (Object.keys(item.default ?? {}).length) errs.push(forbidden(p.child('default'), "may not be specified when `type` is 'Pod'"));
        if (Object.keys(item.defaultRequest ?? {}).length) errs.push(forbidden(p.child('defaultRequest'), "may not be specified when `type` is 'Pod'"));
      } else {
        defaults = read('default');
        defaultRequests = read('defaultRequest');
      }
      if (type === 'PersistentVolumeClaim' && !min.has('storage') && !max.has('storage'))
        errs.push(required(p.child('limits'), 'either minimum or maximum storage value is required, but neither was provided'));
      const ratios = read('maxLimitRequestRatio');
      const keys = new Set([...max.keys(), ...min.keys(), ...defaults.keys(), ...defaultRequests.keys(), ...ratios.keys()]);
      for (const k of [...keys].sort()) {
        const mn = min.get(k);
        const mx = max.get(k);
        const df = defaults.get(k);
        const dr = defaultRequests.get(k);
        const ratio = ratios.get(k);
        if (mn && mx && mn.cmp(mx) > 0) errs.push(invalid(p.child('min').key(k), quantityValue(mn), `min value ${mn} is greater than max value ${mx}`));
        if (dr && mn && mn.cmp(dr) > 0) errs.push(invalid(p.child('defaultRequest').key(k), quantityValue(dr), `min value ${mn} is greater than default request value ${dr}`));
        if (dr && mx && dr.cmp(mx) > 0) errs.push(invalid(p.child('defaultRequest').key(k), quantityValue(dr), `default request value ${dr} is greater than max value ${mx}`));
        if (dr && df && dr.cmp(df) > 0) errs.push(invalid(p.child('defaultRequest').key(k), quantityValue(dr), `default request value ${dr} is greater than default limit value ${df}`));
        if (df && mn && mn.cmp(df) > 0) errs.push(invalid(p.child('default').key(k), quantityValue(mn), `min value ${mn} is greater than default value ${df}`));
        if (df && mx && df.cmp(mx) > 0) errs.push(invalid(p.child('default').key(k), quantityValue(mx), `default value ${df} is greater than max value ${mx}`));
        if (ratio && ratio.milliValue() < 1000n) errs.push(invalid(p.child('maxLimitRequestRatio').key(k), quantityValue(ratio), `ratio ${ratio} is less than 1`));
        if (ratio && mn && mx) {
          const limit = Number(mx.milliValue()) / Number(mn.milliValue());
          if (Number(ratio.milliValue()) / 1000 > limit)
            errs.push(invalid(p.child('maxLimitRequestRatio').key(k), quantityValue(ratio), `ratio ${ratio} is greater than max/min = ${goFloat(limit)}`));
        }
        if (!isOvercommitAllowed(k) && df && dr && df.cmp(dr) !== 0)
          errs.push(invalid(p.child('defaultRequest').key(k), quantityValue(dr), `default value ${df} must equal to defaultRequest value ${dr} in ${k}`));
      }
    });
    return errs;
  },
};
