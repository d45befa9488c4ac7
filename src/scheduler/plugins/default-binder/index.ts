/** DefaultBinder (pkg/scheduler/framework/plugins/defaultbinder): binds through the pods/binding subresource. */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { type BindPlugin, CycleState, type FrameworkHandle, type PluginFactory, Status } from '../../framework/interface.js';
import { names } from '../names.js';

export class DefaultBinder implements BindPlugin {
  readonly name = names.DefaultBinder;
  constructor(private readonly handle: FrameworkHandle) {}
  async bind(_state: CycleState, pod: Pod, nodeName: string): Promise<Status> {
    try {
      await this.handle.effects.bind(pod, nodeName);
      return Status.success();
    } catch (e) {
      return Status.error(e as Error);
    }
  }
}

export const factory: PluginFactory = (_args, handle) => new DefaultBinder(handle);
