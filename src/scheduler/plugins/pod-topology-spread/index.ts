import type { PluginFactory } from '../../framework/interface.js';
import { type PodTopologySpreadArgs, PodTopologySpread } from './plugin.js';

export { PodTopologySpread, name } from './plugin.js';
export type { PodTopologySpreadArgs } from './plugin.js';
export type { SpreadListers } from './constraints.js';

export const factory: PluginFactory = (args, handle) => new PodTopologySpread(handle, args as PodTopologySpreadArgs | undefined);
