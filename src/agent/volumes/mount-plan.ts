/**
 * Pure decisions of the agent's volume orchestration: which volumes a pod's containers can use on
 * this runtime, which mounts a runtime may skip, and the pacing of mount retries and their
 * `FailedMount` events (after the kubelet's nestedpendingoperations back-off and its
 * podAttachAndMountTimeout, v1.32).
 */
import type { Container, Pod, Volume } from 'kubernetes-types/core/v1.js';
import type { Mount } from '../runtime/runtime.js';

/** The prefix of the projected volume the ServiceAccount admission plugin adds to every pod. */
export const serviceAccountVolumePrefix = 'kube-api-access-';

/**
 * Whether `v` is the service account volume admission injected (its name and a serviceAccountToken
 * source): a runtime that cannot mount may run the pod without it.
 */
export function isAutoInjectedServiceAccountVolume(v: Volume | undefined): boolean {
  return !!v && v.name.startsWith(serviceAccountVolumePrefix) && !!v.projected?.sources?.some((s) => s.serviceAccountToken);
}

/**
 * The volumes to prepare: all of them where the runtime bind-mounts volumes; none where it cannot
 * (its containers could use none, and a mount it cannot honour fails the container with its own
 * message rather than waiting on the volume).
 */
export function volumesToSetUp(pod: Pod, runtimeHonoursMounts: boolean): Volume[] {
  return runtimeHonoursMounts ? [...(pod.spec?.volumes ?? [])] : [];
}

/** Marks the mounts (in volumeMounts order) of auto-injected service account volumes optional. */
export function markOptionalMounts(pod: Pod, container: Container, mounts: readonly Mount[]): Mount[] {
  const volumes = new Map((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
  const names = (container.volumeMounts ?? []).map((vm) => vm.name);
  return mounts.map((m, i) => (isAutoInjectedServiceAccountVolume(volumes.get(names[i] ?? '')) ? { ...m, optional: true } : m));
}

/**
 * The mounts of a container for a runtime that cannot mount: nothing prepared (no host path); the
 * runtime skips the optional ones and refuses the others with its own explanation.
 */
export function unpreparedMounts(pod: Pod, container: Container): Mount[] {
  const mounts = (container.volumeMounts ?? []).map((vm) => ({ containerPath: vm.mountPath, hostPath: '', readonly: !!vm.readOnly }));
  return markOptionalMounts(pod, container, mounts);
}

/** The first retry of a failed mount comes after 500 ms, doubling to at most 2 min 2 s. */
export const mountRetryInitialMs = 500;
export const mountRetryMaxMs = 122_000;
/** How long a pod waits for its volumes before the summary event (podAttachAndMountTimeout). */
export const attachAndMountTimeoutMs = 123_000;

/** The delay before retry number `failures` (1 after the first failure). */
export function mountRetryDelayMs(failures: number): number {
  if (failures <= 0) return 0;
  return Math.min(mountRetryInitialMs * 2 ** Math.min(failures - 1, 20), mountRetryMaxMs);
}

/**
 * Whether the summary `Unable to attach or mount volumes` event is due: the pod has waited a full
 * timeout since it started waiting, and since the last summary.
 */
export function summaryEventDue(waitingSince: number, lastSummaryAt: number | undefined, now: number): boolean {
  return now - (lastSummaryAt ?? waitingSince) >= attachAndMountTimeoutMs;
}

/** Whether the labels or annotations (what downwardAPI volumes show) differ between two versions. */
export function downwardAPIChanged(before: Pod, after: Pod): boolean {
  const same = (a: Record<string, string> | undefined, b: Record<string, string> | undefined) => {
    const ka = Object.keys(a ?? {});
    if (ka.length !== Object.keys(b ?? {}).length) return false;
    return ka.every((k) => b?.[k] === a?.[k]);
  };
  return !same(before.metadata?.labels, after.metadata?.labels) || !same(before.metadata?.annotations, after.metadata?.annotations);
}

/** Whether the pod has file volumes that read the pod itself (downwardAPI, or projected downwardAPI). */
export function hasDownwardAPIVolume(pod: Pod): boolean {
  return (pod.spec?.volumes ?? []).some((v) => v.downwardAPI || v.projected?.sources?.some((s) => s.downwardAPI));
}

/** Whether the pod has projected service account tokens (which need a periodic refresh). */
export function hasTokenVolume(pod: Pod): boolean {
  return (pod.spec?.volumes ?? []).some((v) => v.projected?.sources?.some((s) => s.serviceAccountToken));
}
