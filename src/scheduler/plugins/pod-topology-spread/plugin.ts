/**
 * The PodTopologySpread plugin (after pkg/scheduler/framework/plugins/podtopologyspread/plugin.go).
 * Args (PodTopologySpreadArgs): `defaultConstraints` and `defaultingType` ('System', the default,
 * uses the zone/hostname ScheduleAnyway constraints; 'List' uses `defaultConstraints`).
 */
import type { Pod, TopologySpreadConstraint } from 'kubernetes-types/core/v1.js';
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
import { type SpreadListers, podConstraints, systemDefaultConstraints } from './constraints.js';
import { SpreadFilterState, computeFilterState, filterNode } from './filtering.js';
import { type SpreadScoreState, computeScoreState, normalizeScores, scoreNode } from './scoring.js';

export const name = 'PodTopologySpread';
const preFilterKey = `PreFilter${name}`;
const preScoreKey = `PreScore${name}`;

export interface PodTopologySpreadArgs {
  defaultConstraints?: TopologySpreadConstraint[];
  defaultingType?: 'System' | 'List';
}

export class PodTopologySpread implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions {
  readonly name = name;
  private readonly defaults: readonly TopologySpreadConstraint[];
  private readonly systemDefaulted: boolean;

  constructor(
    private readonly handle: FrameworkHandle,
    args: PodTopologySpreadArgs = {},
  ) {
    this.systemDefaulted = (args.defaultingType ?? 'System') === 'System';
    this.defaults = this.systemDefaulted ? systemDefaultConstraints : (args.defaultConstraints ?? []);
  }

  private get listers(): SpreadListers {
    return this.handle.listers as SpreadListers;
  }

  preFilter(state: CycleState, pod: Pod): { status: Status } {
    let constraints;
    try {
      constraints = podConstraints(pod, 'DoNotSchedule', this.defaults, this.listers);
    } catch (e) {
      return { status: Status.error(e as Error) };
    }
    if (constraints.length === 0) return { status: Status.skip() };
    state.write(preFilterKey, computeFilterState(pod, constraints, this.handle.snapshot().nodeInfos().list()));
    return { status: Status.success() };
  }

  addPod(state: CycleState, podToSchedule: Pod, podToAdd: Pod, nodeInfo: NodeInfo): Status {
    state.read<SpreadFilterState>(preFilterKey)?.updateWithPod(podToAdd, podToSchedule, nodeInfo.node, 1);
    return Status.success();
  }

  removePod(state: CycleState, podToSchedule: Pod, podToRemove: Pod, nodeInfo: NodeInfo): Status {
    state.read<SpreadFilterState>(preFilterKey)?.updateWithPod(podToRemove, podToSchedule, nodeInfo.node, -1);
    return Status.success();
  }

  filter(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status {
    const s = state.read<SpreadFilterState>(preFilterKey);
    // No state: PreFilter skipped (no hard constraints), which tolerates every node.
    if (!s || s.constraints.length === 0) return Status.success();
    const r = filterNode(s, pod, nodeInfo.node);
    if (r.ok) return Status.success();
    return r.unresolvable ? Status.unresolvable(r.reason) : Status.unschedulable(r.reason);
  }

  preScore(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): Status {
    const allNodes = this.handle.snapshot().nodeInfos().list();
    if (nodes.length === 0 || allNodes.length === 0) return Status.skip();
    let constraints;
    try {
      constraints = podConstraints(pod, 'ScheduleAnyway', this.defaults, this.listers);
    } catch (e) {
      return Status.error(e as Error);
    }
    if (constraints.length === 0) return Status.skip();
    const requireAllTopologies = (pod.spec?.topologySpreadConstraints?.length ?? 0) > 0 || !this.systemDefaulted;
    state.write(preScoreKey, computeScoreState(pod, constraints, nodes, allNodes, requireAllTopologies));
    return Status.success();
  }

  score(state: CycleState, pod: Pod, nodeInfo: NodeInfo): { score: number; status: Status } {
    const s = state.read<SpreadScoreState>(preScoreKey);
    return { score: s ? scoreNode(s, pod, nodeInfo) : 0, status: Status.success() };
  }

  normalizeScore(state: CycleState, _pod: Pod, scores: NodeScore[]): Status {
    const s = state.read<SpreadScoreState>(preScoreKey);
    if (s) normalizeScores(s, scores);
    return Status.success();
  }

  eventsToRegister(): readonly ClusterEvent[] {
    return ['PodAdd', 'PodUpdate', 'PodDelete', 'NodeAdd', 'NodeUpdate', 'NodeDelete'];
  }
}
