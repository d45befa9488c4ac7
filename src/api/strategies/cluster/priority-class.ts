/** PriorityClasses: scheduling/v1 defaults and pkg/apis/scheduling/validation. */
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import { type FieldError, forbidden, notSupported, required } from '../../field-errors.js';
import { type ClusterStrategy, immutable, root } from './util.js';

export const highestUserDefinablePriority = 1000000000;
const systemPrefix = 'system-';
/** The predefined system classes (pkg/apis/scheduling/types.go). */
export const systemPriorityClasses: { name: string; value: number; globalDefault: boolean }[] = [
  { name: 'system-node-critical', value: 2000001000, globalDefault: false },
  { name: 'system-cluster-critical', value: 2000000000, globalDefault: false },
];
const preemptionPolicies = ['PreemptLowerPriority', 'Never'];

function knownSystemClassError(pc: PriorityClass): string | undefined {
  const spc = systemPriorityClasses.find((s) => s.name === pc.metadata?.name);
  if (!spc) return `${pc.metadata?.name} is not a known system priority class`;
  if (spc.value !== pc.value) return `value of ${spc.name} PriorityClass must be ${spc.value}`;
  if (spc.globalDefault !== (pc.globalDefault ?? false)) return `globalDefault of ${spc.name} PriorityClass must be ${spc.globalDefault}`;
  return undefined;
}

export const priorityClassStrategy: ClusterStrategy = {
  default(obj) {
    const pc = obj as unknown as { preemptionPolicy?: string };
    if (pc.preemptionPolicy === undefined) pc.preemptionPolicy = 'PreemptLowerPriority';
  },
  validate(obj) {
    const pc = obj as unknown as PriorityClass;
    const errs: FieldError[] = [];
    if ((pc.metadata?.name ?? '').startsWith(systemPrefix)) {
      const err = knownSystemClassError(pc);
      if (err)
        errs.push(forbidden(root('metadata').child('name'), `priority class names with '${systemPrefix}' prefix are reserved for system use only. error: ${err}`));
    } else if (pc.value > highestUserDefinablePriority) {
      errs.push(forbidden(root('value'), `maximum allowed value of a user defined priority is ${highestUserDefinablePriority}`));
    }
    if (pc.preemptionPolicy !== undefined) {
      if (pc.preemptionPolicy === '') errs.push(required(root('preemptionPolicy')));
      else if (!preemptionPolicies.includes(pc.preemptionPolicy)) errs.push(notSupported(root('preemptionPolicy'), pc.preemptionPolicy, preemptionPolicies));
    }
    return errs;
  },
  validateUpdate(obj, old) {
    const pc = obj as unknown as PriorityClass;
    const prev = old as unknown as PriorityClass;
    const errs: FieldError[] = [];
    if (pc.value !== prev.value) errs.push(forbidden(root('value'), 'may not be changed in an update.'));
    errs.push(...immutable(pc.preemptionPolicy, prev.preemptionPolicy, root('preemptionPolicy')));
    return errs;
  },
};
