import type { ResourceStrategy } from '../../strategy.js';

/** Pods, pod templates and the kinds that embed them. */
export const workloadStrategies: Record<string, ResourceStrategy> = {};
