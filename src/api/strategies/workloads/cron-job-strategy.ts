/**
 * batch/v1 CronJob strategy (pkg/registry/batch/cronjob/strategy.go, SetDefaults_CronJob,
 * validateCronJobSpec and ValidateJobTemplateSpec in pkg/apis/batch/validation).
 */
import type { CronJob, CronJobSpec } from 'kubernetes-types/batch/v1.js';
import { type FieldError, FieldPath, invalid, notSupported, required } from '../../field-errors.js';
import type { ApiObject } from '../../object.js';
import type { ResourceStrategy } from '../../strategy.js';
import { cronScheduleError, isKnownTimeZone } from './cron-schedule.js';
import { validateJobSpecCommon } from './job-validation.js';
import { defaultPodTemplateSpec } from './pod-defaults.js';
import { isObject, nonNegative, root } from './util.js';

const asCronJob = (o: ApiObject): CronJob => o as unknown as CronJob;
const concurrencyPolicies = ['Allow', 'Forbid', 'Replace'];
const timeZonePartRe = /^[A-Za-z.\-_0-9+]{1,14}$/;

/** SetDefaults_CronJob, plus the pod-template defaults inside jobTemplate. */
export function defaultCronJob(cj: CronJob): void {
  const spec = (cj.spec ??= {} as CronJobSpec);
  if (!spec.concurrencyPolicy) spec.concurrencyPolicy = 'Allow';
  spec.suspend ??= false;
  spec.successfulJobsHistoryLimit ??= 3;
  spec.failedJobsHistoryLimit ??= 1;
  const jt = (spec.jobTemplate ??= {});
  const meta = (jt.metadata ??= {}) as Record<string, unknown>;
  if (!('creationTimestamp' in meta)) meta.creationTimestamp = null;
  const js = (jt.spec ??= {} as NonNullable<typeof jt.spec>);
  if (!isObject(js.template)) js.template = {};
  defaultPodTemplateSpec(js.template);
}

/** validateTimeZone: an explicit IANA zone name. */
function validateTimeZone(tz: string | undefined, path: FieldPath): FieldError[] {
  if (tz === undefined || tz === null) return [];
  if (tz.length === 0) return [invalid(path, tz, 'timeZone must be nil or non-empty string')];
  for (const part of tz.split('/'))
    if (part === '.' || part === '..' || part.startsWith('-') || !timeZonePartRe.test(part)) return [invalid(path, tz, `unknown time zone ${tz}`)];
  if (tz.toLowerCase() === 'local') return [invalid(path, tz, 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones')];
  return isKnownTimeZone(tz) ? [] : [invalid(path, tz, `unknown time zone ${tz}`)];
}

/** validateCronJobSpec (create rules: `TZ=` in the schedule is refused) and the 52-character name limit. */
export function validateCronJob(cj: CronJob): FieldError[] {
  const spec = isObject(cj.spec) ? cj.spec : ({} as CronJobSpec);
  const path = root('spec');
  const errs: FieldError[] = [];
  const sp = path.child('schedule');
  if (!spec.schedule) errs.push(required(sp));
  else {
    const err = cronScheduleError(spec.schedule);
    if (err) errs.push(invalid(sp, spec.schedule, err));
    if (spec.schedule.includes('TZ')) errs.push(invalid(sp, spec.schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
  }
  errs.push(...nonNegative(spec.startingDeadlineSeconds, path.child('startingDeadlineSeconds')));
  errs.push(...validateTimeZone(spec.timeZone, path.child('timeZone')));
  const cp = spec.concurrencyPolicy;
  if (!cp) errs.push(required(path.child('concurrencyPolicy')));
  else if (!concurrencyPolicies.includes(cp)) errs.push(notSupported(path.child('concurrencyPolicy'), cp, concurrencyPolicies));
  const jtPath = path.child('jobTemplate');
  const js = isObject(spec.jobTemplate) && isObject(spec.jobTemplate.spec) ? spec.jobTemplate.spec : ({} as NonNullable<NonNullable<CronJobSpec['jobTemplate']>['spec']>);
  errs.push(...validateJobSpecCommon(js, jtPath.child('spec')));
  if (js.selector !== undefined && js.selector !== null) errs.push(invalid(jtPath.child('spec', 'selector'), js.selector, '`selector` will be auto-generated'));
  if (js.manualSelector === true) errs.push(notSupported(jtPath.child('spec', 'manualSelector'), true, ['nil', 'false']));
  errs.push(...nonNegative(spec.successfulJobsHistoryLimit, path.child('successfulJobsHistoryLimit')));
  errs.push(...nonNegative(spec.failedJobsHistoryLimit, path.child('failedJobsHistoryLimit')));
  const name = cj.metadata?.name ?? '';
  // The controller appends an 11-character suffix to job names, which must stay within 63.
  if (name.length > 52) errs.push(invalid(FieldPath.root('metadata').child('name'), name, 'must be no more than 52 characters'));
  return errs;
}

export const cronJobStrategy: ResourceStrategy = {
  default: (obj) => defaultCronJob(asCronJob(obj)),
  prepareForCreate(obj) {
    obj.status = {};
  },
  validate: (obj) => validateCronJob(asCronJob(obj)),
};
