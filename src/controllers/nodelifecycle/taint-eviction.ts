/**
 * Taint-based eviction decisions (pkg/controller/tainteviction/taint_eviction.go processPodOnNode
 * and getMinTolerationTime): a pod on a node with NoExecute taints is deleted at once when one of
 * them is not tolerated; when all are tolerated, after the smallest `tolerationSeconds` among the
 * tolerations used (never, when none of them sets it). Pure functions.
 */
import type { Pod, Taint, Toleration } from 'kubernetes-types/core/v1.js';

/** k8s.io/api/core/v1 Toleration.ToleratesTaint. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator || 'Equal') {
    case 'Exists':
      return true;
    case 'Equal':
      return (t.value ?? '') === (taint.value ?? '');
    default:
      return false;
  }
}

export type EvictionDecision =
  /** Nothing to do (no NoExecute taints, or tolerated for ever): cancel any scheduled eviction. */
  | { action: 'none' }
  /** Delete now: `taint` is not tolerated. */
  | { action: 'evictNow'; taint: Taint }
  /** Delete once the pod has been on the tainted node this long. */
  | { action: 'evictAfter'; ms: number };

export function noExecuteTaints(taints: readonly Taint[] | undefined): Taint[] {
  return (taints ?? []).filter((t) => t.effect === 'NoExecute');
}

/**
 * The smallest tolerationSeconds among `used`, in ms; -1 when none sets it (tolerated for ever).
 * Non-positive values mean "evict at once" (0).
 */
export function minTolerationMs(used: readonly Toleration[]): number {
  let min = -1;
  for (const t of used) {
    if (t.tolerationSeconds === undefined || t.tolerationSeconds === null) continue;
    const ms = Math.max(0, t.tolerationSeconds) * 1000;
    if (min < 0 || ms < min) min = ms;
  }
  return min;
}

/** What to do with `pod` given its node's NoExecute taints. */
export function evictionDecision(pod: Pod, taints: readonly Taint[]): EvictionDecision {
  const noExecute = noExecuteTaints(taints);
  if (!noExecute.length) return { action: 'none' };
  const tolerations = pod.spec?.tolerations ?? [];
  const used: Toleration[] = [];
  for (const taint of noExecute) {
    const matching = tolerations.filter((t) => t.effect === 'NoExecute' || !t.effect).filter((t) => toleratesTaint(t, taint));
    if (!matching.length) return { action: 'evictNow', taint };
    used.push(...matching);
  }
  const ms = minTolerationMs(used);
  return ms < 0 ? { action: 'none' } : { action: 'evictAfter', ms };
}

/** The DisruptionTarget condition the taint manager sets before it deletes a pod. */
export const disruptionTargetCondition = {
  type: 'DisruptionTarget',
  status: 'True',
  reason: 'DeletionByTaintManager',
  message: 'Taint manager: deleting due to NoExecute taint',
} as const;
