/**
 * Why a pod fits no node, in upstream's words (pkg/scheduler/framework/types.go FitError):
 * `0/3 nodes are available: 1 Insufficient nvidia.com/gpu, 2 node(s) had untolerated taint
 * {dedicated: ml}. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.`
 * Each node contributes each of its reasons once; the "<count> <reason>" strings are sorted.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Status } from './interface.js';

export interface Diagnosis {
  /** Statuses of the nodes that were filtered out, by name. */
  nodeToStatus: Map<string, Status>;
  /** The status of every node not in nodeToStatus (PreFilter rejection or narrowing). */
  absentNodesStatus?: Status;
  /** Plugins that rejected the pod somewhere: their cluster events requeue it. */
  unschedulablePlugins: Set<string>;
  preFilterMsg?: string;
  postFilterMsg?: string;
}

export const newDiagnosis = (): Diagnosis => ({ nodeToStatus: new Map(), unschedulablePlugins: new Set() });

export function addPluginStatus(d: Diagnosis, s: Status): void {
  if (s.plugin && s.isRejected()) d.unschedulablePlugins.add(s.plugin);
}

export function fitErrorMessage(numAllNodes: number, d: Diagnosis): string {
  let msg = `0/${numAllNodes} nodes are available:`;
  if (d.preFilterMsg) msg += ` ${d.preFilterMsg}.`;
  else {
    const counts = new Map<string, number>();
    for (const s of d.nodeToStatus.values()) for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
    const absent = numAllNodes - d.nodeToStatus.size;
    if (absent > 0 && d.absentNodesStatus) for (const r of d.absentNodesStatus.reasons) counts.set(r, (counts.get(r) ?? 0) + absent);
    // Go's sort.Strings: byte order.
    const parts = [...counts].map(([r, n]) => `${n} ${r}`).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (parts.length) msg += ` ${parts.join(', ')}.`;
  }
  if (d.postFilterMsg) msg += ` ${d.postFilterMsg}`;
  return msg;
}

export class FitError extends Error {
  constructor(
    readonly pod: Pod,
    readonly numAllNodes: number,
    readonly diagnosis: Diagnosis,
  ) {
    super();
    this.name = 'FitError';
  }
  override get message(): string {
    return fitErrorMessage(this.numAllNodes, this.diagnosis);
  }
  override set message(_v: string) {
    // computed: the diagnosis may gain a PostFilter message after construction
  }
}

/** No node exists at all (ErrNoNodesAvailable). */
export const noNodesAvailableMessage = 'no nodes available to schedule pods';
