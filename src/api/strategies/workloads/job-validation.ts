/**
 * batch/v1 Job spec validation (pkg/apis/batch/validation/validation.go: validateJobSpec,
 * validatePodFailurePolicy, validatePodReplacementPolicy, validateGeneratedSelector,
 * ValidateJobSpecUpdate). Shared by Job and by CronJob's jobTemplate.
 */
import type { Job, JobSpec, PodFailurePolicyRule } from 'kubernetes-types/batch/v1.js';
import { duplicate, type FieldError, FieldPath, invalid, notSupported, required, tooLong, tooMany } from '../../field-errors.js';
import { deepCopy } from '../../object.js';
import { selectorOf } from './controller-validation.js';
import { validatePodTemplateSpec } from './pod-spec-validation.js';
import { immutableField, isObject, nonNegative, qualifiedNameErrors } from './util.js';

export const legacyControllerUidLabel = 'controller-uid';
export const legacyJobNameLabel = 'job-name';
export const controllerUidLabel = 'batch.kubernetes.io/controller-uid';
export const jobNameLabel = 'batch.kubernetes.io/job-name';

const maxParallelismForIndexedJob = 100000;
const maxFailedIndexesForIndexedJob = 100000;
const completionsSoftLimit = 100000;
const parallelismLimitForHighCompletions = 10000;
const maxFailedIndexesLimitForHighCompletions = 10000;
const failurePolicyActions = ['Count', 'FailIndex', 'FailJob', 'Ignore'];
const exitCodeOperators = ['In', 'NotIn'];
const conditionStatuses = ['False', 'True', 'Unknown'];
const quoted = (list: readonly string[]): string => `[${list.map((s) => JSON.stringify(s)).join(' ')}]`;

function validatePodFailurePolicyRule(spec: JobSpec, rule: PodFailurePolicyRule, path: FieldPath, containers: Set<string>): FieldError[] {
  const errs: FieldError[] = [];
  const ap = path.child('action');
  if (!rule.action) errs.push(required(ap, `valid values: ${quoted(failurePolicyActions)}`));
  else if (rule.action === 'FailIndex') {
    if (spec.backoffLimitPerIndex === undefined || spec.backoffLimitPerIndex === null) errs.push(invalid(ap, rule.action, 'requires the backoffLimitPerIndex to be set'));
  } else if (!failurePolicyActions.includes(rule.action)) errs.push(notSupported(ap, rule.action, failurePolicyActions));
  const ec = rule.onExitCodes;
  if (isObject(ec)) {
    const ep = path.child('onExitCodes');
    if (!ec.operator) errs.push(required(ep.child('operator'), `valid values: ${quoted(exitCodeOperators)}`));
    else if (!exitCodeOperators.includes(ec.operator)) errs.push(notSupported(ep.child('operator'), ec.operator, exitCodeOperators));
    if (ec.containerName !== undefined && ec.containerName !== null && !containers.has(ec.containerName))
      errs.push(invalid(ep.child('containerName'), ec.containerName, 'must be one of the container or initContainer names in the pod template'));
    const values = Array.isArray(ec.values) ? ec.values : [];
    const vp = ep.child('values');
    if (values.length === 0) errs.push(invalid(vp, values, 'at least one value is required'));
    else if (values.length > 255) errs.push(tooMany(vp, values.length, 255));
    const seen = new Set<number>();
    let ordered = true;
    values.forEach((v, j) => {
      if (ec.operator === 'In' && v === 0) errs.push(invalid(vp.index(j), v, 'must not be 0 for the In operator'));
      if (seen.has(v)) errs.push(duplicate(vp.index(j), v));
      else seen.add(v);
      if (j > 0 && values[j - 1]! > v) ordered = false;
    });
    if (!ordered) errs.push(invalid(vp, values, 'must be ordered'));
  }
  const conds = Array.isArray(rule.onPodConditions) ? rule.onPodConditions : [];
  if (conds.length > 20) errs.push(tooMany(path.child('onPodConditions'), conds.length, 20));
  conds.forEach((c, j) => {
    const cp = path.child('onPodConditions').index(j);
    errs.push(...qualifiedNameErrors(c?.type ?? '', cp.child('type')));
    if (!c?.status) errs.push(required(cp.child('status'), `valid values: ${quoted(conditionStatuses)}`));
    else if (!conditionStatuses.includes(c.status)) errs.push(notSupported(cp.child('status'), c.status, conditionStatuses));
  });
  // Upstream omits the value from these two messages.
  if (isObject(ec) && conds.length > 0) errs.push({ type: 'FieldValueInvalid', field: path.toString(), detail: 'specifying both OnExitCodes and OnPodConditions is not supported' });
  if (!isObject(ec) && conds.length === 0) errs.push({ type: 'FieldValueInvalid', field: path.toString(), detail: 'specifying one of OnExitCodes and OnPodConditions is required' });
  return errs;
}

const domainPrefixedPathRe = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[-A-Za-z0-9_.~!$&'()*+,;=:@/%]*$/;

/** validateJobSpec: everything but the selector. */
export function validateJobSpecCommon(spec: JobSpec, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  errs.push(...nonNegative(spec.parallelism, path.child('parallelism')));
  errs.push(...nonNegative(spec.completions, path.child('completions')));
  errs.push(...nonNegative(spec.activeDeadlineSeconds, path.child('activeDeadlineSeconds')));
  errs.push(...nonNegative(spec.backoffLimit, path.child('backoffLimit')));
  errs.push(...nonNegative(spec.ttlSecondsAfterFinished, path.child('ttlSecondsAfterFinished')));
  errs.push(...nonNegative(spec.backoffLimitPerIndex, path.child('backoffLimitPerIndex')));
  const has = (v: unknown) => v !== undefined && v !== null;
  if (has(spec.maxFailedIndexes)) {
    errs.push(...nonNegative(spec.maxFailedIndexes, path.child('maxFailedIndexes')));
    if (!has(spec.backoffLimitPerIndex)) errs.push(required(path.child('backoffLimitPerIndex'), 'when maxFailedIndexes is specified'));
  }
  if (spec.managedBy !== undefined && spec.managedBy !== null) {
    if (!domainPrefixedPathRe.test(spec.managedBy)) errs.push(invalid(path.child('managedBy'), spec.managedBy, 'must be a domain-prefixed path (such as "acme.io/foo")'));
    if (spec.managedBy.length > 63) errs.push(tooLong(path.child('managedBy'), spec.managedBy, 63));
  }
  const mode = spec.completionMode;
  const indexed = mode === 'Indexed';
  if (has(mode)) {
    if (mode !== 'NonIndexed' && mode !== 'Indexed') errs.push(notSupported(path.child('completionMode'), mode, ['NonIndexed', 'Indexed']));
    if (indexed) {
      const completions = spec.completions;
      if (!has(completions)) errs.push(required(path.child('completions'), 'when completion mode is Indexed'));
      if ((spec.parallelism ?? 0) > maxParallelismForIndexedJob)
        errs.push(invalid(path.child('parallelism'), spec.parallelism, `must be less than or equal to ${maxParallelismForIndexedJob} when completion mode is Indexed`));
      if (has(completions) && has(spec.maxFailedIndexes) && spec.maxFailedIndexes! > completions!)
        errs.push(invalid(path.child('maxFailedIndexes'), spec.maxFailedIndexes, 'must be less than or equal to completions'));
      if ((spec.maxFailedIndexes ?? 0) > maxFailedIndexesForIndexedJob)
        errs.push(invalid(path.child('maxFailedIndexes'), spec.maxFailedIndexes, `must be less than or equal to ${maxFailedIndexesForIndexedJob}`));
      if ((completions ?? 0) > completionsSoftLimit && has(spec.backoffLimitPerIndex)) {
        const suffix = `when completions are above ${completionsSoftLimit} and used with backoff limit per index`;
        if (!has(spec.maxFailedIndexes)) errs.push(required(path.child('maxFailedIndexes'), `must be specified when completions is above ${completionsSoftLimit}`));
        if ((spec.parallelism ?? 0) > parallelismLimitForHighCompletions)
          errs.push(invalid(path.child('parallelism'), spec.parallelism, `must be less than or equal to ${parallelismLimitForHighCompletions} ${suffix}`));
        if ((spec.maxFailedIndexes ?? 0) > maxFailedIndexesLimitForHighCompletions)
          errs.push(invalid(path.child('maxFailedIndexes'), spec.maxFailedIndexes, `must be less than or equal to ${maxFailedIndexesLimitForHighCompletions} ${suffix}`));
      }
    }
  }
  if (!indexed) {
    if (has(spec.backoffLimitPerIndex)) errs.push(invalid(path.child('backoffLimitPerIndex'), spec.backoffLimitPerIndex, 'requires indexed completion mode'));
    if (has(spec.maxFailedIndexes)) errs.push(invalid(path.child('maxFailedIndexes'), spec.maxFailedIndexes, 'requires indexed completion mode'));
  }
  const pfp = spec.podFailurePolicy;
  if (isObject(pfp)) {
    const rules = Array.isArray(pfp.rules) ? pfp.rules : [];
    const rp = path.child('podFailurePolicy').child('rules');
    if (rules.length > 20) errs.push(tooMany(rp, rules.length, 20));
    const tspec = isObject(spec.template) && isObject(spec.template.spec) ? spec.template.spec : undefined;
    const containers = new Set([...(tspec?.containers ?? []), ...(tspec?.initContainers ?? [])].map((c) => c?.name));
    rules.forEach((r, i) => isObject(r) && errs.push(...validatePodFailurePolicyRule(spec, r, rp.index(i), containers)));
  }
  const sp = spec.successPolicy;
  if (isObject(sp)) {
    if (!indexed) errs.push(invalid(path.child('successPolicy'), sp, 'requires indexed completion mode'));
    else if (!Array.isArray(sp.rules) || sp.rules.length === 0)
      errs.push(required(path.child('successPolicy', 'rules'), 'at least one rules must be specified when the successPolicy is specified'));
    else
      sp.rules.forEach((r, i) => {
        if (!r?.succeededIndexes && (r?.succeededCount === undefined || r?.succeededCount === null))
          errs.push(required(path.child('successPolicy', 'rules').index(i), 'at least one of succeededCount or succeededIndexes must be specified'));
        if (typeof r?.succeededCount === 'number' && r.succeededCount < 0)
          errs.push(invalid(path.child('successPolicy', 'rules').index(i).child('succeededCount'), r.succeededCount, 'must be greater than or equal to 0'));
      });
  }
  const rpp = spec.podReplacementPolicy;
  if (has(rpp)) {
    if (isObject(pfp)) {
      if (rpp !== 'Failed') errs.push(notSupported(path.child('podReplacementPolicy'), rpp, ['Failed']));
    } else if (rpp !== 'Failed' && rpp !== 'TerminatingOrFailed') errs.push(notSupported(path.child('podReplacementPolicy'), rpp, ['Failed', 'TerminatingOrFailed']));
  }
  errs.push(...validatePodTemplateSpec(spec.template, path.child('template')));
  const restart = isObject(spec.template) && isObject(spec.template.spec) ? spec.template.spec.restartPolicy : undefined;
  const rpPath = path.child('template', 'spec', 'restartPolicy');
  if (restart === 'Always' || !restart) errs.push(required(rpPath, 'valid values: "OnFailure", "Never"'));
  else if (restart !== 'OnFailure' && restart !== 'Never') errs.push(notSupported(rpPath, restart, ['OnFailure', 'Never']));
  else if (isObject(pfp) && restart !== 'Never') errs.push(invalid(rpPath, restart, 'only "Never" is supported when podFailurePolicy is specified'));
  return errs;
}

/** ValidateHasLabel. */
function hasLabel(labels: Record<string, string> | undefined, path: FieldPath, key: string, expected: string): FieldError[] {
  const lp = path.child('labels').key(key);
  if (!labels || !(key in labels)) return [required(lp, `must be '${expected}'`)];
  return labels[key] === expected ? [] : [invalid(lp, labels, `must be '${expected}'`)];
}

/** validateGeneratedSelector: an auto-generated selector must carry the job's uid and name labels. */
export function validateGeneratedSelector(job: Job): FieldError[] {
  const spec = isObject(job.spec) ? job.spec : ({} as JobSpec);
  if (spec.manualSelector === true || !isObject(spec.selector)) return [];
  const errs: FieldError[] = [];
  const uid = job.metadata?.uid ?? '';
  const name = job.metadata?.name ?? '';
  if (!uid) errs.push(required(FieldPath.root('metadata').child('uid')));
  const mp = FieldPath.root('spec').child('template', 'metadata');
  const labels = isObject(spec.template) && isObject(spec.template.metadata) ? spec.template.metadata.labels : undefined;
  errs.push(...hasLabel(labels, mp, legacyControllerUidLabel, uid));
  errs.push(...hasLabel(labels, mp, legacyJobNameLabel, name));
  errs.push(...hasLabel(labels, mp, controllerUidLabel, uid));
  errs.push(...hasLabel(labels, mp, jobNameLabel, name));
  const expected = { [controllerUidLabel]: uid, [jobNameLabel]: name, [legacyControllerUidLabel]: uid, [legacyJobNameLabel]: name };
  const sel = selectorOf(spec.selector);
  if (sel && !sel.matches(expected)) errs.push(invalid(FieldPath.root('spec').child('selector'), spec.selector, '`selector` not auto-generated'));
  return errs;
}

/** ValidateJobSpecUpdate's immutability rules (the new spec is validated separately). */
export function validateJobSpecUpdate(job: Job, old: Job): FieldError[] {
  const spec = (isObject(job.spec) ? job.spec : {}) as JobSpec;
  const oldSpec = (isObject(old.spec) ? old.spec : {}) as JobSpec;
  const path = FieldPath.root('spec');
  const errs: FieldError[] = [];
  // Completions: immutable, except that Indexed jobs may scale completions together with parallelism.
  if (spec.completionMode === 'Indexed') {
    if (spec.completions !== oldSpec.completions && typeof spec.completions === 'number' && spec.completions !== spec.parallelism)
      errs.push(invalid(path.child('completions'), spec.completions, 'can only be modified in tandem with spec.parallelism'));
  } else errs.push(...immutableField(spec.completions, oldSpec.completions, path.child('completions')));
  errs.push(...immutableField(spec.selector, oldSpec.selector, path.child('selector')));
  // Scheduling directives of a suspended job that never started may change.
  let oldTemplate = oldSpec.template;
  const suspended = oldSpec.suspend === true;
  const neverStarted = !(isObject(old.status) && old.status.startTime);
  if (suspended && neverStarted && isObject(oldTemplate) && isObject(spec.template)) {
    const t = deepCopy(oldTemplate);
    const next = spec.template;
    t.spec ??= {} as NonNullable<typeof t.spec>;
    const ns = next.spec ?? ({} as NonNullable<typeof next.spec>);
    const na = ns.affinity?.nodeAffinity;
    if (!ns.affinity && t.spec.affinity) {
      delete t.spec.affinity.nodeAffinity;
      if (Object.keys(t.spec.affinity).length === 0) delete t.spec.affinity;
    } else if (ns.affinity && !t.spec.affinity) t.spec.affinity = na ? { nodeAffinity: na } : {};
    else if (ns.affinity && t.spec.affinity) {
      if (na) t.spec.affinity.nodeAffinity = na;
      else delete t.spec.affinity.nodeAffinity;
    }
    const copy = <K extends 'nodeSelector' | 'tolerations' | 'schedulingGates'>(k: K) => {
      if (ns[k] === undefined) delete t.spec![k];
      else t.spec![k] = ns[k];
    };
    copy('nodeSelector');
    copy('tolerations');
    copy('schedulingGates');
    t.metadata ??= {};
    t.metadata.annotations = next.metadata?.annotations;
    t.metadata.labels = next.metadata?.labels;
    oldTemplate = t;
  }
  errs.push(...immutableField(spec.template, oldTemplate, path.child('template')));
  errs.push(...immutableField(spec.completionMode, oldSpec.completionMode, path.child('completionMode')));
  errs.push(...immutableField(spec.podFailurePolicy, oldSpec.podFailurePolicy, path.child('podFailurePolicy')));
  errs.push(...immutableField(spec.backoffLimitPerIndex, oldSpec.backoffLimitPerIndex, path.child('backoffLimitPerIndex')));
  errs.push(...immutableField(spec.managedBy, oldSpec.managedBy, path.child('managedBy')));
  errs.push(...immutableField(spec.successPolicy, oldSpec.successPolicy, path.child('successPolicy')));
  return errs;
}
