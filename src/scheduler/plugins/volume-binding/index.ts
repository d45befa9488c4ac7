import type { PluginFactory } from '../../framework/interface.js';
import { VolumeBinding } from './plugin.js';

export { VolumeBinding, name } from './plugin.js';

/** VolumeBindingArgs: bindTimeoutSeconds (default 600). */
export const factory: PluginFactory = (args, handle) => {
  const seconds = typeof args?.bindTimeoutSeconds === 'number' && args.bindTimeoutSeconds >= 0 ? args.bindTimeoutSeconds : 600;
  return new VolumeBinding(handle, { bindTimeoutMs: seconds * 1000 });
};
