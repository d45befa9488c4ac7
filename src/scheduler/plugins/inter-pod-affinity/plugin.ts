/**
 * The InterPodAffinity plugin (after pkg/scheduler/framework/plugins/interpodaffinity/plugin.go).
 * Args (InterPodAffinityArgs): `hardPodAffinityWeight` (default 1) and
 * `ignorePreferredTermsOfExistingPods` (default false). namespaceSelector terms need the
 * namespaces' labels: the handle's listers may provide `namespaceLabels(ns)`; without it a
 * non-empty namespaceSelector matches only namespaces it would match with no labels.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Labels } from '../../../api/labels.js';
import {
  type ClusterEvent,
  type CycleState,
  type EnqueueExtensions,
  type FilterPlugin,
  type FrameworkHandle,
  type NodeScore,
  type PreFilterPlugin,
  type PreScorePlugin,
  type ScorePlugin,
  Status,
} from '../../framework/interface.js';
import type { NodeInfo } from '../../framework/node-info.js';
import type { NamespaceListers } from './affinity-term.js';
import {
  AffinityFilterState,
  computeFilterState,
  errReasonAffinityRulesNotMatch,
  errReasonAntiAffinityRulesNotMatch,
  errReasonExistingAntiAffinityRulesNotMatch,
  satisfyExistingPodsAntiAffinity,
  satisfyPodAffinity,
  satisfyPodAntiAffinity,
} from './filtering.js';
import { type AffinityScoreState, type ScoreOptions, computeScoreState, normalizeScores, scoreNode } from './scoring.js';

export const name = 'InterPodAffinity';
const preFilterKey = `PreFilter${name}`;
const preScoreKey = `PreScore${name}`;

export interface InterPodAffinityArgs {
  hardPodAffinityWeight?: number;
  ignorePreferredTermsOfExistingPods?: boolean;
}

export class InterPodAffinity implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions {
  readonly name = name;
  private readonly opts: ScoreOptions;

  constructor(
    private readonly handle: FrameworkHandle,
    args: InterPodAffinityArgs = {},
  ) {
    this.opts = { hardPodAffinityWeight: args.hardPodAffinityWeight ?? 1, ignorePreferredTermsOfExistingPods: args.ignorePreferredTermsOfExistingPods ?? false };
  }

  private readonly nsLabelsOf = (ns: string): Labels | undefined => (this.handle.listers as NamespaceListers).namespaceLabels?.(ns);

  preFilter(state: CycleState, pod: Pod): { status: Status } {
    const infos = this.handle.snapshot().nodeInfos();
    let s: AffinityFilterState;
    try {
      s = computeFilterState(pod, infos.list(), infos.havePodsWithRequiredAntiAffinityList(), this.nsLabelsOf);
    } catch (e) {
      return { status: Status.unresolvable(`parsing pod: ${(e as Error).message}`) };
    }
    if (s.isEmpty()) return { status: Status.skip() };
    state.write(preFilterKey, s);
    return { status: Status.success() };
  }

  addPod(state: CycleState, _podToSchedule: Pod, podToAdd: Pod, nodeInfo: NodeInfo): Status {
    state.read<AffinityFilterState>(preFilterKey)?.updateWithPod(podToAdd, nodeInfo.node, 1);
    return Status.success();
  }

  removePod(state: CycleState, _podToSchedule: Pod, podToRemove: Pod, nodeInfo: NodeInfo): Status {
    state.read<AffinityFilterState>(preFilterKey)?.updateWithPod(podToRemove, nodeInfo.node, -1);
    return Status.success();
  }

  filter(state: CycleState, _pod: Pod, nodeInfo: NodeInfo): Status {
    const s = state.read<AffinityFilterState>(preFilterKey);
    // No state: PreFilter skipped, nothing constrains the pod.
    if (!s) return Status.success();
    if (!satisfyPodAffinity(s, nodeInfo.node)) return Status.unresolvable(errReasonAffinityRulesNotMatch);
    if (!satisfyPodAntiAffinity(s, nodeInfo.node)) return Status.unschedulable(errReasonAntiAffinityRulesNotMatch);
    if (!satisfyExistingPodsAntiAffinity(s, nodeInfo.node)) return Status.unschedulable(errReasonExistingAntiAffinityRulesNotMatch);
    return Status.success();
  }

  preScore(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): Status {
    if (nodes.length === 0) return Status.skip();
    const infos = this.handle.snapshot().nodeInfos();
    let s: AffinityScoreState | undefined;
    try {
      s = computeScoreState(pod, infos.list(), infos.havePodsWithAffinityList(), this.nsLabelsOf, this.opts);
    } catch (e) {
      return Status.error(`failed to parse pod: ${(e as Error).message}`);
    }
    if (!s) return Status.skip();
    state.write(preScoreKey, s);
    return Status.success();
  }

  score(state: CycleState, _pod: Pod, nodeInfo: NodeInfo): { score: number; status: Status } {
    const s = state.read<AffinityScoreState>(preScoreKey);
    return { score: s ? scoreNode(s, nodeInfo.node) : 0, status: Status.success() };
  }

  normalizeScore(state: CycleState, _pod: Pod, scores: NodeScore[]): Status {
    if (state.read<AffinityScoreState>(preScoreKey)) normalizeScores(scores);
    return Status.success();
  }

  eventsToRegister(): readonly ClusterEvent[] {
    return ['PodAdd', 'PodUpdate', 'PodDelete', 'NodeAdd', 'NodeUpdate'];
  }
}
