/** PodDisruptionBudgets: the poddisruptionbudget registry strategy and pkg/apis/policy/validation. */
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { type FieldError, invalid, notSupported } from '../../field-errors.js';
import { validateLabelSelector } from '../../validation/meta.js';
import { type ClusterStrategy, GoValue, nonNegative, root, validateIntOrPercent } from './util.js';

const evictionPolicies = ['AlwaysAllow', 'IfHealthyBudget'];

const intOrStringText = (v: number | string | undefined): string =>
  v === undefined ? '<nil>' : typeof v === 'number' ? `{Type:0 IntVal:${v} StrVal:}` : `{Type:1 IntVal:0 StrVal:${v}}`;

export const podDisruptionBudgetStrategy: ClusterStrategy = {
  prepareForCreate(obj) {
    (obj as { status?: unknown }).status = {};
  },
  validate(obj) {
    const pdb = obj as unknown as PodDisruptionBudget;
    const spec = pdb.spec ?? {};
    const sp = root('spec');
    const errs: FieldError[] = [];
    if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined) {
      const text = `policy.PodDisruptionBudgetSpec{MinAvailable:${intOrStringText(spec.minAvailable)}, Selector:..., MaxUnavailable:${intOrStringText(spec.maxUnavailable)}}`;
      errs.push(invalid(sp, new GoValue(text), 'minAvailable and maxUnavailable cannot be both set'));
    }
    if (spec.minAvailable !== undefined) errs.push(...validateIntOrPercent(spec.minAvailable, sp.child('minAvailable'), true));
    if (spec.maxUnavailable !== undefined) errs.push(...validateIntOrPercent(spec.maxUnavailable, sp.child('maxUnavailable'), true));
    errs.push(...validateLabelSelector(spec.selector, sp.child('selector')));
    if (spec.unhealthyPodEvictionPolicy !== undefined && !evictionPolicies.includes(spec.unhealthyPodEvictionPolicy))
      errs.push(notSupported(sp.child('unhealthyPodEvictionPolicy'), spec.unhealthyPodEvictionPolicy, evictionPolicies));
    return errs;
  },
  statusValidateUpdate(obj) {
    const st = (obj as unknown as PodDisruptionBudget).status;
    const p = root('status');
    return [
      ...nonNegative(st?.disruptionsAllowed, p.child('disruptionsAllowed')),
      ...nonNegative(st?.currentHealthy, p.child('currentHealthy')),
      ...nonNegative(st?.desiredHealthy, p.child('desiredHealthy')),
      ...nonNegative(st?.expectedPods, p.child('expectedPods')),
    ];
  },
};
