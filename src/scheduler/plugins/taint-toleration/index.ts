/**
 * TaintToleration (pkg/scheduler/framework/plugins/tainttoleration): Filter rejects nodes with a
 * NoSchedule or NoExecute taint the pod does not tolerate (this is also how not-ready and
 * unreachable nodes are kept free of new pods: they carry `node.kubernetes.io/not-ready` /
 * `node.kubernetes.io/unreachable` taints). Score counts the PreferNoSchedule taints the pod does
 * not tolerate; normalisation reverses it, so fewer is better.
 */
import type { Pod, Toleration } from 'kubernetes-types/core/v1.js';
import {
  type ClusterEvent,
  CycleState,
  type EnqueueExtensions,
  type FilterPlugin,
  maxNodeScore,
  type NodeScore,
  type PluginFactory,
  type PreScorePlugin,
  type ScorePlugin,
  Status,
} from '../../framework/interface.js';
import type { NodeInfo } from '../../framework/node-info.js';
import { defaultNormalizeScore } from '../helper/normalize-score.js';
import { findMatchingUntoleratedTaint, taintToleratedBy } from '../helper/taints.js';
import { names } from '../names.js';

const preScoreKey = `PreScore${names.TaintToleration}`;

export const untoleratedTaintReason = (key: string, value: string | undefined): string => `node(s) had untolerated taint {${key}: ${value ?? ''}}`;

export class TaintToleration implements FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions {
  readonly name = names.TaintToleration;

  filter(_state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status {
    const node = nodeInfo.node;
    if (!node) return Status.error('invalid nodeInfo');
    const taint = findMatchingUntoleratedTaint(node.spec?.taints, pod.spec?.tolerations, (t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
    if (!taint) return Status.success();
    return Status.unresolvable(untoleratedTaintReason(taint.key, taint.value));
  }

  preScore(state: CycleState, pod: Pod): Status {
    const tolerations = (pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
    state.write(preScoreKey, tolerations);
    return Status.success();
  }

  score(state: CycleState, pod: Pod, nodeInfo: NodeInfo): { score: number; status: Status } {
    const tolerations = state.read<Toleration[]>(preScoreKey) ?? (pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
    let count = 0;
    for (const taint of nodeInfo.node?.spec?.taints ?? []) {
      if (taint.effect !== 'PreferNoSchedule') continue;
      if (!taintToleratedBy(taint, tolerations)) count++;
    }
    return { score: count, status: Status.success() };
  }

  normalizeScore(_state: CycleState, _pod: Pod, scores: NodeScore[]): Status {
    defaultNormalizeScore(maxNodeScore, true, scores);
    return Status.success();
  }

  eventsToRegister(): readonly ClusterEvent[] {
    return ['NodeAdd', 'NodeUpdate'];
  }
}

export const factory: PluginFactory = () => new TaintToleration();
