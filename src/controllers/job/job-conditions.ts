/**
 * Job conditions, their upstream reasons and messages (`pkg/controller/job/job_controller.go`,
 * `k8s.io/api/batch/v1` constants), and the success-policy matcher (`success_policy.go`).
 *
 * A finishing Job first gets an interim condition (FailureTarget or SuccessCriteriaMet) and its
 * remaining pods are deleted; the terminal condition (Failed or Complete) with the same reason and
 * message follows once no pod is left running or terminating and every result is counted.
 */
import type { Job, JobCondition, SuccessPolicy } from 'kubernetes-types/batch/v1.js';

export type JobConditionType = 'Complete' | 'Failed' | 'Suspended' | 'FailureTarget' | 'SuccessCriteriaMet';

export const jobReasons = {
  podFailurePolicy: 'PodFailurePolicy',
  backoffLimitExceeded: 'BackoffLimitExceeded',
  deadlineExceeded: 'DeadlineExceeded',
  maxFailedIndexesExceeded: 'MaxFailedIndexesExceeded',
  failedIndexes: 'FailedIndexes',
  successPolicy: 'SuccessPolicy',
  completionsReached: 'CompletionsReached',
  suspended: 'JobSuspended',
  resumed: 'JobResumed',
} as const;

export const jobMessages = {
  backoffLimitExceeded: 'Job has reached the specified backoff limit',
  deadlineExceeded: 'Job was active longer than specified deadline',
  maxFailedIndexesExceeded: 'Job has exceeded the specified maximal number of failed indexes',
  failedIndexes: 'Job has failed indexes',
  completionsReached: 'Reached expected number of succeeded pods',
  suspended: 'Job suspended',
  resumed: 'Job resumed',
} as const;

export interface ReasonAndMessage {
  reason: string;
  message: string;
}

export function findCondition(job: Job, type: JobConditionType): JobCondition | undefined {
  return job.status?.conditions?.find((c) => c.type === type);
}

export const hasTrueCondition = (job: Job, type: JobConditionType): boolean => findCondition(job, type)?.status === 'True';

/** Complete or Failed is True: the controller no longer touches the Job's pods except to release finalizers. */
export const isJobFinished = (job: Job): boolean => hasTrueCondition(job, 'Complete') || hasTrueCondition(job, 'Failed');

/**
 * Sets a condition in `conditions` (returned anew): an existing one of the type is replaced only
 * when status, reason or message changes; lastTransitionTime moves only when the status changes.
 */
export function setCondition(conditions: JobCondition[], type: JobConditionType, status: 'True' | 'False', rm: ReasonAndMessage, now: string): JobCondition[] {
  const i = conditions.findIndex((c) => c.type === type);
  const next: JobCondition = { type, status, lastProbeTime: now, lastTransitionTime: now, reason: rm.reason, message: rm.message };
  if (i < 0) return [...conditions, next];
  const cur = conditions[i];
  if (cur.status === status && cur.reason === rm.reason && cur.message === rm.message) return conditions;
  if (cur.status === status) next.lastTransitionTime = cur.lastTransitionTime;
  return conditions.map((c, j) => (j === i ? next : c));
}

/** The first success-policy rule that the completed indexes satisfy, as a reason and message. */
export function matchSuccessPolicy(policy: SuccessPolicy | undefined, completions: number, completed: ReadonlySet<number>, parse: (s: string, n: number) => number[]): ReasonAndMessage | undefined {
  for (const [i, rule] of (policy?.rules ?? []).entries()) {
    let matched: boolean;
    if (rule.succeededIndexes !== undefined) {
      const wanted = parse(rule.succeededIndexes, completions);
      const have = wanted.filter((ix) => completed.has(ix)).length;
      matched = rule.succeededCount !== undefined ? have >= rule.succeededCount : have === wanted.length && wanted.length > 0;
    } else {
      matched = rule.succeededCount !== undefined && completed.size >= rule.succeededCount;
    }
    if (matched) return { reason: jobReasons.successPolicy, message: `Matched rules at index ${i}` };
  }
  return undefined;
}
