/**
 * The pod garbage collector's decisions (pkg/controller/podgc), as pure functions of cached Pods
 * and Nodes. Each pass picks:
 * - terminated pods (phase neither Pending, Running nor Unknown) beyond the threshold, evicted ones
 *   first, then oldest first;
 * - terminating pods on nodes that are not Ready and carry the `out-of-service` taint;
 * - pods bound to nodes that are gone (confirmed by the controller after a quarantine);
 * - terminating pods that were never scheduled.
 */
import type { Node, Pod, PodCondition } from 'kubernetes-types/core/v1.js';

export const outOfServiceTaint = 'node.kubernetes.io/out-of-service';
/** terminatedPodGCThreshold's default (kube-controller-manager --terminated-pod-gc-threshold). */
export const defaultTerminatedPodThreshold = 12_500;
/** How often the collector looks (gcCheckPeriod). */
export const gcCheckPeriodMs = 20_000;
/** How long a missing node stays in quarantine before its pods count as orphans. */
export const quarantineMs = 40_000;

export function isPodTerminated(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Pending' && phase !== 'Running' && phase !== 'Unknown';
}

/** status.phase Failed with reason Evicted (the kubelet's eviction manager's mark). */
export function isPodEvicted(pod: Pod): boolean {
  return pod.status?.phase === 'Failed' && pod.status.reason === 'Evicted';
}

/** Evicted first, then by creation time, then by name. */
export function compareForCollection(a: Pod, b: Pod): number {
  const ea = isPodEvicted(a);
  const eb = isPodEvicted(b);
  if (ea !== eb) return ea ? -1 : 1;
  const ta = Date.parse(a.metadata?.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata?.creationTimestamp ?? '') || 0;
  if (ta !== tb) return ta - tb;
  const na = a.metadata?.name ?? '';
  const nb = b.metadata?.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/** The oldest terminated pods beyond `threshold` (none when threshold ≤ 0). */
export function terminatedOverThreshold(pods: readonly Pod[], threshold: number): Pod[] {
  if (threshold <= 0) return [];
  const terminated = pods.filter(isPodTerminated);
  const excess = terminated.length - threshold;
  return excess > 0 ? terminated.sort(compareForCollection).slice(0, excess) : [];
}

const isReady = (node: Node): boolean => node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** Terminating pods on a node that is not Ready and is tainted out-of-service. */
export function terminatingOnOutOfServiceNodes(pods: readonly Pod[], nodes: ReadonlyMap<string, Node>): Pod[] {
  return pods
    .filter((p) => {
      if (!p.metadata?.deletionTimestamp) return false;
      const node = nodes.get(p.spec?.nodeName ?? '');
      return !!node && !isReady(node) && (node.spec?.taints ?? []).some((t) => t.key === outOfServiceTaint);
    })
    .sort(compareForCollection);
}

/** Node names that pods are bound to but that the cache does not hold. */
export function missingNodes(pods: readonly Pod[], nodes: ReadonlyMap<string, Node>): Set<string> {
  const out = new Set<string>();
  for (const p of pods) {
    const n = p.spec?.nodeName;
    if (n && !nodes.has(n)) out.add(n);
  }
  return out;
}

/**
 * Advances the quarantine of missing nodes: a node first seen missing now starts its clock, a node
 * that is back leaves, and the names whose quarantine has run out are returned (to be confirmed
 * absent by a read before their pods go).
 */
export function quarantineDue(firstMissing: Map<string, number>, missing: ReadonlySet<string>, now: number, quarantine = quarantineMs): string[] {
  for (const n of [...firstMissing.keys()]) if (!missing.has(n)) firstMissing.delete(n);
  const due: string[] = [];
  for (const n of missing) {
    const since = firstMissing.get(n);
    if (since === undefined) firstMissing.set(n, now);
    else if (now - since >= quarantine) due.push(n);
  }
  return due;
}

/** Terminating pods that no node was ever assigned. */
export function unscheduledTerminating(pods: readonly Pod[]): Pod[] {
  return pods.filter((p) => !!p.metadata?.deletionTimestamp && !p.spec?.nodeName);
}

/** The condition an orphaned pod gets before it is deleted. */
export function orphanCondition(now: string): PodCondition {
  return { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists', lastTransitionTime: now };
}

/**
 * The status patch that marks a pod Failed before its forced deletion (none for pods already
 * Succeeded or Failed): phase Failed plus `condition`, guarded by the pod's uid.
 */
export function failedStatusPatch(pod: Pod, condition?: PodCondition): Record<string, unknown> | undefined {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return undefined;
  const status: Record<string, unknown> = { phase: 'Failed' };
  if (condition) status.conditions = [condition];
  return { metadata: { uid: pod.metadata?.uid }, status };
}
