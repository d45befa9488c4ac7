/**
 * PrioritySort (pkg/scheduler/framework/plugins/queuesort/priority_sort.go): higher
 * `spec.priority` first, then the earlier queue timestamp.
 */
import type { PluginFactory, QueuedPodInfo, QueueSortPlugin } from '../../framework/interface.js';
import { names } from '../names.js';

export const podPriority = (pod: { spec?: { priority?: number } }): number => pod.spec?.priority ?? 0;

export class PrioritySort implements QueueSortPlugin {
  readonly name = names.PrioritySort;
  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean {
    const pa = podPriority(a.pod);
    const pb = podPriority(b.pod);
    return pa > pb || (pa === pb && a.timestamp < b.timestamp);
  }
}

export const factory: PluginFactory = () => new PrioritySort();
