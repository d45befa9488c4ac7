/**
 * One sync of a DaemonSet as a pure function (`pkg/controller/daemon/daemon_controller.go` manage
 * and podsShouldBeOnNode, `update.go` rollingUpdate, updateDaemonSetStatus): which nodes need a
 * pod, which pods go, and the status.
 */
import type { DaemonSetStatus } from 'kubernetes-types/apps/v1.js';
import { isPodAvailable, isPodReady, isPodTerminating, msUntilAvailable } from '../history/pod-availability.js';
import { type DaemonSetObject, type NodeObject, type PodObject, daemonSetHashLabel, nodeShouldRunDaemonPod, podTemplateGenerationLabel, targetNodeName } from './daemon-pod.js';

export interface DaemonSetSyncInput {
  ds: DaemonSetObject;
  /** The current revision's hash. */
  hash: string;
  nodes: readonly NodeObject[];
  /** The pods the set controls. */
  pods: readonly PodObject[];
  now: number;
}

export interface DaemonSetPlan {
  /** Nodes to create a daemon pod for. */
  createOn: string[];
  /** Pods to delete, with why (for the FailedDaemonPod event). */
  deletePods: { pod: PodObject; failed?: boolean }[];
  status: DaemonSetStatus;
  requeueAfterMs?: number;
}

/** `util.IsPodUpdated`: the pod carries the current hash or template generation. */
export function isPodUpdated(pod: PodObject, hash: string, generation: number | undefined): boolean {
  const labels = pod.metadata.labels ?? {};
  return (!!hash && labels[daemonSetHashLabel] === hash) || (generation !== undefined && labels[podTemplateGenerationLabel] === String(generation));
}

const byAge = (a: PodObject, b: PodObject): number =>
  (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');

/** An int, or a percentage of `total` rounded up (`GetScaledValueFromIntOrPercent(..., true)`). */
export function scaledValue(v: number | string | undefined, total: number, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v === 'number') return v;
  if (v.endsWith('%')) return Math.ceil((Number(v.slice(0, -1)) * total) / 100);
  const n = Number(v);
  return Number.isFinite(n) ? n : fallback;
}

/** `updatedDesiredNodeCounts`: maxSurge and maxUnavailable for `desired` nodes; both 0 means 1 unavailable. */
export function rollingBudgets(ds: DaemonSetObject, desired: number): { maxSurge: number; maxUnavailable: number } {
  const ru = ds.spec?.updateStrategy?.type === 'OnDelete' ? undefined : ds.spec?.updateStrategy?.rollingUpdate;
  const maxSurge = ru ? scaledValue(ru.maxSurge, desired, 0) : 0;
  let maxUnavailable = scaledValue(ru?.maxUnavailable, desired, 1);
  if (desired > 0 && maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}

/** `getNodesToDaemonPods`: live pods by the node they run on or are pinned to. */
export function podsByNode(pods: readonly PodObject[]): Map<string, PodObject[]> {
  const out = new Map<string, PodObject[]>();
  for (const p of pods) {
    if (isPodTerminating(p)) continue;
    const n = targetNodeName(p);
    if (n === undefined) continue;
    out.set(n, [...(out.get(n) ?? []), p]);
  }
  for (const list of out.values()) list.sort(byAge);
  return out;
}

export function planDaemonSet(input: DaemonSetSyncInput): DaemonSetPlan {
  const { ds, hash, now } = input;
  const minReady = ds.spec?.minReadySeconds ?? 0;
  const generation = ds.metadata.generation;
  const byNode = podsByNode(input.pods);
  const decisions = new Map(input.nodes.map((n) => [n.metadata.name!, nodeShouldRunDaemonPod(n, ds)]));
  const plan: DaemonSetPlan = { createOn: [], deletePods: [], status: daemonSetStatus(input, byNode, decisions) };
  if (ds.metadata.deletionTimestamp) return plan;
  const surge = rollingBudgets(ds, plan.status.desiredNumberScheduled).maxSurge > 0;
  const deleting = new Set<string>();
  const del = (pod: PodObject, failed?: boolean) => {
    if (deleting.has(pod.metadata.name!)) return;
    deleting.add(pod.metadata.name!);
    plan.deletePods.push({ pod, failed });
  };
  const later = (pod: PodObject | undefined) => {
    const ms = pod && msUntilAvailable(pod, minReady, now);
    if (ms !== undefined) plan.requeueAfterMs = Math.min(plan.requeueAfterMs ?? ms, ms);
  };

  // manage: podsShouldBeOnNode for each node.
  for (const node of input.nodes) {
    const name = node.metadata.name!;
    const { shouldRun, shouldContinueRunning } = decisions.get(name)!;
    const pods = byNode.get(name) ?? [];
    if (shouldRun && pods.length === 0) {
      plan.createOn.push(name);
    } else if (shouldContinueRunning) {
      const running: PodObject[] = [];
      for (const p of pods) {
        if (p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded') del(p, p.status.phase === 'Failed');
        else running.push(p);
      }
      if (!surge) {
        if (running.length === 0 && shouldRun) plan.createOn.push(name);
        for (const extra of running.slice(1)) del(extra);
      } else {
        let oldestNew: PodObject | undefined;
        let oldestOld: PodObject | undefined;
        for (const p of running) {
          if (isPodUpdated(p, hash, generation)) {
            if (!oldestNew) oldestNew = p;
            else del(p);
          } else if (!oldestOld) oldestOld = p;
          else del(p);
        }
        if (oldestNew && oldestOld) {
          if (!isPodReady(oldestOld) || isPodAvailable(oldestNew, minReady, now)) del(oldestOld);
          else later(oldestNew);
        }
        if (running.length === 0 && shouldRun) plan.createOn.push(name);
      }
    } else {
      for (const p of pods) del(p);
    }
  }
  // getUnscheduledPodsWithoutNode: pods pinned to nodes that no longer exist.
  for (const [name, pods] of byNode) if (!decisions.has(name)) for (const p of pods) if (!p.spec?.nodeName) del(p);

  if ((ds.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate') rollingUpdate(input, byNode, decisions, plan, del, later);
  return plan;
}

/** `update.go` rollingUpdate over the pods that manage left in place. */
function rollingUpdate(
  input: DaemonSetSyncInput,
  byNode: Map<string, PodObject[]>,
  decisions: Map<string, { shouldRun: boolean }>,
  plan: DaemonSetPlan,
  del: (p: PodObject) => void,
  later: (p: PodObject | undefined) => void,
): void {
  const { ds, hash, now } = input;
  const minReady = ds.spec?.minReadySeconds ?? 0;
  const { maxSurge, maxUnavailable } = rollingBudgets(ds, plan.status.desiredNumberScheduled);
  const nodes = [...byNode.keys()].filter((n) => decisions.get(n)?.shouldRun).sort();
  const split = (name: string) => {
    let newPod: PodObject | undefined;
    let oldPod: PodObject | undefined;
    for (const p of byNode.get(name) ?? []) {
      if (p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded') continue;
      if (isPodUpdated(p, hash, ds.metadata.generation)) {
        if (newPod) return undefined;
        newPod = p;
      } else {
        if (oldPod) return undefined;
        oldPod = p;
      }
    }
    return { newPod, oldPod };
  };
  if (maxSurge === 0) {
    let unavailable = 0;
    const allowed: PodObject[] = [];
    const candidates: PodObject[] = [];
    for (const n of nodes) {
      const s = split(n);
      if (!s || (s.newPod && s.oldPod) || (!s.newPod && !s.oldPod)) {
        unavailable++;
        continue;
      }
      if (s.newPod) {
        if (!isPodAvailable(s.newPod, minReady, now)) {
          unavailable++;
          later(s.newPod);
        }
      } else if (!isPodAvailable(s.oldPod!, minReady, now)) allowed.push(s.oldPod!);
      else if (unavailable < maxUnavailable) candidates.push(s.oldPod!);
    }
    const remaining = Math.min(Math.max(0, maxUnavailable - unavailable), candidates.length);
    for (const p of [...allowed, ...candidates.slice(0, remaining)]) del(p);
    return;
  }
  let surging = 0;
  const allowedNodes: string[] = [];
  const candidateNodes: string[] = [];
  for (const n of nodes) {
    const s = split(n);
    if (!s) {
      surging++;
      continue;
    }
    if (!s.newPod) {
      if (!s.oldPod) continue;
      if (!isPodAvailable(s.oldPod, minReady, now)) allowedNodes.push(n);
      else if (surging < maxSurge) candidateNodes.push(n);
    } else if (s.oldPod) {
      if (isPodAvailable(s.newPod, minReady, now)) del(s.oldPod);
      else {
        surging++;
        later(s.newPod);
      }
    }
  }
  const remaining = Math.min(Math.max(0, maxSurge - surging), candidateNodes.length);
  for (const n of [...allowedNodes, ...candidateNodes.slice(0, remaining)]) if (!plan.createOn.includes(n)) plan.createOn.push(n);
}

/** `updateDaemonSetStatus`, counting the oldest pod on each node. */
export function daemonSetStatus(input: DaemonSetSyncInput, byNode: Map<string, PodObject[]>, decisions: Map<string, { shouldRun: boolean }>): DaemonSetStatus {
  const { ds, hash, now } = input;
  let desired = 0, current = 0, misscheduled = 0, ready = 0, updated = 0, available = 0;
  for (const node of input.nodes) {
    const name = node.metadata.name!;
    const pods = byNode.get(name) ?? [];
    const shouldRun = decisions.get(name)?.shouldRun;
    if (shouldRun) {
      desired++;
      if (pods.length === 0) continue;
      current++;
      const pod = pods[0]!;
      if (isPodReady(pod)) {
        ready++;
        if (isPodAvailable(pod, ds.spec?.minReadySeconds ?? 0, now)) available++;
      }
      if (isPodUpdated(pod, hash, ds.metadata.generation)) updated++;
    } else if (pods.length > 0) misscheduled++;
  }
  return {
    observedGeneration: ds.metadata.generation,
    desiredNumberScheduled: desired,
    currentNumberScheduled: current,
    numberMisscheduled: misscheduled,
    numberReady: ready,
    updatedNumberScheduled: updated,
    numberAvailable: available,
    numberUnavailable: Math.max(0, desired - available),
    ...(ds.status?.collisionCount !== undefined ? { collisionCount: ds.status.collisionCount } : {}),
    ...(ds.status?.conditions ? { conditions: ds.status.conditions } : {}),
  };
}
