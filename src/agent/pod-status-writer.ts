/**
 * The agent's status manager (pkg/kubelet/status): writes a pod's status through `pods/status`
 * when it differs from what was last written, keeps the conditions other components own
 * (PodScheduled, DisruptionTarget, readiness gates), and deletes a terminated pod with grace 0
 * once the agent has finished with it.
 */
import type { Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1.js';
import { isStatusError } from '../api/errors.js';
import type { ApiClient } from '../client/api-client.js';
import { builtinRefs } from '../client/builtin-refs.js';

/** The condition types the agent computes; all others are kept as they are. */
export const agentConditionTypes = new Set(['PodReadyToStartContainers', 'Initialized', 'ContainersReady', 'Ready']);

/** The status to store: the agent's, with the conditions it does not own taken from the pod. */
export function mergeStatus(current: PodStatus | undefined, next: PodStatus): PodStatus {
  const foreign = (current?.conditions ?? []).filter((c) => !agentConditionTypes.has(c.type));
  const own = (next.conditions ?? []).filter((c) => agentConditionTypes.has(c.type));
  const conditions: PodCondition[] = [...foreign.filter((c) => !own.some((o) => o.type === c.type)), ...own];
  const nominated = current?.nominatedNodeName;
  return { ...next, conditions, ...(nominated && !next.nominatedNodeName ? { nominatedNodeName: nominated } : {}) };
}

/** A merge patch turning `current` into `next`: top-level fields that went away are nulled. */
export function statusPatch(current: PodStatus | undefined, next: PodStatus): Record<string, unknown> {
  const patch: Record<string, unknown> = { ...next };
  for (const k of Object.keys(current ?? {})) if (!(k in next)) patch[k] = null;
  return patch;
}

const isNotFound = (e: unknown) => isStatusError(e) && e.code === 404;

export class PodStatusWriter {
  private readonly written = new Map<string, string>();

  constructor(private readonly client: ApiClient) {}

  /** Writes `status` unless it is what was last written for this pod; returns whether it wrote. */
  async write(pod: Pod, status: PodStatus, signal?: AbortSignal): Promise<boolean> {
    const uid = pod.metadata?.uid ?? '';
    const merged = mergeStatus(pod.status, status);
    const json = JSON.stringify(merged);
    if (this.written.get(uid) === json) return false;
    try {
      await this.client.patch(builtinRefs.pods, pod.metadata?.name ?? '', { metadata: { uid }, status: statusPatch(pod.status, merged) }, 'merge', { namespace: pod.metadata?.namespace, subresource: 'status', signal });
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
    this.written.set(uid, json);
    return true;
  }

  /** Deletes a pod whose containers have all stopped (grace 0, guarded by its uid). */
  async deleteFinished(pod: Pod, signal?: AbortSignal): Promise<void> {
    try {
      await this.client.delete(builtinRefs.pods, pod.metadata?.name ?? '', { namespace: pod.metadata?.namespace, gracePeriodSeconds: 0, preconditions: { uid: pod.metadata?.uid }, signal });
    } catch (e) {
      if (!isNotFound(e) && !(isStatusError(e) && e.code === 409)) throw e;
    }
  }

  forget(uid: string): void {
    this.written.delete(uid);
  }
}
