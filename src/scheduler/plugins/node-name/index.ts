/** NodeName (pkg/scheduler/framework/plugins/nodename): a pod naming `spec.nodeName` fits only that node. */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { type ClusterEvent, type EnqueueExtensions, type FilterPlugin, type PluginFactory, Status } from '../../framework/interface.js';
import type { NodeInfo } from '../../framework/node-info.js';
import { names } from '../names.js';

export const errReason = "node(s) didn't match the requested node name";

export class NodeName implements FilterPlugin, EnqueueExtensions {
  readonly name = names.NodeName;
  filter(_state: unknown, pod: Pod, nodeInfo: NodeInfo): Status {
    if (!nodeInfo.node) return Status.error('node not found');
    const want = pod.spec?.nodeName;
    if (want && want !== nodeInfo.name) return Status.unresolvable(errReason);
    return Status.success();
  }
  eventsToRegister(): readonly ClusterEvent[] {
    return ['NodeAdd', 'NodeUpdate'];
  }
}

export const factory: PluginFactory = () => new NodeName();
