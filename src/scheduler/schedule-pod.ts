/**
 * The scheduling algorithm of one cycle (pkg/scheduler/schedule_one.go: schedulePod,
 * findNodesThatFitPod, findNodesThatPassFilters, numFeasibleNodesToFind, prioritizeNodes,
 * selectHost). Filters run node by node from a rotating start index and stop once enough feasible
 * nodes are found (adaptive percentageOfNodesToScore); a pod's nominated node is tried first.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { addPluginStatus, type Diagnosis, FitError, newDiagnosis, noNodesAvailableMessage } from './framework/fit-error.js';
import { CycleState, type NodeScore, Status } from './framework/interface.js';
import type { NodeInfo } from './framework/node-info.js';
import type { Framework } from './framework/runtime.js';
import type { Snapshot } from './internal/cache/snapshot.js';

export const minFeasibleNodesToFind = 100;
export const minFeasibleNodesPercentageToFind = 5;

export interface ScheduleResult {
  suggestedHost: string;
  evaluatedNodes: number;
  feasibleNodes: number;
}

/** How many feasible nodes to look for before scoring (upstream numFeasibleNodesToFind). */
export function numFeasibleNodesToFind(percentageOfNodesToScore: number | undefined, numAllNodes: number): number {
  if (numAllNodes < minFeasibleNodesToFind) return numAllNodes;
  let percentage = percentageOfNodesToScore ?? 0;
  if (percentage === 0) {
    percentage = 50 - Math.trunc(numAllNodes / 125);
    if (percentage < minFeasibleNodesPercentageToFind) percentage = minFeasibleNodesPercentageToFind;
  }
  const n = Math.trunc((numAllNodes * percentage) / 100);
  return n < minFeasibleNodesToFind ? minFeasibleNodesToFind : n;
}

/** The highest score; ties broken uniformly at random (reservoir sampling, as upstream). */
export function selectHost(scores: readonly NodeScore[], random: () => number = Math.random): string {
  if (scores.length === 0) throw new Error('empty priorityList');
  let selected = scores[0]!;
  let count = 1;
  for (let i = 1; i < scores.length; i++) {
    const s = scores[i]!;
    if (s.score > selected.score) {
      selected = s;
      count = 1;
    } else if (s.score === selected.score) {
      count++;
      if (Math.floor(random() * count) === 0) selected = s;
    }
  }
  return selected.name;
}

export class PodScheduler {
  private nextStartNodeIndex = 0;

  constructor(
    /** The configuration's global percentage (a profile's own wins). */
    private readonly percentageOfNodesToScore = 0,
    private readonly random: () => number = Math.random,
  ) {}

  /** Picks a node, or throws a FitError (with its diagnosis) or another Error. */
  schedulePod(fwk: Framework, state: CycleState, pod: Pod, snapshot: Snapshot): ScheduleResult {
    if (snapshot.numNodes() === 0) throw new Error(noNodesAvailableMessage);
    const { feasible, diagnosis } = this.findNodesThatFitPod(fwk, state, pod, snapshot);
    if (feasible.length === 0) throw new FitError(pod, snapshot.numNodes(), diagnosis);
    const evaluatedNodes = feasible.length + diagnosis.nodeToStatus.size;
    if (feasible.length === 1) return { suggestedHost: feasible[0]!.name, evaluatedNodes, feasibleNodes: 1 };
    const scores = this.prioritizeNodes(fwk, state, pod, feasible);
    return { suggestedHost: selectHost(scores, this.random), evaluatedNodes, feasibleNodes: feasible.length };
  }

  findNodesThatFitPod(fwk: Framework, state: CycleState, pod: Pod, snapshot: Snapshot): { feasible: NodeInfo[]; diagnosis: Diagnosis } {
    const diagnosis = newDiagnosis();
    const allNodes = snapshot.list();
    const pre = fwk.runPreFilterPlugins(state, pod, allNodes);
    if (!pre.status.isSuccess()) {
      if (!pre.status.isRejected()) throw pre.status.error ?? new Error(pre.status.message());
      // Every node shares the PreFilter's status, so preemption sees it too.
      diagnosis.absentNodesStatus = pre.status;
      diagnosis.preFilterMsg = pre.status.message();
      addPluginStatus(diagnosis, pre.status);
      return { feasible: [], diagnosis };
    }
    // A nominated node (from an earlier preemption) is likely the only fit: try it first.
    const nominated = pod.status?.nominatedNodeName;
    if (nominated) {
      const info = snapshot.get(nominated);
      if (info) {
        const s = fwk.runFilterPluginsWithNominatedPods(state, pod, info);
        if (s.code === 'Error') throw s.error ?? new Error(s.message());
        if (s.isSuccess()) return { feasible: [info], diagnosis };
      }
    }
    let nodes: readonly NodeInfo[] = allNodes;
    const narrowed = pre.result?.nodeNames;
    if (narrowed) {
      nodes = [...narrowed].map((n) => snapshot.get(n)).filter((n): n is NodeInfo => n !== undefined);
      diagnosis.absentNodesStatus = Status.unresolvable(`node(s) didn't satisfy plugin(s) [${[...pre.pluginsWithNodes].sort().join(' ')}]`);
    }
    const feasible = this.findNodesThatPassFilters(fwk, state, pod, diagnosis, nodes);
    const processed = feasible.length + diagnosis.nodeToStatus.size;
    if (allNodes.length > 0) this.nextStartNodeIndex = (this.nextStartNodeIndex + processed) % allNodes.length;
    return { feasible, diagnosis };
  }

  private findNodesThatPassFilters(fwk: Framework, state: CycleState, pod: Pod, diagnosis: Diagnosis, nodes: readonly NodeInfo[]): NodeInfo[] {
    const n = nodes.length;
    const toFind = numFeasibleNodesToFind(fwk.percentageOfNodesToScore ?? this.percentageOfNodesToScore, n);
    const feasible: NodeInfo[] = [];
    if (n === 0) return feasible;
    const start = this.nextStartNodeIndex % n;
    for (let i = 0; i < n && feasible.length < toFind; i++) {
      const info = nodes[(start + i) % n]!;
      const s = fwk.runFilterPluginsWithNominatedPods(state, pod, info);
      if (s.isSuccess()) feasible.push(info);
      else if (s.isRejected()) {
        diagnosis.nodeToStatus.set(info.name, s);
        addPluginStatus(diagnosis, s);
      } else throw s.error ?? new Error(s.message());
    }
    return feasible;
  }

  /** Weighted sums of the Score plugins; every node scores 1 when there are none. */
  prioritizeNodes(fwk: Framework, state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): NodeScore[] {
    if (fwk.scorePlugins.length === 0) return nodes.map((n) => ({ name: n.name, score: 1 }));
    const pre = fwk.runPreScorePlugins(state, pod, nodes);
    if (!pre.isSuccess()) throw pre.error ?? new Error(pre.message());
    const { scores, status } = fwk.runScorePlugins(state, pod, nodes);
    if (!status.isSuccess()) throw status.error ?? new Error(status.message());
    return scores;
  }
}
