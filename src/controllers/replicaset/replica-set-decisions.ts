/**
 * The pure decisions of the ReplicaSet / ReplicationController controller
 * (`pkg/controller/replicaset/replica_set.go` manageReplicas/getPodsToDelete and
 * `replica_set_utils.go` calculateStatus). Both kinds share them: a ReplicationController is a
 * ReplicaSet with a map selector, as upstream runs it.
 */
import type { Pod, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { type Selector, selectorFromSet } from '../../api/labels.js';
import { jsonEqual } from '../../api/object.js';
import { compareForDeletion, isPodAvailable, isPodReady, rankByRelatedPodsOnSameNode } from '../pod-util.js';

/** Upstream BurstReplicas: at most this many creations or deletions per sync. */
export const burstReplicas = 500;

export interface ReplicaSetCondition {
  type: string;
  status: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

/** The status fields shared by ReplicaSet and ReplicationController. */
export interface ReplicaSetStatus {
  replicas: number;
  fullyLabeledReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  observedGeneration?: number;
  conditions?: ReplicaSetCondition[];
}

/** The parts of a ReplicaSet or ReplicationController the decisions read. */
export interface ReplicaSetLike {
  metadata: { name?: string; namespace?: string; uid?: string; generation?: number; deletionTimestamp?: string; labels?: Record<string, string> };
  spec?: { replicas?: number; minReadySeconds?: number; template?: PodTemplateSpec };
  status?: ReplicaSetStatus;
}

export type ScaleAction = { kind: 'none' } | { kind: 'create'; count: number } | { kind: 'delete'; pods: Pod[] };

/**
 * What manageReplicas does: create the missing pods or delete the surplus, at most
 * `burstReplicas` at a time. `related` are the active pods of sibling ReplicaSets under the same
 * controller (for co-location ranking); `now` for the logarithmic age buckets.
 */
export function scaleAction(activePods: readonly Pod[], replicas: number, related: readonly Pod[], now: number): ScaleAction {
  const diff = activePods.length - replicas;
  if (diff < 0) return { kind: 'create', count: Math.min(-diff, burstReplicas) };
  if (diff > 0) return { kind: 'delete', pods: podsToDelete(activePods, related, Math.min(diff, burstReplicas), now) };
  return { kind: 'none' };
}

/** The `diff` pods to delete first (upstream getPodsToDelete with ActivePodsWithRanks). */
export function podsToDelete(pods: readonly Pod[], related: readonly Pod[], diff: number, now: number): Pod[] {
  if (diff >= pods.length) return [...pods];
  const ranked = rankByRelatedPodsOnSameNode(pods, related);
  ranked.sort((a, b) => compareForDeletion(a, b, now));
  return ranked.slice(0, diff).map((r) => r.pod);
}

/**
 * A new pod for `owner` from its template (upstream GetPodFromTemplate): the template's labels,
 * annotations, finalizers and spec, `generateName: <owner>-`, and the controller reference.
 */
export function podFromTemplate(template: PodTemplateSpec, namespace: string, ownerName: string, controllerRef: OwnerReference): Pod {
  const meta = template.metadata ?? {};
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${ownerName}-`,
      namespace,
      labels: { ...meta.labels },
      annotations: { ...meta.annotations },
      ownerReferences: [controllerRef],
    },
    spec: JSON.parse(JSON.stringify(template.spec ?? {})) as Pod['spec'],
  };
  if (meta.finalizers?.length) pod.metadata!.finalizers = [...meta.finalizers];
  return pod;
}

/**
 * The status a ReplicaSet should have given the active pods it owns (upstream calculateStatus):
 * counts, and a ReplicaFailure condition while the last manageReplicas failed (`manageError`,
 * with `scaleUp` saying whether it was creating). `observedGeneration` is the caller's.
 */
export function calculateStatus(rs: ReplicaSetLike, pods: readonly Pod[], manageError: Error | undefined, scaleUp: boolean, now: number): ReplicaSetStatus {
  const templateLabels = selectorFromSet(rs.spec?.template?.metadata?.labels ?? {});
  const minReady = rs.spec?.minReadySeconds ?? 0;
  let fully = 0;
  let ready = 0;
  let available = 0;
  for (const p of pods) {
    if (templateLabels.matches(p.metadata?.labels ?? {})) fully++;
    if (isPodReady(p)) {
      ready++;
      if (isPodAvailable(p, minReady, now)) available++;
    }
  }
  const conditions = (rs.status?.conditions ?? []).map((c) => ({ ...c }));
  const failureIdx = conditions.findIndex((c) => c.type === 'ReplicaFailure');
  if (manageError && failureIdx < 0) {
    conditions.push({
      type: 'ReplicaFailure',
      status: 'True',
      lastTransitionTime: new Date(Math.floor(now / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
      reason: scaleUp ? 'FailedCreate' : 'FailedDelete',
      message: manageError.message,
    });
  } else if (!manageError && failureIdx >= 0) {
    conditions.splice(failureIdx, 1);
  }
  const status: ReplicaSetStatus = { replicas: pods.length, fullyLabeledReplicas: fully, readyReplicas: ready, availableReplicas: available };
  if (rs.status?.observedGeneration !== undefined) status.observedGeneration = rs.status.observedGeneration;
  if (conditions.length) status.conditions = conditions;
  return status;
}

/** Whether writing `next` (with observedGeneration = generation) would change anything. */
export function statusNeedsUpdate(rs: ReplicaSetLike, next: ReplicaSetStatus): boolean {
  const cur = rs.status ?? { replicas: 0 };
  const norm = (s: ReplicaSetStatus) => ({
    replicas: s.replicas ?? 0,
    fullyLabeledReplicas: s.fullyLabeledReplicas ?? 0,
    readyReplicas: s.readyReplicas ?? 0,
    availableReplicas: s.availableReplicas ?? 0,
    conditions: s.conditions ?? [],
  });
  return !jsonEqual(norm(cur), norm(next)) || cur.observedGeneration !== rs.metadata.generation;
}

/** The delay after which a ReplicaSet with minReadySeconds must look again for pods to become available. */
export function availabilityRecheckMs(rs: ReplicaSetLike, status: ReplicaSetStatus, manageError: Error | undefined): number | undefined {
  const minReady = rs.spec?.minReadySeconds ?? 0;
  if (manageError || minReady <= 0) return undefined;
  const replicas = rs.spec?.replicas ?? 1;
  if (status.readyReplicas === replicas && status.availableReplicas !== replicas) return minReady * 1000;
  return undefined;
}

export type { Selector };
