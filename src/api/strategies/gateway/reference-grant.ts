/** ReferenceGrant (gateway.networking.k8s.io/v1beta1) strategy: the CRD's patterns and item limits. */
import { type FieldError, FieldPath, invalid, required } from '../../field-errors.js';
import type { ResourceStrategy } from '../../strategy.js';
import type { ReferenceGrant } from './types.js';
import { groupPattern, kindPattern, namespacePattern, stringErrors, tooManyItems } from './rules.js';

function listErrors(items: unknown[] | undefined, path: FieldPath): FieldError[] {
  if (!items) return [required(path)];
  if (items.length === 0) return [invalid(path, 0, `${path.toString()} in body should have at least 1 items`)];
  return tooManyItems(items, path, 16);
}

export const referenceGrantStrategy: ResourceStrategy = {
  validate(obj) {
    const spec = (obj as ReferenceGrant).spec ?? {};
    const sp = FieldPath.root('spec');
    const errs = [...listErrors(spec.from, sp.child('from')), ...listErrors(spec.to, sp.child('to'))];
    (spec.from ?? []).forEach((f, i) => {
      const p = sp.child('from').index(i);
      errs.push(...stringErrors(f.group, p.child('group'), { pattern: groupPattern, max: 253, must: true }));
      errs.push(...stringErrors(f.kind, p.child('kind'), { pattern: kindPattern, max: 63, min: 1, must: true }));
      errs.push(...stringErrors(f.namespace, p.child('namespace'), { pattern: namespacePattern, max: 63, min: 1, must: true }));
    });
    (spec.to ?? []).forEach((t, i) => {
      const p = sp.child('to').index(i);
      errs.push(...stringErrors(t.group, p.child('group'), { pattern: groupPattern, max: 253, must: true }));
      errs.push(...stringErrors(t.kind, p.child('kind'), { pattern: kindPattern, max: 63, min: 1, must: true }));
      errs.push(...stringErrors(t.name, p.child('name'), { max: 253, min: 1 }));
    });
    return errs;
  },
};
