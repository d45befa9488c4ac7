/**
 * NodeResourcesBalancedAllocation (pkg/scheduler/framework/plugins/noderesources/
 * balanced_allocation.go): favours nodes whose resource fractions stay even once the pod is
 * placed. Uses actual requests (no non-zero defaults); skips pods that request none of the resources.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { CycleState, type PluginFactory, type PreScorePlugin, type ScorePlugin, Status } from '../../framework/interface.js';
import { type NodeInfo, podRequests } from '../../framework/node-info.js';
import { names } from '../names.js';
import { balancedArgsWithDefaults, type NodeResourcesBalancedAllocationArgs } from './args.js';
import { balancedResourceScorer, podRequestList, scoreNode } from './resource-allocation.js';

const preScoreKey = `PreScore${names.NodeResourcesBalancedAllocation}`;

export class BalancedAllocation implements PreScorePlugin, ScorePlugin {
  readonly name = names.NodeResourcesBalancedAllocation;
  readonly args: NodeResourcesBalancedAllocationArgs;
  constructor(raw?: Record<string, unknown>) {
    this.args = balancedArgsWithDefaults(raw);
  }

  preScore(state: CycleState, pod: Pod): Status {
    const req = podRequestList(podRequests(pod), this.args.resources);
    if (req.every((v) => v === 0)) return Status.skip();
    state.write(preScoreKey, req);
    return Status.success();
  }

  score(state: CycleState, pod: Pod, nodeInfo: NodeInfo): { score: number; status: Status } {
    const req = state.read<number[]>(preScoreKey) ?? podRequestList(podRequests(pod), this.args.resources);
    return { score: scoreNode(nodeInfo, req, this.args.resources, true, balancedResourceScorer), status: Status.success() };
  }
}

export const factory: PluginFactory = (args) => new BalancedAllocation(args);
