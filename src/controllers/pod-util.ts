/**
 * Pod predicates and orderings shared by the workload controllers (`pkg/controller/controller_utils.go`,
 * `pkg/api/v1/pod/util.go`). Pure functions of plain pods; times in epoch milliseconds.
 */
import type { Pod, PodCondition } from 'kubernetes-types/core/v1.js';

/** Not finished and not being deleted (upstream `IsPodActive`). */
export function isPodActive(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata?.deletionTimestamp;
}

export function podCondition(pod: Pod, type: string): PodCondition | undefined {
  return pod.status?.conditions?.find((c) => c.type === type);
}

/** The Ready condition is True. */
export function isPodReady(pod: Pod): boolean {
  return podCondition(pod, 'Ready')?.status === 'True';
}

const ms = (t: string | undefined): number | undefined => (t ? Date.parse(t) : undefined);

/** When the pod last became ready (the Ready condition's lastTransitionTime), if it is ready. */
export function podReadyTime(pod: Pod): number | undefined {
  const c = podCondition(pod, 'Ready');
  return c?.status === 'True' ? ms(c.lastTransitionTime) : undefined;
}

/**
 * Ready for at least `minReadySeconds` at `now` (upstream `IsPodAvailable`: ready, and either no
 * minimum or the Ready transition plus the minimum lies before now).
 */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: number): boolean {
  if (!isPodReady(pod)) return false;
  if (minReadySeconds <= 0) return true;
  const t = podReadyTime(pod);
  return t !== undefined && t + minReadySeconds * 1000 < now;
}

/** The pod-deletion-cost annotation (0 when absent or invalid). */
export const podDeletionCostAnnotation = 'controller.kubernetes.io/pod-deletion-cost';
export function podDeletionCost(pod: Pod): number {
  const v = pod.metadata?.annotations?.[podDeletionCostAnnotation];
  if (v === undefined || !/^[-+]?\d+$/.test(v)) return 0;
  const n = Number(v);
  return n >= -2147483648 && n <= 2147483647 ? n : 0;
}

function maxContainerRestarts(pod: Pod): number {
  let max = 0;
  for (const c of pod.status?.containerStatuses ?? []) max = Math.max(max, c.restartCount ?? 0);
  return max;
}

const phaseOrdinal: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/** Upstream `logarithmicRankDiff`: compares the log2 buckets of the ages (in ns) of two times. */
function logarithmicRankDiff(t1: number, t2: number, now: number): number {
  const rank = (t: number) => {
    const d = (now - t) * 1e6;
    return d > 0 ? Math.floor(Math.log2(d)) : -1;
  };
  return rank(t1) - rank(t2);
}

/** Upstream `afterOrZero`: a missing time sorts first, then the later time. */
function afterOrZero(t1: number | undefined, t2: number | undefined): boolean {
  if (t1 === undefined || t2 === undefined) return t1 === undefined;
  return t1 > t2;
}

export interface RankedPod {
  pod: Pod;
  /** How many related active pods share this pod's node (more: deleted earlier). */
  rank: number;
}

/**
 * The order in which a scale-down deletes pods, first to go first (`ActivePodsWithRanks.Less` in
 * `pkg/controller/controller_utils.go`, with LogarithmicScaleDown and PodDeletionCost on as in
 * v1.32): unassigned < assigned; Pending < Unknown < Running; not ready < ready; lower deletion
 * cost; more co-located related pods; ready more recently (log2 buckets); more restarts; created
 * more recently (log2 buckets); ties by uid.
 */
export function compareForDeletion(a: RankedPod, b: RankedPod, now: number): number {
  return lessForDeletion(a, b, now) ? -1 : lessForDeletion(b, a, now) ? 1 : 0;
}

function lessForDeletion(a: RankedPod, b: RankedPod, now: number): boolean {
  const pa = a.pod;
  const pb = b.pod;
  const na = pa.spec?.nodeName ?? '';
  const nb = pb.spec?.nodeName ?? '';
  if (na !== nb && (na === '' || nb === '')) return na === '';
  const oa = phaseOrdinal[pa.status?.phase ?? ''] ?? 0;
  const ob = phaseOrdinal[pb.status?.phase ?? ''] ?? 0;
  if (oa !== ob) return oa < ob;
  const ra = isPodReady(pa);
  const rb = isPodReady(pb);
  if (ra !== rb) return !ra;
  const ca = podDeletionCost(pa);
  const cb = podDeletionCost(pb);
  if (ca !== cb) return ca < cb;
  if (a.rank !== b.rank) return a.rank > b.rank;
  if (ra && rb) {
    const ta = podReadyTime(pa);
    const tb = podReadyTime(pb);
    if (ta !== tb) {
      if (ta === undefined || tb === undefined) return afterOrZero(ta, tb);
      const d = logarithmicRankDiff(ta, tb, now);
      if (d === 0) return (pa.metadata?.uid ?? '') < (pb.metadata?.uid ?? '');
      return d < 0;
    }
  }
  const xa = maxContainerRestarts(pa);
  const xb = maxContainerRestarts(pb);
  if (xa !== xb) return xa > xb;
  const ta = ms(pa.metadata?.creationTimestamp);
  const tb = ms(pb.metadata?.creationTimestamp);
  if (ta !== tb) {
    if (ta === undefined || tb === undefined) return afterOrZero(ta, tb);
    const d = logarithmicRankDiff(ta, tb, now);
    if (d === 0) return (pa.metadata?.uid ?? '') < (pb.metadata?.uid ?? '');
    return d < 0;
  }
  return false;
}

/**
 * Each pod's rank: the number of active `related` pods on its node (upstream
 * `getPodsRankedByRelatedPodsOnSameNode`).
 */
export function rankByRelatedPodsOnSameNode(pods: readonly Pod[], related: readonly Pod[]): RankedPod[] {
  const onNode = new Map<string, number>();
  for (const p of related) if (isPodActive(p)) onNode.set(p.spec?.nodeName ?? '', (onNode.get(p.spec?.nodeName ?? '') ?? 0) + 1);
  return pods.map((pod) => ({ pod, rank: onNode.get(pod.spec?.nodeName ?? '') ?? 0 }));
}
