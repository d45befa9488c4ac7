import type { PluginFactory } from '../../framework/interface.js';
import { VolumeBinding } from './plugin.js';

export { VolumeBinding, name } from './plugin.js';

export const factory: PluginFactory = (_args, handle) => new VolumeBinding(handle);
