/**
 * batch/v1 Job strategy (pkg/registry/batch/job/strategy.go, SetDefaults_Job in
 * pkg/apis/batch/v1/defaults.go). Unless `manualSelector` is true, the selector and the template
 * labels are generated from the job's uid (set by the generic store before prepareForCreate).
 */
import type { Job, JobSpec } from 'kubernetes-types/batch/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { type FieldError, FieldPath, invalid, required } from '../../field-errors.js';
import type { ApiObject } from '../../object.js';
import type { ResourceStrategy } from '../../strategy.js';
import { validateLabelSelector } from '../../validation/meta.js';
import { isDNS1123Label } from '../../validation/names.js';
import { selectorOf, templateMatches } from './controller-validation.js';
import {
  controllerUidLabel,
  jobNameLabel,
  legacyControllerUidLabel,
  legacyJobNameLabel,
  validateGeneratedSelector,
  validateJobSpecCommon,
  validateJobSpecUpdate,
} from './job-validation.js';
import { defaultPodTemplateSpec } from './pod-defaults.js';
import { isObject, nonNegative, root } from './util.js';

const asJob = (o: ApiObject): Job => o as unknown as Job;

/** SetDefaults_Job. */
export function defaultJob(job: Job): void {
  const spec = (job.spec ??= {} as JobSpec);
  if (spec.completions == null && spec.parallelism == null) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  spec.parallelism ??= 1;
  spec.backoffLimit ??= spec.backoffLimitPerIndex != null ? 2147483647 : 6;
  if (!isObject(spec.template)) spec.template = {} as PodTemplateSpec;
  const labels = spec.template.metadata?.labels;
  if (labels && Object.keys(labels).length > 0 && Object.keys(job.metadata?.labels ?? {}).length === 0) (job.metadata ??= {}).labels = { ...labels };
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  for (const rule of spec.podFailurePolicy?.rules ?? []) for (const c of rule?.onPodConditions ?? []) if (isObject(c) && !c.status) c.status = 'True';
  spec.podReplacementPolicy ??= spec.podFailurePolicy ? 'Failed' : 'TerminatingOrFailed';
  defaultPodTemplateSpec(spec.template);
}

/** generateSelector: job-name and controller-uid labels (legacy and prefixed) on the template; the selector picks the uid. */
export function generateSelector(job: Job): void {
  const spec = (job.spec ??= {} as JobSpec);
  const template = (spec.template ??= {} as PodTemplateSpec);
  const meta = (template.metadata ??= {});
  const labels = (meta.labels ??= {});
  const name = job.metadata?.name ?? '';
  const uid = job.metadata?.uid ?? '';
  for (const k of [legacyJobNameLabel, jobNameLabel]) if (!(k in labels)) labels[k] = name;
  for (const k of [legacyControllerUidLabel, controllerUidLabel]) if (!(k in labels)) labels[k] = uid;
  const sel = (spec.selector ??= {});
  const ml = (sel.matchLabels ??= {});
  if (!(controllerUidLabel in ml)) ml[controllerUidLabel] = uid;
}

/** ValidateJob: the generated selector, the spec, the selector, and pod hostnames of Indexed jobs. */
export function validateJob(job: Job): FieldError[] {
  const spec = isObject(job.spec) ? job.spec : ({} as JobSpec);
  const path = root('spec');
  const errs = validateGeneratedSelector(job);
  errs.push(...validateJobSpecCommon(spec, path));
  if (!isObject(spec.selector)) errs.push(required(path.child('selector')));
  else errs.push(...validateLabelSelector(spec.selector, path.child('selector')));
  errs.push(...templateMatches(spec.template, selectorOf(spec.selector), path.child('template', 'metadata', 'labels')));
  if (spec.completionMode === 'Indexed' && typeof spec.completions === 'number' && spec.completions > 0) {
    const hostname = `${job.metadata?.name ?? ''}-${spec.completions - 1}`;
    if (isDNS1123Label(hostname).length > 0)
      errs.push(invalid(FieldPath.root('metadata').child('name'), job.metadata?.name ?? '', `will not able to create pod with invalid DNS label: ${hostname}`));
  }
  return errs;
}

export const jobStrategy: ResourceStrategy = {
  default: (obj) => defaultJob(asJob(obj)),
  prepareForCreate(obj) {
    const job = asJob(obj);
    obj.status = {};
    if (job.spec?.manualSelector !== true) generateSelector(job);
    // Upstream defaults job labels from the template on every decode, so a read after create
    // shows the generated template labels on the job too.
    const labels = job.spec?.template?.metadata?.labels;
    if (labels && Object.keys(obj.metadata.labels ?? {}).length === 0) obj.metadata.labels = { ...labels };
  },
  validate: (obj) => validateJob(asJob(obj)),
  validateUpdate: (obj, old) => validateJobSpecUpdate(asJob(obj), asJob(old)),
  statusValidateUpdate(obj) {
    const s = isObject(obj.status) ? obj.status : {};
    return ['active', 'succeeded', 'failed', 'ready', 'terminating'].flatMap((k) => nonNegative(s[k] as number | undefined, root('status').child(k)));
  },
};
