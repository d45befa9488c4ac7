/**
 * One sync of a StatefulSet as a pure function (`pkg/controller/statefulset/stateful_set_control.go`,
 * updateStatefulSet): the actions to take this pass, in order, and the status to report.
 *
 * - Replicas are ordinals [start, start+replicas); other ordinals are condemned.
 * - OrderedReady (monotonic): walk the replicas upwards; create the first missing pod (its claims
 *   first) and stop; stop at a pod that is terminating or not Running+Ready(+available). Then
 *   delete condemned pods from the highest ordinal, one per pass, each only once the others are
 *   healthy. Parallel: the same actions without waiting.
 * - RollingUpdate: once every replica is in place, delete pods whose revision is not the update
 *   revision from the highest index down to `partition`, keeping at most `maxUnavailable`
 *   (MaxUnavailableStatefulSet's updateStatefulSetAfterInvariantEstablished) unavailable.
 *   OnDelete: pods are replaced only when someone deletes them.
 */
import type { StatefulSetStatus } from 'kubernetes-types/apps/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { isPodAvailable, isPodReady, isPodTerminal, isPodTerminating, msUntilAvailable } from '../history/pod-availability.js';
import {
  type ClaimObject,
  type PodObject,
  type StatefulSetObject,
  claimOwnerRefsFor,
  claimsForOrdinal,
  identityMatches,
  newStatefulSetPod,
  podOrdinal,
  podRevision,
  replicaCount,
  startOrdinal,
  storageMatches,
} from './stateful-pod.js';

export type StatefulSetAction =
  | { type: 'createClaim'; claim: ClaimObject; pod: PodObject }
  | { type: 'createPod'; pod: PodObject }
  | { type: 'deletePod'; pod: PodObject }
  | { type: 'updatePod'; pod: PodObject }
  | { type: 'updateClaimOwners'; claim: ClaimObject; ownerReferences: OwnerReference[] };

export interface StatefulSetSyncInput {
  /** The live set. */
  set: StatefulSetObject;
  /** The set with the current revision's template. */
  currentSet: StatefulSetObject;
  /** The set with the update revision's template (the live template). */
  updateSet: StatefulSetObject;
  currentRevision: string;
  updateRevision: string;
  collisionCount: number;
  /** The pods the set controls. */
  pods: readonly PodObject[];
  /** Claims by name, from the cache. */
  claim: (name: string) => ClaimObject | undefined;
  now: number;
}

export interface StatefulSetPlan {
  actions: StatefulSetAction[];
  status: StatefulSetStatus;
  /** Look again then (a pod that will become available after minReadySeconds). */
  requeueAfterMs?: number;
  /** Why the pass stopped early (for logs and tests), e.g. `waiting for web-0 to be Running and Ready`. */
  waiting?: string;
}

const isRunning = (p: PodObject): boolean => p.status?.phase === 'Running';
const isRunningAndReady = (p: PodObject): boolean => isRunning(p) && isPodReady(p);
const isRunningAndAvailable = (p: PodObject, minReady: number, now: number): boolean => isRunning(p) && isPodAvailable(p, minReady, now);

/** `computeReplicaStatus` over the existing pods. */
export function computeReplicaStatus(pods: readonly PodObject[], minReadySeconds: number, now: number, currentRevision: string, updateRevision: string) {
  const s = { replicas: 0, readyReplicas: 0, availableReplicas: 0, currentReplicas: 0, updatedReplicas: 0 };
  for (const p of pods) {
    s.replicas++;
    if (isRunningAndReady(p)) {
      s.readyReplicas++;
      if (isRunningAndAvailable(p, minReadySeconds, now)) s.availableReplicas++;
    }
    if (!isPodTerminating(p)) {
      const rev = podRevision(p);
      if (rev === currentRevision) s.currentReplicas++;
      if (rev === updateRevision) s.updatedReplicas++;
    }
  }
  return s;
}

/** The status of `computeReplicaStatus`, with `completeRollingUpdate` applied. */
export function statefulSetStatus(input: Pick<StatefulSetSyncInput, 'set' | 'pods' | 'now' | 'currentRevision' | 'updateRevision' | 'collisionCount'>): StatefulSetStatus {
  const { set } = input;
  const rs = computeReplicaStatus(input.pods, set.spec?.minReadySeconds ?? 0, input.now, input.currentRevision, input.updateRevision);
  const status: StatefulSetStatus = {
    observedGeneration: set.metadata.generation,
    ...rs,
    currentRevision: input.currentRevision,
    updateRevision: input.updateRevision,
    collisionCount: input.collisionCount,
    ...(set.status?.conditions ? { conditions: set.status.conditions } : {}),
  };
  const want = replicaCount(set);
  if ((set.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate' && rs.updatedReplicas === want && rs.readyReplicas === want && rs.replicas === want) {
    status.currentRevision = input.updateRevision;
    status.currentReplicas = rs.updatedReplicas;
  }
  return status;
}

/** `newVersionedStatefulSetPod`: below the partition a new pod gets the current revision, else the update revision. */
export function newVersionedPod(input: StatefulSetSyncInput, ordinal: number): PodObject {
  const { currentSet } = input;
  const strategy = currentSet.spec?.updateStrategy;
  const rolling = (strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
  const partition = strategy?.rollingUpdate?.partition;
  const useCurrent =
    (rolling && strategy?.rollingUpdate === undefined && ordinal < startOrdinal(currentSet) + (currentSet.status?.currentReplicas ?? 0)) ||
    (strategy?.rollingUpdate !== undefined && ordinal < startOrdinal(currentSet) + (partition ?? 0));
  return useCurrent ? newStatefulSetPod(currentSet, ordinal, input.currentRevision) : newStatefulSetPod(input.updateSet, ordinal, input.updateRevision);
}

/** `getStatefulSetMaxUnavailable`: an int or a percentage of replicas rounded up, at least 1. */
export function maxUnavailableFor(value: number | string | undefined, replicas: number): number {
  let n: number;
  if (value === undefined) n = 1;
  else if (typeof value === 'number') n = value;
  else if (value.endsWith('%')) n = Math.ceil((Number(value.slice(0, -1)) * replicas) / 100);
  else n = Number(value);
  return !Number.isFinite(n) || n < 1 ? 1 : n;
}

export function planStatefulSet(input: StatefulSetSyncInput): StatefulSetPlan {
  const { set, now } = input;
  const status = statefulSetStatus(input);
  const actions: StatefulSetAction[] = [];
  const plan: StatefulSetPlan = { actions, status };
  // A set being deleted only reports status; the garbage collector removes its pods.
  if (set.metadata.deletionTimestamp) return plan;

  const monotonic = (set.spec?.podManagementPolicy ?? 'OrderedReady') !== 'Parallel';
  const minReady = set.spec?.minReadySeconds ?? 0;
  const count = replicaCount(set);
  const start = startOrdinal(set);
  const replicas: (PodObject | undefined)[] = new Array(count).fill(undefined);
  const condemned: PodObject[] = [];
  for (const p of input.pods) {
    const ord = podOrdinal(set, p);
    if (ord < 0) continue;
    if (ord >= start && ord < start + count) replicas[ord - start] = p;
    else condemned.push(p);
  }
  condemned.sort((a, b) => podOrdinal(set, a) - podOrdinal(set, b));
  const healthy = (p: PodObject) => isRunningAndAvailable(p, minReady, now) && !isPodTerminating(p);
  const firstUnhealthy = [...replicas, ...condemned].find((p) => p !== undefined && !healthy(p));
  const wait = (why: string, pod?: PodObject) => {
    plan.waiting = why;
    const ms = pod ? msUntilAvailable(pod, minReady, now) : undefined;
    if (ms !== undefined) plan.requeueAfterMs = Math.min(plan.requeueAfterMs ?? ms, ms);
    return plan;
  };

  const fixClaimOwners = (pod: PodObject) => {
    for (const c of claimsForOrdinal(set, podOrdinal(set, pod)).values()) {
      const existing = input.claim(c.metadata.name!);
      const refs = existing && claimOwnerRefsFor(set, pod, existing);
      if (existing && refs) actions.push({ type: 'updateClaimOwners', claim: existing, ownerReferences: refs });
    }
  };

  for (let i = 0; i < count; i++) {
    const ordinal = start + i;
    const pod = replicas[i];
    if (!pod) {
      const fresh = newVersionedPod(input, ordinal);
      for (const c of claimsForOrdinal(set, ordinal).values()) {
        const existing = input.claim(c.metadata.name!);
        if (existing?.metadata.deletionTimestamp) return wait(`claim ${c.metadata.name} is being deleted`);
        if (!existing) {
          const refs = claimOwnerRefsFor(set, fresh, c);
          if (refs) c.metadata.ownerReferences = refs;
          actions.push({ type: 'createClaim', claim: c, pod: fresh });
        }
      }
      actions.push({ type: 'createPod', pod: fresh });
      if (monotonic) return wait(`waiting for ${fresh.metadata.name} to be created, Running and Ready`);
      continue;
    }
    if (isPodTerminal(pod)) {
      // A failed or succeeded pod is deleted; its replacement is created once it is gone.
      if (!isPodTerminating(pod)) actions.push({ type: 'deletePod', pod });
      if (monotonic) return wait(`waiting for ${pod.metadata.name} to be recreated`);
      continue;
    }
    if (isPodTerminating(pod) && monotonic) return wait(`waiting for ${pod.metadata.name} to terminate`);
    if (!isRunningAndReady(pod) && monotonic) return wait(`waiting for ${pod.metadata.name} to be Running and Ready`);
    if (!isRunningAndAvailable(pod, minReady, now) && monotonic) return wait(`waiting for ${pod.metadata.name} to be available`, pod);
    if (!identityMatches(set, pod) || !storageMatches(set, pod)) {
      const fixed = JSON.parse(JSON.stringify(pod)) as PodObject;
      const labels = { ...fixed.metadata.labels };
      const want = newStatefulSetPod(set, ordinal, podRevision(pod) ?? input.updateRevision).metadata.labels!;
      for (const k of ['statefulset.kubernetes.io/pod-name', 'apps.kubernetes.io/pod-index']) labels[k] = want[k]!;
      fixed.metadata.labels = labels;
      actions.push({ type: 'updatePod', pod: fixed });
    }
    fixClaimOwners(pod);
  }

  // Claims of condemned pods first take the owners the retention policy gives scaled-down pods.
  for (const pod of condemned) fixClaimOwners(pod);

  for (let t = condemned.length - 1; t >= 0; t--) {
    const pod = condemned[t]!;
    if (isPodTerminating(pod)) {
      if (monotonic) return wait(`waiting for ${pod.metadata.name} to terminate`);
      continue;
    }
    if (monotonic && pod !== firstUnhealthy && !isRunningAndReady(pod)) return wait(`waiting for ${pod.metadata.name} to be Running and Ready before scale down`);
    if (monotonic && pod !== firstUnhealthy && !isRunningAndAvailable(pod, minReady, now)) return wait(`waiting for ${pod.metadata.name} to be available before scale down`, pod);
    actions.push({ type: 'deletePod', pod });
    if (monotonic) return plan;
  }

  const strategy = set.spec?.updateStrategy;
  if ((strategy?.type ?? 'RollingUpdate') !== 'RollingUpdate') return plan;
  // Pods created (or recreated) in this pass count as unavailable.
  const existing = replicas.filter((p): p is PodObject => p !== undefined);
  if (existing.length < count) return plan;
  const updateMin = strategy?.rollingUpdate?.partition ?? 0;
  const maxUnavailable = maxUnavailableFor(strategy?.rollingUpdate?.maxUnavailable, count);
  let unavailable = 0;
  for (const p of existing) if (!healthy(p)) unavailable++;
  if (unavailable >= maxUnavailable) {
    const p = existing.find((x) => !healthy(x));
    return wait(`waiting for ${p?.metadata.name} to be available during the rolling update`, p);
  }
  let budget = maxUnavailable - unavailable;
  for (let t = existing.length - 1; t >= updateMin && budget > 0; t--) {
    const p = existing[t]!;
    if (podRevision(p) !== input.updateRevision && !isPodTerminating(p)) {
      actions.push({ type: 'deletePod', pod: p });
      budget--;
    }
  }
  return plan;
}
