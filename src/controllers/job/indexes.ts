/**
 * Completion-index bookkeeping of Indexed Jobs (`pkg/controller/job/indexed_job_utils.go`):
 * `status.completedIndexes` / `status.failedIndexes` are sorted interval strings such as
 * `1,3-5,7` (three or more consecutive numbers collapse into `first-last`).
 */
import type { Pod } from 'kubernetes-types/core/v1.js';

export const completionIndexAnnotation = 'batch.kubernetes.io/job-completion-index';
export const completionIndexLabel = 'batch.kubernetes.io/job-completion-index';
export const completionIndexEnv = 'JOB_COMPLETION_INDEX';

/** Parses an interval string into the sorted indexes below `completions`; malformed parts are skipped (as upstream). */
export function parseIndexes(s: string | undefined, completions: number): number[] {
  const out = new Set<number>();
  for (const part of (s ?? '').split(',')) {
    if (!part) continue;
    const [a, b] = part.split('-', 2);
    const lo = Number(a);
    const hi = b === undefined ? lo : Number(b);
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 0) continue;
    for (let i = lo; i <= hi && i < completions; i++) out.add(i);
  }
  return [...out].sort((x, y) => x - y);
}

/** Formats indexes (any order, duplicates allowed) as an interval string; two consecutive numbers stay separate, three or more collapse. */
export function formatIndexes(indexes: Iterable<number>): string {
  const sorted = [...new Set(indexes)].sort((x, y) => x - y);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    if (j - i >= 2) parts.push(`${sorted[i]}-${sorted[j]}`);
    else for (let k = i; k <= j; k++) parts.push(String(sorted[k]));
    i = j + 1;
  }
  return parts.join(',');
}

/** The pod's completion index from its annotation (or label); undefined when absent or not a valid number. */
export function podCompletionIndex(pod: Pod): number | undefined {
  const v = pod.metadata?.annotations?.[completionIndexAnnotation] ?? pod.metadata?.labels?.[completionIndexLabel];
  if (v === undefined || !/^(0|[1-9]\d*)$/.test(v)) return undefined;
  return Number(v);
}
