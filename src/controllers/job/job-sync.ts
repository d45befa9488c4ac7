/**
 * One Job sync as a pure function (`pkg/controller/job/job_controller.go` syncJob, manageJob,
 * trackJobStatusAndRemoveFinalizers): from the Job, its pods and the time, the status to write and
 * the effects that follow the write.
 *
 * Result tracking with finalizers: a finished pod that still carries the tracking finalizer is
 * first recorded by uid in `status.uncountedTerminatedPods` (and, for Indexed Jobs, in
 * `completedIndexes`/`failedIndexes`); only after that status is written is its finalizer removed;
 * a later sync moves uids whose pods lost the finalizer (or are gone) into `succeeded`/`failed`.
 * So a result is never lost nor counted twice, whatever the order of crashes and cache lag.
 */
import type { Job, JobCondition, JobStatus } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { backoffDurationMs, backoffRecord, remainingBackoffMs } from './backoff.js';
import { findCondition, hasTrueCondition, isJobFinished, jobMessages, jobReasons, matchSuccessPolicy, type ReasonAndMessage, setCondition } from './job-conditions.js';
import { formatIndexes, parseIndexes, podCompletionIndex } from './indexes.js';
import {
  hasTrackingFinalizer,
  indexFailureCountAnnotation,
  indexIgnoredFailureCountAnnotation,
  isActive,
  isFailed,
  isIndexed,
  isReady,
  isSucceeded,
  isTerminating,
  onlyReplaceFailedPods,
  podFinishTime,
} from './job-pods.js';
import { matchPodFailurePolicy } from './pod-failure-policy.js';

export interface PodToCreate {
  index?: number;
  failureCounts?: { failed: number; ignored: number };
}

export interface JobEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface JobSyncPlan {
  /** The status to write (only when it differs from the Job's). */
  status: JobStatus;
  /** Pods whose tracking finalizer goes, after the status is written. */
  removeFinalizers: Pod[];
  /** Pods to delete because the Job is finishing, suspended, or has too many (or duplicate) pods. */
  deletePods: Pod[];
  /** True when `deletePods` only trims/dedupes active pods (gated by expectations), false when the Job is finishing or suspended. */
  deletionsAreScaling: boolean;
  createPods: PodToCreate[];
  events: JobEvent[];
  /** Look again after this long (active deadline, pod-creation back-off). */
  requeueAfterMs?: number;
}

const int = (v: number | undefined, d: number): number => (v === undefined || v === null ? d : v);

export interface PlanOptions {
  /** False while earlier creations/deletions are not yet observed (expectations): no scaling this time. Default true. */
  manage?: boolean;
}

export function planJobSync(job: Job, pods: Pod[], now: number, opts: PlanOptions = {}): JobSyncPlan {
  const nowIso = new Date(now).toISOString();
  const plan: JobSyncPlan = { status: structuredClone(job.status ?? {}), removeFinalizers: [], deletePods: [], deletionsAreScaling: false, createPods: [], events: [] };
  const status = plan.status;
  if (isJobFinished(job)) {
    // Results of a finished Job are final: only release pods still held.
    plan.removeFinalizers = pods.filter(hasTrackingFinalizer);
    return plan;
  }
  const spec = job.spec ?? { template: {} };
  const indexed = isIndexed(job);
  const completions = spec.completions ?? undefined;
  const parallelism = int(spec.parallelism, 1);
  const perIndex = indexed && spec.backoffLimitPerIndex !== undefined && spec.backoffLimitPerIndex !== null;
  const suspended = !!spec.suspend;

  // 1. Flush uncounted uids whose pods no longer hold the finalizer.
  const byUid = new Map(pods.map((p) => [p.metadata?.uid ?? '', p]));
  const uncountedSucceeded = new Set(status.uncountedTerminatedPods?.succeeded ?? []);
  const uncountedFailed = new Set(status.uncountedTerminatedPods?.failed ?? []);
  let succeeded = int(status.succeeded, 0);
  let failed = int(status.failed, 0);
  for (const uid of [...uncountedSucceeded]) {
    const p = byUid.get(uid);
    if (!p || !hasTrackingFinalizer(p)) {
      uncountedSucceeded.delete(uid);
      succeeded++;
    }
  }
  for (const uid of [...uncountedFailed]) {
    const p = byUid.get(uid);
    if (!p || !hasTrackingFinalizer(p)) {
      uncountedFailed.delete(uid);
      failed++;
    }
  }

  // 2. Record newly finished pods.
  const n = completions ?? 0;
  const completed = new Set(indexed ? parseIndexes(status.completedIndexes, n) : []);
  const failedIndexes = new Set(perIndex ? parseIndexes(status.failedIndexes, n) : []);
  let failureTarget: ReasonAndMessage | undefined;
  for (const p of pods) {
    if (!hasTrackingFinalizer(p)) continue;
    const uid = p.metadata?.uid ?? '';
    if (uncountedSucceeded.has(uid) || uncountedFailed.has(uid)) {
      plan.removeFinalizers.push(p);
      continue;
    }
    if (isSucceeded(p)) {
      const ix = podCompletionIndex(p);
      if (!indexed) uncountedSucceeded.add(uid);
      else if (ix !== undefined && ix < n && !completed.has(ix) && !failedIndexes.has(ix)) {
        completed.add(ix);
        uncountedSucceeded.add(uid);
      }
      plan.removeFinalizers.push(p);
    } else if (isFailed(p, job)) {
      plan.removeFinalizers.push(p);
      // Pods deleted because the Job is suspended are not failures.
      if (suspended && p.status?.phase !== 'Failed') continue;
      const match = matchPodFailurePolicy(spec.podFailurePolicy, p);
      if (match?.action === 'Ignore') continue;
      uncountedFailed.add(uid);
      if (match?.action === 'FailJob' && !failureTarget) failureTarget = { reason: jobReasons.podFailurePolicy, message: match.message };
      if (perIndex) {
        const ix = podCompletionIndex(p);
        const failures = Number(p.metadata?.annotations?.[indexFailureCountAnnotation] ?? 0) + 1;
        if (ix !== undefined && ix < n && !completed.has(ix) && (match?.action === 'FailIndex' || failures > spec.backoffLimitPerIndex!)) failedIndexes.add(ix);
      }
    }
  }
  succeeded += uncountedSucceeded.size;
  failed += uncountedFailed.size;
  if (indexed) status.completedIndexes = formatIndexes(completed);
  if (perIndex) status.failedIndexes = formatIndexes(failedIndexes);
  status.uncountedTerminatedPods = {
    ...(uncountedSucceeded.size ? { succeeded: [...uncountedSucceeded] } : {}),
    ...(uncountedFailed.size ? { failed: [...uncountedFailed] } : {}),
  };
  // Counters include the uncounted results of this sync only once those are flushed.
  const countedSucceeded = succeeded - uncountedSucceeded.size;
  const countedFailed = failed - uncountedFailed.size;
  status.succeeded = countedSucceeded;
  status.failed = countedFailed;

  const active = pods.filter(isActive);
  const terminating = pods.filter(isTerminating).length;
  let conditions: JobCondition[] = status.conditions ?? [];

  // 3. Suspension and start time.
  const wasSuspended = hasTrueCondition(job, 'Suspended');
  if (suspended && !wasSuspended && !findCondition(job, 'FailureTarget') && !findCondition(job, 'SuccessCriteriaMet')) {
    conditions = setCondition(conditions, 'Suspended', 'True', { reason: jobReasons.suspended, message: jobMessages.suspended }, nowIso);
    plan.events.push({ type: 'Normal', reason: 'Suspended', message: jobMessages.suspended });
  } else if (!suspended && wasSuspended) {
    conditions = setCondition(conditions, 'Suspended', 'False', { reason: jobReasons.resumed, message: jobMessages.resumed }, nowIso);
    plan.events.push({ type: 'Normal', reason: 'Resumed', message: jobMessages.resumed });
    // Resuming restarts the activeDeadlineSeconds clock.
    status.startTime = nowIso;
  }
  if (!suspended && !status.startTime) status.startTime = nowIso;
  if (suspended && status.startTime && active.length === 0 && terminating === 0) delete status.startTime;

  // 4. Finishing decisions (upstream order: pod failure policy, backoff limit, max failed indexes, deadline; then success).
  let interim = hasTrueCondition(job, 'FailureTarget') ? 'failure' : hasTrueCondition(job, 'SuccessCriteriaMet') ? 'success' : undefined;
  if (!interim) {
    const backoffLimit = int(spec.backoffLimit, 6);
    let restarts = 0;
    if (spec.template?.spec?.restartPolicy === 'OnFailure') for (const p of active) for (const c of [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]) restarts += c.restartCount ?? 0;
    const deadlineMs = spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds !== null && status.startTime && !suspended ? Date.parse(status.startTime) + spec.activeDeadlineSeconds * 1000 : undefined;
    if (!failureTarget && !perIndex && (failed > backoffLimit || (restarts > 0 && failed + restarts > backoffLimit))) failureTarget = { reason: jobReasons.backoffLimitExceeded, message: jobMessages.backoffLimitExceeded };
    if (!failureTarget && perIndex && spec.maxFailedIndexes !== undefined && spec.maxFailedIndexes !== null && failedIndexes.size > spec.maxFailedIndexes) failureTarget = { reason: jobReasons.maxFailedIndexesExceeded, message: jobMessages.maxFailedIndexesExceeded };
    if (!failureTarget && deadlineMs !== undefined) {
      if (now >= deadlineMs) failureTarget = { reason: jobReasons.deadlineExceeded, message: jobMessages.deadlineExceeded };
      else plan.requeueAfterMs = deadlineMs - now;
    }
    let success: ReasonAndMessage | undefined;
    if (!failureTarget) {
      if (indexed) {
        success = matchSuccessPolicy(spec.successPolicy, n, completed, parseIndexes);
        if (!success && completed.size + failedIndexes.size >= n) {
          if (failedIndexes.size > 0) failureTarget = { reason: jobReasons.failedIndexes, message: jobMessages.failedIndexes };
          else success = { reason: jobReasons.completionsReached, message: jobMessages.completionsReached };
        }
      } else if (completions === undefined ? succeeded > 0 && active.length === 0 : succeeded >= completions) {
        success = { reason: jobReasons.completionsReached, message: jobMessages.completionsReached };
      }
    }
    if (failureTarget) {
      conditions = setCondition(conditions, 'FailureTarget', 'True', failureTarget, nowIso);
      interim = 'failure';
    } else if (success) {
      conditions = setCondition(conditions, 'SuccessCriteriaMet', 'True', success, nowIso);
      interim = 'success';
    }
  }

  // 5. Pods: finishing and suspended Jobs lose their active pods; others are scaled to what is wanted.
  if (interim || suspended) {
    plan.deletePods = active;
    plan.requeueAfterMs = interim ? undefined : plan.requeueAfterMs;
  } else if (opts.manage !== false) {
    manage(job, pods, active, now, { indexed, n, completions, parallelism, succeeded, completed, failedIndexes, perIndex }, plan);
  }

  // 6. The terminal condition, once nothing runs and every result is counted.
  if (interim && active.length === 0 && terminating === 0 && uncountedSucceeded.size === 0 && uncountedFailed.size === 0) {
    const cond = findConditionIn(conditions, interim === 'failure' ? 'FailureTarget' : 'SuccessCriteriaMet')!;
    const rm = { reason: cond.reason ?? '', message: cond.message ?? '' };
    if (interim === 'failure') {
      conditions = setCondition(conditions, 'Failed', 'True', rm, nowIso);
      plan.events.push({ type: 'Warning', reason: rm.reason, message: rm.message });
    } else {
      conditions = setCondition(conditions, 'Complete', 'True', rm, nowIso);
      status.completionTime = nowIso;
      plan.events.push({ type: 'Normal', reason: 'Completed', message: 'Job completed' });
    }
    plan.requeueAfterMs = undefined;
  }
  if (conditions.length) status.conditions = conditions;

  const deleted = new Set(plan.deletePods);
  const stillActive = active.filter((p) => !deleted.has(p));
  status.active = stillActive.length + plan.createPods.length;
  status.ready = stillActive.filter(isReady).length;
  status.terminating = terminating + deleted.size;
  return plan;
}

const findConditionIn = (cs: JobCondition[], type: string) => cs.find((c) => c.type === type);

interface ManageInput {
  indexed: boolean;
  n: number;
  completions: number | undefined;
  parallelism: number;
  succeeded: number;
  completed: Set<number>;
  failedIndexes: Set<number>;
  perIndex: boolean;
}

/** manageJob: create or delete pods so that the wanted number run (and, for Indexed Jobs, each pending index has one). */
function manage(job: Job, pods: Pod[], active: Pod[], now: number, m: ManageInput, plan: JobSyncPlan): void {
  const replaceOnlyFailed = onlyReplaceFailedPods(job);
  const blocking = replaceOnlyFailed ? pods.filter(isTerminating) : [];
  if (!m.indexed) {
    const want = m.completions === undefined ? (m.succeeded > 0 ? 0 : m.parallelism) : Math.max(0, Math.min(m.parallelism, m.completions - m.succeeded));
    if (active.length > want) {
      plan.deletePods = deletionOrder(active).slice(0, active.length - want);
      plan.deletionsAreScaling = true;
      return;
    }
    const missing = want - active.length - blocking.length;
    if (missing <= 0) return;
    const wait = remainingBackoffMs(backoffRecord(job, pods), now);
    if (wait > 0) {
      plan.requeueAfterMs = minDefined(plan.requeueAfterMs, wait);
      return;
    }
    for (let i = 0; i < missing; i++) plan.createPods.push({});
    return;
  }
  // Indexed: one active pod per pending index; extra, duplicate and out-of-range pods go.
  const byIndex = new Map<number, Pod[]>();
  const extra: Pod[] = [];
  for (const p of active) {
    const ix = podCompletionIndex(p);
    if (ix === undefined || ix >= m.n || m.completed.has(ix) || m.failedIndexes.has(ix)) extra.push(p);
    else byIndex.set(ix, [...(byIndex.get(ix) ?? []), p]);
  }
  for (const group of byIndex.values()) if (group.length > 1) extra.push(...deletionOrder(group).slice(0, group.length - 1));
  const kept = active.length - extra.length;
  if (kept > m.parallelism) {
    const keptPods = active.filter((p) => !extra.includes(p));
    extra.push(...deletionOrder(keptPods).slice(0, kept - m.parallelism));
  }
  if (extra.length) {
    plan.deletePods = extra;
    plan.deletionsAreScaling = true;
    return;
  }
  const busy = new Set<number>([...byIndex.keys(), ...blocking.map(podCompletionIndex).filter((x): x is number => x !== undefined)]);
  let room = m.parallelism - kept - (replaceOnlyFailed ? blocking.length : 0);
  const shared = m.perIndex ? undefined : remainingBackoffMs(backoffRecord(job, pods), now);
  if (shared) {
    plan.requeueAfterMs = minDefined(plan.requeueAfterMs, shared);
    return;
  }
  for (let ix = 0; ix < m.n && room > 0; ix++) {
    if (m.completed.has(ix) || m.failedIndexes.has(ix) || busy.has(ix)) continue;
    const counts = m.perIndex ? indexFailureCounts(job, pods, ix) : undefined;
    if (counts && counts.lastFailure !== undefined) {
      const wait = backoffDurationMs(counts.failed) - (now - counts.lastFailure);
      if (wait > 0) {
        plan.requeueAfterMs = minDefined(plan.requeueAfterMs, wait);
        continue;
      }
    }
    plan.createPods.push({ index: ix, ...(counts ? { failureCounts: { failed: counts.failed, ignored: counts.ignored } } : {}) });
    room--;
  }
}

/** Failures so far of `index` (from its latest finished pod's annotations plus that pod's own failure), for backoffLimitPerIndex. */
function indexFailureCounts(job: Job, pods: Pod[], index: number): { failed: number; ignored: number; lastFailure?: number } {
  let latest: Pod | undefined;
  for (const p of pods) {
    if (podCompletionIndex(p) !== index || !isFailed(p, job)) continue;
    if (!latest || podFinishTime(p) > podFinishTime(latest)) latest = p;
  }
  if (!latest) return { failed: 0, ignored: 0 };
  const prevFailed = Number(latest.metadata?.annotations?.[indexFailureCountAnnotation] ?? 0);
  const prevIgnored = Number(latest.metadata?.annotations?.[indexIgnoredFailureCountAnnotation] ?? 0);
  const ignoredNow = matchPodFailurePolicy(job.spec?.podFailurePolicy, latest)?.action === 'Ignore';
  return ignoredNow ? { failed: prevFailed, ignored: prevIgnored + 1 } : { failed: prevFailed + 1, ignored: prevIgnored, lastFailure: podFinishTime(latest) };
}

/** Pods in the order they should be deleted (upstream ActivePods ordering, reduced): not ready before ready, then newest first. */
function deletionOrder(pods: Pod[]): Pod[] {
  const created = (p: Pod) => Date.parse(p.metadata?.creationTimestamp ?? '') || 0;
  return [...pods].sort((a, b) => Number(isReady(a)) - Number(isReady(b)) || (a.spec?.nodeName ? 1 : 0) - (b.spec?.nodeName ? 1 : 0) || created(b) - created(a));
}

const minDefined = (a: number | undefined, b: number): number => (a === undefined ? b : Math.min(a, b));
