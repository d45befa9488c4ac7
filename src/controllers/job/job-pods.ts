/**
 * The pods of a Job: how the controller stamps them out of `spec.template`
 * (`pkg/controller/job/job_controller.go` manageJob + `indexed_job_utils.go`) and how it classifies
 * them (active, ready, terminating, succeeded, failed, finish time).
 */
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { completionIndexAnnotation, completionIndexEnv, completionIndexLabel } from './indexes.js';

export const jobLabels = {
  jobName: 'batch.kubernetes.io/job-name',
  legacyJobName: 'job-name',
  controllerUid: 'batch.kubernetes.io/controller-uid',
  legacyControllerUid: 'controller-uid',
} as const;

/** Keeps a finished pod around until its result is recorded in the Job's status. */
export const jobTrackingFinalizer = 'batch.kubernetes.io/job-tracking';
/** Failures of the index so far (backoffLimitPerIndex), carried from pod to replacement pod. */
export const indexFailureCountAnnotation = 'batch.kubernetes.io/job-index-failure-count';
export const indexIgnoredFailureCountAnnotation = 'batch.kubernetes.io/job-index-ignored-failure-count';

export const isIndexed = (job: Job): boolean => job.spec?.completionMode === 'Indexed';

/** A new pod for `job` (and `index` for Indexed Jobs), owned by the Job and carrying the tracking finalizer. */
export function podFromTemplate(job: Job, index?: number, failureCounts?: { failed: number; ignored: number }): Pod {
  const tpl = job.spec?.template ?? {};
  const name = job.metadata?.name ?? '';
  const uid = job.metadata?.uid ?? '';
  const labels: Record<string, string> = { ...(tpl.metadata?.labels ?? {}) };
  const annotations: Record<string, string> = { ...(tpl.metadata?.annotations ?? {}) };
  const spec = structuredClone(tpl.spec ?? { containers: [] });
  // The generateName prefix follows upstream: `<job>-` or, for Indexed Jobs, `<job>-<index>-`.
  let generateName = `${name}-`;
  if (index !== undefined) {
    const ix = String(index);
    annotations[completionIndexAnnotation] = ix;
    labels[completionIndexLabel] = ix;
    generateName = `${name}-${ix}-`;
    const withEnv = (c: Container): Container => ({ ...c, env: [...(c.env ?? []).filter((e) => e.name !== completionIndexEnv), { name: completionIndexEnv, valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${completionIndexAnnotation}']` } } }] });
    spec.containers = spec.containers.map(withEnv);
    if (spec.initContainers) spec.initContainers = spec.initContainers.map(withEnv);
    if (!spec.hostname) spec.hostname = `${name}-${ix}`;
    if (job.spec?.backoffLimitPerIndex !== undefined && failureCounts) {
      annotations[indexFailureCountAnnotation] = String(failureCounts.failed);
      if (failureCounts.ignored > 0) annotations[indexIgnoredFailureCountAnnotation] = String(failureCounts.ignored);
    }
  }
  labels[jobLabels.jobName] = name;
  labels[jobLabels.legacyJobName] = name;
  labels[jobLabels.controllerUid] = uid;
  labels[jobLabels.legacyControllerUid] = uid;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName,
      namespace: job.metadata?.namespace,
      labels,
      ...(Object.keys(annotations).length ? { annotations } : {}),
      finalizers: [jobTrackingFinalizer],
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name, uid, controller: true, blockOwnerDeletion: true }],
    },
    spec,
  };
}

export const isSucceeded = (p: Pod): boolean => p.status?.phase === 'Succeeded';
export const isTerminal = (p: Pod): boolean => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
/** Neither finished nor being deleted (upstream controller.IsPodActive). */
export const isActive = (p: Pod): boolean => !isTerminal(p) && !p.metadata?.deletionTimestamp;
/** Being deleted but not yet in a terminal phase. */
export const isTerminating = (p: Pod): boolean => !!p.metadata?.deletionTimestamp && !isTerminal(p);
export const isReady = (p: Pod): boolean => !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
export const hasTrackingFinalizer = (p: Pod): boolean => !!p.metadata?.finalizers?.includes(jobTrackingFinalizer);

/**
 * Whether a pod counts as failed (upstream isPodFailed): a Failed phase always; with
 * podReplacementPolicy TerminatingOrFailed (the default without a podFailurePolicy) also a pod
 * being deleted before it succeeded.
 */
export function isFailed(p: Pod, job: Job): boolean {
  if (p.status?.phase === 'Failed') return true;
  if (p.status?.phase === 'Succeeded') return false;
  if (onlyReplaceFailedPods(job)) return false;
  return !!p.metadata?.deletionTimestamp;
}

export const onlyReplaceFailedPods = (job: Job): boolean => job.spec?.podReplacementPolicy === 'Failed' || !!job.spec?.podFailurePolicy;

/** When the pod finished (upstream getFinishedTime): its containers' last finishedAt, else its Ready condition's transition, else its deletion or creation time. */
export function podFinishTime(p: Pod): number {
  let latest = -Infinity;
  for (const s of [...(p.status?.containerStatuses ?? []), ...(p.status?.initContainerStatuses ?? [])]) {
    const at = s.state?.terminated?.finishedAt;
    if (at) latest = Math.max(latest, Date.parse(at));
  }
  if (latest > -Infinity) return latest;
  const ready = p.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime;
  if (ready) return Date.parse(ready);
  return Date.parse(p.metadata?.deletionTimestamp ?? p.metadata?.creationTimestamp ?? new Date(0).toISOString());
}

/** Whether `pod` is controlled by `job` (its controller owner reference names the Job's uid). */
export function isControlledBy(pod: Pod, job: Job): boolean {
  return !!pod.metadata?.ownerReferences?.some((r) => r.controller && r.uid === job.metadata?.uid);
}
