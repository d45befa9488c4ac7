import type { PluginFactory } from '../../framework/interface.js';
import { type DefaultPreemptionArgs, DefaultPreemption } from './plugin.js';

export { DefaultPreemption, fitErrorMessage, name, notHelpfulReason, preemptionMessage } from './plugin.js';
export type { DefaultPreemptionArgs, NominatorHandle } from './plugin.js';
export { filterPodsWithPDBViolation, moreImportantPod, noVictimsReason, selectCandidate, selectVictimsOnNode } from './victims.js';
export type { Candidate, Victims } from './victims.js';

export const factory: PluginFactory = (args, handle) => new DefaultPreemption(handle, args as DefaultPreemptionArgs | undefined);
