/**
 * NodePorts (pkg/scheduler/framework/plugins/nodeports/node_ports.go): a pod fits a node only if
 * none of its host ports is in use there. A wildcard IP (0.0.0.0) conflicts with every IP on the
 * same protocol and port. On nodes in host network mode every containerPort is a host port.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { type ClusterEvent, CycleState, type EnqueueExtensions, type FilterPlugin, type PluginFactory, type PreFilterPlugin, Status } from '../../framework/interface.js';
import { type HostPort, isHostNetworkNode, type NodeInfo, podHostPorts } from '../../framework/node-info.js';
import { names } from '../names.js';

export const errReason = "node(s) didn't have free ports for the requested pod ports";
const stateKey = `PreFilter${names.NodePorts}`;

interface PortsState {
  /** The pod's host ports on an ordinary node and on a host-network node. */
  normal: HostPort[];
  hostMode: HostPort[];
}

export function portsConflict(want: readonly HostPort[], used: readonly HostPort[]): boolean {
  for (const w of want)
    for (const u of used) {
      if (w.port !== u.port || w.protocol !== u.protocol) continue;
      if (w.ip === '0.0.0.0' || u.ip === '0.0.0.0' || w.ip === u.ip) return true;
    }
  return false;
}

export class NodePorts implements PreFilterPlugin, FilterPlugin, EnqueueExtensions {
  readonly name = names.NodePorts;

  preFilter(state: CycleState, pod: Pod): { status: Status } {
    const s: PortsState = { normal: podHostPorts(pod, false), hostMode: podHostPorts(pod, true) };
    if (s.normal.length === 0 && s.hostMode.length === 0) return { status: Status.skip() };
    state.write(stateKey, s);
    return { status: Status.success() };
  }

  filter(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status {
    const s = state.read<PortsState>(stateKey) ?? { normal: podHostPorts(pod, false), hostMode: podHostPorts(pod, true) };
    const want = isHostNetworkNode(nodeInfo.node) ? s.hostMode : s.normal;
    if (want.length && portsConflict(want, nodeInfo.usedPorts)) return Status.unschedulable(errReason);
    return Status.success();
  }

  eventsToRegister(): readonly ClusterEvent[] {
    return ['PodDelete', 'NodeAdd', 'NodeUpdate'];
  }
}

export const factory: PluginFactory = () => new NodePorts();
