/**
 * Back-off before creating replacement pods (`pkg/controller/job/backoff_utils.go`): after n
 * consecutive failures since the last success the next pod waits 10 s · 2^(n-1), capped at 6 min,
 * counted from the last failure's finish time.
 */
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { isFailed, isSucceeded, podFinishTime } from './job-pods.js';

export const defaultBackoffMs = 10_000;
export const maxBackoffMs = 6 * 60_000;

export interface BackoffRecord {
  failuresAfterLastSuccess: number;
  /** ms since epoch; undefined without failures. */
  lastFailureTime?: number;
}

/** The record of `pods` (finished ones only), ordered by finish time. */
export function backoffRecord(job: Job, pods: Pod[]): BackoffRecord {
  const finished = pods
    .map((p) => ({ p, succeeded: isSucceeded(p), failed: isFailed(p, job) }))
    .filter((x) => x.succeeded || x.failed)
    .map((x) => ({ ...x, at: podFinishTime(x.p) }))
    .sort((a, b) => a.at - b.at);
  let failures = 0;
  let last: number | undefined;
  for (const f of finished) {
    if (f.succeeded) {
      failures = 0;
      last = undefined;
    } else {
      failures++;
      last = f.at;
    }
  }
  return { failuresAfterLastSuccess: failures, lastFailureTime: last };
}

/** The back-off for `failures` consecutive failures (0 for none). */
export function backoffDurationMs(failures: number, baseMs = defaultBackoffMs, capMs = maxBackoffMs): number {
  if (failures <= 0) return 0;
  // 2^(n-1) overflows nothing useful past ~30 doublings: cap early.
  const exp = Math.min(failures - 1, 30);
  return Math.min(capMs, baseMs * 2 ** exp);
}

/** How much longer to wait before creating pods (0: create now). */
export function remainingBackoffMs(record: BackoffRecord, now: number, baseMs = defaultBackoffMs, capMs = maxBackoffMs): number {
  if (record.failuresAfterLastSuccess === 0 || record.lastFailureTime === undefined) return 0;
  const wait = backoffDurationMs(record.failuresAfterLastSuccess, baseMs, capMs);
  const elapsed = now - record.lastFailureTime;
  return elapsed >= wait ? 0 : wait - elapsed;
}
