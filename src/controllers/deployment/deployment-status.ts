/**
 * A Deployment's status and conditions as pure functions of its ReplicaSets and the time
 * (`pkg/controller/deployment/sync.go` `calculateStatus`, `progress.go` `syncRolloutStatus` /
 * `requeueStuckDeployment`, and the condition helpers of `util/deployment_util.go`).
 */
import type { Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import {
  actualReplicaCount,
  availableReplicaCount,
  hasProgressDeadline,
  maxUnavailable,
  readyReplicaCount,
  replicaCount,
  specReplicas,
} from './replica-set-util.js';

/** Condition reasons (`util/deployment_util.go`). */
export const reasons = {
  newRSCreated: 'NewReplicaSetCreated',
  foundNewRS: 'FoundNewReplicaSet',
  replicaSetUpdated: 'ReplicaSetUpdated',
  newRSAvailable: 'NewReplicaSetAvailable',
  timedOut: 'ProgressDeadlineExceeded',
  failedRSCreate: 'ReplicaSetCreateError',
  paused: 'DeploymentPaused',
  resumed: 'DeploymentResumed',
  minimumReplicasAvailable: 'MinimumReplicasAvailable',
  minimumReplicasUnavailable: 'MinimumReplicasUnavailable',
} as const;

type Status = DeploymentStatus & { conditions?: DeploymentCondition[] };

/** RFC 3339 with seconds, as metav1.Time marshals. */
export const timestamp = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

export function newCondition(type: string, status: 'True' | 'False' | 'Unknown', reason: string, message: string, nowMs: number): DeploymentCondition {
  const t = timestamp(nowMs);
  return { type, status, lastUpdateTime: t, lastTransitionTime: t, reason, message };
}

export const getCondition = (s: Status | undefined, type: string): DeploymentCondition | undefined => s?.conditions?.find((c) => c.type === type);

/**
 * Sets `cond` on `s` (`SetDeploymentCondition`): nothing changes when status and reason are the
 * same; the transition time is kept when only the reason changes.
 */
export function setCondition(s: Status, cond: DeploymentCondition): void {
  const current = getCondition(s, cond.type);
  if (current && current.status === cond.status && current.reason === cond.reason) return;
  const next = { ...cond };
  if (current && current.status === cond.status) next.lastTransitionTime = current.lastTransitionTime;
  s.conditions = [...(s.conditions ?? []).filter((c) => c.type !== cond.type), next];
}

export function removeCondition(s: Status, type: string): void {
  if (!s.conditions) return;
  s.conditions = s.conditions.filter((c) => c.type !== type);
}

/** The rollout has converged on the current generation (`DeploymentComplete`). */
export function deploymentComplete(d: Deployment, s: Status): boolean {
  const r = specReplicas(d);
  return (s.updatedReplicas ?? 0) === r && (s.replicas ?? 0) === r && (s.availableReplicas ?? 0) === r && (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0);
}

/** The new status shows progress over the old (`DeploymentProgressing`). */
export function deploymentProgressing(d: Deployment, s: Status): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (
    (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

/** progressDeadlineSeconds passed since the Progressing condition last moved (`DeploymentTimedOut`). */
export function deploymentTimedOut(d: Deployment, s: Status, nowMs: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const cond = getCondition(s, 'Progressing');
  if (!cond) return false;
  if (cond.reason === reasons.newRSAvailable) return false;
  if (cond.reason === reasons.timedOut) return true;
  const from = Date.parse(cond.lastUpdateTime ?? '') || 0;
  return from + d.spec!.progressDeadlineSeconds! * 1000 < nowMs;
}

/** Counters and the Available condition (`calculateStatus`); other conditions are carried over. */
export function calculateStatus(allRSs: readonly (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined, d: Deployment, nowMs: number): Status {
  const available = availableReplicaCount(allRSs);
  const total = replicaCount(allRSs);
  const counters: Record<string, number> = {
    observedGeneration: d.metadata?.generation ?? 0,
    replicas: actualReplicaCount(allRSs),
    updatedReplicas: actualReplicaCount([newRS]),
    readyReplicas: readyReplicaCount(allRSs),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, total - available),
  };
  // The counters are `omitempty`: zeros are absent on the wire, so a status read back compares equal.
  const status: Status = Object.fromEntries(Object.entries(counters).filter(([, v]) => v !== 0));
  if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
  if (d.status?.conditions) status.conditions = d.status.conditions.map((c) => ({ ...c }));
  if (available >= specReplicas(d) - maxUnavailable(d)) {
    setCondition(status, newCondition('Available', 'True', reasons.minimumReplicasAvailable, 'Deployment has minimum availability.', nowMs));
  } else {
    setCondition(status, newCondition('Available', 'False', reasons.minimumReplicasUnavailable, 'Deployment does not have minimum availability.', nowMs));
  }
  return status;
}

/**
 * The status after a rollout step, with the Progressing condition estimated (`syncRolloutStatus`)
 * and the ReplicaFailure condition mirrored from the ReplicaSets (the new one's first).
 */
export function rolloutStatus(allRSs: readonly (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined, d: Deployment, nowMs: number): Status {
  const s = calculateStatus(allRSs, newRS, d, nowMs);
  if (!hasProgressDeadline(d)) removeCondition(s, 'Progressing');
  const current = getCondition(d.status, 'Progressing');
  const complete = s.replicas === s.updatedReplicas && current?.reason === reasons.newRSAvailable;
  if (hasProgressDeadline(d) && !complete) {
    const subject = newRS ? `ReplicaSet "${newRS.metadata?.name}"` : `Deployment "${d.metadata?.name}"`;
    if (deploymentComplete(d, s)) {
      setCondition(s, newCondition('Progressing', 'True', reasons.newRSAvailable, `${subject} has successfully progressed.`, nowMs));
    } else if (deploymentProgressing(d, s)) {
      const cond = newCondition('Progressing', 'True', reasons.replicaSetUpdated, `${subject} is progressing.`, nowMs);
      // Every sign of progress moves lastUpdateTime (the deadline's start); a True condition keeps its transition time.
      if (current) {
        if (current.status === 'True') cond.lastTransitionTime = current.lastTransitionTime;
        removeCondition(s, 'Progressing');
      }
      setCondition(s, cond);
    } else if (deploymentTimedOut(d, s, nowMs)) {
      setCondition(s, newCondition('Progressing', 'False', reasons.timedOut, `${subject} has timed out progressing.`, nowMs));
    }
  }
  const failures = replicaFailures(allRSs, newRS);
  if (failures.length > 0) setCondition(s, failures[0]!);
  else removeCondition(s, 'ReplicaFailure');
  return s;
}

/** ReplicaFailure conditions of the new RS, else of any RS (`getReplicaFailures`). */
function replicaFailures(allRSs: readonly (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): DeploymentCondition[] {
  const of = (rs: ReplicaSet | undefined): DeploymentCondition[] =>
    (rs?.status?.conditions ?? [])
      .filter((c) => c.type === 'ReplicaFailure')
      .map((c) => ({ type: c.type, status: c.status, lastTransitionTime: c.lastTransitionTime, lastUpdateTime: c.lastTransitionTime, reason: c.reason, message: c.message }));
  const fromNew = of(newRS);
  return fromNew.length > 0 ? fromNew : allRSs.flatMap(of);
}

/**
 * When to look at a rollout again to notice its deadline (`requeueStuckDeployment`): undefined
 * when no check is due (no deadline, no Progressing condition, complete, or already timed out),
 * 0 for "now, rate limited", else milliseconds.
 */
export function stuckRequeueAfterMs(d: Deployment, s: Status, nowMs: number): number | undefined {
  const current = getCondition(d.status, 'Progressing');
  if (!hasProgressDeadline(d) || !current) return undefined;
  if (deploymentComplete(d, s) || current.reason === reasons.timedOut) return undefined;
  const after = (Date.parse(current.lastUpdateTime ?? '') || 0) + d.spec!.progressDeadlineSeconds! * 1000 - nowMs;
  if (after < 1000) return 0;
  return after + 1000;
}

/**
 * The status with the Progressing condition set to DeploymentPaused / DeploymentResumed when
 * spec.paused changed, or undefined when nothing changes (`checkPausedConditions`). A timed-out
 * rollout keeps its ProgressDeadlineExceeded condition.
 */
export function pausedConditionStatus(d: Deployment, nowMs: number): Status | undefined {
  if (!hasProgressDeadline(d)) return undefined;
  const cond = getCondition(d.status, 'Progressing');
  if (cond?.reason === reasons.timedOut) return undefined;
  const pausedCondExists = cond?.reason === reasons.paused;
  const s: Status = { ...(d.status ?? {}), conditions: [...(d.status?.conditions ?? [])] };
  if (d.spec?.paused && !pausedCondExists) {
    setCondition(s, newCondition('Progressing', 'Unknown', reasons.paused, 'Deployment is paused', nowMs));
    return s;
  }
  if (!d.spec?.paused && pausedCondExists) {
    setCondition(s, newCondition('Progressing', 'Unknown', reasons.resumed, 'Deployment is resumed', nowMs));
    return s;
  }
  return undefined;
}
