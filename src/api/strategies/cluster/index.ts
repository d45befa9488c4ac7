import type { ResourceStrategy } from '../../strategy.js';

/** Every built-in kind that does not embed a pod template. */
export const clusterStrategies: Record<string, ResourceStrategy> = {};
