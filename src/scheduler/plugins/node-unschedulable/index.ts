/**
 * NodeUnschedulable (pkg/scheduler/framework/plugins/nodeunschedulable): nodes with
 * `spec.unschedulable` (cordoned) reject pods, unless the pod tolerates the
 * `node.kubernetes.io/unschedulable:NoSchedule` taint (as DaemonSet pods do).
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { type ClusterEvent, type EnqueueExtensions, type FilterPlugin, type PluginFactory, Status } from '../../framework/interface.js';
import type { NodeInfo } from '../../framework/node-info.js';
import { taintToleratedBy } from '../helper/taints.js';
import { names } from '../names.js';

export const errReasonUnknownCondition = 'node(s) had unknown conditions';
export const errReasonUnschedulable = 'node(s) were unschedulable';
const unschedulableTaint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };

export class NodeUnschedulable implements FilterPlugin, EnqueueExtensions {
  readonly name = names.NodeUnschedulable;
  filter(_state: unknown, pod: Pod, nodeInfo: NodeInfo): Status {
    const node = nodeInfo.node;
    if (!node) return Status.unresolvable(errReasonUnknownCondition);
    if (!node.spec?.unschedulable) return Status.success();
    if (taintToleratedBy(unschedulableTaint, pod.spec?.tolerations)) return Status.success();
    return Status.unresolvable(errReasonUnschedulable);
  }
  eventsToRegister(): readonly ClusterEvent[] {
    return ['NodeAdd', 'NodeUpdate'];
  }
}

export const factory: PluginFactory = () => new NodeUnschedulable();
