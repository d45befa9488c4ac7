/**
 * SchedulingGates (pkg/scheduler/framework/plugins/schedulinggates): a pod with
 * `spec.schedulingGates` never enters the active queue; removing the gates (a pod update) lets it in.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { type ClusterEvent, type EnqueueExtensions, type PluginFactory, type PreEnqueuePlugin, Status } from '../../framework/interface.js';
import { names } from '../names.js';

export class SchedulingGates implements PreEnqueuePlugin, EnqueueExtensions {
  readonly name = names.SchedulingGates;
  preEnqueue(pod: Pod): Status {
    const gates = pod.spec?.schedulingGates ?? [];
    if (gates.length === 0) return Status.success();
    return Status.unresolvable(`waiting for scheduling gates: [${gates.map((g) => g.name).join(' ')}]`);
  }
  eventsToRegister(): readonly ClusterEvent[] {
    return ['PodUpdate'];
  }
}

export const factory: PluginFactory = () => new SchedulingGates();
