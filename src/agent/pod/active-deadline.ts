/**
 * `spec.activeDeadlineSeconds` (the kubelet's activeDeadlineHandler, pkg/kubelet/active_deadline.go,
 * v1.32): once the pod has been active on the node for that long, counted from status.startTime,
 * the kubelet records a Normal `DeadlineExceeded` event, fails the pod with that reason and
 * message, and stops its containers. Without a start time (the pod never started here) there is no
 * deadline yet.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';

export const deadlineExceededReason = 'DeadlineExceeded';
export const deadlineExceededMessage = 'Pod was active on the node longer than the specified deadline';

export type DeadlineCheck = { exceeded: true } | { exceeded: false; /** Until the deadline; absent when there is none. */ remainingMs?: number };

/** Whether the pod is past its active deadline at `now`, given its start time (RFC 3339). */
export function activeDeadline(pod: Pod, startTime: string | undefined, now: number): DeadlineCheck {
  const seconds = pod.spec?.activeDeadlineSeconds;
  if (seconds === undefined || seconds === null || !startTime) return { exceeded: false };
  const started = Date.parse(startTime);
  if (Number.isNaN(started)) return { exceeded: false };
  const remainingMs = started + seconds * 1000 - now;
  return remainingMs <= 0 ? { exceeded: true } : { exceeded: false, remainingMs };
}
