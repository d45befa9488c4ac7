/**
 * Taint/toleration matching (k8s.io/api/core/v1 toleration.go ToleratesTaint and
 * component-helpers/scheduling/corev1 FindMatchingUntoleratedTaint).
 */
import type { Taint, Toleration } from 'kubernetes-types/core/v1.js';

/** True when `t` tolerates `taint`: effects match (or the toleration has none), keys match (or Exists without key), values match for Equal. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator ?? 'Equal') {
    case 'Exists':
      return true;
    case 'Equal':
    case '':
      return (t.value ?? '') === (taint.value ?? '');
    default:
      return false;
  }
}

export function taintToleratedBy(taint: Taint, tolerations: readonly Toleration[] | undefined): boolean {
  for (const t of tolerations ?? []) if (toleratesTaint(t, taint)) return true;
  return false;
}

/** The first taint passing `filter` that no toleration tolerates. */
export function findMatchingUntoleratedTaint(taints: readonly Taint[] | undefined, tolerations: readonly Toleration[] | undefined, filter: (t: Taint) => boolean): Taint | undefined {
  for (const taint of taints ?? []) {
    if (!filter(taint)) continue;
    if (!taintToleratedBy(taint, tolerations)) return taint;
  }
  return undefined;
}
