import type { PluginFactory } from '../../framework/interface.js';
import { type InterPodAffinityArgs, InterPodAffinity } from './plugin.js';

export { InterPodAffinity, name } from './plugin.js';
export type { InterPodAffinityArgs } from './plugin.js';
export type { NamespaceListers } from './affinity-term.js';

export const factory: PluginFactory = (args, handle) => new InterPodAffinity(handle, args as InterPodAffinityArgs | undefined);
