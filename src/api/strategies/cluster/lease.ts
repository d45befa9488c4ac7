/** Leases: pkg/apis/coordination/validation (ValidateLeaseSpec). */
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { type FieldError, forbidden, invalid } from '../../field-errors.js';
import { type ClusterStrategy, root } from './util.js';

export const leaseStrategy: ClusterStrategy = {
  validate(obj) {
    const spec = ((obj as unknown as Lease).spec ?? {}) as NonNullable<Lease['spec']> & { strategy?: string; preferredHolder?: string };
    const sp = root('spec');
    const errs: FieldError[] = [];
    if (spec.leaseDurationSeconds !== undefined && spec.leaseDurationSeconds <= 0)
      errs.push(invalid(sp.child('leaseDurationSeconds'), spec.leaseDurationSeconds, 'must be greater than 0'));
    if (spec.leaseTransitions !== undefined && spec.leaseTransitions < 0)
      errs.push(invalid(sp.child('leaseTransitions'), spec.leaseTransitions, 'must be greater than or equal to 0'));
    if (spec.preferredHolder && !spec.strategy) errs.push(forbidden(sp.child('preferredHolder'), 'may only be specified if `strategy` is defined'));
    return errs;
  },
};
