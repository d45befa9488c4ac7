/**
 * A terminated container's message (kuberuntime_container.go: the termination message read when
 * converting an exited container's status, v1.32). The runtime's own message comes first; what the
 * container left is appended after `: `.
 *
 * - `terminationMessagePolicy: File` reads the file at terminationMessagePath through the mount
 *   the kubelet adds for it. The process runtime runs containers on the host's filesystem with no
 *   mounts, so there is no such file to read and the message stays the runtime's (upstream, too,
 *   reads nothing when no mount matches the path).
 * - `FallbackToLogsOnError`, for a container that exited non-zero (and was not one that could not
 *   run at all), takes the tail of its log instead when the file gave nothing: the last 80 lines,
 *   of which at most the last 2048 bytes are kept (MaxContainerTerminationMessageLogLines and
 *   MaxContainerTerminationMessageLogLength).
 */
import type { ContainerStatus } from '../runtime/runtime.js';

export const maxTerminationMessageLogLines = 80;
export const maxTerminationMessageLogBytes = 2048;

/** The annotation the kubelet keeps the policy in on the runtime's container. */
export const terminationMessagePolicyAnnotation = 'io.kubernetes.container.terminationMessagePolicy';

/** Whether the container's message is to come from its log. */
export function fallsBackToLogs(status: ContainerStatus): boolean {
  if (status.state !== 'CONTAINER_EXITED') return false;
  if (status.annotations[terminationMessagePolicyAnnotation] !== 'FallbackToLogsOnError') return false;
  return status.exitCode !== 0 && status.reason !== 'ContainerCannotRun';
}

/** The last `max` bytes of what the log reader wrote (a circular buffer's view of it). */
export function lastBytes(chunks: readonly Buffer[], max = maxTerminationMessageLogBytes): string {
  const all = Buffer.concat(chunks);
  return all.subarray(Math.max(0, all.length - max)).toString('utf8');
}

/** The text upstream reports when the log could not be read. */
export const logReadErrorMessage = (err: unknown): string => `Error on reading termination message from logs: ${(err as Error)?.message ?? String(err)}`;

/** The runtime's message with the container's own appended. */
export function withTerminationMessage(runtimeMessage: string, message: string): string {
  if (message === '') return runtimeMessage;
  return runtimeMessage === '' ? message : `${runtimeMessage}: ${message}`;
}
