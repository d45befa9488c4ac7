/**
 * Pure decisions of the namespace deleter (`pkg/controller/namespace/deletion/
 * namespaced_resources_deleter.go`): which resources to empty, how long graceful pods may take,
 * what the remaining items of a resource mean, and what the namespace looks like once finalized.
 */
import type { APIResourceList } from 'kubernetes-types/meta/v1.js';
import type { ApiObject } from '../../api/object.js';
import { type DiscoveredResource, flattenResources } from '../../client/discovery.js';

/** The finalizer this controller owns in `spec.finalizers`. */
export const kubernetesFinalizer = 'kubernetes';

/** When items with finalizers remain, look again after about this long (upstream finalizerEstimateSeconds). */
export const finalizerEstimateSeconds = 15;

/** Namespaced resources that can be deleted (discovery verbs include `delete`). */
export function deletableResources(lists: readonly APIResourceList[]): DiscoveredResource[] {
  return flattenResources(lists, (r) => r.namespaced && r.verbs.includes('delete'));
}

/** `<plural>.<group>`, as the NamespaceContentRemaining message spells it (core resources end in a dot). */
export const groupResourceLabel = (r: { group: string; plural: string }): string => `${r.plural}.${r.group}`;

/** Go's `GroupVersionResource.String()`: `apps/v1, Resource=deployments`, `/v1, Resource=pods`. */
export const gvrString = (r: { group: string; version: string; plural: string }): string => `${r.group}/${r.version}, Resource=${r.plural}`;

interface PodLike {
  spec?: { terminationGracePeriodSeconds?: number };
  status?: { phase?: string };
}

/**
 * Seconds to allow for graceful pod termination: the longest terminationGracePeriodSeconds of the
 * non-terminal pods, or 0 once that long has passed since the namespace's deletion.
 */
export function podTerminationEstimate(pods: readonly PodLike[], namespaceDeletedAtMs: number, nowMs: number): number {
  let estimate = 0;
  for (const p of pods) {
    const phase = p.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') continue;
    const grace = p.spec?.terminationGracePeriodSeconds;
    if (grace !== undefined && grace > estimate) estimate = grace;
  }
  return nowMs - namespaceDeletedAtMs >= estimate * 1000 ? 0 : estimate;
}

/** What remains of one resource after its content was deleted. */
export interface ResourceRemaining {
  /** Seconds until another look is worthwhile; 0 when none was estimated. */
  estimateSeconds: number;
  numRemaining: number;
  finalizers: Map<string, number>;
  /** Items remain with neither a grace estimate nor finalizers: something is wrong. */
  unexpected: boolean;
}

/** Judges the items still listed after deletion (upstream deleteAllContentForGroupVersionResource's tail). */
export function judgeRemaining(items: readonly ApiObject[], graceEstimateSeconds: number): ResourceRemaining {
  const finalizers = new Map<string, number>();
  if (items.length === 0) return { estimateSeconds: 0, numRemaining: 0, finalizers, unexpected: false };
  for (const item of items) for (const f of item.metadata.finalizers ?? []) finalizers.set(f, (finalizers.get(f) ?? 0) + 1);
  if (graceEstimateSeconds !== 0) return { estimateSeconds: graceEstimateSeconds, numRemaining: items.length, finalizers, unexpected: false };
  if (finalizers.size > 0) return { estimateSeconds: finalizerEstimateSeconds, numRemaining: items.length, finalizers, unexpected: false };
  return { estimateSeconds: 0, numRemaining: items.length, finalizers, unexpected: true };
}

/** `spec.finalizers` without `token`, de-duplicated and sorted, as finalizeNamespace sends it. */
export function finalizersWithout(finalizers: readonly string[] | undefined, token = kubernetesFinalizer): string[] {
  return [...new Set((finalizers ?? []).filter((f) => f !== token))].sort();
}

/** How long to wait before looking at a namespace whose content is still going away (namespace_controller.go). */
export const remainingRequeueMs = (estimateSeconds: number): number => (Math.floor(estimateSeconds / 2) + 1) * 1000;

/** The next step for a namespace, from its latest state. */
export type NamespaceStep = 'ignore' | 'mark-terminating' | 'done' | 'delete-content';

export interface NamespaceStepInput {
  metadata?: { deletionTimestamp?: string };
  spec?: { finalizers?: readonly string[] };
  status?: { phase?: string };
}

export function namespaceStep(ns: NamespaceStepInput | undefined): NamespaceStep {
  if (!ns?.metadata?.deletionTimestamp) return 'ignore';
  if (ns.status?.phase !== 'Terminating') return 'mark-terminating';
  if ((ns.spec?.finalizers ?? []).length === 0) return 'done';
  return 'delete-content';
}
