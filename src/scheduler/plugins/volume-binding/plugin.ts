/**
 * The VolumeBinding plugin, basics (after pkg/scheduler/framework/plugins/volumebinding).
 * PreFilter rejects pods whose claims are missing or unbound with Immediate binding; Filter keeps
 * nodes that a bound volume's node affinity admits. WaitForFirstConsumer claims pass when the
 * class's allowedTopologies admit the node: matching a static PV and provisioning are left to a
 * later provisioner (no PreBind here; nothing writes the selected-node annotation yet).
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { type ClusterEvent, type CycleState, type EnqueueExtensions, type FilterPlugin, type FrameworkHandle, type PreFilterPlugin, Status } from '../../framework/interface.js';
import type { NodeInfo } from '../../framework/node-info.js';
import { type PodVolumeClaims, allowedTopologiesFit, errReasonBindConflict, errReasonNodeConflict, errReasonUnboundImmediate, getPodVolumeClaims, pvFitsNode } from './claims.js';

export const name = 'VolumeBinding';
const stateKey = name;

export class VolumeBinding implements PreFilterPlugin, FilterPlugin, EnqueueExtensions {
  readonly name = name;

  constructor(private readonly handle: FrameworkHandle) {}

  preFilter(state: CycleState, pod: Pod): { status: Status } {
    const r = getPodVolumeClaims(pod, this.handle.listers);
    if (!r.ok) return { status: r.unresolvable ? Status.unresolvable(r.message) : Status.error(r.message) };
    if (!r.claims) return { status: Status.skip() };
    if (r.claims.unboundImmediate.length) return { status: Status.unresolvable(errReasonUnboundImmediate) };
    state.write(stateKey, r.claims);
    return { status: Status.success() };
  }

  filter(state: CycleState, _pod: Pod, nodeInfo: NodeInfo): Status {
    const claims = state.read<PodVolumeClaims>(stateKey);
    if (!claims) return Status.success();
    const reasons: string[] = [];
    for (const pvc of claims.bound) {
      const pvName = pvc.spec!.volumeName!;
      const pv = this.handle.listers.persistentVolume(pvName);
      if (!pv) return Status.error(`persistentvolume "${pvName}" not found`);
      if (!pvFitsNode(pv, nodeInfo.node)) {
        reasons.push(errReasonNodeConflict);
        break;
      }
    }
    if (claims.delayed.some(({ storageClass }) => !allowedTopologiesFit(storageClass, nodeInfo.node))) reasons.push(errReasonBindConflict);
    return reasons.length ? new Status('UnschedulableAndUnresolvable', reasons) : Status.success();
  }

  eventsToRegister(): readonly ClusterEvent[] {
    return ['PVCAdd', 'PVCUpdate', 'PVAdd', 'PVUpdate', 'StorageClassAdd', 'NodeAdd', 'NodeUpdate'];
  }
}
