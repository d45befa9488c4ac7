/**
 * The taints the node lifecycle controller keeps on a Node (node_lifecycle_controller.go
 * doNoScheduleTaintingPass, i.e. TaintNodesByCondition, and doNoExecuteTaintingPass): NoSchedule
 * taints that mirror the node's conditions and `spec.unschedulable`, and the one NoExecute taint
 * (`not-ready` or `unreachable`) that drives taint-based eviction. Pure functions.
 */
import type { Node, Taint } from 'kubernetes-types/core/v1.js';
import { nodeCondition, rfc3339 } from './node-health.js';

export const taintKeys = {
  notReady: 'node.kubernetes.io/not-ready',
  unreachable: 'node.kubernetes.io/unreachable',
  unschedulable: 'node.kubernetes.io/unschedulable',
  memoryPressure: 'node.kubernetes.io/memory-pressure',
  diskPressure: 'node.kubernetes.io/disk-pressure',
  pidPressure: 'node.kubernetes.io/pid-pressure',
  networkUnavailable: 'node.kubernetes.io/network-unavailable',
} as const;

/** Condition type → status → NoSchedule taint key (upstream nodeConditionToTaintKeyStatusMap). */
const conditionTaints: Record<string, Record<string, string>> = {
  Ready: { False: taintKeys.notReady, Unknown: taintKeys.unreachable },
  MemoryPressure: { True: taintKeys.memoryPressure },
  DiskPressure: { True: taintKeys.diskPressure },
  NetworkUnavailable: { True: taintKeys.networkUnavailable },
  PIDPressure: { True: taintKeys.pidPressure },
};

/** Every key the NoSchedule pass owns: a NoSchedule taint with one of these keys is ours to remove. */
const noScheduleKeys = new Set<string>([...Object.values(conditionTaints).flatMap((m) => Object.values(m)), taintKeys.unschedulable]);

/** The NoSchedule taint keys the node's conditions and spec call for. */
export function desiredNoScheduleKeys(node: Node): string[] {
  const keys: string[] = [];
  for (const c of node.status?.conditions ?? []) {
    const key = conditionTaints[c.type]?.[c.status];
    if (key && !keys.includes(key)) keys.push(key);
  }
  if (node.spec?.unschedulable) keys.push(taintKeys.unschedulable);
  return keys;
}

/** The NoExecute taint key the Ready condition calls for, or undefined when the node is Ready (or has not said). */
export function desiredNoExecuteKey(node: Node): string | undefined {
  const ready = nodeCondition(node, 'Ready');
  if (ready?.status === 'False') return taintKeys.notReady;
  if (ready?.status === 'Unknown') return taintKeys.unreachable;
  return undefined;
}

const isManagedNoExecute = (t: Taint): boolean => t.effect === 'NoExecute' && (t.key === taintKeys.notReady || t.key === taintKeys.unreachable);
const isManagedNoSchedule = (t: Taint): boolean => t.effect === 'NoSchedule' && noScheduleKeys.has(t.key);

/**
 * The node's taints with the managed ones brought in line at `now`, or undefined when nothing
 * changes. Taints the controller does not manage keep their place; a kept managed taint keeps its
 * `timeAdded`; new NoExecute taints carry `timeAdded` = now.
 */
export function reconcileTaints(node: Node, now: number): Taint[] | undefined {
  const current = node.spec?.taints ?? [];
  const wantNoSchedule = desiredNoScheduleKeys(node);
  const wantNoExecute = desiredNoExecuteKey(node);
  const out: Taint[] = [];
  let changed = false;
  for (const t of current) {
    const keep = isManagedNoSchedule(t) ? wantNoSchedule.includes(t.key) : isManagedNoExecute(t) ? t.key === wantNoExecute : true;
    if (keep) out.push(t);
    else changed = true;
  }
  for (const key of wantNoSchedule) {
    if (!out.some((t) => t.key === key && t.effect === 'NoSchedule')) {
      out.push({ key, effect: 'NoSchedule' });
      changed = true;
    }
  }
  if (wantNoExecute && !out.some((t) => t.key === wantNoExecute && t.effect === 'NoExecute')) {
    out.push({ key: wantNoExecute, effect: 'NoExecute', timeAdded: rfc3339(now) });
    changed = true;
  }
  return changed ? out : undefined;
}
