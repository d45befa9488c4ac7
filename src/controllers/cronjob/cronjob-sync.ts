/**
 * One CronJob sync as a pure function (`pkg/controller/cronjob/cronjob_controllerv2.go` syncCronJob
 * and cleanupFinishedJobs, `utils.go`): reconcile `status.active` with the Jobs that exist, then
 * decide whether the most recent unmet schedule time gets a Job under the concurrency policy and
 * starting deadline, which finished Jobs fall outside the history limits, and when to look again.
 */
import type { CronJob, CronJobStatus, Job } from 'kubernetes-types/batch/v1.js';
import type { ObjectReference } from 'kubernetes-types/core/v1.js';
import { isJobFinished } from '../job/job-conditions.js';
import { formatRfc3339, jobNameFor, mostRecentScheduleTime, parseSchedule, type Schedule, tooManyMissed } from './schedule.js';

export const scheduledTimestampAnnotation = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
/** Upstream requeues 100 ms past the next schedule time so the clock has certainly passed it. */
export const nextScheduleDeltaMs = 100;

export interface CronJobEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface CronJobPlan {
  status: CronJobStatus;
  /** The Job to create (its name is deterministic, so a repeated create answers AlreadyExists). */
  createJob?: Job;
  /** Jobs to delete (propagation Background): replaced active ones and history past the limits. */
  deleteJobs: Job[];
  events: CronJobEvent[];
  requeueAfterMs?: number;
}

const jobRef = (j: Job): ObjectReference => ({ apiVersion: 'batch/v1', kind: 'Job', name: j.metadata?.name, namespace: j.metadata?.namespace, uid: j.metadata?.uid, resourceVersion: j.metadata?.resourceVersion });

const finishedCondition = (j: Job) => j.status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');

/** `jobs` are the Jobs the CronJob controls. */
export function planCronJobSync(cj: CronJob, jobs: Job[], now: number): CronJobPlan {
  const status: CronJobStatus = structuredClone(cj.status ?? {});
  const plan: CronJobPlan = { status, deleteJobs: [], events: [] };
  const byUid = new Map(jobs.map((j) => [j.metadata?.uid, j]));
  let active = [...(status.active ?? [])];

  // 1. status.active against the Jobs: finished ones leave, missing ones are forgotten, unknown running ones join.
  for (const j of jobs) {
    const listed = active.some((r) => r.uid === j.metadata?.uid);
    const done = finishedCondition(j);
    if (!listed && !done) {
      plan.events.push({ type: 'Warning', reason: 'UnexpectedJob', message: `Saw a job that the controller did not create or forgot: ${j.metadata?.name}` });
      active.push(jobRef(j));
    } else if (listed && done) {
      active = active.filter((r) => r.uid !== j.metadata?.uid);
      plan.events.push({ type: 'Normal', reason: 'SawCompletedJob', message: `Saw completed job: ${j.metadata?.name}, condition: ${done.type}` });
    }
    if (done?.type === 'Complete' && j.status?.completionTime) {
      if (!status.lastSuccessfulTime || Date.parse(j.status.completionTime) > Date.parse(status.lastSuccessfulTime)) status.lastSuccessfulTime = j.status.completionTime;
    }
  }
  for (const r of [...active]) {
    if (!byUid.has(r.uid)) {
      active = active.filter((x) => x !== r);
      plan.events.push({ type: 'Normal', reason: 'MissingJob', message: `Active job went missing: ${r.name}` });
    }
  }

  // 2. History limits.
  plan.deleteJobs.push(...pastHistoryLimit(jobs, 'Complete', cj.spec?.successfulJobsHistoryLimit), ...pastHistoryLimit(jobs, 'Failed', cj.spec?.failedJobsHistoryLimit));
  const finalize = () => {
    status.active = active.length ? active : undefined;
    if (!status.active) delete status.active;
    return plan;
  };
  if (cj.metadata?.deletionTimestamp) return finalize();

  // 3. The schedule.
  const spec = cj.spec!;
  if (spec.timeZone !== undefined && spec.timeZone !== null) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: spec.timeZone });
    } catch {
      plan.events.push({ type: 'Warning', reason: 'UnknownTimeZone', message: `invalid timeZone: ${JSON.stringify(spec.timeZone)}: unknown time zone ${spec.timeZone}` });
      return finalize();
    }
  }
  let sched: Schedule;
  try {
    sched = parseSchedule(spec.schedule, spec.timeZone ?? undefined);
  } catch (e) {
    plan.events.push({ type: 'Warning', reason: 'UnparseableSchedule', message: `unparseable schedule: ${JSON.stringify(spec.schedule)} : ${(e as Error).message}` });
    return finalize();
  }
  if (spec.suspend) return finalize();

  const created = Date.parse(cj.metadata?.creationTimestamp ?? new Date(now).toISOString());
  let earliest = status.lastScheduleTime ? Date.parse(status.lastScheduleTime) : created;
  const sds = spec.startingDeadlineSeconds ?? undefined;
  if (sds !== undefined && sds !== null) earliest = Math.max(earliest, now - sds * 1000);
  const recent = earliest > now ? { missed: 0 } : mostRecentScheduleTime(sched, earliest, now);
  if (recent.missed > tooManyMissed) {
    plan.events.push({ type: 'Warning', reason: 'TooManyMissedTimes', message: `too many missed start times: ${recent.missed}. Set or decrease .spec.startingDeadlineSeconds or check clock skew` });
  }
  plan.requeueAfterMs = sched.next(Math.max(now, recent.time ?? earliest)) + nextScheduleDeltaMs - now;
  if (recent.time === undefined) return finalize();
  const scheduled = recent.time;
  if (sds !== undefined && sds !== null && scheduled + sds * 1000 < now) {
    plan.events.push({ type: 'Warning', reason: 'MissSchedule', message: `Missed scheduled time to start a job: ${formatRfc3339(scheduled, spec.timeZone ?? undefined)}` });
    return finalize();
  }
  const name = jobNameFor(cj.metadata?.name ?? '', scheduled);
  if (active.some((r) => r.name === name) || (status.lastScheduleTime && Date.parse(status.lastScheduleTime) === scheduled)) return finalize();

  // 4. Concurrency policy.
  if (spec.concurrencyPolicy === 'Forbid' && active.length > 0) {
    plan.events.push({ type: 'Normal', reason: 'JobAlreadyActive', message: 'Not starting job because prior execution is running and concurrency policy is Forbid' });
    return finalize();
  }
  if (spec.concurrencyPolicy === 'Replace') {
    for (const r of active) {
      const j = byUid.get(r.uid);
      if (j) plan.deleteJobs.push(j);
    }
    active = [];
  }

  // 5. The Job of this schedule time.
  plan.createJob = jobFromTemplate(cj, scheduled);
  status.lastScheduleTime = new Date(scheduled).toISOString().replace('.000Z', 'Z');
  return finalize();
}

/** The finished Jobs of `type` beyond the newest `limit` (oldest first), as upstream's removeOldestJobs. */
function pastHistoryLimit(jobs: Job[], type: 'Complete' | 'Failed', limit: number | undefined): Job[] {
  if (limit === undefined || limit === null) return [];
  const finished = jobs.filter((j) => isJobFinished(j) && finishedCondition(j)?.type === type && !j.metadata?.deletionTimestamp);
  const startOf = (j: Job) => Date.parse(j.status?.startTime ?? j.metadata?.creationTimestamp ?? '') || 0;
  finished.sort((a, b) => startOf(a) - startOf(b));
  return finished.slice(0, Math.max(0, finished.length - limit));
}

/** The Job for `scheduled` (upstream getJobFromTemplate2). */
export function jobFromTemplate(cj: CronJob, scheduled: number): Job {
  const tpl = cj.spec?.jobTemplate ?? {};
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobNameFor(cj.metadata?.name ?? '', scheduled),
      namespace: cj.metadata?.namespace,
      labels: { ...(tpl.metadata?.labels ?? {}) },
      annotations: { ...(tpl.metadata?.annotations ?? {}), [scheduledTimestampAnnotation]: formatRfc3339(scheduled, cj.spec?.timeZone ?? undefined) },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: cj.metadata?.name ?? '', uid: cj.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true }],
    },
    spec: structuredClone(tpl.spec ?? { template: {} }),
  };
}

export { jobRef };
